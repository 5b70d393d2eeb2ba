"""Plain-English sentences from the results, worded as official statistics should be.

Wording rules (Office for Statistics Regulation; Home Office): a significant change is
"unlikely to be chance variation alone", never "crime significantly changed"; no significant
change is "no evidence of change", with the smallest change the test could have detected; too
little data is said plainly. Count KPIs are context: they rose or fell, not got better or worse.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .. import words as W
from ..config import Kpi, force_names, vocabulary
from ..periods import Quarter

if TYPE_CHECKING:  # the Report is built from these sentences' results, never the reverse
    from .report import Report

def format_q(q: float) -> str:
    """A q-value as printed: ``q < 0.001`` or ``q = 0.012``."""
    if q != q:
        return W.Q_NOT_AVAILABLE
    if q < 0.001:
        return W.Q_BELOW
    return W.Q_VALUE.format(q=f"{q:.2g}" if q < 0.01 else f"{q:.2f}")


def _relative(row) -> str:
    rel = row.relative_change
    if rel != rel or math.isinf(rel):
        return ""
    return W.RELATIVE.format(updown=W.UP if rel >= 0 else W.DOWN, share=abs(rel))


def _values(kpi: Kpi, row, period: Quarter) -> str:
    return W.VALUES.format(value=kpi.display(row.value), year_ending=period.year_ending,
                           baseline=kpi.display(row.baseline_value))


def _reason(row) -> str:
    return W.REASON.format(note=row.note) if isinstance(row.note, str) and row.note else ""


def year_on_year_sentence(kpi: Kpi, row, period: Quarter, where: str | None = None) -> str:
    """One sentence on a year-on-year result row (a row of ``kpi_results.csv``)."""
    where = where or force_names().national
    head = f"{kpi.name}, {where}"
    assessment = row.assessment
    if bool(getattr(row, "suppressed", False)):
        return W.WITHHELD.format(head=head)
    if assessment == "insufficient_data":
        return W.TOO_LITTLE.format(head=head, reason=_reason(row))
    values = _values(kpi, row, period)
    if assessment == "not_comparable":
        return W.NOT_COMPARABLE.format(head=head, values=values, note=row.note)
    if assessment == "no_significant_change":
        mdc = row.min_detectable_change
        if mdc != mdc:
            detectable = ""
        elif kpi.format.endswith("%"):
            detectable = W.DETECTABLE_POINTS.format(points=mdc * 100)
        else:
            detectable = W.DETECTABLE.format(change=kpi.display(mdc))
        return W.NO_CHANGE.format(head=head, values=values, detectable=detectable)
    sentence = W.CHANGED.format(name=kpi.name, where=where, verb=W.CHANGED_VERB[assessment],
                                values=values, change=kpi.display_change(row.change),
                                relative=_relative(row), q=format_q(row.q_value))
    if kpi.direction == "context":
        sentence += " " + W.CONTEXT_CAVEAT
    return sentence


def headline(results, registry, period: Quarter, where: str | None = None) -> dict[str, list[str]]:
    """The year-on-year findings for one place, grouped for the front page.

    Returns lists of sentences under ``working`` (improving), ``not_working`` (deteriorating),
    ``context`` (significant rises and falls in context KPIs), ``no_change`` and ``cannot_tell``.
    """
    where = where or force_names().national
    groups = {key: [] for key in W.FINDING_GROUPS}
    key = {"improving": "working", "deteriorating": "not_working", "increase": "context",
           "decrease": "context", "no_significant_change": "no_change",
           "insufficient_data": "cannot_tell", "not_comparable": "cannot_tell"}
    rows = results.loc[(results["force"] == where) & (results["comparison"] == "year_on_year")]
    for row in rows.itertuples():
        groups[key[row.assessment]].append(year_on_year_sentence(registry[row.kpi_id], row, period, where))
    return groups


def _n(count: int, noun: str) -> str:
    singular, plural = W.NOUNS[noun]
    return f"{count:,} {singular if count == 1 else plural}"


def counts_sentence(results, comparison: str = "year_on_year") -> str:
    """How many force and national tests found a change, so readers see the whole picture."""
    rows = results.loc[results["comparison"] == comparison]
    tested = rows.loc[rows["assessment"] != "insufficient_data"]
    significant = tested.loc[tested["assessment"] != "no_significant_change"]
    better = (tested["assessment"] == "improving").sum()
    worse = (tested["assessment"] == "deteriorating").sum()
    context = len(significant) - better - worse
    return W.COUNTS.format(tested=_n(len(tested), "comparison"), significant=len(significant),
                           better=_n(better, "improvement"), worse=_n(worse, "deterioration"),
                           context=_n(context, "rise or fall"),
                           untested=_n(len(rows) - len(tested), "comparison"))


# ---------------------------------------------------------------- breakdowns

# Links in a cell's Markdown output are not resolved by the book (as links in Markdown cells are),
# so they name the built page itself; every page of a period is in one folder.
VISIBLE_PAGE = "visible_in_the_data.html"


def group_label(dimension: str, category: str) -> str:
    """A category as readers see it: ``Black victims``, ``victims aged 18-24``."""
    if dimension == "victim_age_band":
        return W.GROUP_UNDER_18 if category == "under 18" else W.GROUP_AGED.format(category=category)
    if dimension == "victim_sex":
        return W.GROUP.format(category=category.lower())
    return W.GROUP.format(category=category)


def sentence_case(text: str) -> str:
    """The first letter a capital, the rest as it is (``str.capitalize`` would lower the rest)."""
    return text[:1].upper() + text[1:]


def mid_sentence(text: str) -> str:
    """A name as it reads inside a sentence: its first letter lowered, unless the name starts with
    an abbreviation (``VAWG victims ...`` stays as it is)."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def comparator_label(dimension: str, reference: str | None = None) -> str:
    """Who a group is compared with."""
    if reference:
        return group_label(dimension, reference)
    return W.OTHER_VICTIMS.format(dimension=vocabulary().dimension_words.get(dimension, dimension))


