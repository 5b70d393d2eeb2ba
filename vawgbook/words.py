"""Every word a reader sees that the code writes: the assessment labels with their symbols, and
the sentence templates of the book and of the notes in the results file.

One place, so that a wording change is one edit here plus ``make golden``. The symbols carry
meaning with the words (never colour alone). Templates are ``str.format`` strings; the functions
that fill them are in :mod:`vawgbook.publish.narrative` (sentences for pages) and the compute
stage (notes written into ``kpi_results.csv``).
"""

from __future__ import annotations

SUPPRESSED = "[c]"  # the Government Statistical Service symbol for a confidential figure


ASSESSMENT_LABELS = {
    # Words and symbols, so that meaning never rests on colour alone.
    "improving": "▲ Improving",
    "deteriorating": "▼ Deteriorating",
    "increase": "↑ Increase",
    "decrease": "↓ Decrease",
    "no_significant_change": "● No significant change",
    "insufficient_data": "○ Too little data to tell",
    "not_comparable": "≠ Not comparable (counting changed)",
}


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
    "gap_reversed": "⇄ Gap reversed (closed and opened the other way)",
    "no_significant_change": "● No evidence the gap changed",
    "incomplete_recording": "◌ Recording too incomplete to test",
    "insufficient_data": "○ Too little data to tell",
}


BOUNDS_LABELS = {
    "robust_to_recording": "✓ Same side of zero whoever the unrecorded victims were",
    "sensitive_to_recording": "? Could be made or undone by who the unrecorded victims were",
    "insufficient_data": "○ Too little data to tell",
}


# ---------------------------------------------------------------- pages

PAGE_TITLES = {
    "front_page": "Summary",
    "what_is_working": "What is and isn't working",
    "visible_in_the_data": "Visible in the data",
    "national_overview": "National overview",
    "force_comparison": "Forces compared",
    "data_quality": "Data quality",
}
PILLAR_PAGE_HEADING = "Pillar: {pillar}"
FORCE_PAGE_HEADING = "{force}: force profile"
FORCES_PAGE = ("# Forces\n\nOne page for each of the 43 territorial police forces of England and "
               "Wales.\n\n```{tableofcontents}\n```\n")


# ---------------------------------------------------------------- numbers in words

Q_NOT_AVAILABLE = "q not available"
Q_BELOW = "q < 0.001"
Q_VALUE = "q = {q}"
POINTS = "{value:+.1f} percentage points"
POINTS_SHORT = "{value:+.1f} points"
MISSING = "–"
UP, DOWN = "up", "down"
RELATIVE = ", {updown} {share:.0%}"

# ---------------------------------------------------------------- changes over time (narrative)

CONTEXT_CAVEAT = ("Recorded figures reflect reporting and police recording as well as crime, so a "
                  "rise is not in itself good or bad news.")
VALUES = "{value} in the {year_ending}, against {baseline} in the 12 months before"
WITHHELD = "{head}: not published, as it rests on fewer cases than the disclosure threshold."
TOO_LITTLE = "{head}: too little data to tell{reason}."
REASON = " ({note})"
NO_CHANGE = "{head}: {values}; no evidence of change.{detectable}"
NOT_COMPARABLE = "{head}: {values}; {note}."
DETECTABLE_POINTS = " The test could have detected a change of about {points:.1f} percentage points or more."
DETECTABLE = " The test could have detected a change of about {change} or more."
CHANGED_VERB = {"improving": "improved", "deteriorating": "worsened", "increase": "rose",
                "decrease": "fell"}
CHANGED = ("{name}, {where}, {verb}: {values} ({change}{relative}). This is unlikely to be chance "
           "variation alone ({q}).")
HEADING = ("**Period:** {label} ({months}). Twelve-month figures cover the {year_ending}; they are "
           "compared with the 12 months before.")
PILLAR_HEADING = "## {pillar}"
COUNTS = ("Of {tested} that could be tested (forces and England and Wales, every indicator), "
          "{significant:,} showed a change unlikely to be chance variation alone after allowing for "
          "the number of tests: {better}, {worse}, and {context} in indicators that are context rather "
          "than performance. {untested} could not be tested for lack of data.")
