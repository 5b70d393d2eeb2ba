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
    "gap_reversed": "⇄ Gap reversed",
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
    "what_changed": "What changed since last period",
    "visible_in_the_data": "Visible in the data",
    "national_overview": "National overview",
    "overview": "Forces at a glance",
    "force_comparison": "Forces compared",
    "data_quality": "Data quality",
}
PILLAR_PAGE_HEADING = "Pillar: {pillar}"
FORCE_PAGE_HEADING = "{force}: force profile"
FORCES_PAGE = ("# Forces\n\nOne page for each of the 43 territorial police forces of England and "
               "Wales.\n\n```{tableofcontents}\n```\n")


# ---------------------------------------------------------------- numbers in words

Q_NOT_AVAILABLE = "q not available"
Q_BELOW = "{q} < 0.001"
Q_VALUE = "{q} = {value}"
Q_LINKED = "[q]({glossary}#glossary-q-value)"  # the letter q, linked to its glossary entry
Q_NEEDED = "{q}, under the {threshold:g} a finding needs"
GLOSSARY_PAGE = "../../glossary.html"  # from a period's page (book/periods/PERIOD/)
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
# Said instead when the change seen is as large as that smallest detectable change yet was not a
# finding: the threshold applied allows for the number of tests, so the sentence says so.
NOT_ENOUGH = (" A change this size could still be chance once the number of tests made at the same "
              "time is allowed for ({q}; a finding needs q below {threshold:g}).")
CHANGED_VERB = {"improving": "improved", "deteriorating": "worsened", "increase": "rose",
                "decrease": "fell"}
CHANGED = ("{name}, {where}, {verb}: {values} ({change}{relative}). This is unlikely to be chance "
           "variation alone ({q}).")
NOT_COMPARED = "{head}: {values}; {label}{reason}."
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
GROUP_NAMES = {("victim_ethnicity", "Other"): "victims of another ethnic group"}
OTHER_VICTIMS = "the rest of the victims whose {dimension} was recorded"
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
    "number of tests (listed above). {untested:,} could not be tested: recording too "
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

FUNNEL_ADDITIVE = ("Forces differ from each other far more than chance alone would make them, so the "
                   "limits are widened to allow for real differences between forces; only a force "
                   "outside these wider limits is named.")
FUNNEL_UNADJUSTED = "Forces differ no more than chance alone allows, so the limits are not widened."
FUNNEL_BASELINE = "England and Wales: {value}. {note}"
FUNNEL_ABOVE = "Above the range expected for a force of its size: {forces}."
FUNNEL_BELOW = "Below the range expected for a force of its size: {forces}."
FUNNEL_READING = {"better": " (higher is better: a better figure)", "worse": " (a worse figure)",
                  "neutral": ""}
FUNNEL_READING_BELOW = {"better": " (lower is better: a better figure)", "worse": " (a worse figure)",
                        "neutral": ""}
FUNNEL_NONE_OUTSIDE = "No force lies outside the range expected for a force of its size (99.8% limits)."
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
SPC_NOT_ASSESSED = {
    "withheld_quarters": ("Quarterly process-control chart: not assessed, as some quarters are "
                          "withheld as small numbers and limits from the rest would mislead."),
    "no_latest_quarter": ("Quarterly process-control chart: not assessed, as the latest quarter has "
                          "no figure."),
    "no_data": "No quarterly values to chart.",
}
SPC_RULES = {
    "outside_limits": "a quarter outside the process limits",
    "trend": "seven or more quarters in a row rising or falling",
    "two_in_three": "two of three quarters in a row close to a limit",
    "shift": "seven or more quarters in a row on one side of the average",
}
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
CHART_WITHHELD = " {count} {noun} withheld as small numbers and shown as gaps marked [c]."
CHART_DESCRIPTION = ("Line chart: {kpi}, {place}, each quarter from {first} ({first_value}) to {last} "
                     "({last_value}), ranging from {low} to {high}.")
