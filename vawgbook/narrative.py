"""Plain-English sentences from the results, worded as official statistics should be.

Wording rules (Office for Statistics Regulation; Home Office): a significant change is
"unlikely to be chance variation alone", never "crime significantly changed"; no significant
change is "no evidence of change", with the smallest change the test could have detected; too
little data is said plainly. Count KPIs are context: they rose or fell, not got better or worse.
"""

from __future__ import annotations

import math

from .periods import Quarter
from .registry import Kpi

CONTEXT_CAVEAT = ("Recorded figures reflect reporting and police recording as well as crime, so a "
                  "rise is not in itself good or bad news.")


def format_q(q: float) -> str:
    """A q-value as printed: ``q < 0.001`` or ``q = 0.012``."""
    if q != q:
        return "q not available"
    if q < 0.001:
        return "q < 0.001"
    return f"q = {q:.2g}" if q < 0.01 else f"q = {q:.2f}"


def _relative(row) -> str:
    rel = row.relative_change
    if rel != rel or math.isinf(rel):
        return ""
    return f", {'up' if rel >= 0 else 'down'} {abs(rel):.0%}"


def _values(kpi: Kpi, row, period: Quarter) -> str:
    return (f"{kpi.display(row.value)} in the {period.year_ending}, against "
            f"{kpi.display(row.baseline_value)} in the 12 months before")


def year_on_year_sentence(kpi: Kpi, row, period: Quarter, where: str = "England and Wales") -> str:
    """One sentence on a year-on-year result row (a row of ``kpi_results.csv``)."""
    name = kpi.name
    assessment = row.assessment
    if bool(getattr(row, "suppressed", False)):
        return f"{name}, {where}: not published, as it rests on fewer cases than the disclosure threshold."
    if assessment == "insufficient_data":
        reason = f" ({row.note})" if isinstance(row.note, str) and row.note else ""
        return f"{name}, {where}: too little data to tell{reason}."
    values = _values(kpi, row, period)
    change = kpi.display_change(row.change)
    if assessment == "no_significant_change":
        mdc = row.min_detectable_change
        if mdc != mdc:
            detectable = ""
        elif kpi.format.endswith("%"):
            detectable = (" The test could have detected a change of about "
                          f"{mdc * 100:.1f} percentage points or more.")
        else:
            detectable = f" The test could have detected a change of about {kpi.display(mdc)} or more."
        return f"{name}, {where}: {values}; no evidence of change.{detectable}"
    verb = {"improving": "improved", "deteriorating": "worsened",
            "increase": "rose", "decrease": "fell"}[assessment]
    sentence = (f"{name}, {where}, {verb}: {values} ({change}{_relative(row)}). This is unlikely "
                f"to be chance variation alone ({format_q(row.q_value)}).")
    if kpi.direction == "context":
        sentence += " " + CONTEXT_CAVEAT
    return sentence


def headline(results, registry, period: Quarter, where: str = "England and Wales") -> dict[str, list[str]]:
    """The year-on-year findings for one place, grouped for the front page.

    Returns lists of sentences under ``working`` (improving), ``not_working`` (deteriorating),
    ``context`` (significant rises and falls in context KPIs), ``no_change`` and ``cannot_tell``.
    """
    groups = {"working": [], "not_working": [], "context": [], "no_change": [], "cannot_tell": []}
    key = {"improving": "working", "deteriorating": "not_working", "increase": "context",
           "decrease": "context", "no_significant_change": "no_change",
           "insufficient_data": "cannot_tell"}
    rows = results.loc[(results["force"] == where) & (results["comparison"] == "year_on_year")]
    for row in rows.itertuples():
        groups[key[row.assessment]].append(year_on_year_sentence(registry[row.kpi_id], row, period, where))
    return groups


def _n(count: int, singular: str, plural: str) -> str:
    return f"{count:,} {singular if count == 1 else plural}"


def counts_sentence(results, comparison: str = "year_on_year") -> str:
    """How many force and national tests found a change, so readers see the whole picture."""
    rows = results.loc[results["comparison"] == comparison]
    tested = rows.loc[rows["assessment"] != "insufficient_data"]
    significant = tested.loc[tested["assessment"] != "no_significant_change"]
    better = (tested["assessment"] == "improving").sum()
    worse = (tested["assessment"] == "deteriorating").sum()
    context = len(significant) - better - worse
    return (f"Of {_n(len(tested), 'comparison', 'comparisons')} that could be tested (forces and "
            f"England and Wales, every indicator), {len(significant):,} showed a change unlikely to "
            f"be chance variation alone after allowing for the number of tests: "
            f"{_n(better, 'improvement', 'improvements')}, {_n(worse, 'deterioration', 'deteriorations')}"
            f", and {_n(context, 'rise or fall', 'rises or falls')} in indicators that are context "
            f"rather than performance. {_n(len(rows) - len(tested), 'comparison', 'comparisons')} "
            "could not be tested for lack of data.")