NOUNS = {"comparison": ("comparison", "comparisons"), "improvement": ("improvement", "improvements"),
         "deterioration": ("deterioration", "deteriorations"),
         "rise or fall": ("rise or fall", "rises or falls"), "indicator": ("indicator", "indicators")}
FINDING_GROUPS = {
    "working": "What is working (improved)",
    "not_working": "What isn't working (worsened)",
    "context": "What rose or fell (context, not performance)",
    "no_change": "No evidence of change",
    "cannot_tell": "What we can't tell yet",
}
FINDING_GROUP_BRIEF = "**{title}** in {count}: see the table."
FINDING_GROUP = "**{title}**"
NOTHING_IN_GROUP = "Nothing in this group."

# ---------------------------------------------------------------- groups of victims (narrative)

GROUP_UNDER_18 = "victims under 18"
GROUP_AGED = "victims aged {category}"
GROUP = "{category} victims"
OTHER_VICTIMS = "other victims whose {dimension} was recorded"
DISPARITY_HEAD = "{kpi}, {who}, {where}"
DISPARITY_VALUES = "{value} against {baseline} for {other} in the {year_ending}"
DISPARITY_INCOMPLETE = ("{head}: {values}. Not tested: {dimension} was recorded for too few cases to "
                        "rely on the comparison.")
DISPARITY_NONE = "{head}: {values}; no evidence of a difference."
DISPARITY_FOUND = ("{head}: {values} ({points}). A difference this large is unlikely to be chance "
                   "variation alone ({q}).")
GAP_VERB = {"gap_widened": "widened", "gap_narrowed": "narrowed",
            "gap_reversed": "reversed (it closed and opened the other way)"}
GAP_CHANGED = ("The gap in {kpi} between {who} and {other} {verb}, {where}: {now} in the "
               "{year_ending} against {before} in the 12 months before ({q}).")
GAP_CHANGED_WITHIN = ("The gap in {kpi} between {who} and {other} in the same force {verb}, {where}: "
                      "{now} in the {year_ending} against {before} in the 12 months before ({q}).")
SEE_VISIBLE = " See [Visible in the data]({page})."
# The national gap two ways: across the country as a whole (crude) and within forces.
GAP_TWO_WAYS = ("{head}: {value} against {baseline} for {other} in the {year_ending} across "
                "England and Wales as a whole, a gap of {crude} ({crude_reading}). Comparing victims "
                "in the same force, the gap is {within} ({within_reading}).{mix}")
GAP_READING_FOUND = "unlikely to be chance, {q}"
GAP_READING_NONE = "no evidence of a gap"
GAP_READING_UNTESTED = "not tested"
GAP_MIX = (" The two differ because {who} and {other} are not spread across forces in the same way, "
           "and forces' figures differ: the figure for the country as a whole mixes differences "
           "between forces with differences within them, so the gap within forces is the one to go by.")
COVERAGE_SENTENCE = ("These figures by {word} rest on {share} of the country's cases: those with a known "
                     "{word} in the {forces} forces that recorded it completely enough{years}.")
GAPS_TWO_WAYS_NATIONAL = "**Gaps between groups, England and Wales: across the country and within forces**"
GAPS_CHANGED_WITHIN_NATIONAL = "**Gaps within forces that widened, narrowed or reversed, England and Wales**"
BOUNDS_SENTENCE = ("{head}: a gap of {gap} as recorded; {all_in} if all {cases} victims with no recorded "
                   "{word} were {who}, {none} if none were. {reading}")
BOUNDS_READING = {
    "robust_to_recording": "Either way the gap stays on the same side.",
    "sensitive_to_recording": "Who the unrecorded victims were could make or undo this gap.",
}
NO_GROUP_FINDINGS = "No gap between groups was found here, so no group is charted."
GROUP_SERIES_HEADING = "### {kpi} by {word}: {who}"
COMPLETENESS = ("**{kpi} by {word}.** Across England and Wales, {word} was known (recorded and not "
                "'not stated') for {now} of cases in the {year_ending}, against {before} the year "
                "before. {good} of {forces} forces recorded it for at least {threshold:.0%} of cases"
                "{years}; only those forces are tested, and only they make up the England and Wales "
                "figures by {word} below.")
COMPLETENESS_BOTH = (" in both years, with the outcome recorded by {word} nearly as completely (at most "
                     "{tolerance:g} percentage points less); a force that met this only in the last 12 "
                     "months has its gaps tested but not their change")
