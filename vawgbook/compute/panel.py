"""The KPI engine: quarterly numerators and denominators for every force and nationally.

Everything downstream (windows, tests, charts) works from one tidy panel with a row per KPI,
force and quarter, keeping numerator and denominator so that every figure can be traced and
re-aggregated. National figures are sums of force numerators and denominators, never means of
force rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import Kpi, Registry, Source, force_names, vocabulary
from ..ingest import Dataset
from ..periods import Quarter
from ..stats.settings import QUARTERS_PER_YEAR


def _present(ds: Dataset, frame: pd.DataFrame, kind: str) -> pd.MultiIndex:
    """Force-quarters a source has data for: at least one row, and not marked 'not provided'."""
    present = pd.MultiIndex.from_frame(frame[["force", "qidx"]].drop_duplicates())
    gaps = ds.quality.frame("not_provided")
    if not gaps.empty:
        gaps = gaps.loc[gaps["kind"] == kind]
        marked = pd.MultiIndex.from_arrays(
            [gaps["force"], [Quarter.parse(q).index for q in gaps["quarter"]]])
        present = present.difference(marked)
    return present


def source_series(ds: Dataset, source: Source, present: dict | None = None) -> pd.Series:
    """Quarterly values of one numerator or denominator, indexed by (force, qidx).

    Force-quarters without data are absent (never zero). Published files omit zero rows, so a
    force-quarter that is present but has no rows for the codes asked for counts as zero.
    ``present``: a dict in which to keep each table's force-quarters between calls.
    """
    present = {} if present is None else present

    def quarters_of(frame: pd.DataFrame, kind: str) -> pd.MultiIndex:
        if kind not in present:
            present[kind] = _present(ds, frame, kind)
        return present[kind]

    if source.source == "recorded_crime":
        frame = ds.crime
        if frame is None:
            return pd.Series(dtype="float64")
        rows = frame.loc[frame["offence_code"].isin(source.codes)]
        values = rows.groupby(["force", "qidx"])["offences"].sum()
        return values.reindex(quarters_of(frame, "recorded_crime"), fill_value=0.0)
    if source.source == "outcomes":
        frame = ds.outcomes
        if frame is None:
            return pd.Series(dtype="float64")
        rows = frame.loc[frame["offence_code"].isin(source.codes)
                         & frame["outcome_type"].isin(source.outcome_types)]
        values = rows.groupby(["force", "qidx"])["closed"].sum()
        return values.reindex(quarters_of(frame, "outcomes"), fill_value=0.0)
    if source.source == "force_returns":
        frame = ds.returns
        if frame is None:
            return pd.Series(dtype="float64")
        rows = frame.loc[(frame["measure"] == source.measure) & (frame["dimension"] == "")]
        return rows.set_index(["force", "qidx"])["value"].dropna()
    # Population: a mid-year estimate for calendar year Y applies to financial year Y/Y+1;
    # each quarter is a quarter of a person-year, so annual rates come out per person-year.
    frame = ds.population
    if frame is None or ds.crime is None:
        return pd.Series(dtype="float64")
    quarters = pd.DataFrame({"qidx": sorted(ds.crime["qidx"].unique())})
    quarters["year"] = quarters["qidx"] // QUARTERS_PER_YEAR
    merged = quarters.merge(frame[["force", "year", source.column]], on="year")
    merged["value"] = merged[source.column] / QUARTERS_PER_YEAR
    return merged.set_index(["force", "qidx"])["value"]


def kpi_panel(ds: Dataset, registry: Registry) -> pd.DataFrame:
    """Quarterly numerator and denominator for every KPI and territorial force.

    Columns: ``kpi_id, force, qidx, numerator, denominator``; a row for every force and every
    quarter in the data, with NaN where a force has no data for that quarter.
    """
    forces = force_names().territorial
    quarters = sorted(ds.crime["qidx"].unique()) if ds.crime is not None else []
    grid = pd.MultiIndex.from_product([forces, quarters], names=["force", "qidx"])
    cache: dict[Source, pd.Series] = {}
    present: dict[str, pd.MultiIndex] = {}

    def series(source: Source) -> pd.Series:
        if source not in cache:
            cache[source] = source_series(ds, source, present).reindex(grid)
        return cache[source]

    parts = []
    for kpi in registry.kpis:
        numerator = series(kpi.numerator)
        denominator = series(kpi.denominator) if kpi.denominator else pd.Series(np.nan, index=grid)
        part = pd.DataFrame({"numerator": numerator.to_numpy(),
                             "denominator": denominator.to_numpy()}, index=grid).reset_index()
        part.insert(0, "kpi_id", kpi.id)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def complete(kpi: Kpi, panel: pd.DataFrame) -> pd.Series:
    """Whether each row has data for the KPI: a numerator and, unless a count, a denominator.

    A zero denominator in one quarter is data (no cases that quarter), not a gap.
    """
    ok = panel["numerator"].notna()
    if kpi.kind != "count":
        ok &= panel["denominator"].notna()
    return ok


def national_panel(panel: pd.DataFrame, registry: Registry, period: Quarter) -> pd.DataFrame:
    """England and Wales: sums over the forces with complete data in the analysis range.

    A force missing any quarter of the 12 ending with ``period`` is left out of the national
    series for that KPI (in every quarter, so comparisons are like for like) and named in
    ``excluded``. Returns columns ``kpi_id, qidx, numerator, denominator, forces, excluded``.
    """
    recent = [q.index for q in period.window(vocabulary().analysis_quarters)]
    quarters = sorted(panel["qidx"].unique())
    parts = []
    for kpi in registry.kpis:
        rows = panel.loc[panel["kpi_id"] == kpi.id]
        ok = complete(kpi, rows)
        in_range = rows["qidx"].isin(recent)
        full = ok[in_range].groupby(rows.loc[in_range, "force"]).all()
        included = full.index[full].tolist()
        excluded = full.index[~full].tolist()
        use = rows.loc[rows["force"].isin(included)]
        by_quarter = use.groupby("qidx")
        numerator = by_quarter["numerator"].sum(min_count=1).where(
            by_quarter["numerator"].count() == len(included))
        denominator = by_quarter["denominator"].sum(min_count=1).where(
            by_quarter["denominator"].count() == len(included))
        part = pd.DataFrame({"numerator": numerator, "denominator": denominator})
        part = part.reindex(pd.Index(quarters, name="qidx")).reset_index()
        if kpi.kind == "count":
            part["denominator"] = np.nan
        part.insert(0, "kpi_id", kpi.id)
        part["forces"] = len(included)
        part["excluded"] = "; ".join(excluded)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def value(kpi: Kpi, numerator, denominator):
    """The KPI's value from summed numerator and denominator (NaN where undefined)."""
    numerator = np.asarray(numerator, dtype="float64")
    if kpi.kind == "count":
        return numerator
    denominator = np.asarray(denominator, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator * kpi.multiplier, np.nan)