POINT_TYPES = {
    "common_cause": "Common cause",
    "special_cause_improvement": "Special cause: improvement",
    "special_cause_concern": "Special cause: concern",
    "special_cause_neutral_high": "Special cause: higher",
    "special_cause_neutral_low": "Special cause: lower",
    "not_assessed": "Published quarter (not assessed)",
}
NO_VALUE = "No value"
AXIS_QUARTER = "Financial quarter"
LEGEND_QUARTER = "Quarter"
TOOLTIP_QUARTER = "Quarter"
TOOLTIP_VARIATION = "Variation"
TOOLTIP_FORCE = "Force"
TOOLTIP_AGAINST_NATIONAL = "Compared with England and Wales"
SPC_TITLE = "{kpi}, {place}"
SPC_SUBTITLE = "Each quarter, with the series' average and process limits"
SPC_SUBTITLE_NATIONAL = ", beside England and Wales"
SPC_SUBTITLE_WITHHELD = ("Each quarter; [c] marks a quarter withheld as small numbers, so no average or "
                         "limits are drawn")
SERIES_AVERAGE = "Average"
SERIES_LIMITS = "Process limits"
SERIES_LINES = "Lines"
WITHHELD_QUARTER = "[c] Withheld (small numbers)"
FUNNEL_AXIS = ("{denominator}", "(log scale)")  # two lines, so that a phone shows it whole
FUNNEL_LIMITS = ("95% limits", "99.8% limits")
FUNNEL_CENTRE = "England and Wales"
FUNNEL_TITLE = "{kpi}: forces compared, last 12 months"
FUNNEL_SUBTITLE = "Each force against its size; the range expected by chance narrows as forces grow"
FUNNEL_POINTS = "Forces"
FUNNEL_OTHER_FORCES = "Other forces"
FUNNEL_POSITION_WORDS = {"above": "above the range", "below": "below the range", "within": "within the range"}
FUNNEL_LABEL = "{force}: {position}{reading}"
FUNNEL_LABEL_READING = {"better": ", better", "worse": ", worse", "neutral": ""}
FUNNEL_LABEL_POSITION = {"above": "above", "below": "below"}
DENOMINATOR_WORDS = {
    # How the denominator of a rate or share is named on a funnel plot's axis.
    "recorded_crime": "{group} recorded",
    "outcomes": "Outcomes assigned, {group}",
    "population": "{column} population",
    "force_returns": "{measure}",
}
MEASURE_WORDS = {
    "da_flagged_crimes": "Domestic abuse crimes",
    "da_arrests": "Domestic abuse arrests",
    "dvpn_issued": "Domestic violence protection notices issued",
    "dvpo_granted": "Domestic violence protection orders granted",
    "dvds_applications": "Disclosure scheme applications",
    "dvds_disclosures": "Disclosure scheme disclosures",
    "dvds_disclosures_within_28_days": "Disclosures within 28 days",
    "victim_survey_respondents": "Victims answering the survey",
    "victim_survey_satisfied": "Victims satisfied",
    "police_perpetrated_cases": "Police-perpetrated VAWG cases",
    "police_perpetrated_cases_finalised": "Police-perpetrated cases finalised",
    "police_perpetrated_cases_no_action": "Police-perpetrated cases with no action",
    "streetsafe_reports": "StreetSafe reports",
}
POPULATION_WORDS = {"female": "Female", "total": "Total"}
FUNNEL_DESCRIPTION = "Funnel plot of {kpi} by force. {sentence}"
FUNNEL_DESCRIPTION_FORCE = " {force} is marked: {value}, {position}."

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

# ---------------------------------------------------------------- scope of England and Wales figures

SCOPE_NATIONAL_ALL = "England and Wales (all {forces} forces)"
SCOPE_NAMES_UP_TO = 3  # name the forces left out when there are this few
SCOPE_NATIONAL_NAMED = ("England and Wales ({included} of {forces} forces: {names} left out, "
                        "data incomplete)")
SCOPE_NATIONAL_SOME = ("England and Wales ({included} of {forces} forces: {left_out} left out, "
                       "data incomplete)")
SCOPE_NATIONAL_NONE = "England and Wales (no force has data for the whole of the last three years)"
SCOPE_BREAKDOWN_ALL = ("England and Wales (all {forces} forces record {word} for at least "
                       "{threshold:.0%} of cases)")