DIFFERENCES_NATIONAL = "**Differences unlikely to be chance, England and Wales**"
GAPS_CHANGED_NATIONAL = "**Gaps that widened or narrowed, England and Wales**"
NONE_FOUND = "- None found."
CANNOT_YET_TELL = (
    "**What we cannot yet tell**\n\n"
    "- Of {comparisons:,} comparisons of a group with the rest in a force, {tested:,} could be "
    "tested and {flagged:,} showed a difference unlikely to be chance after allowing for the "
    "number of tests (listed below). {untested:,} could not be tested: recording too "
    "incomplete, too few cases for a rate, or numbers too small to publish.\n"
    "- No evidence of a difference is not evidence of no difference: for small groups the "
    "tests can only find large gaps (see the smallest detectable gap in the results file).")

# ---------------------------------------------------------------- tables

NONE = "None."
NO_EARLIER_PERIOD = "No earlier period to compare with."
NO_REVISIONS = "No figure for an earlier quarter changed."
NO_BREAKDOWNS = "No breakdowns in the data."
NONE_FOUND_TABLE = "None found."
NO_COUNT_BREAKDOWNS = "No count indicators are broken down."
NOT_PUBLISHED = "[c] Not published (small numbers)"
COMPLETENESS_READING = {"complete_enough": "✓ {threshold:.0%} or more in both years: tested",
                        "incomplete_baseline": ("✓ {threshold:.0%} or more this year only: gaps tested, "
                                                "not their change"),
                        "numerator_incomplete": "✗ outcome recorded less completely than cases: not tested",
                        "incomplete_recording": "✗ below {threshold:.0%}: not tested",
                        "insufficient_data": "○ no data"}
GAP_INTERVAL = "{gap:+.1f} ({lower:+.1f} to {upper:+.1f}) points"
BOUNDS_RANGE = "{all_in:+.1f} / {none:+.1f} points"

# ---------------------------------------------------------------- sections of a page

KPI_SECTION = "### {name}\n\n{finding} {spc}\n\n*Definition:* {definition} *Caveat:* {caveat}"
COMPARISON_SECTION = "### {name}\n\n{definition}"
DATA_BEHIND_CHART = "<details><summary>Data behind the chart</summary>{table}</details>"
RECORDING_BY_FORCE = "<details><summary>Recording by force</summary>{table}</details>"
NO_INDICATOR_BROKEN_DOWN = "No indicator is broken down in this period's data."

# ---------------------------------------------------------------- forces compared, process control

FUNNEL_ADDITIVE = ("Forces differ far more than chance alone would make them (overdispersion factor "
                   "{phi:.1f}), so the limits allow for real differences between forces (additive "
                   "random-effects adjustment); only forces outside these wider limits are named.")
FUNNEL_UNADJUSTED = "Forces differ no more than chance alone allows, so the limits are unadjusted."
FUNNEL_BASELINE = "England and Wales: {value}. {note}"
FUNNEL_ABOVE = "Above the 99.8% limit: {forces}."
FUNNEL_BELOW = "Below the 99.8% limit: {forces}."
FUNNEL_NONE_OUTSIDE = "No force lies outside the 99.8% limits."
FUNNEL_CAVEAT = ("Forces differ in recording practice, population and demography, so a force outside "
                 "the limits is a prompt to ask why, not a verdict.")
ICON_WORDS = {
    "common_cause": "common-cause variation only (no signal)",
    "improvement_high": "special-cause improvement (higher)",
    "improvement_low": "special-cause improvement (lower)",
    "concern_high": "special-cause concern (higher)",
    "concern_low": "special-cause concern (lower)",
    "neutral_high": "special-cause variation (higher)",
    "neutral_low": "special-cause variation (lower)",
}
SPC_NO_VALUES = "No quarterly values to chart."
SPC_READING = "Quarterly process-control chart: the latest quarter shows {icon}."
SPC_AND_YEARLY_DIFFER = (" The two methods answer different questions: the year-on-year test compares "
                         "two 12-month totals, allowing for the series' extra variation, while the "
                         "chart flags single quarters or runs of quarters outside the series' usual "
                         "range, so one can signal when the other does not.")

# ---------------------------------------------------------------- charts

