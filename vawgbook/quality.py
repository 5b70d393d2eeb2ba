"""The data-quality summary: what was read, what is missing, what looks odd."""

from __future__ import annotations

import pandas as pd

from .forces import force_names
from .periods import Quarter
from .sources import Dataset

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


def summary_text(ds: Dataset) -> str:
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
    if q.set_aside:
        lines.append("Non-territorial bodies set aside (not in force or national figures):")
        lines += [f"  {s['file']}: {s['body']} ({s['rows']} rows)" for s in q.set_aside]
    return "\n".join(lines)