SCOPE_BREAKDOWN_SOME = ("England and Wales (only the {included} of {forces} forces that record "
                        "{word} for at least {threshold:.0%} of cases)")
SCOPE_BREAKDOWN_NONE = "England and Wales (no force records {word} completely enough to test)"

# ---------------------------------------------------------------- the findings register

#: How each finding reads, as a heading: words and a symbol, never colour alone.
READING_TITLES = {
    "better": "▲ What is working",
    "worse": "▼ What isn't working",
    "neutral": "◆ Rose, fell or differs (context: neither good nor bad news in itself)",
    "not_comparable": "≠ Cannot be compared (counting changed)",
}
READING_SHORT = {"better": "▲ Better", "worse": "▼ Worse", "neutral": "◆ Context",
                 "not_comparable": "≠ Not comparable"}
KIND_TITLES = {
    "change": "Changes over the year",
    "gap": "Gaps between groups of victims",
    "gap_change": "Gaps that widened, narrowed or reversed",
    "outlier": "Forces outside the range expected for their size",
    "spc": "Unusual latest quarters (process control)",
}
STATUS_LABELS = {"new": "New this period", "continuing": "Also found last period",
                 "resolved": "No longer found"}
STATUS_TAG = {"new": "New", "continuing": "", "resolved": "No longer found"}
SAME_FAMILY = " (The same offences as {other}: counted once.)"
NO_REGISTER = ("This period was published without a findings register: run it again with "
               "`vawgbook run` to list its findings here.")
NOTHING_FOUND = "Nothing found."

COUNTS_CAPTION = "Findings this period, each counted once"
COUNTS_ROW = "Reading"
COUNTS_NATIONAL = "England and Wales"
COUNTS_FORCES = "Forces"
COUNTS_TOTAL = "All"
COUNTS_SENTENCE = (
    "{total:,} findings this period, each counted once (an offence count and the same offences as "
    "a rate per 1,000 are one finding; a counting change is one finding for each indicator it "
    "touches, in however many forces): {better:,} better, {worse:,} worse, {neutral:,} context "
    "and {not_comparable:,} that cannot be compared. Of {tested:,} year-on-year comparisons "
    "(every force and England and Wales, every indicator), {untested:,} could not be made for "
    "lack of data.")
BREAK_ITEM = "{where}: {detail}. Indicators: {kpis}."
BREAK_ROW = "{detail}. In {count} {forces}: {names}."
BREAK_FORCES = ("force", "forces")
KIND_COUNTS_CAPTION = "Findings by kind, each counted once"
KIND_COUNTS_ROW = "Kind of finding"

# ---------------------------------------------------------------- what changed

CHANGED_PANEL = ("**Since {previous}**, counting each finding once: {new:,} new {new_noun}, "
                 "{continuing:,} also found last period and {resolved:,} no longer found. See "
                 "[what changed]({page}).")
CHANGED_NO_PREVIOUS = ("**Since the last period:** no earlier period's findings to compare with, "
                       "so every finding is listed without saying whether it is new.")
CHANGED_INTRO = ("Findings of {period} against those of {previous}, matched by indicator, place, "
                 "group and what was found (a change that reversed is one finding no longer found "
                 "and one new).")
CHANGED_HEADINGS = {"new": "New this period", "continuing": "Also found last period",
                    "resolved": "No longer found"}
CHANGED_RESOLVED_NOTE = ("Found in {previous} but not now: the indicator no longer meets the test, or "
                         "could not be tested this period.")

# ---------------------------------------------------------------- earlier periods

EARLIER_BANNER = ("An earlier period.", "You are reading {label}. The latest figures are for {latest}:",
                  "read them")
MENU_TOGGLE = "{name}: show or hide its pages"

# ---------------------------------------------------------------- a force's scorecard

SCORECARD_TITLE = "{force} at a glance"
SCORECARD_CAPTION = ("{force}, {year_ending}: each indicator against England and Wales, the other "
                     "forces, the year before and its own quarters, and gaps between groups of victims")
