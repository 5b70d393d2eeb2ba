"""The book's methods page, generated from the KPI registry, the statistics and the calibration
benchmark's figures, so that it always describes what was actually run."""

from __future__ import annotations

import json
from pathlib import Path

from .. import words as W
from ..config import Registry, vocabulary
from ..stats import BYAR_EXACT_BELOW, SETTINGS
from ..stats.comparison import OVERDISPERSION_LEVEL
from ..stats.spc import LIMIT_FACTOR, MIN_POINTS_FOR_LIMITS, MR_SCREEN_FACTOR, RUN_LENGTH

CALIBRATION_FILE = Path("benchmarks") / "results" / "calibration.json"
DIRECTION_WORDS = {"higher_is_better": "higher is better", "lower_is_better": "lower is better",
                   "context": "context (neither)"}

_STATISTICS = """
## Tests of change

**Year on year.** The 12 months ending with the period are compared with the 12 months before.
Counts and rates use a Poisson score test of the two 12-month totals (rates with their
denominators as exposure); proportions use a two-proportion z-test of the pooled 12-month shares.

**Extra variation.** Police figures vary far more from quarter to quarter than simple counting
noise (recording drives, backlogs, seasons), and a plain test would call almost every wobble in a
large force significant. Each test is therefore widened by a dispersion factor measured from the
series' own history: a quasi-likelihood generalised linear model (Poisson for counts and rates,
binomial for proportions) with a linear trend, quarter-of-year effects and a term for the latest
12 months is fitted to the quarterly series, and the Pearson chi-square over its residual degrees
of freedom (never less than 1) scales the variance. The test statistic is then referred to
Student's t on those degrees of freedom. Where the history is too short to measure the extra
variation (fewer than {min_history} quarters with data, or fewer than {min_df} residual degrees of
freedom), the plain test is used and the result says so.

**Trend.** Over the last {window} quarters (at least {min_trend} with data), a generalised linear
model with a linear trend and quarter-of-year effects (quasi-Poisson, or binomial with estimated
dispersion) tests whether the seasonally adjusted level has moved; the table gives the adjusted
level at the start and end of the window.

**Many tests at once.** Every force and indicator is tested each period, so some changes would
look significant by chance alone. The false discovery rate is controlled with the
Benjamini–Hochberg procedure across all tests of one kind in a period; a change is reported as
unlikely to be chance variation alone when its q-value is below {q:g}.

**What a null result means.** "No evidence of change" is not "no change". Each result gives the
minimum detectable change: the smallest change the test would have found with {power:.0%} power
at the {alpha:.0%} level, given the series' level and extra variation. Because of the false discovery rate
control the change needed in practice is at least this large.

**Intervals.** {conf:.0%} intervals use Wilson's method for proportions and Byar's method for
counts (exact below {exact_below}), as in the public-health indicator methods, applied to the
counts divided by the dispersion factor, so they are widened by the same extra variation as the tests.

**Recorded crime is a full count, not a sample.** The tests ask whether a change is larger than
the usual variation of that series, not whether a sample represents a population; the book says
"unlikely to be chance variation alone", never "crime significantly changed".
"""


def _statistics() -> str:
    """How the tests are run, with every setting taken from the objects the tests use."""
    return _STATISTICS.format(
        min_history=SETTINGS.min_history_quarters, min_df=SETTINGS.min_dispersion_df,
        window=vocabulary().analysis_quarters, min_trend=SETTINGS.min_trend_quarters,
        q=SETTINGS.q_threshold, power=SETTINGS.power, alpha=SETTINGS.alpha, conf=SETTINGS.conf,
        exact_below=BYAR_EXACT_BELOW)


def _kpi_section(registry: Registry) -> str:
    lines = ["## Indicators", ""]
    for pillar in registry.pillars or sorted({k.pillar for k in registry.kpis}):
        kpis = [k for k in registry.kpis if k.pillar == pillar]
        if not kpis:
            continue
        lines += [f"### {pillar[:1].upper()}{pillar[1:]}", ""]
        for kpi in kpis:
            source = kpi.numerator.describe()
            if kpi.denominator is not None:
                source += f"; divided by {kpi.denominator.describe()}"
                if kpi.multiplier != 1:
                    source += f", times {kpi.multiplier:,g}"
            lines += [
                f"**{kpi.name}** (`{kpi.id}`, {kpi.kind}, {DIRECTION_WORDS[kpi.direction]}). "
                f"{kpi.definition}", "",
                f"- Source: {source}.",
                f"- Caveat: {kpi.caveat}", "",
            ]
    return "\n".join(lines)


