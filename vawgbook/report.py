"""What the notebooks call: load a period's results and lay them out for readers.

Notebooks stay thin: one call per cell into this module, :mod:`vawgbook.charts` or
:mod:`vawgbook.narrative`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import narrative
from .forces import force_names
from .periods import Quarter
from .registry import Registry, load_registry
from .tables import read_results

# Tables in the book show every row and the whole of every cell: pandas' defaults (60 rows, 50
# characters) would silently drop forces from a 63-row table and cut file names short.
pd.set_option("display.max_rows", None, "display.max_columns", None, "display.max_colwidth", None)

RESULTS_FILE = "kpi_results.csv"
QUARTERLY_FILE = "kpi_quarterly.csv"
QUALITY_FILE = "data_quality.json"
REVISIONS_FILE = "revisions.csv"
NATIONAL = "England and Wales"
SUPPRESSED = "[c]"  # the Government Statistical Service symbol for a confidential figure
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
    """A period's results with the registry that defines them and the data-quality record."""

    period: Quarter
    results: pd.DataFrame
    quarterly: pd.DataFrame
    registry: Registry
    quality: dict = field(default_factory=dict)
    revisions: pd.DataFrame | None = None

    def yoy(self) -> pd.DataFrame:
        return self.results.loc[self.results["comparison"] == "year_on_year"]

    def breakdown(self, comparison: str) -> pd.DataFrame:
        """Breakdown rows of one comparison (see :mod:`vawgbook.breakdowns`)."""
        if "dimension" not in self.results:
            return self.results.iloc[0:0]
        return self.results.loc[(self.results["comparison"] == comparison)
                                & (self.results["dimension"] != "")]


def sample_data_dir() -> Path:
    """The project's ``data/sample`` folder (a notebook's default data)."""
    return Path(__file__).resolve().parents[1] / "data" / "sample"


def period_results(data_dir: str | Path | None = None, period: str | None = None,
                   results_dir: str | Path | None = None,
                   registry: str | Path | None = None) -> Report:
    """The period's results: read from ``results_dir`` if given, else computed from the data.

    ``data_dir`` None means the project's sample data; ``period`` None the latest quarter in
    the data.
    """
    reg = load_registry(registry)
    folder = Path(results_dir) if results_dir is not None else None
    if folder is not None and (folder / RESULTS_FILE).exists():
        results = read_results(folder / RESULTS_FILE)
        quarterly = read_results(folder / QUARTERLY_FILE)
        quality_tables = json.loads((folder / QUALITY_FILE).read_text("utf-8")) \
            if (folder / QUALITY_FILE).exists() else {}
        revisions = read_results(folder / REVISIONS_FILE) if (folder / REVISIONS_FILE).exists() else None
        return Report(Quarter.parse(results["period"].iloc[0]), results, quarterly, reg,
                      quality_tables, revisions)
    # Computing here (a notebook run on its own) needs the statistics; reading does not.
    from .quality import report_tables
    from .results import compute
    from .sources import load, registry_codes

    ds = load(Path(data_dir) if data_dir is not None else sample_data_dir(),
              codes=registry_codes(reg))
    quarter = Quarter.parse(period) if period else ds.quarters()[-1]
    computed = compute(ds, reg, quarter)
    return Report(quarter, computed.results, computed.quarterly, reg,
                  report_tables(ds, reg, quarter))


def heading(report: Report) -> str:
    """One line saying what the figures cover (Markdown)."""
    p = report.period
    return (f"**Period:** {p.label} ({p.months}). Twelve-month figures cover the "
            f"{p.year_ending}; they are compared with the 12 months before.")


def pillar_heading(pillar: str) -> str:
    """The pillar's name as a heading (Markdown)."""
    return f"## {pillar[:1].upper()}{pillar[1:]}"