SCORECARD_COLUMNS = {
    "indicator": "Indicator",
    "force": "{force}",
    "national": "England and Wales",
    "position": "Against other forces",
    "yoy": "Year on year",
    "spc": "Latest quarter",
    "gaps": "Gaps between groups",
}
POSITION_LABELS = {
    ("above", "better"): "▲ Above the range: better",
    ("above", "worse"): "▲ Above the range: worse",
    ("above", "neutral"): "▲ Above the range",
    ("below", "better"): "▼ Below the range: better",
    ("below", "worse"): "▼ Below the range: worse",
    ("below", "neutral"): "▼ Below the range",
    ("within", "similar"): "● Within the range",
}
POSITION_NONE = {"count": "– Not compared", "": "○ No figure to compare"}
SPC_LABELS = {
    "common_cause": "● Usual",
    "improvement_high": "◆ Unusual: improvement (higher)",
    "improvement_low": "◆ Unusual: improvement (lower)",
    "concern_high": "◆ Unusual: concern (higher)",
    "concern_low": "◆ Unusual: concern (lower)",
    "neutral_high": "◆ Unusual: higher",
    "neutral_low": "◆ Unusual: lower",
}
SPC_LABEL_NONE = {"withheld_quarters": "– Not assessed (small numbers)",
                  "no_latest_quarter": "○ Not assessed (no latest figure)",
                  "no_data": "○ No data", "": "○ No data"}
GAP_CELL = "{group}: {value} against {other_value} for {other} ({reading})"
GAP_CELL_REST = "the rest"
GAP_CELL_READING = {"worse": "worse off", "neutral": "better off", "better": "better off"}
GAP_CELL_CHANGE = "{group}: gap {verb}"
GAP_CELL_ALSO = "The gap {verb}."
GAPS_NONE_FOUND = "None found"
GAPS_NOT_TESTED = "Not tested: recording incomplete"
GAPS_NOT_BROKEN_DOWN = "–"
SCORECARD_KEY = (
    "**How to read it.** *Against other forces*: where {force} sits on each indicator's funnel "
    "plot, above, within or below the range expected for a force of its size (99.8% limits), and "
    "whether that is better or worse where the indicator has a direction. *Year on year*: the "
    "last 12 months against the 12 before. *Latest quarter*: whether the latest quarter is unusual "
    "for {force}'s own series (process control). Symbols and words carry the meaning, not colour. "
    "See the [glossary]({glossary}).")
SCORECARD_PDF = "**Print:** {link}"
SCORECARD_PDF_LINK = "[this scorecard on one A4 page (PDF)]({file})"

QUESTIONS_HEADING = "Questions to ask"
QUESTIONS_INTRO = ("Prompts drawn from this period's findings for {force}, for a police and crime "
                   "commissioner, a panel or an inspector to put to the force. A finding is a "
                   "reason to ask, not a verdict.")
