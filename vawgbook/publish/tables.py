"""The tables of the book: a period's results laid out for readers (pandas frames the notebooks
display), with words and symbols from :mod:`vawgbook.words`."""

from __future__ import annotations

import pandas as pd

from .. import words as W
from ..config import force_names
from ..periods import Quarter
from ..words import ASSESSMENT_LABELS, DISPARITY_LABELS, GAP_LABELS, SUPPRESSED
from . import narrative
from .report import Report


def _kpi_rows(report: Report, rows: pd.DataFrame, index: list[str]) -> pd.DataFrame:
    """Results rows as readers see them, labelled by the ``index`` columns (Indicator, Force)."""
    out = []
    for r in rows.itertuples():
        kpi = report.registry[r.kpi_id]
        if bool(getattr(r, "suppressed", False)):
            out.append({"Indicator": kpi.name, "Force": r.force, **dict.fromkeys(
                ["Last 12 months", "95% interval", "Previous 12 months", "Change"], SUPPRESSED),
                "Assessment": W.NOT_PUBLISHED})
            continue
        out.append({
            "Indicator": kpi.name,
            "Force": r.force,
            "Last 12 months": kpi.display(r.value),
            "95% interval": (f"{kpi.display(r.ci_lower)} to {kpi.display(r.ci_upper)}"
                             if r.ci_lower == r.ci_lower else W.MISSING),
            "Previous 12 months": kpi.display(r.baseline_value),
            "Change": kpi.display_change(r.change),
            "Assessment": ASSESSMENT_LABELS[r.assessment],
        })
    table = pd.DataFrame(out, columns=["Indicator", "Force", "Last 12 months", "95% interval",
                                       "Previous 12 months", "Change", "Assessment"])
    return table.drop(columns=[c for c in ("Indicator", "Force") if c not in index]).set_index(index)


def national_table(report: Report, pillar: str | None = None) -> pd.DataFrame:
    """Every national KPI (or a pillar's): 12 months, previous 12, change, interval, assessment."""
    return force_table(report, force_names().national, pillar)


def force_table(report: Report, force: str, pillar: str | None = None) -> pd.DataFrame:
    """One force's KPIs, year on year."""
    rows = report.yoy().loc[lambda d: d["force"] == force]
    if pillar is not None:
        rows = rows.loc[rows["pillar"] == pillar]
    return _kpi_rows(report, rows, ["Indicator"])


def comparison_table(report: Report, kpi_id: str) -> pd.DataFrame:
    """Every force side by side for one KPI (England and Wales first), year on year."""
    rows = report.yoy().loc[lambda d: d["kpi_id"] == kpi_id]
    return _kpi_rows(report, rows, ["Force"])


def series_table(report: Report, kpi_id: str, force: str) -> pd.DataFrame:
    """The data behind a trend chart, as readers see it."""
    kpi = report.registry[kpi_id]
    q = report.quarterly
    data = q.loc[(q["kpi_id"] == kpi_id) & (q["force"] == force)]
    hidden = data["suppressed"] if "suppressed" in data else pd.Series(False, index=data.index)
    return pd.DataFrame({
        "Quarter": [Quarter.parse(p).label for p in data["period"]],
        kpi.name: [SUPPRESSED if h else kpi.display(v) for v, h in zip(data["value"], hidden, strict=True)],
    }).set_index("Quarter")


def force_findings(report: Report, assessment: str) -> pd.DataFrame:
    """Forces with a given year-on-year assessment, by indicator."""
    national = force_names().national
    rows = report.yoy().loc[lambda d: (d["force"] != national) & (d["assessment"] == assessment)]
    return _kpi_rows(report, rows.sort_values(["kpi_id", "force"]), ["Indicator", "Force"])


def quality_table(report: Report, name: str) -> pd.DataFrame:
    """One of the saved data-quality tables (files, coverage, kpi_gaps, negatives, ...)."""
    rows = report.quality.get(name, [])
    if not rows:
        return pd.DataFrame({"": [W.NONE]}).set_index("")
    return pd.DataFrame(rows)


def revisions_table(report: Report) -> pd.DataFrame:
    """Figures for earlier quarters that moved since the last period's data."""
    if report.revisions is None:
        return pd.DataFrame({"": [W.NO_EARLIER_PERIOD]}).set_index("")
    if report.revisions.empty:
        return pd.DataFrame({"": [W.NO_REVISIONS]}).set_index("")
    r = report.revisions
    kpis = [report.registry[k] for k in r["kpi_id"]]
    return pd.DataFrame({
        "Quarter": [Quarter.parse(p).label for p in r["period"]],
        "Force": r["force"],
        "Indicator": [k.name for k in kpis],
        "Before": [k.display(v) for k, v in zip(kpis, r["value_before"], strict=True)],
        "Now": [k.display(v) for k, v in zip(kpis, r["value_now"], strict=True)],
    })




