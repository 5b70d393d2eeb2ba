"""The tables of the book: a period's results laid out for readers, with words and symbols from
:mod:`vawgbook.words`.

Each is a :class:`~vawgbook.publish.html.Table`: a caption, headers, and on a phone a card per
row. Rows withheld as small numbers are collapsed into one line at the foot of a table rather
than filling it with "[c]" rows; column headers are words, never internal names.
"""

from __future__ import annotations

import pandas as pd

from .. import words as W
from ..config import force_names, vocabulary
from ..periods import Quarter
from ..words import ASSESSMENT_LABELS, BOUNDS_LABELS, DISPARITY_LABELS, GAP_LABELS, SUPPRESSED
from . import narrative
from .html import Html, Table, escape
from .report import Report

ASSESSMENT = "Assessment"
COLUMNS = ["Last 12 months", "95% interval", "Previous 12 months", "Change", ASSESSMENT]


def empty(text: str = W.EMPTY_TABLE) -> Html:
    """What a page shows instead of a table with no rows (never a header on its own)."""
    return Html(f"<p>{escape(text)}</p>", text)


def _hidden_footer(names: list[str]) -> str | None:
    if not names:
        return None
    listed = ", ".join(names) if len(names) <= 50 else W.TABLE_NOT_PUBLISHED_COUNT.format(count=len(names))
    return W.TABLE_NOT_PUBLISHED.format(names=listed)


def _is_hidden(row) -> bool:
    return bool(getattr(row, "suppressed", False))


def _scoped_name(report: Report, kpi_id: str, force: str) -> str:
    """An indicator's name, with the forces England and Wales covers when some are left out."""
    name = report.registry[kpi_id].name
    where = report.where(force, kpi_id)
    return name if where == force else f"{name} ({where.removeprefix(force).strip(' ()')})"


def _kpi_rows(report: Report, rows: pd.DataFrame, label: str, caption: str,
              collapse: bool) -> Table | Html:
    """Results rows as readers see them, the first column ``label`` (Indicator or Force)."""
    out, hidden = [], []
    for r in rows.itertuples():
        kpi = report.registry[r.kpi_id]
        name = _scoped_name(report, r.kpi_id, r.force) if label == "Indicator" else r.force
        if _is_hidden(r):
            if collapse:
                hidden.append(name)
                continue
            out.append({label: name, **dict.fromkeys(COLUMNS[:-1], SUPPRESSED), ASSESSMENT: W.NOT_PUBLISHED})
            continue
        out.append({
            label: name,
            "Last 12 months": kpi.display(r.value),
            "95% interval": (f"{kpi.display(r.ci_lower)} to {kpi.display(r.ci_upper)}"
                             if r.ci_lower == r.ci_lower else W.MISSING),
            "Previous 12 months": kpi.display(r.baseline_value),
            "Change": kpi.display_change(r.change),
            ASSESSMENT: ASSESSMENT_LABELS.get(r.assessment, r.assessment),
        })
    if not out and not hidden:
        return empty()
    return Table(pd.DataFrame(out, columns=[label, *COLUMNS]), caption, footer=_hidden_footer(hidden),
                 cell_classes={ASSESSMENT: "vawg-assessment"})