def worse_off(kpi: Kpi, gap: float) -> bool | None:
    """Whether a gap leaves the group worse off (None for a context indicator)."""
    if kpi.direction == "context" or gap != gap:
        return None
    return gap < 0 if kpi.direction == "higher_is_better" else gap > 0


def _points(value: float) -> str:
    return W.POINTS.format(value=value * 100)


def disparity_sentence(kpi: Kpi, row, period: Quarter, where: str | None = None,
                       reference: str | None = None) -> str:
    """One sentence on a disparity row: the group's figure against the comparison group's."""
    where = where or force_names().national
    who, other = group_label(row.dimension, row.category), comparator_label(row.dimension, reference)
    head = W.DISPARITY_HEAD.format(kpi=kpi.name, who=who, where=where)
    if bool(getattr(row, "suppressed", False)):
        return W.WITHHELD.format(head=head)
    if row.assessment == "insufficient_data":
        return W.TOO_LITTLE.format(head=head, reason=_reason(row))
    values = W.DISPARITY_VALUES.format(value=kpi.display(row.value), other=other,
                                       baseline=kpi.display(row.baseline_value),
                                       year_ending=period.year_ending)
    if row.assessment == "incomplete_recording":
        return W.DISPARITY_INCOMPLETE.format(head=head, values=values,
                                             dimension=vocabulary().dimension_words[row.dimension])
    if row.assessment == "no_significant_difference":
        return W.DISPARITY_NONE.format(head=head, values=values)
    return W.DISPARITY_FOUND.format(head=head, values=values, points=_points(row.change),
                                    q=format_q(row.q_value))