def _rate(cell: dict) -> str:
    return f"{cell['rate']:.1%} ({cell['k']:,} of {cell['n']:,})"


def _calibration_section(figures: dict | None) -> str:
    head = "## How well the tests behave\n\n"
    if not figures:
        return head + ("The calibration benchmark (`benchmarks/calibration.py`) has not been run on "
                       "this machine, so its figures are not shown.\n")
    text = [head + (
        "The benchmark `benchmarks/calibration.py` simulates many data sets in the published formats "
        "for 43 forces, with realistic extra variation, runs the whole pipeline on them, and counts "
        "how often a change is reported. With no real change, the share of tests with p < 0.05 "
        "should be at most 5%, and after the false discovery rate control (q < 0.05) far less.\n")]
    null = figures.get("null", {}).get("by_kind", {})
    if null:
        text.append("```{table} How often a change is reported when there is none (simulated data)")
        text.append("| comparison | kind | p < 0.05 with no real change | q < 0.05 with no real change |")
        text.append("|---|---|---|---|")
        for comparison, kinds in null.items():
            for kind, cells in kinds.items():
                if "p<0.05" in cells and "q<0.05" in cells:
                    text.append(f"| {comparison.replace('_', ' ')} | {kind} | {_rate(cells['p<0.05'])} "
                                f"| {_rate(cells['q<0.05'])} |")
        text.append("```")
    anyone = figures.get("null", {}).get("any_discovery", {})
    fdr = figures.get("power", {}).get("fdr", {})
    for comparison in ("year_on_year", "trend"):
        words = comparison.replace("_", " ")
        if comparison in anyone:
            cell = anyone[comparison]
            text.append(f"\n{words.capitalize()}: in {cell['k']} of {cell['n']} simulated data sets with no "
                        "real change, at least one change was reported (the false discovery rate "
                        "control aims at no more than 5%).")
        if comparison in fdr:
            text.append(f"With known changes, {fdr[comparison]['mean_fdp']:.1%} of the {words} changes "
                        "reported were false (the false discovery rate; nominal 5%).")
    config = figures.get("config", {})
    if config:
        text.append(f"\nSeed {config.get('seed')}, {config.get('null_replicates')} simulated data sets "
                    f"with no change and {config.get('power_replicates')} with known changes; see "
                    "`benchmarks/README.md` for power by effect size and force size.")
    return "\n".join(text) + "\n"


def _breakdown_section(registry: Registry) -> str:
    """How groups of victims are compared, with the registry's own settings."""
    settings = registry.breakdown_settings
    broken = [f"{k.name} by {', '.join(d.replace('_', ' ') for d in k.breakdowns)}"
              for k in registry.kpis if k.breakdowns]
    against = "".join(f", or with {v} ({k})" for k, v in settings.reference.items())
    merged = [f"{name} ({', '.join(members)})" for groups in settings.merged.values()
              for name, members in groups.items()]
    return f"""## Groups of victims: ethnicity, age and sex

Indicators broken down from force returns: {'; '.join(broken) or 'none'}.

**Recording completeness first.** For each force and breakdown, the share of the total whose
group is known (recorded, and not 'not stated') in the last 12 months, against the 12 months
before. Where it is below {settings.completeness_threshold:.0%} the breakdown is shown but not
tested or ranked, and the force is left out of the England and Wales figures by group, which are
sums over the forces that meet the threshold. Categories are never scaled up to the total: what
was not recorded stays not recorded.

**Gaps between groups.** For proportions, each group's 12-month figure is compared with the rest
of the victims whose group is known{against}:
a two-proportion score test, widened by a dispersion factor measured from how much the quarterly
gap varied over the last 12 quarters beyond binomial noise (a Pearson statistic about each
year's mean gap, never less than 1, on Student's t), as the main tests are. The gap's 95%
interval is Newcombe's hybrid score interval on the same effective sample sizes. Whether a gap
widened or narrowed compares it with the gap a year before. The false discovery rate is
controlled across every gap tested in the period, and separately across every change in a gap.
Wider groups are also compared: {'; '.join(merged) or 'none'}. Counts by group are shown but
not compared, as there is no population by group to turn them into rates.

**Small numbers.** No figure for a group rests on fewer than {settings.min_cases} cases (a
proportion's denominator) over 12 months, and counts below the indicator's disclosure threshold
are withheld with secondary suppression, so that no published total reveals them.

**What a gap means.** A gap can reflect reporting and recording, and where the victims of each
group live, as well as their experience of the police; it is a question to look into, not by
itself a finding of unfair treatment. Simulations with no real gap (in `tests/test_breakdowns.py`)
confirm the tests reject no more than about 5% of the time at the 5% level, whatever the extra
variation.
"""


