"""What a notebook cell shows when it is more than one thing: sections of headings, sentences,
charts and tables for each indicator."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import words as W
from ..config import force_names, vocabulary
from . import narrative
from .html import Table
from .narrative import completeness_sentence
from .report import Report
from .tables import comparison_table, completeness_table, group_series_table, series_table


def funnel_table(report: Report, plot, highlight: str | None = None) -> Table:
    """The data behind a funnel plot, for keyboard and screen-reader users: each force's figure
    and where it sits (the highlighted force first)."""
    kpi = plot.kpi
    points = plot.points.sort_values("value", ascending=False)
    if highlight is not None:
        mine = points["force"] == highlight
        points = pd.concat([points.loc[mine], points.loc[~mine]])
    force, value, where = W.FUNNEL_TABLE_COLUMNS
    words = {("above", r): W.POSITION_LABELS[("above", r)] for r in ("better", "worse", "neutral")}
    words |= {("below", r): W.POSITION_LABELS[("below", r)] for r in ("better", "worse", "neutral")}
    words[("within", "similar")] = W.POSITION_LABELS[("within", "similar")]
    frame = pd.DataFrame({force: points["force"], value: [kpi.display(v) for v in points["value"]],
                          where: [words.get((p, r), p) for p, r in zip(points["position"], points["reading"],
                                                                       strict=True)]})
    return Table(frame, W.FUNNEL_TABLE_CAPTION.format(kpi=kpi.name))


def show_kpi_sections(report: Report, force: str | None = None, pillar: str | None = None,
                      funnels: bool = False) -> None:
    """For each KPI (of a pillar, or all): a heading, the year-on-year finding, the quarterly
    process-control chart with its reading, and the data behind it; with ``funnels`` (a force's
    page), the indicator's funnel plot with the force marked, and the data behind it."""
    force = force or force_names().national
    from IPython.display import HTML, Markdown, display

    from .charts import Figure, describe, funnel_chart, funnel_titles, spc_chart, spc_titles
    from .variation import funnel_for, funnel_sentence, spc_for, spc_sentence

    national = force_names().national
    for kpi_id in report.kpi_ids(pillar):
        kpi = report.registry[kpi_id]
        row = report.row(force, kpi_id)
        if row is None:
            continue
        chart = spc_for(report.quarterly, kpi, force, report.registry.breaks_for(kpi_id, force, national))
        where = report.where(force, kpi_id)
        display(Markdown(W.KPI_SECTION.format(
            name=kpi.name, finding=narrative.year_on_year_sentence(kpi, row, report.period, where),
            spc=spc_sentence(chart, kpi, row.assessment, report.standing(force, kpi_id)),
            definition=kpi.definition, caveat=kpi.caveat)))
        if chart["value"].notna().any():
            title, subtitle = spc_titles(kpi, force, chart, force != national and kpi.kind != "count")
            display(Figure(spc_chart(chart, kpi, force, report.quarterly),
                           describe(report.quarterly, kpi, force), title, subtitle))
        else:
            display(Markdown(describe(report.quarterly, kpi, force)))
        table = series_table(report, kpi_id, force).markup
        display(HTML(W.DATA_BEHIND_CHART.format(table=table)))
        if funnels and force != national:
            plot = funnel_for(report.results, kpi)
            if plot is None or not (plot.points["force"] == force).any():
                continue
            sentence = funnel_sentence(plot)
            mine = plot.points.loc[plot.points["force"] == force].iloc[0]
            description = W.FUNNEL_DESCRIPTION.format(kpi=kpi.name, sentence=sentence) + \
                W.FUNNEL_DESCRIPTION_FORCE.format(force=force, value=kpi.display(mine["value"]),
                                                  position=W.FUNNEL_POSITION_WORDS[mine["position"]])
            title, subtitle = funnel_titles(kpi)
            display(Figure(funnel_chart(plot, highlight=force, groups=report.registry.group_names),
                           description, title, subtitle))
            display(HTML(W.DATA_BEHIND_FUNNEL.format(table=funnel_table(report, plot, force).markup)))