QUESTIONS = {
    ("change", "worse"): ("{kpi} worsened, from {before} to {now}: what lies behind it, and what "
                          "is being done?"),
    ("change", "better"): ("{kpi} improved, from {before} to {now}: what changed, and can it be "
                           "kept up and shared with other forces?"),
    ("change", "neutral"): ("{kpi} {verb}, from {before} to {now}: is this more victims reporting, "
                            "a change in recording, or more offending?"),
    ("change", "not_comparable"): ("{kpi} and other indicators cannot be compared with the year "
                                   "before, because counting changed (see below): what do the "
                                   "force's own figures say, like for like?"),
    ("gap", "worse"): ("{kpi}: {group} {value} against {other_value} for {other}. Why are they "
                       "worse off, and what is the force doing about it?"),
    ("gap", "neutral"): ("{kpi}: {group} {value} against {other_value} for {other}. What explains "
                         "the difference?"),
    ("gap_change", "worse"): ("The gap in {kpi} between {group} and {other} widened: what is "
                              "driving it?"),
    ("gap_change", "better"): ("The gap in {kpi} between {group} and {other} narrowed: what "
                               "worked?"),
    ("gap_change", "neutral"): "The gap in {kpi} between {group} and {other} changed: why?",
    ("outlier", "worse"): ("{kpi} is {value} against {national} for England and Wales, outside the "
                           "range expected for a force of this size: how does the force explain it?"),
    ("outlier", "better"): ("{kpi} is {value} against {national} for England and Wales, outside the "
                            "range expected for a force of this size: what does the force do that "
                            "others could learn from?"),
    ("outlier", "neutral"): ("{kpi} is {value} against {national} for England and Wales, outside the "
                             "range expected for a force of this size: what explains it?"),
    ("spc", "worse"): ("The latest quarter's {kpi} ({value}) is unusual for the force and a "
                       "concern: a one-off, or the start of a change?"),
    ("spc", "better"): ("The latest quarter's {kpi} ({value}) is an unusual improvement for the "
                        "force: what made the difference?"),
    ("spc", "neutral"): "The latest quarter's {kpi} ({value}) is unusual for the force: why?",
}
QUESTION_RECORDING = ("For {kpi}, {word} is recorded in only {share} of cases, below the "
                      "{threshold:.0%} needed to compare groups of victims: what is being done to "
                      "improve recording?")
QUESTION_NONE = ("No finding this period: which indicators would the force expect to move, and what "
                 "would it take to show it?")
QUESTIONS_MORE = "{count:,} more {noun} listed below."
QUESTIONS_MORE_NOUN = ("finding for {force} is", "findings for {force} are")
FORCE_FINDINGS_HEADING = "What was found for {force}"
VERB_ROSE_FELL = {"increase": "rose", "decrease": "fell"}

# ---------------------------------------------------------------- forces at a glance

OVERVIEW_CAPTION = ("Every force and indicator, last 12 months: each force's figure, where it sits "
                    "against the other forces, and any change from the year before")
OVERVIEW_FORCE = "Force"
OVERVIEW_KEY = (
    "**Key.** The symbol before each figure says where the force sits on the indicator's funnel "
    "plot: ▲ above or ▼ below the range expected for a force of its size, with **+** where that is "
    "better and **−** where it is worse (no sign for context indicators); ● within the range. A "
    "second symbol marks a change from the year before unlikely to be chance: ↑ rose or ↓ fell. "
    "[c] not published (small numbers); – no figure. Counts are not compared between forces. "
    "Each cell also says this in words for screen readers.")
OVERVIEW_CELL_WORDS = "{kpi}, {force}: {value}; {position}{change}"
OVERVIEW_POSITION_WORDS = {"above": "above the range", "below": "below the range",
                           "within": "within the range", "": "not compared"}
OVERVIEW_READING_SIGN = {"better": "+", "worse": "−", "neutral": "", "similar": ""}
OVERVIEW_READING_WORDS = {"better": ", better", "worse": ", worse", "neutral": "", "similar": "",
                          "": ""}
OVERVIEW_CHANGE = {"increase": "↑", "decrease": "↓", "improving": "↑", "deteriorating": "↓"}
OVERVIEW_CHANGE_WORDS = {"improving": "; improved on the year before",
                         "deteriorating": "; worsened on the year before",
                         "increase": "; rose on the year before", "decrease": "; fell on the year before"}
OVERVIEW_UP_DOWN = {"higher_is_better": {"improving": "↑", "deteriorating": "↓"},
                    "lower_is_better": {"improving": "↓", "deteriorating": "↑"}}
OVERVIEW_SCROLL = "The table scrolls sideways on narrow screens; the force's name stays in view."

# ---------------------------------------------------------------- tables

TABLE_NOT_PUBLISHED = "[c] Not published (small numbers): {names}"
TABLE_NOT_PUBLISHED_COUNT = "{count:,} rows"
EMPTY_TABLE = "None."
FINDINGS_TABLE_COLUMNS = {"where": "Where", "indicator": "Indicator", "finding": "What was found",
                          "status": "Since last period"}