# ---------------------------------------------------------------- breakdowns

DIMENSION_WORDS = {"victim_ethnicity": "ethnicity", "victim_age_band": "age",
                   "victim_sex": "sex"}
# Links in a cell's Markdown output are not resolved by the book (as links in Markdown cells are),
# so they name the built page itself; every page of a period is in one folder.
VISIBLE_PAGE = "visible_in_the_data.html"


def group_label(dimension: str, category: str) -> str:
    """A category as readers see it: ``Black victims``, ``victims aged 18-24``."""
    if dimension == "victim_age_band":
        return "victims under 18" if category == "under 18" else f"victims aged {category}"
    if dimension == "victim_sex":
        return f"{category.lower()} victims"
    return f"{category} victims"


def comparator_label(dimension: str, reference: str | None = None) -> str:
    """Who a group is compared with."""
    if reference:
        return group_label(dimension, reference)
    return f"other victims whose {DIMENSION_WORDS.get(dimension, dimension)} was recorded"


def worse_off(kpi: Kpi, gap: float) -> bool | None:
    """Whether a gap leaves the group worse off (None for a context indicator)."""
    if kpi.direction == "context" or gap != gap:
        return None
    return gap < 0 if kpi.direction == "higher_is_better" else gap > 0


def _points(value: float) -> str:
    return f"{value * 100:+.1f} percentage points"


def disparity_sentence(kpi: Kpi, row, period: Quarter, where: str = "England and Wales",
                       reference: str | None = None) -> str:
    """One sentence on a disparity row: the group's figure against the comparison group's."""
    who, other = group_label(row.dimension, row.category), comparator_label(row.dimension, reference)
    head = f"{kpi.name}, {who}, {where}"
    if bool(getattr(row, "suppressed", False)):
        return f"{head}: not published, as it rests on fewer cases than the disclosure threshold."
    if row.assessment == "insufficient_data":
        reason = f" ({row.note})" if isinstance(row.note, str) and row.note else ""
        return f"{head}: too little data to tell{reason}."
    values = (f"{kpi.display(row.value)} against {kpi.display(row.baseline_value)} for {other} "
              f"in the {period.year_ending}")
    if row.assessment == "incomplete_recording":
        return (f"{head}: {values}. Not tested: {DIMENSION_WORDS[row.dimension]} was recorded "
                "for too few cases to rely on the comparison.")
    if row.assessment == "no_significant_difference":
        return f"{head}: {values}; no evidence of a difference."
    return (f"{head}: {values} ({_points(row.change)}). A difference this large is unlikely to be "
            f"chance variation alone ({format_q(row.q_value)}).")


def gap_change_sentence(kpi: Kpi, row, period: Quarter, where: str = "England and Wales",
                        reference: str | None = None, link: bool = False) -> str:
    """One sentence on a gap that widened or narrowed (a ``gap_change`` row)."""
    who, other = group_label(row.dimension, row.category), comparator_label(row.dimension, reference)
    verb = {"gap_widened": "widened", "gap_narrowed": "narrowed"}.get(row.assessment)
    if verb is None:
        return ""
    sentence = (f"The gap in {kpi.name.lower()[:1]}{kpi.name[1:]} between {who} and {other} {verb}, "
                f"{where}: {_points(row.value)} in the {period.year_ending} against "
                f"{_points(row.baseline_value)} in the 12 months before ({format_q(row.q_value)}).")
    return sentence + (f" See [Visible in the data]({VISIBLE_PAGE})." if link else "")


def gap_headlines(results, registry, period: Quarter,
                  where: str = "England and Wales") -> dict[str, list[str]]:
    """Gaps that changed, for the front page: narrowed where the group was worse off ("working"),
    widened where the group is worse off ("not_working"). Context indicators are left out."""
    out = {"working": [], "not_working": []}
    if "dimension" not in results:
        return out
    rows = results.loc[(results["force"] == where) & (results["comparison"] == "gap_change")
                       & results["assessment"].isin(["gap_widened", "gap_narrowed"])]
    reference = registry.breakdown_settings.reference
    for row in rows.itertuples():
        kpi = registry[row.kpi_id]
        bad = worse_off(kpi, row.value if row.assessment == "gap_widened" else row.baseline_value)
        if bad is None or not bad:
            continue
        key = "not_working" if row.assessment == "gap_widened" else "working"
        out[key].append(gap_change_sentence(kpi, row, period, where, reference.get(row.dimension),
                                            link=True))
    return out