def _kpi_rows(report: Report, rows: pd.DataFrame, index: list[str]) -> pd.DataFrame:
    """Results rows as readers see them, labelled by the ``index`` columns (Indicator, Force)."""
    out = []
    for r in rows.itertuples():
        kpi = report.registry[r.kpi_id]
        if bool(getattr(r, "suppressed", False)):
            out.append({"Indicator": kpi.name, "Force": r.force, **dict.fromkeys(
                ["Last 12 months", "95% interval", "Previous 12 months", "Change"], SUPPRESSED),
                "Assessment": "[c] Not published (small numbers)"})
            continue
        out.append({
            "Indicator": kpi.name,
            "Force": r.force,
            "Last 12 months": kpi.display(r.value),
            "95% interval": (f"{kpi.display(r.ci_lower)} to {kpi.display(r.ci_upper)}"
                             if r.ci_lower == r.ci_lower else "–"),
            "Previous 12 months": kpi.display(r.baseline_value),
            "Change": kpi.display_change(r.change),
            "Assessment": ASSESSMENT_LABELS[r.assessment],
        })
    table = pd.DataFrame(out, columns=["Indicator", "Force", "Last 12 months", "95% interval",
                                       "Previous 12 months", "Change", "Assessment"])
    return table.drop(columns=[c for c in ("Indicator", "Force") if c not in index]).set_index(index)


def national_table(report: Report, pillar: str | None = None) -> pd.DataFrame:
    """Every national KPI (or a pillar's): 12 months, previous 12, change, interval, assessment."""
    return force_table(report, NATIONAL, pillar)


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


def pillar_kpis(report: Report, pillar: str) -> list[str]:
    """The ids of the KPIs in a pillar, in registry order, that have results."""
    present = set(report.results["kpi_id"])
    return [k.id for k in report.registry.kpis if k.pillar == pillar and k.id in present]


def kpi_ids(report: Report) -> list[str]:
    """Every KPI with results, in registry order."""
    present = set(report.results["kpi_id"])
    return [k.id for k in report.registry.kpis if k.id in present]


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


def counts(report: Report) -> str:
    """How many comparisons found a change (Markdown)."""
    return narrative.counts_sentence(report.results)


def findings(report: Report, where: str = NATIONAL, brief: bool = False) -> str:
    """What is and isn't working for one place, as Markdown sections of sentences.

    ``brief`` leaves out the list of indicators with no evidence of change (for the front page,
    which has the full table below).
    """
    groups = narrative.headline(report.results, report.registry, report.period, where)
    for key, sentences in narrative.gap_headlines(report.results, report.registry, report.period,
                                                  where).items():
        groups[key] += sentences
    titles = {
        "working": "What is working (improved)",
        "not_working": "What isn't working (worsened)",
        "context": "What rose or fell (context, not performance)",
        "no_change": "No evidence of change",
        "cannot_tell": "What we can't tell yet",
    }
    parts = []
    for key, title in titles.items():
        if brief and key == "no_change":
            count = len(groups[key])
            parts.append(f"**{title}** in {count} indicator{'s' if count != 1 else ''}: see the table.")
            continue
        sentences = groups[key] or ["Nothing in this group."]
        parts.append(f"**{title}**\n\n" + "\n".join(f"- {s}" for s in sentences))
    return "\n\n".join(parts)


def force_findings(report: Report, assessment: str) -> pd.DataFrame:
    """Forces with a given year-on-year assessment, by indicator."""
    rows = report.yoy().loc[lambda d: (d["force"] != NATIONAL) & (d["assessment"] == assessment)]
    return _kpi_rows(report, rows.sort_values(["kpi_id", "force"]), ["Indicator", "Force"])