FINDINGS_TABLE_CAPTION = "{title}: {kind}"
QUALITY_COLUMNS = {
    "kind": "Input", "file": "File", "rows": "Rows", "input": "Input", "forces": "Forces",
    "first_quarter": "First quarter", "last_quarter": "Last quarter",
    "forces_missing": "Forces missing", "kpi_id": "Indicator", "force": "Force",
    "missing_quarters": "Quarters missing", "quarter": "Quarter", "row": "Row in the file",
    "column": "Column", "value": "Value", "body": "Body", "measure": "Measure",
    "dimension": "Breakdown", "force_quarters": "Force-quarters", "first": "First quarter",
}
QUALITY_CAPTIONS = {
    "files": "Files read", "coverage": "Coverage of each input",
    "kpi_gaps": "Indicators that cannot be tested for a force",
    "not_provided": "Marked 'data not provided'", "negatives": "Negative counts kept as published",
    "set_aside": "Bodies set aside", "unknown_measures": "Force-return measures not in the framework",
    "breakdowns_without_total": "Breakdowns sent without their total",
}
REVISIONS_CAPTION = "Figures for earlier quarters that changed since the last period's data"
NATIONAL_TABLE_CAPTION = "Every indicator, England and Wales: last 12 months against the 12 months before"
PILLAR_TABLE_CAPTION = "{pillar}, England and Wales: last 12 months against the 12 months before"
COMPARISON_TABLE_CAPTION = "{kpi}: every force, last 12 months against the 12 months before"
SERIES_TABLE_CAPTION = "{kpi}, {place}: each quarter"
COMPLETENESS_TABLE_CAPTION = "{kpi}: how completely each force records {word}"
DISPARITY_TABLE_CAPTION = "Each group against the rest, England and Wales"
COUNTS_BY_GROUP_CAPTION = "Count indicators by group, England and Wales"
FUNNEL_TABLE_CAPTION = "{kpi}: each force on the funnel plot"
FUNNEL_TABLE_COLUMNS = ("Force", "Last 12 months", "Against other forces")
DATA_BEHIND_FUNNEL = "<details><summary>Data behind the funnel plot</summary>{table}</details>"

# ---------------------------------------------------------------- the glossary