def _totals(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.loc[frame["dimension"] == ""] if "dimension" in frame else frame


def national_table(report: Report, pillar: str | None = None) -> Table | Html:
    """Every national KPI (or a pillar's): 12 months, previous 12, change, interval, assessment."""
    return force_table(report, force_names().national, pillar)


def force_table(report: Report, force: str, pillar: str | None = None) -> Table | Html:
    """One place's KPIs, year on year."""
    rows = _totals(report.yoy()).loc[lambda d: d["force"] == force]
    if pillar is not None:
        rows = rows.loc[rows["pillar"] == pillar]
        caption = W.PILLAR_TABLE_CAPTION.format(pillar=pillar[:1].upper() + pillar[1:])
    else:
        caption = W.NATIONAL_TABLE_CAPTION
    if force != force_names().national:
        caption = caption.replace(force_names().national, force)
    return _kpi_rows(report, rows, "Indicator", caption, collapse=False)


def comparison_table(report: Report, kpi_id: str) -> Table | Html:
    """Every force side by side for one KPI (England and Wales first), year on year; forces
    whose figures are withheld are named in one line at the foot."""
    rows = _totals(report.yoy()).loc[lambda d: d["kpi_id"] == kpi_id]
    caption = W.COMPARISON_TABLE_CAPTION.format(kpi=report.registry[kpi_id].name)
    return _kpi_rows(report, rows, "Force", caption, collapse=True)


def series_table(report: Report, kpi_id: str, force: str) -> Table | Html:
    """The data behind a trend chart, as readers see it: from the first quarter with data."""
    kpi = report.registry[kpi_id]
    q = report.quarterly
    data = q.loc[(q["kpi_id"] == kpi_id) & (q["force"] == force)]
    hidden = data["suppressed"].astype(bool) if "suppressed" in data else pd.Series(False, index=data.index)
    has = data["value"].notna() | hidden
    if not has.any():
        return empty(W.CHART_NO_DATA.format(kpi=kpi.name, place=force))
    first = int(has.to_numpy().argmax())
    data, hidden = data.iloc[first:], hidden.iloc[first:]
    frame = pd.DataFrame({
        "Quarter": [Quarter.parse(p).label for p in data["period"]],
        kpi.name: [SUPPRESSED if h else kpi.display(v) for v, h in zip(data["value"], hidden, strict=True)],
    })
    return Table(frame, W.SERIES_TABLE_CAPTION.format(kpi=kpi.name, place=force))


def force_findings(report: Report, assessment: str) -> Table | Html:
    """Forces with a given year-on-year assessment, by indicator."""
    national = force_names().national
    rows = _totals(report.yoy()).loc[lambda d: (d["force"] != national) & (d["assessment"] == assessment)]
    rows = rows.loc[~rows["suppressed"].astype(bool)] if "suppressed" in rows else rows
    if rows.empty:
        return empty()
    order = {k: i for i, k in enumerate(report.kpi_ids())}
    rows = rows.assign(_o=rows["kpi_id"].map(order)).sort_values(["_o", "force"])
    frame = pd.DataFrame({
        "Indicator": [report.registry[k].name for k in rows["kpi_id"]],
        "Force": rows["force"].to_numpy(),
        "Why": [narrative.reason(r).strip(" ()") or W.ASSESSMENT_LABELS[assessment]
                for r in rows.itertuples()],
    })
    return Table(frame, W.ASSESSMENT_LABELS.get(assessment, assessment))


def _quality_value(column: str, value, report: Report) -> object:
    if column == "kpi_id" and isinstance(value, str):
        try:
            return report.registry[value].name
        except KeyError:
            return value
    if column in ("kind", "input") and isinstance(value, str):
        return W.INPUT_WORDS.get(value, value)
    return value


def quality_table(report: Report, name: str) -> Table | Html:
    """One of the saved data-quality tables (files, coverage, kpi_gaps, negatives, ...), with
    headings in words and indicators by name."""
    rows = report.quality.get(name, [])
    if not rows:
        return empty()
    frame = pd.DataFrame(rows)
    frame = pd.DataFrame({W.QUALITY_COLUMNS.get(c, c.replace("_", " ").capitalize()):
                          [_quality_value(c, v, report) for v in frame[c]] for c in frame.columns})
    return Table(frame, W.QUALITY_CAPTIONS.get(name, name.replace("_", " ").capitalize()), row_header=False)


def revisions_table(report: Report) -> Table | Html:
    """Figures for earlier quarters that moved since the last period's data."""
    if report.revisions is None:
        return empty(W.NO_EARLIER_PERIOD)
    if report.revisions.empty:
        return empty(W.NO_REVISIONS)
    r = report.revisions
    kpis = [report.registry[k] for k in r["kpi_id"]]
    return Table(pd.DataFrame({
        "Quarter": [Quarter.parse(p).label for p in r["period"]],
        "Force": r["force"],
        "Indicator": [k.name for k in kpis],
        "Before": [k.display(v) for k, v in zip(kpis, r["value_before"], strict=True)],
        "Now": [k.display(v) for k, v in zip(kpis, r["value_now"], strict=True)],
    }), W.REVISIONS_CAPTION)


def completeness_table(report: Report, kpi_id: str, dimension: str) -> Table | Html:
    """How completely each force records a breakdown: England and Wales, then every force."""
    rows = report.breakdown("recording_completeness").loc[
        lambda d: (d["kpi_id"] == kpi_id) & (d["dimension"] == dimension)]
    threshold = report.registry.breakdown_settings.completeness_threshold
    reading = {k: v.format(threshold=threshold) for k, v in W.COMPLETENESS_READING.items()}
    caption = W.COMPLETENESS_TABLE_CAPTION.format(kpi=report.registry[kpi_id].name,
                                                  word=vocabulary().dimension_words.get(dimension, dimension))
    table = pd.DataFrame({
        "Force": rows["force"],
        "Known, last 12 months": [narrative.percent(v) for v in rows["value"]],
        "Known, 12 months before": [narrative.percent(v) for v in rows["baseline_value"]],
        "Change": [W.MISSING if c != c else W.POINTS_SHORT.format(value=c * 100) for c in rows["change"]],
        "Reading": [reading[a] for a in rows["assessment"]],
    })
    numerator = report.breakdown("numerator_completeness").loc[
        lambda d: (d["kpi_id"] == kpi_id) & (d["dimension"] == dimension)].set_index("force")
    if not numerator.empty:  # proportions: the outcome's known share beside the cases'
        table.insert(2, "Outcome known, last 12 months",
                     [narrative.percent(numerator["value"].get(f, float("nan"))) for f in table["Force"]])
    return Table(table, caption)


def disparity_table(report: Report, where: str | None = None) -> Table | Html:
    """Each group against its comparison group for one place, every broken-down proportion;
    groups withheld as small numbers named in one line at the foot."""
    where = where or force_names().national
    rows = report.breakdown("disparity").loc[lambda d: d["force"] == where]
    gaps = report.breakdown("gap_change").set_index(["force", "kpi_id", "dimension", "category"])
    out, hidden = [], []
    for r in rows.itertuples():
        kpi = report.registry[r.kpi_id]
        gap = gaps.loc[(r.force, r.kpi_id, r.dimension, r.category)]
        group = narrative.group_label(r.dimension, r.category)
        if _is_hidden(r):
            hidden.append(f"{group} ({kpi.name})")
            continue
        out.append({
            "Indicator": kpi.name,
            "Group": group[:1].upper() + group[1:],
            "Group's figure": kpi.display(r.value),
            "Comparison group": kpi.display(r.baseline_value),
            "Gap (95% interval)": (
                W.MISSING if gap["value"] != gap["value"] else W.GAP_INTERVAL.format(
                    gap=gap["value"] * 100, lower=gap["ci_lower"] * 100, upper=gap["ci_upper"] * 100)),
            "Gap a year before": (
                W.MISSING if gap["baseline_value"] != gap["baseline_value"]
                else W.POINTS_SHORT.format(value=gap["baseline_value"] * 100)),
            "Reading": DISPARITY_LABELS.get(r.assessment, r.assessment),
            "Change in the gap": GAP_LABELS.get(gap["assessment"], gap["assessment"]),
        })
    if not out and not hidden:
        return empty(W.NO_BREAKDOWNS)
    return Table(pd.DataFrame(out), W.DISPARITY_TABLE_CAPTION, footer=_hidden_footer(hidden))


def breakdown_counts_table(report: Report, where: str | None = None) -> Table | Html:
    """Counts by group for the broken-down count indicators (not tested: no population by group)."""
    where = where or force_names().national
    rows = report.breakdown("breakdown").loc[lambda d: d["force"] == where]
    if rows.empty:
        return empty(W.NO_COUNT_BREAKDOWNS)
    out, hidden = [], []
    for r in rows.itertuples():
        kpi = report.registry[r.kpi_id]
        group = narrative.group_label(r.dimension, r.category)
        if _is_hidden(r):
            hidden.append(f"{group} ({kpi.name})")
            continue
        out.append({"Indicator": kpi.name, "Group": group[:1].upper() + group[1:],
                    "Last 12 months": kpi.display(r.value),
                    "Previous 12 months": kpi.display(r.baseline_value)})
    return Table(pd.DataFrame(out, columns=["Indicator", "Group", "Last 12 months", "Previous 12 months"]),
                 W.COUNTS_BY_GROUP_CAPTION, footer=_hidden_footer(hidden))


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


def national_gaps_table(report: Report) -> Table | Html:
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
        return empty(W.NO_BREAKDOWNS)
    return Table(pd.DataFrame(out), W.NATIONAL_GAPS_CAPTION)


def _bounds_rows(report: Report, rows: pd.DataFrame, index: list[str], caption: str) -> Table | Html:
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
        return empty(W.NONE_FOUND_TABLE)
    table = pd.DataFrame(out)
    return Table(table.drop(columns=[c for c in ("Force",) if c not in index]), caption)


def bounds_table(report: Report, where: str | None = None) -> Table | Html:
    """For one place, every group's gap as recorded and what it would be if every victim whose
    group was not recorded were in the group, or none were."""
    where = where or force_names().national
    rows = report.breakdown("gap_bounds").loc[lambda d: d["force"] == where]
    return _bounds_rows(report, rows, ["Indicator", "Group"], W.BOUNDS_CAPTION.format(place=where))


def force_bounds_table(report: Report) -> Table | Html:
    """The same bounds for every force-level difference unlikely to be chance."""
    found = report.breakdown("disparity").loc[
        lambda d: (d["force"] != force_names().national) & d["assessment"].isin(["higher", "lower"])]
    keys = set(zip(found["force"], found["kpi_id"], found["dimension"], found["category"], strict=True))
    rows = report.breakdown("gap_bounds")
    cells = zip(rows["force"], rows["kpi_id"], rows["dimension"], rows["category"], strict=True)
    rows = rows.loc[[k in keys for k in cells]]
    return _bounds_rows(report, rows.sort_values(["kpi_id", "dimension", "category", "force"]),
                        ["Indicator", "Group", "Force"], W.FORCE_BOUNDS_CAPTION)


def group_series_table(report: Report, kpi_id: str, dimension: str, category: str,
                       where: str | None = None) -> Table:
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
    who = narrative.sentence_case(narrative.group_label(dimension, category))
    frame = pd.DataFrame({
        "Quarter": [Quarter.parse(p).label for p in data["period"]],
        who: shown(data["value"], hidden),
        narrative.sentence_case(narrative.comparator_label(dimension, reference)):
            shown(data["comparison_value"], hidden),
    })
    return Table(frame, W.GROUP_SERIES_CAPTION.format(kpi=kpi.name, who=who, place=where))