def show_kpi_sections(report: Report, force: str = NATIONAL, pillar: str | None = None) -> None:
    """For each KPI (of a pillar, or all): a heading, the year-on-year finding, the quarterly
    process-control chart with its reading, and the data behind it."""
    from IPython.display import HTML, Markdown, display

    from .charts import Figure, describe, spc_chart
    from .variation import spc_for, spc_sentence

    for kpi_id in pillar_kpis(report, pillar) if pillar else kpi_ids(report):
        kpi = report.registry[kpi_id]
        row = next(report.yoy().loc[lambda d, k=kpi_id: (d["force"] == force) & (d["kpi_id"] == k)]
                   .itertuples())
        chart = spc_for(report.quarterly, kpi, force)
        display(Markdown(f"### {kpi.name}\n\n"
                         + narrative.year_on_year_sentence(kpi, row, report.period, force) + " "
                         + spc_sentence(chart, kpi, row.assessment)
                         + f"\n\n*Definition:* {kpi.definition} *Caveat:* {kpi.caveat}"))
        if chart["value"].notna().any():
            display(Figure(spc_chart(chart, kpi, force, report.quarterly),
                           describe(report.quarterly, kpi, force)))
        else:
            display(Markdown(describe(report.quarterly, kpi, force)))
        table = series_table(report, kpi_id, force).to_html(escape=True)
        display(HTML(f"<details><summary>Data behind the chart</summary>{table}</details>"))


def show_comparisons(report: Report) -> None:
    """For each KPI: a funnel plot (rates and proportions) and every force side by side."""
    from IPython.display import Markdown, display

    from .charts import Figure, funnel_chart
    from .variation import funnel_for, funnel_sentence

    for kpi_id in kpi_ids(report):
        kpi = report.registry[kpi_id]
        display(Markdown(f"### {kpi.name}\n\n{kpi.definition}"))
        plot = funnel_for(report.results, kpi)
        if plot is not None:
            sentence = funnel_sentence(plot)
            display(Markdown(sentence))
            display(Figure(funnel_chart(plot), f"Funnel plot of {kpi.name} by force. {sentence}"))
        display(comparison_table(report, kpi_id))


def forces() -> list[str]:
    """The 43 territorial forces."""
    return list(force_names().territorial)


def quality_table(report: Report, name: str) -> pd.DataFrame:
    """One of the saved data-quality tables (files, coverage, kpi_gaps, negatives, ...)."""
    rows = report.quality.get(name, [])
    if not rows:
        return pd.DataFrame({"": ["None."]}).set_index("")
    return pd.DataFrame(rows)


def revisions_table(report: Report) -> pd.DataFrame:
    """Figures for earlier quarters that moved since the last period's data."""
    if report.revisions is None:
        return pd.DataFrame({"": ["No earlier period to compare with."]}).set_index("")
    if report.revisions.empty:
        return pd.DataFrame({"": ["No figure for an earlier quarter changed."]}).set_index("")
    r = report.revisions
    kpis = [report.registry[k] for k in r["kpi_id"]]
    return pd.DataFrame({
        "Quarter": [Quarter.parse(p).label for p in r["period"]],
        "Force": r["force"],
        "Indicator": [k.name for k in kpis],
        "Before": [k.display(v) for k, v in zip(kpis, r["value_before"], strict=True)],
        "Now": [k.display(v) for k, v in zip(kpis, r["value_now"], strict=True)],
    })


# ---------------------------------------------------------------- visible in the data

DISPARITY_LABELS = {
    "higher": "↑ Higher than the comparison group",
    "lower": "↓ Lower than the comparison group",
    "no_significant_difference": "● No evidence of a difference",
    "incomplete_recording": "◌ Recording too incomplete to test",
    "insufficient_data": "○ Too little data to tell",
}
GAP_LABELS = {
    "gap_widened": "◀▶ Gap widened",
    "gap_narrowed": "▶◀ Gap narrowed",
    "no_significant_change": "● No evidence the gap changed",
    "incomplete_recording": "◌ Recording too incomplete to test",
    "insufficient_data": "○ Too little data to tell",
}


def breakdown_kpis(report: Report) -> list[tuple[str, str]]:
    """(KPI id, dimension) pairs with breakdown results, in registry order."""
    rows = report.breakdown("recording_completeness")
    present = set(zip(rows["kpi_id"], rows["dimension"], strict=True))
    return [(k.id, d) for k in report.registry.kpis for d in k.breakdowns if (k.id, d) in present]


