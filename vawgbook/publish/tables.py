"""The tables of the book: a period's results laid out for readers (pandas frames the notebooks
display), with words and symbols from :mod:`vawgbook.words`."""

from __future__ import annotations

import pandas as pd

from .. import words as W
from ..config import force_names
from ..periods import Quarter
from ..words import ASSESSMENT_LABELS, BOUNDS_LABELS, DISPARITY_LABELS, GAP_LABELS, SUPPRESSED
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
    table = pd.DataFrame({
        "Force": rows["force"],
        "Known, last 12 months": [narrative.percent(v) for v in rows["value"]],
        "Known, 12 months before": [narrative.percent(v) for v in rows["baseline_value"]],
        "Change": [W.MISSING if c != c else W.POINTS_SHORT.format(value=c * 100) for c in rows["change"]],
        "Reading": [reading[a] for a in rows["assessment"]],
    }).set_index("Force")
    numerator = report.breakdown("numerator_completeness").loc[
        lambda d: (d["kpi_id"] == kpi_id) & (d["dimension"] == dimension)].set_index("force")
    if not numerator.empty:  # proportions: the outcome's known share beside the cases'
        table.insert(1, "Outcome known, last 12 months",
                     [narrative.percent(numerator["value"].get(f, float("nan"))) for f in table.index])
    return table


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


def _gap_cell(row) -> str:
    """A gap with its interval, from a row whose ``value`` is the gap (``gap_change`` and the
    within-forces rows); a dash where it could not be worked out."""
    if row is None or row["value"] != row["value"]:
        return W.MISSING
    return W.GAP_INTERVAL.format(gap=row["value"] * 100, lower=row["ci_lower"] * 100,
                                 upper=row["ci_upper"] * 100)


def _lookup(report: Report, comparison: str) -> dict:
    rows = report.breakdown(comparison)
    return {(r["force"], r["kpi_id"], r["dimension"], r["category"]): r for _, r in rows.iterrows()}


def national_gaps_table(report: Report) -> pd.DataFrame:
    """England and Wales, every group of every broken-down proportion: the gap across the country
    as a whole and the gap within forces (each with its interval and reading), the change in the
    gap within forces, and the share of the country's cases the figures rest on."""
    national = force_names().national
    rows = report.breakdown("disparity").loc[lambda d: d["force"] == national]
    crude_gap, within, change = (_lookup(report, c) for c in (
        "gap_change", "disparity_within_forces", "gap_change_within_forces"))
    coverage = {(r.kpi_id, r.dimension): r.value for r in report.breakdown("coverage").itertuples()}
    out = []
    for r in rows.itertuples():
        key = (r.force, r.kpi_id, r.dimension, r.category)
        kpi = report.registry[r.kpi_id]
        names = ["Across the country", "Reading", "Within forces", "Reading within forces",
                 "Change within forces"]
        if bool(r.suppressed):
            cells = dict.fromkeys(names, SUPPRESSED)
        else:
            w, c, crude = within.get(key), change.get(key), crude_gap.get(key)
            if crude is not None and crude["value"] == crude["value"]:
                across = _gap_cell(crude)
            else:  # too few cases a year before for the gap_change row: the gap alone
                across = W.MISSING if r.change != r.change else W.POINTS_SHORT.format(value=r.change * 100)
            cells = dict(zip(names, [
                across, DISPARITY_LABELS[r.assessment], _gap_cell(w),
                DISPARITY_LABELS[w["assessment"]] if w is not None else W.MISSING,
                GAP_LABELS[c["assessment"]] if c is not None else W.MISSING], strict=True))
        share = coverage.get((r.kpi_id, r.dimension), float("nan"))
        out.append({"Indicator": kpi.name, "Group": narrative.group_label(r.dimension, r.category), **cells,
                    "Cases behind the figures": narrative.percent(share)})
    if not out:
        return pd.DataFrame({"": [W.NO_BREAKDOWNS]}).set_index("")
    return pd.DataFrame(out).set_index(["Indicator", "Group"])


def _bounds_rows(report: Report, rows: pd.DataFrame, index: list[str]) -> pd.DataFrame:
    out = []
    for r in rows.itertuples():
        kpi = report.registry[r.kpi_id]
        hidden = bool(r.suppressed)
        shown = not hidden and r.value == r.value
        in_group, in_rest = narrative.bounds_of(r) if shown else (float("nan"), float("nan"))
        out.append({
            "Indicator": kpi.name, "Group": narrative.group_label(r.dimension, r.category),
            "Force": r.force,
            "Gap as recorded": SUPPRESSED if hidden else (
                W.POINTS_SHORT.format(value=r.value * 100) if shown else W.MISSING),
            "If every unrecorded victim were in the group": SUPPRESSED if hidden else (
                W.POINTS_SHORT.format(value=in_group * 100) if shown else W.MISSING),
            "If none were": SUPPRESSED if hidden else (
                W.POINTS_SHORT.format(value=in_rest * 100) if shown else W.MISSING),
            "Reading": W.NOT_PUBLISHED if hidden else BOUNDS_LABELS[r.assessment],
        })
    if not out:
        return pd.DataFrame({"": [W.NONE_FOUND_TABLE]}).set_index("")
    table = pd.DataFrame(out)
    return table.drop(columns=[c for c in ("Force",) if c not in index]).set_index(index)


def bounds_table(report: Report, where: str | None = None) -> pd.DataFrame:
    """For one place, every group's gap as recorded and what it would be if every victim whose
    group was not recorded were in the group, or none were."""
    where = where or force_names().national
    rows = report.breakdown("gap_bounds").loc[lambda d: d["force"] == where]
    return _bounds_rows(report, rows, ["Indicator", "Group"])


def force_bounds_table(report: Report) -> pd.DataFrame:
    """The same bounds for every force-level difference unlikely to be chance."""
    found = report.breakdown("disparity").loc[
        lambda d: (d["force"] != force_names().national) & d["assessment"].isin(["higher", "lower"])]
    keys = set(zip(found["force"], found["kpi_id"], found["dimension"], found["category"], strict=True))
    rows = report.breakdown("gap_bounds")
    cells = zip(rows["force"], rows["kpi_id"], rows["dimension"], rows["category"], strict=True)
    rows = rows.loc[[k in keys for k in cells]]
    return _bounds_rows(report, rows.sort_values(["kpi_id", "dimension", "category", "force"]),
                        ["Indicator", "Group", "Force"])


def group_series_table(report: Report, kpi_id: str, dimension: str, category: str,
                       where: str | None = None) -> pd.DataFrame:
    """The data behind a quarterly chart of a group against its comparison group."""
    where = where or force_names().national
    kpi = report.registry[kpi_id]
    data = report.groups_quarterly
    data = data.loc[(data["kpi_id"] == kpi_id) & (data["dimension"] == dimension)
                    & (data["category"] == category) & (data["force"] == where)]
    reference = report.registry.breakdown_settings.reference.get(dimension)

    def shown(values, hidden):
        return [SUPPRESSED if h else kpi.display(v) for v, h in zip(values, hidden, strict=True)]

    hidden = data["suppressed"].astype(bool)
    return pd.DataFrame({
        "Quarter": [Quarter.parse(p).label for p in data["period"]],
        narrative.sentence_case(narrative.group_label(dimension, category)): shown(data["value"], hidden),
        narrative.sentence_case(narrative.comparator_label(dimension, reference)):
            shown(data["comparison_value"], hidden),
    }).set_index("Quarter")
