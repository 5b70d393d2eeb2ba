"""A period's published results, as the notebooks read them: the files the runner wrote.

The book's pages are made from these files alone (``kpi_results.csv``, ``kpi_quarterly.csv``,
``data_quality.json``, ``revisions.csv``, and the findings register ``findings.csv`` with
``findings_resolved.csv``, ``variation.csv`` and ``scope.csv``), never from the input data, so
what readers see is exactly what the results file says. A notebook run on its own (or by
nbval) reads the sample data's results kept beside the templates, ``notebooks/sample_results``
(``make golden`` writes them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import Registry, force_names, load_registry
from ..errors import InputError
from ..files import (
    FINDINGS_FILE,
    GROUPS_QUARTERLY_FILE,
    QUALITY_FILE,
    QUARTERLY_FILE,
    RESOLVED_FILE,
    RESULTS_FILE,
    REVISIONS_FILE,
    SCOPE_FILE,
    VARIATION_FILE,
    read_results,
)
from ..periods import Quarter

SAMPLE_RESULTS = Path(__file__).resolve().parents[2] / "notebooks" / "sample_results"


@dataclass
class Report:
    """A period's results with the registry that defines them and the data-quality record."""

    period: Quarter
    results: pd.DataFrame
    quarterly: pd.DataFrame
    registry: Registry
    quality: dict = field(default_factory=dict)
    revisions: pd.DataFrame | None = None
    #: Each group's quarterly figure against its comparison group (``kpi_quarterly_groups.csv``);
    #: None for results written before it existed.
    groups_quarterly: pd.DataFrame | None = None
    #: The findings register (None for a period published before registers were written).
    findings: pd.DataFrame | None = None
    resolved: pd.DataFrame | None = None
    variation: pd.DataFrame | None = None
    scope: pd.DataFrame | None = None
    #: The previous period's register was there to compare with (``status`` is filled in).
    compared: bool = False
    _rows: dict | None = field(default=None, init=False, repr=False)

    def row(self, force: str, kpi_id: str, comparison: str = "year_on_year", dimension: str = "",
            category: str = ""):
        """One results row (a named tuple), or None."""
        if self._rows is None:
            dims = self.results["dimension"] if "dimension" in self.results else [""] * len(self.results)
            cats = self.results["category"] if "category" in self.results else [""] * len(self.results)
            self._rows = {(r.force, r.kpi_id, r.comparison, d, c): r for r, d, c in zip(
                self.results.itertuples(), dims, cats, strict=True)}
        return self._rows.get((force, kpi_id, comparison, dimension, category))

    def standing(self, force: str, kpi_id: str):
        """The place's row of the register's ``variation.csv``: its funnel position and
        process-control reading (None without a register, or for a place it has no row for)."""
        if self.variation is None:
            return None
        v = self.variation
        match = v.loc[(v["force"] == force) & (v["kpi_id"] == kpi_id)]
        return None if match.empty else match.iloc[0]

    def where(self, force: str, kpi_id: str, dimension: str = "") -> str:
        """The place a figure is for, as a sentence names it: a force's name, or England and Wales
        with the forces it covers when some are left out (from ``scope.csv``)."""
        if force != force_names().national or self.scope is None:
            return force
        match = self.scope.loc[(self.scope["kpi_id"] == kpi_id) & (self.scope["dimension"] == dimension)]
        if match.empty:
            return force
        row = match.iloc[0]
        if not dimension and row["forces_in_scope"] >= row["forces"]:
            return force
        return str(row["scope"])

    def yoy(self) -> pd.DataFrame:
        return self.results.loc[self.results["comparison"] == "year_on_year"]

    def kpi_ids(self, pillar: str | None = None) -> list[str]:
        """The ids of the KPIs with results (of one pillar, or all), in registry order."""
        present = set(self.results["kpi_id"])
        return [k.id for k in self.registry.kpis
                if k.id in present and (pillar is None or k.pillar == pillar)]

    def breakdown_kpis(self) -> list[tuple[str, str]]:
        """(KPI id, dimension) pairs with breakdown results, in registry order."""
        rows = self.breakdown("recording_completeness")
        present = set(zip(rows["kpi_id"], rows["dimension"], strict=True))
        return [(k.id, d) for k in self.registry.kpis for d in k.breakdowns if (k.id, d) in present]

    def breakdown(self, comparison: str) -> pd.DataFrame:
        """Breakdown rows of one comparison (see :mod:`vawgbook.compute.breakdowns`)."""
        if "dimension" not in self.results:
            return self.results.iloc[0:0]
        return self.results.loc[(self.results["comparison"] == comparison)
                                & (self.results["dimension"] != "")]


def show_every_row() -> None:
    """Tables in the book show every row and the whole of every cell: pandas' defaults (60 rows,
    50 characters) would silently drop forces from a 63-row table and cut file names short.
    Set when a notebook loads its results, not on import."""
    pd.set_option("display.max_rows", None, "display.max_columns", None, "display.max_colwidth", None)


def period_results(results_dir: str | Path | None = None,
                   registry: str | Path | None = None) -> Report:
    """The period's results, read from the folder the runner wrote them to.

    ``results_dir`` None means the sample data's results (``notebooks/sample_results``).
    """
    show_every_row()
    folder = Path(results_dir) if results_dir is not None else SAMPLE_RESULTS
    if not (folder / RESULTS_FILE).exists():
        raise InputError(folder / RESULTS_FILE, "not found: run `vawgbook run` (or `make golden`) first")
    results = read_results(folder / RESULTS_FILE)
    quarterly = read_results(folder / QUARTERLY_FILE)
    quality = json.loads((folder / QUALITY_FILE).read_text("utf-8")) \
        if (folder / QUALITY_FILE).exists() else {}
    revisions = read_results(folder / REVISIONS_FILE) if (folder / REVISIONS_FILE).exists() else None
    tables = {name: read_table(folder / file) for name, file in (
        ("findings", FINDINGS_FILE), ("resolved", RESOLVED_FILE), ("variation", VARIATION_FILE),
        ("scope", SCOPE_FILE))}
    findings = tables["findings"]
    compared = findings is not None and bool((findings["status"] != "").any() or (
        tables["resolved"] is not None and len(tables["resolved"])))
    groups = folder / GROUPS_QUARTERLY_FILE
    return Report(Quarter.parse(results["period"].iloc[0]), results, quarterly,
                  load_registry(registry), quality, revisions,
                  read_results(groups) if groups.exists() else None, compared=compared, **tables)


#: Columns of the register's tables that hold text (blank is an empty string, not missing).
TEXT_COLUMNS = ("key", "kind", "force", "scope", "kpi_id", "dimension", "category", "comparison",
                "assessment", "reading", "detail", "family", "status", "left_out", "funnel_signal",
                "funnel_position", "funnel_reading", "funnel_method", "spc_icon", "spc_rule",
                "spc_note")


def read_table(path: Path) -> pd.DataFrame | None:
    """One of the register's files, or None when the period has none."""
    if not path.exists():
        return None
    frame = pd.read_csv(path, keep_default_na=True, na_values=[""], dtype={"period": str})
    for column in TEXT_COLUMNS:
        if column in frame:  # an all-blank column is read as numbers: make it text first
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "").astype(str)
    if "counted" in frame:
        frame["counted"] = frame["counted"].astype(str).str.lower().eq("true")
    return frame