def _percent(value: float) -> str:
    return "–" if value != value else f"{value:.0%}"


def completeness_table(report: Report, kpi_id: str, dimension: str) -> pd.DataFrame:
    """How completely each force records a breakdown: England and Wales, then every force."""
    rows = report.breakdown("recording_completeness").loc[
        lambda d: (d["kpi_id"] == kpi_id) & (d["dimension"] == dimension)]
    threshold = report.registry.breakdown_settings.completeness_threshold
    reading = {"complete_enough": f"✓ {threshold:.0%} or more: tested",
               "incomplete_recording": f"✗ below {threshold:.0%}: not tested",
               "insufficient_data": "○ no data"}
    return pd.DataFrame({
        "Force": rows["force"],
        "Known, last 12 months": [_percent(v) for v in rows["value"]],
        "Known, 12 months before": [_percent(v) for v in rows["baseline_value"]],
        "Change": ["–" if c != c else f"{c * 100:+.1f} points" for c in rows["change"]],
        "Reading": [reading[a] for a in rows["assessment"]],
    }).set_index("Force")


def completeness_sentence(report: Report, kpi_id: str, dimension: str) -> str:
    """The national picture of recording completeness for one breakdown (Markdown)."""
    rows = report.breakdown("recording_completeness").loc[
        lambda d: (d["kpi_id"] == kpi_id) & (d["dimension"] == dimension)]
    national = rows.loc[rows["force"] == NATIONAL].iloc[0]
    forces = rows.loc[rows["force"] != NATIONAL]
    good = int((forces["assessment"] == "complete_enough").sum())
    threshold = report.registry.breakdown_settings.completeness_threshold
    word = narrative.DIMENSION_WORDS[dimension]
    kpi = report.registry[kpi_id]
    return (f"**{kpi.name} by {word}.** Across England and Wales, {word} was known (recorded and "
            f"not 'not stated') for {_percent(national['value'])} of cases in the "
            f"{report.period.year_ending}, against {_percent(national['baseline_value'])} the year "
            f"before. {good} of {len(forces)} forces recorded it for at least {threshold:.0%} of "
            f"cases; only those forces are tested, and only they make up the England and Wales "
            f"figures by {word} below.")


def disparity_table(report: Report, where: str = NATIONAL) -> pd.DataFrame:
    """Each group against its comparison group for one place, every broken-down proportion."""
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
                "–" if gap["value"] != gap["value"] else
                f"{gap['value'] * 100:+.1f} ({gap['ci_lower'] * 100:+.1f} to "
                f"{gap['ci_upper'] * 100:+.1f}) points"),
            "Gap a year before": SUPPRESSED if hidden else (
                "–" if gap["baseline_value"] != gap["baseline_value"]
                else f"{gap['baseline_value'] * 100:+.1f} points"),
            "Reading": "[c] Not published (small numbers)" if hidden else DISPARITY_LABELS[r.assessment],
            "Change in the gap": "[c]" if hidden else GAP_LABELS[gap["assessment"]],
        })
    if not out:
        return pd.DataFrame({"": ["No breakdowns in the data."]}).set_index("")
    return pd.DataFrame(out).set_index(["Indicator", "Group"])


