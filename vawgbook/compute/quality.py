"""The data-quality summary: what was read, what is missing, what looks odd."""

from __future__ import annotations

import pandas as pd

from ..config import Registry, force_names, vocabulary
from ..ingest import Dataset
from ..periods import Quarter
from ..stats.settings import QUARTERS_PER_YEAR
from .panel import complete, kpi_panel

_TABLES = {"recorded_crime": "crime", "outcomes": "outcomes", "force_returns": "returns"}


def coverage(ds: Dataset) -> pd.DataFrame:
    """Forces with data, first and last quarter, and forces missing, per input kind."""
    rows = []
    territorial = set(force_names().territorial)
    for kind, attr in _TABLES.items():
        frame = getattr(ds, attr)
        if frame is None:
            rows.append({"input": kind, "forces": 0, "first_quarter": "", "last_quarter": "",
                         "forces_missing": "no file"})
            continue
        present = set(frame["force"].unique())
        rows.append({
            "input": kind, "forces": len(present),
            "first_quarter": Quarter.from_index(int(frame["qidx"].min())).label,
            "last_quarter": Quarter.from_index(int(frame["qidx"].max())).label,
            "forces_missing": ", ".join(sorted(territorial - present)),
        })
    return pd.DataFrame(rows)


def kpi_gaps(ds: Dataset, registry: Registry, period: Quarter) -> pd.DataFrame:
    """Forces that cannot be tested year on year for a KPI: a quarter missing in the 8 ending
    with ``period``. Columns ``kpi_id, force, missing_quarters``."""
    panel = kpi_panel(ds, registry)
    last8 = {q.index for q in period.window(2 * QUARTERS_PER_YEAR)}
    rows = []
    for kpi in registry.kpis:
        part = panel.loc[(panel["kpi_id"] == kpi.id) & panel["qidx"].isin(last8)]
        missing = part.loc[~complete(kpi, part)]
        for force, group in missing.groupby("force", sort=True):
            quarters = ", ".join(Quarter.from_index(int(q)).label for q in sorted(group["qidx"]))
            rows.append({"kpi_id": kpi.id, "force": force, "missing_quarters": quarters})
    return pd.DataFrame(rows, columns=["kpi_id", "force", "missing_quarters"])


def summary_text(ds: Dataset, registry: Registry | None = None) -> str:
    """A plain-text data-quality summary for the terminal."""
    q = ds.quality
    lines = ["Files read:"]
    lines += [f"  {f['kind']:<15} {f['file']} ({f['rows']:,} rows)" for f in q.files]
    lines.append("Coverage:")
    for row in coverage(ds).itertuples():
        span = f"{row.first_quarter} to {row.last_quarter}" if row.forces else "none"
        missing = f"; missing: {row.forces_missing}" if row.forces_missing else ""
        lines.append(f"  {row.input:<15} {row.forces} forces, {span}{missing}")
    if q.not_provided:
        gaps = pd.DataFrame(q.not_provided)
        lines.append("Marked 'data not provided' (treated as gaps, never as zero):")
        for (kind, force), group in gaps.groupby(["kind", "force"], sort=True):
            lines.append(f"  {kind}: {force}: {', '.join(group['quarter'])}")
    if q.negatives:
        lines.append(f"Negative counts kept as published: {len(q.negatives)}")
        for n in q.negatives[:10]:
            lines.append(f"  {n['file']} row {n['row']}, {n['column']}: {n['value']:g}")
    if q.unknown_measures:
        lines.append("Force-return measures not in the contract (kept):")
        lines += [f"  {u['file']}: {u['measure']} ({u['rows']} rows)" for u in q.unknown_measures]
    if q.breakdowns_without_total:
        lines.append("Breakdowns sent without their total (not used; totals are never guessed):")
        lines += [f"  {b['file']}: {b['measure']} by {b['dimension']}, {b['force_quarters']} "
                  f"force-quarter(s), first {b['first']}" for b in q.breakdowns_without_total]
    if q.set_aside:
        lines.append("Non-territorial bodies set aside (not in force or national figures):")
        lines += [f"  {s['file']}: {s['body']} ({s['rows']} rows)" for s in q.set_aside]
    quarters = ds.quarters()
    if registry is not None and quarters:
        gaps = kpi_gaps(ds, registry, quarters[-1])
        lines.append(f"KPIs that cannot be tested for {quarters[-1].label} "
                     "(a quarter missing in the last two years):")
        if gaps.empty:
            lines.append("  none")
        for kpi_id, group in gaps.groupby("kpi_id", sort=False):
            forces = ", ".join(group["force"])
            lines.append(f"  {kpi_id}: {len(group)} force(s): {forces}")
    return "\n".join(lines)


def report_tables(ds: Dataset, registry: Registry, period: Quarter) -> dict[str, list[dict]]:
    """Everything the data-quality page shows, as plain records (saved with each period)."""
    q = ds.quality
    return {
        "files": q.files,
        "coverage": coverage(ds).to_dict("records"),
        "kpi_gaps": kpi_gaps(ds, registry, period).to_dict("records"),
        "not_provided": q.not_provided,
        "negatives": q.negatives,
        "set_aside": q.set_aside,
        "unknown_measures": q.unknown_measures,
        "breakdowns_without_total": q.breakdowns_without_total,
        "breaks": breaks_in_view(registry, period),
    }


def breaks_in_view(registry: Registry, period: Quarter) -> list[dict]:
    """The registered changes in counting that fall inside the period's analysis window: what a
    reader of this period's figures needs to know."""
    first = period.window(vocabulary().analysis_quarters)[0]
    return [{"from": b.first_quarter.label,
             "forces": "every force" if not b.forces else ", ".join(b.forces),
             "what changed": b.what, "source": b.source,
             "indicators": ", ".join(registry[k].name for k in b.kpis if k in {x.id for x in registry.kpis})}
            for b in registry.breaks if first < b.first_quarter <= period]


def revisions(previous: pd.DataFrame, current: pd.DataFrame, tolerance: float = 1e-9) -> pd.DataFrame:
    """Quarterly figures that differ between the last period's data and this period's.

    Both frames are ``kpi_quarterly.csv`` tables. Home Office tables are revised as forces
    resubmit data, so a reader should know when a published figure moved.
    """
    key = ["period", "force", "kpi_id"]
    both = previous.merge(current, on=key, suffixes=("_before", "_now"))
    changed = pd.Series(False, index=both.index)
    for column in ("numerator", "denominator"):
        before, now = both[f"{column}_before"], both[f"{column}_now"]
        moved = (before - now).abs() > tolerance * before.abs().clip(lower=1)
        changed |= moved.fillna(False) | (before.isna() != now.isna())
    out = both.loc[changed, key + ["value_before", "value_now"]]
    return out.sort_values(key).reset_index(drop=True)