CHART_NO_DATA = "{kpi}, {place}: no data to chart."
GROUP_CHART_TITLE = "{kpi}, {place}: {who} against {other}"
GROUP_CHART_SUBTITLE = ("Each quarter; a break in a line is a quarter not published (small numbers or too "
                        "few cases)")
GROUP_CHART_DESCRIPTION = ("Line chart: {kpi}, {place}, each quarter from {first} to {last}: {who} from "
                           "{group_first} to {group_last}, {other} from {other_first} to {other_last}; "
                           "{hidden} of {quarters} quarters not shown for {who}.")
LEGEND_GROUP = "Group"
CHART_DESCRIPTION = ("Line chart: {kpi}, {place}, each quarter from {first} ({first_value}) to {last} "
                     "({last_value}), ranging from {low} to {high}.")
POINT_TYPES = {
    "common_cause": "Common cause",
    "special_cause_improvement": "Special cause: improvement",
    "special_cause_concern": "Special cause: concern",
    "special_cause_neutral_high": "Special cause: higher",
    "special_cause_neutral_low": "Special cause: lower",
}
NO_VALUE = "No value"
AXIS_QUARTER = "Financial quarter"
LEGEND_QUARTER = "Quarter"
TOOLTIP_QUARTER = "Quarter"
TOOLTIP_VARIATION = "Variation"
TOOLTIP_FORCE = "Force"
TOOLTIP_AGAINST_NATIONAL = "Compared with England and Wales"
SPC_TITLE = "{kpi}, {place}"
SPC_SUBTITLE = "Each quarter: mean (solid grey) and process limits (dashed grey)"
SPC_SUBTITLE_NATIONAL = "; England and Wales dotted"
FUNNEL_AXIS = "Denominator: {denominator}"
FUNNEL_LIMITS = ("95% limits", "99.8% limits")
FUNNEL_TITLE = "{kpi}: forces compared, last 12 months"
FUNNEL_SUBTITLE = "England and Wales solid line; limits dashed (95%) and solid (99.8%)"
FUNNEL_DESCRIPTION = "Funnel plot of {kpi} by force. {sentence}"

# ---------------------------------------------------------------- notes in the results file

NATIONAL_EXCLUDING = "England and Wales excluding {forces} (incomplete data)"
DISCLOSURE_NOTE = "not published: fewer than {threshold} cases (statistical disclosure control)"
BREAKDOWN_NATIONAL_ALL = "England and Wales: every force"
BREAKDOWN_NATIONAL_SOME = ("England and Wales: the {included} forces whose recording met the threshold"
                           "{years} ({left_out} left out)")
BREAKDOWN_FORCES_MET = "{met} of {forces} forces met the threshold{years}"
BREAKDOWN_BOTH_YEARS = " in both years"
BREAKDOWN_NOT_SENT = "no {dimension} breakdown in the force returns"
BREAKDOWN_NO_FORCE = "no force recorded {dimension} completely enough"
BREAKDOWN_FEW_NOW = "fewer than {min_cases} cases in a group: too few for a rate"
BREAKDOWN_FEW_EITHER = "fewer than {min_cases} cases in a group in one of the years"
BREAKDOWN_INCOMPLETE = "{dimension} recorded for too few cases to rely on"
BREAKDOWN_NUMERATOR_SHORT = ("{dimension} known for {numerator} of the numerator but {denominator} of the "
                             "denominator: the groups' figures would be biased")
BREAKDOWN_INCOMPLETE_BEFORE = ("{dimension} not recorded completely enough in the 12 months before to "
                               "compare the gap with it")
BREAKDOWN_GAP_NOTE = "gap {gap} percentage points, 95% interval {lower} to {upper}"
BREAKDOWN_WITHIN_NOTE = ("gap within forces ({forces} forces); across England and Wales as a whole "
                         "{crude} percentage points")
BREAKDOWN_BOUNDS_NOTE = ("if all {cases:,.0f} cases with no recorded {dimension} were in the group: "
                         "{all_in} percentage points; if all were in the comparison group: {none}")
BREAKDOWN_COVERAGE_NOTE = ("cases with a known {dimension} in the {included} forces that met the "
                           "threshold{years}, of all cases in England and Wales")

ACROSS_BREAK = "not comparable with the year before: {what} (from {quarter}; {source})"
TREND_WITH_BREAK = "the trend allows for a step at the counting change in {quarter}"