GLOSSARY_TITLE = "Glossary"
GLOSSARY_INTRO = "The words this book uses, in plain English."
GLOSSARY = [
    ("finding", "Finding",
     "Something the book tells you because it is unlikely to be chance: a change over the year, a "
     "gap between groups of victims, a force outside the range expected for its size, or an "
     "unusual latest quarter. Every finding of a period is one row of its findings register "
     "(`findings.csv`), and every page that counts or lists findings reads that file."),
    ("unlikely-to-be-chance", "Unlikely to be chance variation alone",
     "Police figures go up and down from quarter to quarter for many reasons. A change is called "
     "unlikely to be chance when it is larger than that usual variation would often produce, after "
     "allowing for the number of comparisons made. It does not prove that crime, or the service "
     "to victims, changed."),
    ("q-value", "q-value",
     "A p-value adjusted for the number of tests made at the same time (hundreds each period: "
     "every force and indicator). The book reports a finding when q is below 0.05: among all the "
     "findings reported, about 1 in 20 or fewer would be expected to be chance. A smaller q is "
     "stronger evidence; q < 0.001 is very strong."),
    ("false-discovery-rate", "False discovery rate",
     "The share of reported findings that are really chance. Controlling it (the Benjamini–Hochberg "
     "method) is what turns p-values into q-values."),
    ("no-evidence-of-change", "No evidence of change",
     "The change was not large enough to rule out chance. It is not evidence that nothing changed: "
     "where the book can, it gives the smallest change the test could have picked up."),
    ("smallest-detectable-change", "Smallest detectable change",
     "About the smallest change a test would usually pick up, given how much the series varies. "
     "A small force's figures vary a lot, so only large changes can be told apart from chance."),
    ("interval", "95% interval",
     "The range within which the true figure probably lies, allowing for the usual variation of "
     "police figures."),
    ("context-indicator", "Context indicator",
     "An indicator, such as the number of offences recorded, for which a rise is neither good nor "
     "bad news in itself: more victims may be reporting, or recording may have changed."),
    ("funnel-plot", "Funnel plot, and the range expected for a force of its size",
     "A chart of every force's figure against its size. Small forces' figures vary more by chance, "
     "so the range expected around England and Wales (the limits) is wide for them and narrows "
     "for large forces. A force outside the 99.8% limits is unlikely to differ by chance alone; "
     "where forces differ more than chance allows, the limits are widened to allow for that."),
    ("process-control", "Process-control chart (XmR)",
     "A chart of a force's own quarterly figures with their average and process limits, read with "
     "the NHS Making Data Count rules. A quarter outside the limits, or a run of quarters on one "
     "side of the average, is special-cause (unusual) variation; everything else is common-cause "
     "(usual) variation."),
    ("gap", "Gap between groups",
     "The difference, in percentage points, between a group of victims (for example Black victims) "
     "and its comparison group (the rest of the victims whose ethnicity was recorded)."),
    ("black-and-minoritised", "Black and minoritised",
     "Victims recorded as Asian, Black, Mixed or of another ethnic group, taken together, as the "
     "framework speaks of them."),
    ("recording-completeness", "Recording completeness",
     "The share of cases in which the victim's ethnicity, age or sex was recorded (and not recorded "
     "as 'not stated'). Below the threshold a force's breakdown is not tested."),
    ("england-and-wales", "England and Wales (scope)",
     "Sums over the forces with complete data. When a force is left out, the sentence says so; a "
     "gap between groups for England and Wales covers only the forces that record the group well "
     "enough."),
    ("not-published", "[c] Not published",
     "A figure resting on too few cases to publish without risk of identifying someone "
     "(statistical disclosure control)."),
    ("not-comparable", "Not comparable",
     "A registered break, such as a change in counting rules, falls within the compared periods, "
     "so the figures before and after cannot be compared."),
    ("new-continuing-resolved", "New, also found last period, no longer found",
     "Each period's findings are matched with the last period's: new findings, findings also made "
     "last period, and last period's findings no longer found."),
    ("counted-once", "Counted once",
     "An offence count and the same offences as a rate per 1,000 women and girls are one finding "
     "in the counts, though both are listed."),
]

# ---------------------------------------------------------------- findings in sentences

OUTLIER_SENTENCE = ("{kpi}, {where}: {value} in the {year_ending}, {position} expected for a force "
                    "of its size around England and Wales's {national} (outside the 99.8% limits of "
                    "the [funnel plot]({glossary}#glossary-funnel-plot)).{reading}")
OUTLIER_POSITION = {"above": "above the range", "below": "below the range"}
OUTLIER_READING = {"better": " A better figure than the range.", "worse": " A worse figure than the range.",
                   "neutral": " A context indicator: neither good nor bad news in itself."}
SPC_SENTENCE = ("{kpi}, {where}: the latest quarter ({quarter}: {value}) is unusual for this series: "
                "{icon}, with {rule} (the series' average is {mean}; see "
                "[process control]({glossary}#glossary-process-control)).")
SPC_ICON_WORDS = {
    "improvement_high": "an improvement (higher)", "improvement_low": "an improvement (lower)",
    "concern_high": "a concern (higher)", "concern_low": "a concern (lower)",
    "neutral_high": "higher than usual", "neutral_low": "lower than usual",
}
DIFFERENCES_FORCES = "Differences and changed gaps in individual forces"
INPUT_WORDS = {"recorded_crime": "Recorded crime", "outcomes": "Crime outcomes",
               "force_returns": "Force returns", "population": "Population"}

NATIONAL_GAPS_CAPTION = ("England and Wales: each group's gap across the country and within forces, "
                         "the change in the gap within forces, and the share of cases behind the "
                         "figures")
BOUNDS_CAPTION = ("{place}: each gap as recorded, and if every victim whose group was not recorded "
                  "were in the group, or none were")
FORCE_BOUNDS_CAPTION = ("Forces with a gap unlikely to be chance: the gap under the two extreme "
                        "assumptions about who was not recorded")
GROUP_SERIES_CAPTION = "{kpi}, {place}: {who} and the comparison group, each quarter"
