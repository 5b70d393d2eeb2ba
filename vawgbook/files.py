"""The files a period produces, their fixed format, and writing them so nothing is lost.

Every write here is atomic: to a temporary file (or folder) beside the target, then renamed over
it, so a reader never sees half a file and a failure leaves the last good one in place. The same
inputs give the same bytes (fixed column order and float format, sorted JSON keys).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

#: The files of a period's folder (``book/periods/PERIOD``).
RESULTS_FILE = "kpi_results.csv"
QUARTERLY_FILE = "kpi_quarterly.csv"
GROUPS_QUARTERLY_FILE = "kpi_quarterly_groups.csv"  # each group's quarterly figure against the rest
QUALITY_FILE = "data_quality.json"
REVISIONS_FILE = "revisions.csv"
MANIFEST_FILE = "manifest.json"
PAGES_FILE = "pages.json"
#: The findings register and the tables beside it (see vawgbook.compute.findings).
FINDINGS_FILE = "findings.csv"
RESOLVED_FILE = "findings_resolved.csv"
VARIATION_FILE = "variation.csv"
SCOPE_FILE = "scope.csv"

FLOAT_FORMAT = "%.10g"  # fixed, so the same inputs give the same bytes


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() would give a new file (mkstemp's own is 0o600)


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file atomically (to a temporary file, then renamed over the old one)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, _MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, data, indent: int = 1) -> None:
    """JSON with sorted keys and a final newline (values that JSON lacks written as text)."""
    write_text(path, json.dumps(data, indent=indent, sort_keys=True, default=str) + "\n")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a results table atomically, in the fixed format."""
    text = frame.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    write_text(path, text)


def read_results(path: Path) -> pd.DataFrame:
    """Read a results file written by :func:`write_csv`."""
    frame = pd.read_csv(path, keep_default_na=True, na_values=[""], dtype={"period": str})
    for column in ("dimension", "category"):  # blank for totals: kept as text, not NaN
        if column in frame:
            frame[column] = frame[column].fillna("").astype(str)
    return frame


def replace_folder(staging: Path, final: Path) -> None:
    """Put the folder ``staging`` in place of ``final``; the old one is removed only afterwards,
    and a process killed between the two renames leaves it as ``.old-NAME-PID`` for
    :func:`recover_folder` to put back."""
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)


def recover_folder(final: Path) -> None:
    """After a killed run: put back a folder caught between the two renames of
    :func:`replace_folder`, and remove leftovers of the old one."""
    for folder in sorted(final.parent.glob(f".old-{final.name}-*")):
        if not final.exists():
            os.replace(folder, final)
        else:
            shutil.rmtree(folder, ignore_errors=True)