def gap_change_sentence(kpi: Kpi, row, period: Quarter, where: str | None = None,
                        reference: str | None = None, link: bool = False) -> str:
    """One sentence on a gap that widened, narrowed or reversed (a ``gap_change`` or
    ``gap_change_within_forces`` row)."""
    where = where or force_names().national
    who, other = group_label(row.dimension, row.category), comparator_label(row.dimension, reference)
    verb = W.GAP_VERB.get(row.assessment)
    if verb is None:
        return ""
    template = W.GAP_CHANGED_WITHIN if row.comparison == "gap_change_within_forces" else W.GAP_CHANGED
    sentence = template.format(kpi=mid_sentence(kpi.name), who=who, other=other,
                               verb=verb, where=where, now=_points(row.value),
                               year_ending=period.year_ending, before=_points(row.baseline_value),
                               q=format_q(row.q_value))
    return sentence + (W.SEE_VISIBLE.format(page=VISIBLE_PAGE) if link else "")


#: Changes in a gap that can make the front page.
GAP_CHANGES = ("gap_widened", "gap_narrowed", "gap_reversed")


def gap_comparison(where: str) -> str:
    """The change in a gap the front page goes by: for England and Wales the gap within forces
    (so that a gap made only by where each group's victims live is not reported as one), for a
    force its own."""
    return "gap_change_within_forces" if where == force_names().national else "gap_change"


def gap_headlines(results, registry, period: Quarter,
                  where: str | None = None) -> dict[str, list[str]]:
    """Gaps that changed, for the front page: narrowed where the group was worse off, or reversed
    to leave it better off ("working"); widened where the group is worse off, or reversed to leave
    it worse off ("not_working"). Context indicators are left out. England and Wales goes by the
    gap within forces (:func:`gap_comparison`)."""
    where = where or force_names().national
    out = {"working": [], "not_working": []}
    if "dimension" not in results:
        return out
    rows = results.loc[(results["force"] == where) & (results["comparison"] == gap_comparison(where))
                       & results["assessment"].isin(GAP_CHANGES)]
    reference = registry.breakdown_settings.reference
    for row in rows.itertuples():
        kpi = registry[row.kpi_id]
        if row.assessment == "gap_reversed":
            now_bad = worse_off(kpi, row.value)
            if now_bad is None:
                continue
            key = "not_working" if now_bad else "working"
        else:
            widened = row.assessment == "gap_widened"
            if not worse_off(kpi, row.value if widened else row.baseline_value):
                continue
            key = "not_working" if widened else "working"
        out[key].append(gap_change_sentence(kpi, row, period, where, reference.get(row.dimension),
                                            link=True))
    return out


def _gap_reading(row) -> str:
    if row is None or not row.p_value == row.p_value:
        return W.GAP_READING_UNTESTED
    if row.assessment in ("higher", "lower"):
        return W.GAP_READING_FOUND.format(q=format_q(row.q_value))
    return W.GAP_READING_NONE


def gaps_disagree(crude, within) -> bool:
    """Whether the gap across the country and the gap within forces tell a reader different
    things: one is a finding and the other not, or they are findings on opposite sides."""
    if crude is None or within is None or not (crude.p_value == crude.p_value
                                                and within.p_value == within.p_value):
        return False
    found = {"higher", "lower"}
    crude_found, within_found = crude.assessment in found, within.assessment in found
    return crude_found != within_found or (crude_found and crude.assessment != within.assessment)


def national_gap_sentence(kpi: Kpi, crude, within, period: Quarter, reference: str | None = None) -> str:
    """The England and Wales gap two ways, in one sentence: across the country as a whole (the
    ``disparity`` row) and comparing victims in the same force (``disparity_within_forces``), with
    why they differ when they tell different things."""
    where = force_names().national
    untold = bool(getattr(crude, "suppressed", False)) or crude.assessment == "insufficient_data"
    if within is None or untold:
        return disparity_sentence(kpi, crude, period, where, reference)
    who, other = group_label(crude.dimension, crude.category), comparator_label(crude.dimension, reference)
    mix = W.GAP_MIX.format(who=who, other=other) if gaps_disagree(crude, within) else ""
    return W.GAP_TWO_WAYS.format(
        head=W.DISPARITY_HEAD.format(kpi=kpi.name, who=who, where=where),
        value=kpi.display(crude.value), baseline=kpi.display(crude.baseline_value), other=other,
        year_ending=period.year_ending, crude=_points(crude.change), crude_reading=_gap_reading(crude),
        within=_points(within.value) if within.value == within.value else W.MISSING,
        within_reading=_gap_reading(within), mix=mix)