def completeness_table(report: Report, kpi_id: str, dimension: str) -> pd.DataFrame:
    """How completely each force records a breakdown: England and Wales, then every force."""
    rows = report.breakdown("recording_completeness").loc[
        lambda d: (d["kpi_id"] == kpi_id) & (d["dimension"] == dimension)]
    threshold = report.registry.breakdown_settings.completeness_threshold
    reading = {k: v.format(threshold=threshold) for k, v in W.COMPLETENESS_READING.items()}
    return pd.DataFrame({
        "Force": rows["force"],
        "Known, last 12 months": [narrative.percent(v) for v in rows["value"]],
        "Known, 12 months before": [narrative.percent(v) for v in rows["baseline_value"]],
        "Change": [W.MISSING if c != c else W.POINTS_SHORT.format(value=c * 100) for c in rows["change"]],
        "Reading": [reading[a] for a in rows["assessment"]],
    }).set_index("Force")


def disparity_table(report: Report, where: str | None = None) -> pd.DataFrame:
    """Each group against its comparison group for one place, every broken-down proportion."""
    where = where or force_names().national
    rows = report.breakdown("disparity").loc[lambda d: d["force"] == where]
    gaps = report.breakdown("gap_change").set_index(["force", "kpi_id", "dimension", "category"])
    out = []
    for r in rows.itertuples():
        kpi = report.registry[r.kpi_id]
        gap = gaps.loc[(r.force, r.kpi_id, r.dimension, r.category)]
        hidden = bool(r.suppressed)
        out.append({
            "Indicator": kpi.name,
            "Group": narrative.group_label(r.dimension, r.category),
            "Group's figure": SUPPRESSED if hidden else kpi.display(r.value),
            "Comparison group": SUPPRESSED if hidden else kpi.display(r.baseline_value),
            "Gap (95% interval)": SUPPRESSED if hidden else (
                W.MISSING if gap["value"] != gap["value"] else W.GAP_INTERVAL.format(
                    gap=gap["value"] * 100, lower=gap["ci_lower"] * 100, upper=gap["ci_upper"] * 100)),
            "Gap a year before": SUPPRESSED if hidden else (
                W.MISSING if gap["baseline_value"] != gap["baseline_value"]
                else W.POINTS_SHORT.format(value=gap["baseline_value"] * 100)),
            "Reading": W.NOT_PUBLISHED if hidden else DISPARITY_LABELS[r.assessment],
            "Change in the gap": SUPPRESSED if hidden else GAP_LABELS[gap["assessment"]],
        })
    if not out:
        return pd.DataFrame({"": [W.NO_BREAKDOWNS]}).set_index("")
    return pd.DataFrame(out).set_index(["Indicator", "Group"])


def force_disparities(report: Report) -> pd.DataFrame:
    """Force-level differences unlikely to be chance, by indicator and group."""
    rows = report.breakdown("disparity").loc[
        lambda d: (d["force"] != force_names().national) & d["assessment"].isin(["higher", "lower"])]
    if rows.empty:
        return pd.DataFrame({"": [W.NONE_FOUND_TABLE]}).set_index("")
    out = []
    for r in rows.itertuples():
        kpi = report.registry[r.kpi_id]
        out.append({"Indicator": kpi.name, "Group": narrative.group_label(r.dimension, r.category),
                    "Force": r.force, "Group's figure": kpi.display(r.value),
                    "Comparison group": kpi.display(r.baseline_value),
                    "Gap": W.POINTS_SHORT.format(value=r.change * 100),
                    "Reading": DISPARITY_LABELS[r.assessment]})
    return pd.DataFrame(out).set_index(["Indicator", "Group", "Force"])


def breakdown_counts_table(report: Report, where: str | None = None) -> pd.DataFrame:
    """Counts by group for the broken-down count indicators (not tested: no population by group)."""
    where = where or force_names().national
    rows = report.breakdown("breakdown").loc[lambda d: d["force"] == where]
    if rows.empty:
        return pd.DataFrame({"": [W.NO_COUNT_BREAKDOWNS]}).set_index("")
    out = []
    for r in rows.itertuples():
        kpi = report.registry[r.kpi_id]
        hidden = bool(r.suppressed)
        out.append({"Indicator": kpi.name, "Group": narrative.group_label(r.dimension, r.category),
                    "Last 12 months": SUPPRESSED if hidden else kpi.display(r.value),
                    "Previous 12 months": SUPPRESSED if hidden else kpi.display(r.baseline_value)})
    return pd.DataFrame(out).set_index(["Indicator", "Group"])
