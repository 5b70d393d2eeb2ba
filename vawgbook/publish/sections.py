"""What a notebook cell shows when it is more than one thing: sections of headings, sentences,
charts and tables for each indicator."""

from __future__ import annotations

from .. import words as W
from ..config import force_names
from . import narrative
from .narrative import completeness_sentence
from .report import Report
from .tables import comparison_table, completeness_table, series_table


def show_kpi_sections(report: Report, force: str | None = None, pillar: str | None = None) -> None:
    """For each KPI (of a pillar, or all): a heading, the year-on-year finding, the quarterly
    process-control chart with its reading, and the data behind it."""
    force = force or force_names().national
    from IPython.display import HTML, Markdown, display

    from .charts import Figure, describe, spc_chart
    from .variation import spc_for, spc_sentence

    for kpi_id in report.kpi_ids(pillar):
        kpi = report.registry[kpi_id]
        row = next(report.yoy().loc[lambda d, k=kpi_id: (d["force"] == force) & (d["kpi_id"] == k)]
                   .itertuples())
        chart = spc_for(report.quarterly, kpi, force,
                        report.registry.breaks_for(kpi_id, force, force_names().national))
        display(Markdown(W.KPI_SECTION.format(
            name=kpi.name, finding=narrative.year_on_year_sentence(kpi, row, report.period, force),
            spc=spc_sentence(chart, kpi, row.assessment), definition=kpi.definition,
            caveat=kpi.caveat)))
        if chart["value"].notna().any():
            display(Figure(spc_chart(chart, kpi, force, report.quarterly),
                           describe(report.quarterly, kpi, force)))
        else:
            display(Markdown(describe(report.quarterly, kpi, force)))
        table = series_table(report, kpi_id, force).to_html(escape=True)
        display(HTML(W.DATA_BEHIND_CHART.format(table=table)))


def show_comparisons(report: Report) -> None:
    """For each KPI: a funnel plot (rates and proportions) and every force side by side."""
    from IPython.display import Markdown, display

    from .charts import Figure, funnel_chart
    from .variation import funnel_for, funnel_sentence

    for kpi_id in report.kpi_ids():
        kpi = report.registry[kpi_id]
        display(Markdown(W.COMPARISON_SECTION.format(name=kpi.name, definition=kpi.definition)))
        plot = funnel_for(report.results, kpi)
        if plot is not None:
            sentence = funnel_sentence(plot)
            display(Markdown(sentence))
            display(Figure(funnel_chart(plot), W.FUNNEL_DESCRIPTION.format(kpi=kpi.name, sentence=sentence)))
        display(comparison_table(report, kpi_id))


def show_completeness(report: Report) -> None:
    """For each broken-down indicator: the national recording picture and every force's."""
    from IPython.display import HTML, Markdown, display

    pairs = report.breakdown_kpis()
    if not pairs:
        display(Markdown(W.NO_INDICATOR_BROKEN_DOWN))
    for kpi_id, dimension in pairs:
        display(Markdown(completeness_sentence(report, kpi_id, dimension)))
        table = completeness_table(report, kpi_id, dimension).to_html(escape=True)
        display(HTML(W.RECORDING_BY_FORCE.format(table=table)))
