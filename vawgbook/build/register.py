"""Writing a period's findings register beside its results, joined with the previous period's.

The register itself is made in :mod:`vawgbook.compute.findings`; this module reads and writes
the files: ``findings.csv`` (this period's findings, ``status`` new or continuing),
``findings_resolved.csv`` (last period's findings no longer found), ``variation.csv`` (every
force's funnel position and every place's process-control reading) and ``scope.csv`` (which
forces each England and Wales figure covers).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..compute import findings
from ..config import Registry
from ..files import (
    FINDINGS_FILE,
    QUARTERLY_FILE,
    RESOLVED_FILE,
    RESULTS_FILE,
    SCOPE_FILE,
    VARIATION_FILE,
    read_results,
    write_csv,
)
from ..publish.report import read_table


def previous_register(folder: Path | None, registry: Registry) -> pd.DataFrame | None:
    """The register of the period in ``folder``: its ``findings.csv``, or, for a period published
    before registers were written, one made from its results files; None when there is none."""
    if folder is None or not Path(folder).is_dir():
        return None
    folder = Path(folder)
    if (folder / FINDINGS_FILE).exists():
        return read_table(folder / FINDINGS_FILE)
    if (folder / RESULTS_FILE).exists() and (folder / QUARTERLY_FILE).exists():
        results, quarterly = read_results(folder / RESULTS_FILE), read_results(folder / QUARTERLY_FILE)
        return findings.register(results, quarterly, registry)
    return None


def write_register(folder: Path, registry: Registry, previous: pd.DataFrame | None) -> findings.Register:
    """Make the period's register from the results files in ``folder`` (as the pages read them)
    and write its four files beside them."""
    results = read_results(Path(folder) / RESULTS_FILE)
    quarterly = read_results(Path(folder) / QUARTERLY_FILE)
    made = findings.build(results, quarterly, registry, previous)
    write_csv(made.findings, Path(folder) / FINDINGS_FILE)
    write_csv(made.resolved, Path(folder) / RESOLVED_FILE)
    write_csv(made.variation, Path(folder) / VARIATION_FILE)
    write_csv(made.scope, Path(folder) / SCOPE_FILE)
    return made