def show_comparisons(report: Report) -> None:
    """For each KPI: a funnel plot (rates and proportions), the forces outside its limits named
    with their direction, and every force side by side."""
    from IPython.display import Markdown, display

    from .charts import Figure, funnel_chart, funnel_titles
    from .variation import funnel_for, funnel_sentence

    for kpi_id in report.kpi_ids():
        kpi = report.registry[kpi_id]
        display(Markdown(W.COMPARISON_SECTION.format(name=kpi.name, definition=kpi.definition)))
        plot = funnel_for(report.results, kpi)
        if plot is not None:
            sentence = funnel_sentence(plot)
            display(Markdown(sentence))
            title, subtitle = funnel_titles(kpi)
            display(Figure(funnel_chart(plot, groups=report.registry.group_names),
                           W.FUNNEL_DESCRIPTION.format(kpi=kpi.name, sentence=sentence), title, subtitle))
        display(comparison_table(report, kpi_id))


def show_completeness(report: Report) -> None:
    """For each broken-down indicator: the national recording picture and every force's."""
    from IPython.display import HTML, Markdown, display

    pairs = report.breakdown_kpis()
    if not pairs:
        display(Markdown(W.NO_INDICATOR_BROKEN_DOWN))
    for kpi_id, dimension in pairs:
        display(Markdown(completeness_sentence(report, kpi_id, dimension)))
        table = completeness_table(report, kpi_id, dimension).markup
        display(HTML(W.RECORDING_BY_FORCE.format(table=table)))


FOUND = ("higher", "lower", "gap_widened", "gap_narrowed", "gap_reversed")


def charted_groups(report: Report, place: str) -> list[tuple[str, str, str]]:
    """(KPI id, dimension, group) to chart quarter by quarter for one place: every group with a
    gap, or a change in one, unlikely to be chance there (for England and Wales, across the
    country or within forces), and for England and Wales the registry's merged groups (the
    framework speaks of them), in the results' order."""
    national = force_names().national
    comparisons = ["disparity", "gap_change"]
    if place == national:
        comparisons += ["disparity_within_forces", "gap_change_within_forces"]
    rows = report.results.loc[(report.results["force"] == place)
                              & report.results["comparison"].isin(comparisons)
                              & (report.results["dimension"] != "")]
    merged = report.registry.breakdown_settings.merged
    keep = rows["assessment"].isin(FOUND).to_numpy().copy()
    if place == national:
        keep |= np.array([c in merged.get(d, {}) for d, c in zip(rows["dimension"], rows["category"],
                                                                 strict=True)], dtype=bool)
    return list(dict.fromkeys(zip(rows.loc[keep, "kpi_id"], rows.loc[keep, "dimension"],
                                  rows.loc[keep, "category"], strict=True)))


def show_group_series(report: Report, place: str | None = None) -> None:
    """Quarter by quarter, each charted group's figure against its comparison group's (see
    :func:`charted_groups`), with the data behind each chart."""
    place = place or force_names().national
    from IPython.display import HTML, Markdown, display

    from .charts import Figure, describe_group, group_chart, group_series

    if report.groups_quarterly is None:
        return
    groups = charted_groups(report, place)
    if not groups:
        display(Markdown(W.NO_GROUP_FINDINGS))
    reference = report.registry.breakdown_settings.reference
    for kpi_id, dimension, category in groups:
        kpi = report.registry[kpi_id]
        who = narrative.group_label(dimension, category)
        other = narrative.comparator_label(dimension, reference.get(dimension))
        series = group_series(report.groups_quarterly, kpi, dimension, category, place)
        display(Markdown(W.GROUP_SERIES_HEADING.format(
            kpi=kpi.name, word=vocabulary().dimension_words[dimension], who=narrative.sentence_case(who))))
        description = describe_group(series, kpi, place, who, other)
        if series["value"].notna().any():
            display(Figure(group_chart(series, kpi, place, who, other), description))
        else:
            display(Markdown(description))
        table = group_series_table(report, kpi_id, dimension, category, place).markup
        display(HTML(W.DATA_BEHIND_CHART.format(table=table)))
