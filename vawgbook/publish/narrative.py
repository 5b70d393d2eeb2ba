"""Plain-English sentences from the results, worded as official statistics should be.

Wording rules (Office for Statistics Regulation; Home Office): a significant change is
"unlikely to be chance variation alone", never "crime significantly changed"; no significant
change is "no evidence of change", with the smallest change the test could have detected; too
little data is said plainly. Count KPIs are context: they rose or fell, not got better or worse.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from .. import words as W
from ..config import Kpi, force_names, vocabulary
from ..periods import Quarter
from ..stats import SETTINGS

if TYPE_CHECKING:  # the Report is built from these sentences' results, never the reverse
    from .report import Report

#: The note the compute stage writes on England and Wales rows that leave forces out; sentences
#: say the scope in their subject instead (see :meth:`Report.where`).
_EXCLUDING = re.compile(re.escape(W.NATIONAL_EXCLUDING.split("{forces}")[0]) + ".*?"
                        + re.escape(W.NATIONAL_EXCLUDING.split("{forces}")[1]))


def format_q(q: float, link: bool = False) -> str:
    """A q-value as printed: ``q < 0.001`` or ``q = 0.012``; with ``link``, the letter q links
    to its entry in the glossary."""
    letter = W.Q_LINKED.format(glossary=W.GLOSSARY_PAGE) if link else "q"
    if q != q:
        return W.Q_NOT_AVAILABLE
    if q < 0.001:
        return W.Q_BELOW.format(q=letter)
    return W.Q_VALUE.format(q=letter, value=f"{q:.2g}" if q < 0.01 else f"{q:.2f}")


def q_phrase(q: float) -> str:
    """A q-value in words: the value, linked to the glossary, and the threshold a finding needs."""
    if q != q:
        return W.Q_NOT_AVAILABLE
    return W.Q_NEEDED.format(q=format_q(q, link=True), threshold=SETTINGS.q_threshold)


def _relative(row) -> str:
    rel = row.relative_change
    if rel != rel or math.isinf(rel):
        return ""
    return W.RELATIVE.format(updown=W.UP if rel >= 0 else W.DOWN, share=abs(rel))


def _values(kpi: Kpi, row, period: Quarter) -> str:
    return W.VALUES.format(value=kpi.display(row.value), year_ending=period.year_ending,
                           baseline=kpi.display(row.baseline_value))


def clean_note(row) -> str:
    """A row's note without the forces England and Wales leaves out (the sentence's subject
    says that)."""
    note = row.note if isinstance(row.note, str) else ""
    return "; ".join(p for p in _EXCLUDING.sub("", note).split("; ") if p.strip())


def reason(row) -> str:
    """Why a row could not be tested, from its note, as " (...)"; empty when the note says
    nothing."""
    note = clean_note(row)
    return W.REASON.format(note=note) if note else ""


def detectable(kpi: Kpi, row) -> str:
    """What a test that found no evidence of change could have found: the smallest detectable
    change when the change seen was smaller than it; otherwise (a change as large, not a finding
    once the number of tests is allowed for) the threshold in plain words, never a claim that a
    change of that size would have been detected."""
    mdc = getattr(row, "min_detectable_change", float("nan"))
    if mdc != mdc:
        return ""
    change = row.change
    if change == change and abs(change) >= mdc:
        return W.NOT_ENOUGH.format(q=format_q(row.q_value, link=True), threshold=SETTINGS.q_threshold)
    if kpi.format.endswith("%"):
        return W.DETECTABLE_POINTS.format(points=mdc * 100)
    return W.DETECTABLE.format(change=kpi.display(mdc))


def year_on_year_sentence(kpi: Kpi, row, period: Quarter, where: str | None = None) -> str:
    """One sentence on a year-on-year result row (a row of ``kpi_results.csv``). ``where`` names
    the place; for England and Wales, pass the scope words (:meth:`Report.where`)."""
    where = where or force_names().national
    head = f"{kpi.name}, {where}"
    assessment = row.assessment
    if bool(getattr(row, "suppressed", False)):
        return W.WITHHELD.format(head=head)
    if assessment == "insufficient_data":
        return W.TOO_LITTLE.format(head=head, reason=reason(row))
    values = _values(kpi, row, period)
    if assessment == "not_comparable":  # the note says which break
        return W.NOT_COMPARABLE.format(head=head, values=values,
                                       note=clean_note(row) or W.ASSESSMENT_LABELS[assessment])
    if assessment == "no_significant_change":
        return W.NO_CHANGE.format(head=head, values=values, detectable=detectable(kpi, row))
    if assessment not in W.CHANGED_VERB:  # not comparable, or a word this code does not know
        label = W.ASSESSMENT_LABELS.get(assessment, assessment)
        return W.NOT_COMPARED.format(head=head, values=values, label=label, reason=reason(row))
    sentence = W.CHANGED.format(name=kpi.name, where=where, verb=W.CHANGED_VERB[assessment],
                                values=values, change=kpi.display_change(row.change),
                                relative=_relative(row), q=q_phrase(row.q_value))
    if kpi.direction == "context":
        sentence += " " + W.CONTEXT_CAVEAT
    return sentence


# ---------------------------------------------------------------- breakdowns

# Links in a cell's Markdown output are not resolved by the book (as links in Markdown cells are),
# so they name the built page itself; every page of a period is in one folder.
VISIBLE_PAGE = "visible_in_the_data.html"


def group_label(dimension: str, category: str) -> str:
    """A category as readers see it: ``Black victims``, ``victims aged 18-24``, ``victims of
    another ethnic group`` (never "Other victims", which reads as the comparison group)."""
    if (dimension, category) in W.GROUP_NAMES:
        return W.GROUP_NAMES[(dimension, category)]
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
        return W.TOO_LITTLE.format(head=head, reason=reason(row))
    values = W.DISPARITY_VALUES.format(value=kpi.display(row.value), other=other,
                                       baseline=kpi.display(row.baseline_value),
                                       year_ending=period.year_ending)
    if row.assessment == "incomplete_recording":
        return W.DISPARITY_INCOMPLETE.format(head=head, values=values,
                                             dimension=vocabulary().dimension_words[row.dimension])
    if row.assessment == "no_significant_difference":
        return W.DISPARITY_NONE.format(head=head, values=values)
    return W.DISPARITY_FOUND.format(head=head, values=values, points=_points(row.change),
                                    q=q_phrase(row.q_value))


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
                               q=q_phrase(row.q_value))
    return sentence + (W.SEE_VISIBLE.format(page=VISIBLE_PAGE) if link else "")


#: Changes in a gap that can make the front page.
GAP_CHANGES = ("gap_widened", "gap_narrowed", "gap_reversed")


def gap_comparison(where: str) -> str:
    """The change in a gap the front page goes by: for England and Wales the gap within forces
    (so that a gap made only by where each group's victims live is not reported as one), for a
    force its own."""
    return "gap_change_within_forces" if where == force_names().national else "gap_change"


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
        reason = W.REASON.format(note=row.note) if isinstance(row.note, str) and row.note else ""
        return W.TOO_LITTLE.format(head=head, reason=reason)
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


def national_gaps(report: Report) -> str:
    """England and Wales gaps two ways (across the country and within forces) where either is
    unlikely to be chance, with the share of cases they rest on, and the gaps within forces that
    changed, in sentences (Markdown)."""
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
             + ("\n".join(f"- {s}" for s in sentences + coverage) if sentences else W.NONE_FOUND)]
    changed = report.breakdown(gap_comparison(national)).loc[
        lambda d: d["assessment"].isin(GAP_CHANGES) & (d["force"] == national)]
    sentences = [gap_change_sentence(report.registry[r.kpi_id], r, report.period, national,
                                     reference.get(r.dimension)) for r in changed.itertuples()]
    parts.append(W.GAPS_CHANGED_WITHIN_NATIONAL + "\n\n"
                 + ("\n".join(f"- {s}" for s in sentences) if sentences else W.NONE_FOUND))
    return "\n\n".join(parts)


def cannot_yet_tell(report: Report) -> str:
    """How many comparisons of a group with the rest in a force could be made, how many were
    findings (from the register) and how many could not be made (Markdown)."""
    national = force_names().national
    forces = report.breakdown("disparity").loc[lambda d: d["force"] != national]
    tested = forces.loc[forces["assessment"].isin(["higher", "lower", "no_significant_difference"])]
    untested = forces.loc[forces["assessment"].isin(["incomplete_recording", "insufficient_data"])]
    register = report.findings
    flagged = 0 if register is None else int(
        ((register["kind"] == "gap") & (register["force"] != national)).sum())
    return W.CANNOT_YET_TELL.format(comparisons=len(forces), tested=len(tested), flagged=flagged,
                                    untested=len(untested))