def methods_markdown(registry: Registry, calibration: dict | None) -> str:
    """The whole methods page (MyST Markdown)."""
    intro = """# Methods and definitions

## Sources
- Police recorded crime by police force area and crime outcomes by police force area: Home Office
  open data tables.
- Force returns: management information supplied by forces under the VAWG framework.
- Mid-year population estimates for police force areas, applied to the financial year that starts
  in that calendar year.

Non-territorial bodies (British Transport Police, Action Fraud and others) are not part of force
or national figures. Gaps in the data are never filled in: a force without data for part of the
period is reported as "too little data to tell".

## Outcome rates
Outcome indicators are "closed with" rates: outcomes of the named types assigned in the period,
divided by all outcomes assigned in the period (types 1 to 22; type 0, not yet assigned, is left
out). This differs from the Home Office headline rate, which follows the offences recorded in a
period and always looks worse for the latest quarters because investigations are still open.

## National figures
England and Wales figures are sums of force numerators and denominators, never averages of force
rates. A force without complete data for an indicator in the last 12 quarters is left out of that
indicator's national series, and every sentence about the national figure names the forces left
out (or, for a group of victims, how many forces the figure covers).
"""
    return "\n".join([intro, _kpi_section(registry), _statistics(), _breakdown_section(registry),
                      _comparison_section(), _register_section(), _calibration_section(calibration)])


def _comparison_section() -> str:
    """How forces are compared (funnel plots) and a series read quarter by quarter (process
    control), with the settings the code uses."""
    return f"""## Comparing forces, and reading a force's own series

**Funnel plots.** Each rate or share of the last 12 months is plotted for every force against
its size (the denominator), around the England and Wales figure, with the 95% and 99.8% limits
of the public-health method (Wilson score limits for shares; exact Poisson below 10 events and
Byar's approximation above for rates, as observed/expected ratios). Forces usually differ more
than chance allows (recording practice, demography): the overdispersion factor phi is measured
from the forces' winsorised z-scores (Spiegelhalter 2005), and where k·phi exceeds the chi-squared
limit on k − 1 degrees of freedom at the {OVERDISPERSION_LEVEL:.0%} level, additive random-effects
limits are drawn instead, so that only forces outside the wider limits are named. A force outside
the 99.8% limits is a finding, read as better or worse by the indicator's direction.

**Process control.** Each place's quarterly series is drawn as an XmR chart (NHS Making Data
Count): limits at the mean ± {LIMIT_FACTOR} × the mean moving range (moving ranges of
{MR_SCREEN_FACTOR} × the mean or more are screened out first, as NHSRplotthedots does), trial
limits under {MIN_POINTS_FOR_LIMITS} quarters, and the special-cause rules in precedence: a point
outside a limit, {RUN_LENGTH} rising or falling, two of three near a limit, {RUN_LENGTH} on one
side of the mean. A special-cause signal in the latest quarter is a finding. A series with any
quarter withheld as small numbers is not assessed (limits from the published quarters alone
would sit too high) and its chart shows the withheld quarters as gaps marked [c].
"""


def _register_section() -> str:
    return """## The findings register

Every finding a reader is told is one row of the period's `findings.csv`, and every page that
counts or lists findings reads it: a change over the year unlikely to be chance (or one a
registered break prevents), a gap between groups of victims, a gap that widened, narrowed or
reversed, a force outside the 99.8% funnel limits, and a special-cause signal in the latest
quarter. Each reads as better, worse, context (neither good nor bad news in itself, and gaps in a
group's favour) or not comparable. Headline counts count an offence count and the same offences
as a rate once. Each finding has a key (kind, place, indicator, group, what was found), and a
period's findings are matched with the previous period's on it: new, also found last period, or
no longer found.
"""


def glossary_markdown() -> str:
    """The glossary page (MyST Markdown), from :data:`vawgbook.words.GLOSSARY`."""
    lines = [f"# {W.GLOSSARY_TITLE}", "", W.GLOSSARY_INTRO, ""]
    for anchor, term, text in W.GLOSSARY:
        lines += [f"(glossary-{anchor})=", f"## {term}", "", text, ""]
    return "\n".join(lines)


def load_calibration(root: Path) -> dict | None:
    path = Path(root) / CALIBRATION_FILE
    return json.loads(path.read_text("utf-8")) if path.exists() else None
