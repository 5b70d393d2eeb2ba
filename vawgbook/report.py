"""What the notebooks call: load a period's results and lay them out for readers.

Notebooks stay thin: one call per cell into this module, :mod:`vawgbook.charts` or
:mod:`vawgbook.narrative`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .periods import Quarter
from .registry import Registry, load_registry
from .results import PeriodResults, compute, read_results
from .sources import load

RESULTS_FILE = "kpi_results.csv"
QUARTERLY_FILE = "kpi_quarterly.csv"
ASSESSMENT_LABELS = {
    # Words and symbols, so that meaning never rests on colour alone.
    "improving": "▲ Improving",
    "deteriorating": "▼ Deteriorating",
    "increase": "↑ Increase",
    "decrease": "↓ Decrease",
    "no_significant_change": "● No significant change",
    "insufficient_data": "○ Too little data to tell",
}


@dataclass
class Report:
    """A period's results with the registry that defines them."""

    period: Quarter
    results: pd.DataFrame
    quarterly: pd.DataFrame
    registry: Registry


def period_results(data_dir: str | Path, period: str | None = None,
                   results_dir: str | Path | None = None,
                   registry: str | Path | None = None) -> Report:
    """The period's results: read from ``results_dir`` if given, else computed from the data.

    ``period`` None means the latest quarter in the data.
    """
    reg = load_registry(registry)
    if results_dir is not None and (Path(results_dir) / RESULTS_FILE).exists():
        results = read_results(Path(results_dir) / RESULTS_FILE)
        quarterly = read_results(Path(results_dir) / QUARTERLY_FILE)
        return Report(Quarter.parse(results["period"].iloc[0]), results, quarterly, reg)
    ds = load(Path(data_dir))
    quarter = Quarter.parse(period) if period else ds.quarters()[-1]
    computed: PeriodResults = compute(ds, reg, quarter)
    return Report(quarter, computed.results, computed.quarterly, reg)


def heading(report: Report) -> str:
    """One line saying what the figures cover (Markdown)."""
    p = report.period
    return (f"**Period:** {p.label} ({p.months}). Twelve-month figures cover the "
            f"{p.year_ending}; they are compared with the 12 months before.")


def national_table(report: Report) -> pd.DataFrame:
    """Every national KPI: 12-month value, previous 12 months, change, interval, assessment."""
    rows = report.results.loc[(report.results["force"] == "England and Wales")
                              & (report.results["comparison"] == "year_on_year")]
    out = []
    for r in rows.itertuples():
        kpi = report.registry[r.kpi_id]
        out.append({
            "Pillar": r.pillar.capitalize(),
            "Indicator": kpi.name,
            "Last 12 months": kpi.display(r.value),
            "95% interval": (f"{kpi.display(r.ci_lower)} to {kpi.display(r.ci_upper)}"
                             if r.ci_lower == r.ci_lower else "–"),
            "Previous 12 months": kpi.display(r.baseline_value),
            "Change": kpi.display_change(r.change),
            "Assessment": ASSESSMENT_LABELS[r.assessment],
        })
    return pd.DataFrame(out).set_index("Indicator")


def series_table(report: Report, kpi_id: str, force: str) -> pd.DataFrame:
    """The data behind a trend chart, as readers see it."""
    kpi = report.registry[kpi_id]
    q = report.quarterly
    data = q.loc[(q["kpi_id"] == kpi_id) & (q["force"] == force)]
    return pd.DataFrame({
        "Quarter": [Quarter.parse(p).label for p in data["period"]],
        kpi.name: [kpi.display(v) for v in data["value"]],
    }).set_index("Quarter")