def coverage_sentence(report: Report, kpi_id: str, dimension: str) -> str:
    """What share of the country's cases the England and Wales figures by group rest on."""
    rows = report.breakdown("coverage").loc[lambda d: (d["kpi_id"] == kpi_id) & (d["dimension"] == dimension)]
    if rows.empty:
        return ""
    row = rows.iloc[0]
    met = report.breakdown("recording_completeness").loc[
        lambda d: (d["kpi_id"] == kpi_id) & (d["dimension"] == dimension)
        & (d["force"] != force_names().national) & (d["assessment"] == "complete_enough")]
    proportion = report.registry[kpi_id].kind == "proportion"
    return W.COVERAGE_SENTENCE.format(word=vocabulary().dimension_words[dimension],
                                      share=percent(row["value"]), forces=len(met),
                                      years=W.BREAKDOWN_BOTH_YEARS if proportion else "")


def bounds_sentence(kpi: Kpi, row, period: Quarter, where: str | None = None) -> str:
    """How far who is unrecorded could move a gap (a ``gap_bounds`` row)."""
    where = where or force_names().national
    who = group_label(row.dimension, row.category)
    head = W.DISPARITY_HEAD.format(kpi=kpi.name, who=who, where=where)
    if bool(getattr(row, "suppressed", False)):
        return W.WITHHELD.format(head=head)
    if row.assessment not in W.BOUNDS_READING:
        return W.TOO_LITTLE.format(head=head, reason=_reason(row))
    in_group, in_rest = bounds_of(row)
    return W.BOUNDS_SENTENCE.format(head=head, gap=_points(row.value), all_in=_points(in_group),
                                    none=_points(in_rest), cases=f"{row.denominator:,.0f}",
                                    word=vocabulary().dimension_words[row.dimension], who=who,
                                    reading=W.BOUNDS_READING[row.assessment])


def bounds_of(row) -> tuple[float, float]:
    """The gap if every unrecorded case were in the group, and if none were, from a
    ``gap_bounds`` row: the first is its ``baseline_value``, the second the other end of its
    range (``ci_lower`` to ``ci_upper``)."""
    in_group = row.baseline_value
    return in_group, row.ci_upper if in_group == row.ci_lower else row.ci_lower


def percent(value: float) -> str:
    """A share as a whole percentage, ``–`` when missing."""
    return W.MISSING if value != value else f"{value:.0%}"


def heading(report: Report) -> str:
    """One line saying what the figures cover (Markdown)."""
    p = report.period
    return W.HEADING.format(label=p.label, months=p.months, year_ending=p.year_ending)


def pillar_heading(pillar: str) -> str:
    """The pillar's name as a heading (Markdown)."""
    return W.PILLAR_HEADING.format(pillar=pillar[:1].upper() + pillar[1:])


def counts(report: Report) -> str:
    """How many comparisons found a change (Markdown)."""
    return counts_sentence(report.results)


def _bullets(sentences: list[str]) -> str:
    return "\n".join(f"- {s}" for s in sentences)