def disparity_findings(report: Report) -> str:
    """What the breakdowns show, in sentences (Markdown): national differences unlikely to be
    chance, gaps that changed, how many force-level differences were found, what can't be told."""
    reference = report.registry.breakdown_settings.reference
    rows = report.breakdown("disparity")
    national = rows.loc[rows["force"] == NATIONAL]
    found = national.loc[national["assessment"].isin(["higher", "lower"])]
    parts = []
    sentences = [narrative.disparity_sentence(report.registry[r.kpi_id], r, report.period, NATIONAL,
                                              reference.get(r.dimension)) for r in found.itertuples()]
    parts.append("**Differences unlikely to be chance, England and Wales**\n\n"
                 + ("\n".join(f"- {s}" for s in sentences) if sentences else "- None found."))
    changed = report.breakdown("gap_change").loc[
        lambda d: d["assessment"].isin(["gap_widened", "gap_narrowed"]) & (d["force"] == NATIONAL)]
    sentences = [narrative.gap_change_sentence(report.registry[r.kpi_id], r, report.period, NATIONAL,
                                               reference.get(r.dimension)) for r in changed.itertuples()]
    parts.append("**Gaps that widened or narrowed, England and Wales**\n\n"
                 + ("\n".join(f"- {s}" for s in sentences) if sentences else "- None found."))
    forces = rows.loc[rows["force"] != NATIONAL]
    tested = forces.loc[forces["assessment"].isin(["higher", "lower", "no_significant_difference"])]
    flagged = tested.loc[tested["assessment"] != "no_significant_difference"]
    untested = forces.loc[forces["assessment"].isin(["incomplete_recording", "insufficient_data"])]
    parts.append(
        "**What we cannot yet tell**\n\n"
        f"- Of {len(forces):,} comparisons of a group with the rest in a force, {len(tested):,} could be "
        f"tested and {len(flagged):,} showed a difference unlikely to be chance after allowing for the "
        f"number of tests (listed below). {len(untested):,} could not be tested: recording too "
        "incomplete, too few cases for a rate, or numbers too small to publish.\n"
        "- No evidence of a difference is not evidence of no difference: for small groups the "
        "tests can only find large gaps (see the smallest detectable gap in the results file).")
    return "\n\n".join(parts)


def force_disparities(report: Report) -> pd.DataFrame:
    """Force-level differences unlikely to be chance, by indicator and group."""
    rows = report.breakdown("disparity").loc[
        lambda d: (d["force"] != NATIONAL) & d["assessment"].isin(["higher", "lower"])]
    if rows.empty:
        return pd.DataFrame({"": ["None found."]}).set_index("")
    out = []
    for r in rows.itertuples():
        kpi = report.registry[r.kpi_id]
        out.append({"Indicator": kpi.name, "Group": narrative.group_label(r.dimension, r.category),
                    "Force": r.force, "Group's figure": kpi.display(r.value),
                    "Comparison group": kpi.display(r.baseline_value),
                    "Gap": f"{r.change * 100:+.1f} points",
                    "Reading": DISPARITY_LABELS[r.assessment]})
    return pd.DataFrame(out).set_index(["Indicator", "Group", "Force"])


def breakdown_counts_table(report: Report, where: str = NATIONAL) -> pd.DataFrame:
    """Counts by group for the broken-down count indicators (not tested: no population by group)."""
    rows = report.breakdown("breakdown").loc[lambda d: d["force"] == where]
    if rows.empty:
        return pd.DataFrame({"": ["No count indicators are broken down."]}).set_index("")
    out = []
    for r in rows.itertuples():
        kpi = report.registry[r.kpi_id]
        hidden = bool(r.suppressed)
        out.append({"Indicator": kpi.name, "Group": narrative.group_label(r.dimension, r.category),
                    "Last 12 months": SUPPRESSED if hidden else kpi.display(r.value),
                    "Previous 12 months": SUPPRESSED if hidden else kpi.display(r.baseline_value)})
    return pd.DataFrame(out).set_index(["Indicator", "Group"])


def show_completeness(report: Report) -> None:
    """For each broken-down indicator: the national recording picture and every force's."""
    from IPython.display import HTML, Markdown, display

    pairs = breakdown_kpis(report)
    if not pairs:
        display(Markdown("No indicator is broken down in this period's data."))
    for kpi_id, dimension in pairs:
        display(Markdown(completeness_sentence(report, kpi_id, dimension)))
        table = completeness_table(report, kpi_id, dimension).to_html(escape=True)
        display(HTML(f"<details><summary>Recording by force</summary>{table}</details>"))