def findings(report: Report, where: str | None = None, brief: bool = False) -> str:
    """What is and isn't working for one place, as Markdown sections of sentences.

    ``brief`` leaves out the list of indicators with no evidence of change (for the front page,
    which has the full table below).
    """
    where = where or force_names().national
    groups = headline(report.results, report.registry, report.period, where)
    for key, sentences in gap_headlines(report.results, report.registry, report.period, where).items():
        groups[key] += sentences
    parts = []
    for key, title in W.FINDING_GROUPS.items():
        if brief and key == "no_change":
            parts.append(W.FINDING_GROUP_BRIEF.format(title=title, count=_n(len(groups[key]), "indicator")))
            continue
        sentences = groups[key] or [W.NOTHING_IN_GROUP]
        parts.append(W.FINDING_GROUP.format(title=title) + "\n\n" + _bullets(sentences))
    return "\n\n".join(parts)


def completeness_sentence(report: Report, kpi_id: str, dimension: str) -> str:
    """The national picture of recording completeness for one breakdown (Markdown)."""
    rows = report.breakdown("recording_completeness").loc[
        lambda d: (d["kpi_id"] == kpi_id) & (d["dimension"] == dimension)]
    national = rows.loc[rows["force"] == force_names().national].iloc[0]
    forces = rows.loc[rows["force"] != force_names().national]
    return W.COMPLETENESS.format(
        kpi=report.registry[kpi_id].name, word=vocabulary().dimension_words[dimension],
        now=percent(national["value"]), year_ending=report.period.year_ending,
        before=percent(national["baseline_value"]),
        good=int((forces["assessment"] == "complete_enough").sum()), forces=len(forces),
        threshold=report.registry.breakdown_settings.completeness_threshold,
        years=W.COMPLETENESS_BOTH.format(
            word=vocabulary().dimension_words[dimension],
            tolerance=report.registry.breakdown_settings.numerator_tolerance * 100)
        if report.registry[kpi_id].kind == "proportion" else "")


def disparity_findings(report: Report) -> str:
    """What the breakdowns show, in sentences (Markdown): national gaps two ways (across the
    country and within forces) where either is unlikely to be chance, with the share of cases they
    rest on; gaps within forces that changed; how many force-level differences were found; what
    can't be told."""
    national = force_names().national
    reference = report.registry.breakdown_settings.reference
    rows = report.breakdown("disparity")
    within = report.breakdown("disparity_within_forces").set_index(["kpi_id", "dimension", "category"])
    here = rows.loc[rows["force"] == national]
    sentences, covered = [], []
    for r in here.itertuples():
        key = (r.kpi_id, r.dimension, r.category)
        w = next(within.loc[[key]].itertuples(), None) if key in within.index else None
        if r.assessment not in ("higher", "lower") and (w is None or w.assessment not in ("higher", "lower")):
            continue
        sentences.append(national_gap_sentence(report.registry[r.kpi_id], r, w, report.period,
                                               reference.get(r.dimension)))
        if (r.kpi_id, r.dimension) not in covered:
            covered.append((r.kpi_id, r.dimension))
    coverage = [c for c in (coverage_sentence(report, *pair) for pair in covered) if c]
    parts = [W.GAPS_TWO_WAYS_NATIONAL + "\n\n"
             + (_bullets(sentences + coverage) if sentences else W.NONE_FOUND)]
    changed = report.breakdown(gap_comparison(national)).loc[
        lambda d: d["assessment"].isin(GAP_CHANGES) & (d["force"] == national)]
    sentences = [gap_change_sentence(report.registry[r.kpi_id], r, report.period, national,
                                     reference.get(r.dimension)) for r in changed.itertuples()]
    parts.append(W.GAPS_CHANGED_WITHIN_NATIONAL + "\n\n"
                 + (_bullets(sentences) if sentences else W.NONE_FOUND))
    forces = rows.loc[rows["force"] != national]
    tested = forces.loc[forces["assessment"].isin(["higher", "lower", "no_significant_difference"])]
    flagged = tested.loc[tested["assessment"] != "no_significant_difference"]
    untested = forces.loc[forces["assessment"].isin(["incomplete_recording", "insufficient_data"])]
    parts.append(W.CANNOT_YET_TELL.format(comparisons=len(forces), tested=len(tested),
                                          flagged=len(flagged), untested=len(untested)))
    return "\n\n".join(parts)
