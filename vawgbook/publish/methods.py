"""The book's methods page, generated from the KPI registry, the statistics and the calibration
benchmark's figures, so that it always describes what was actually run."""

from __future__ import annotations

import json
from pathlib import Path

from .. import words as W
from ..config import Registry, vocabulary
from ..stats import BYAR_EXACT_BELOW, SETTINGS
from ..stats.change import EXACT_CELL_BELOW, EXACT_COUNT_BELOW
from ..stats.comparison import OVERDISPERSION_LEVEL
from ..stats.pooling import MIN_PRIOR_SERIES
from ..stats.settings import MIN_DISPERSION_DF
from ..stats.spc import LIMIT_FACTOR, MIN_POINTS_FOR_LIMITS, MR_SCREEN_FACTOR, RUN_LENGTH

CALIBRATION_FILE = Path("benchmarks") / "results" / "calibration.json"
GAPS_FILE = Path("benchmarks") / "results" / "gaps.json"
DIRECTION_WORDS = {"higher_is_better": "higher is better", "lower_is_better": "lower is better",
                   "context": "context (neither)"}

_STATISTICS = """
## Tests of change

**Year on year.** The 12 months ending with the period are compared with the 12 months before.
Counts and rates use a Poisson score test of the two 12-month totals (rates with their
denominators as exposure); proportions use a two-proportion z-test of the pooled 12-month shares.
Where the numbers are small (the smaller year expected to hold fewer than {exact_count} events, or
a cell of the two-by-two table fewer than {exact_cell}), an exact conditional test is used instead
(binomial on the total for counts, Fisher's for proportions), with the mid-p.

**Extra variation.** Police figures vary far more from quarter to quarter than simple counting
noise (recording drives, backlogs, seasons), and a plain test would call almost every wobble in a
large force significant. Each test is therefore widened by a dispersion factor measured from the
series' own history: a quasi-likelihood generalised linear model (Poisson for counts and rates,
binomial for proportions) with a linear trend, quarter-of-year effects, a term for the latest 12
months and a step at each registered change in counting (below) is fitted to the quarterly
series, and the Pearson chi-square over its expected value (never less than 1) scales the
variance.

**Pooled across forces.** One force's history gives only 7 to 16 degrees of freedom for its
dispersion factor, so each force's factor is shrunk towards a prior fitted across the forces of
the same indicator (empirical Bayes, as in Smyth 2004): the logarithm of the factor is regressed
on the logarithm of the force's volume, and the prior's weight (its degrees of freedom) is
estimated from how much the forces' factors differ beyond what sampling error explains. The test
is referred to Student's t on the prior's plus the force's own degrees of freedom. England and
Wales is tested on its own history. Where the history is too short (fewer than {min_history}
quarters with data, or fewer than {min_df} degrees of freedom) a force takes the prior, or, with
no prior to take, the plain test is used and the result says so.

**Serial correlation.** Quarters are not independent: a backlog or a recording drive lifts
several in a row. The extra variation (not the counting noise) is taken to follow a first-order
autoregressive process, whose coefficient is estimated once per indicator across all forces by
restricted maximum likelihood from the residuals of the models above (which, unlike the plain
correlation of residuals, is not biased by the fitted trend, seasons and steps). It widens the
variance of the difference of the two 12-month totals and of the trend's slope, and corrects each
dispersion factor. This was chosen over measuring the spread of past year-on-year differences,
which needs many years of stable history per force and mistakes any trend for noise; the
calibration below shows the tests keep their size with correlated variation.

**Trend.** Over the last {window} quarters (at least {min_trend} with data), a generalised linear
model with a linear trend and quarter-of-year effects (quasi-Poisson, or binomial with estimated
dispersion, pooled across forces as above, with a step at a registered change inside the window)
tests whether the seasonally adjusted level has moved; the table gives the adjusted level at the
start and end of the window.

**Many tests at once.** Every force and indicator is tested each period, so some changes would
look significant by chance alone. The false discovery rate is controlled in families that match
the reader's questions: England and Wales is a family of its own (the Benjamini–Hochberg
procedure over its indicators, for each kind of test); the forces are controlled hierarchically
by indicator (Benjamini and Bogomolov 2014): an indicator is selected when its forces' combined
(Simes) p-value passes the Benjamini–Hochberg procedure across indicators, and within a selected
indicator the forces are tested at the level scaled by the share of indicators selected. A change
is reported as unlikely to be chance variation alone when its q-value is below {q:g}. A q-value is
the smallest false discovery rate at which the change would be reported: q = 0.01 means that among
changes reported with evidence this strong, about one in a hundred would be expected to be chance.

**What a null result means.** "No evidence of change" is not "no change". Each result gives the
minimum detectable change: the smallest change the test would have found with {power:.0%} power at
the p-value threshold its family actually applied (the false discovery rate level times the share
of the family's tests reported, scaled by the share of indicators selected; for a family in which
nothing was reported, the threshold one change alone would have had to pass).

**Intervals.** {conf:.0%} intervals use Wilson's method for proportions and Byar's method for
counts (exact below {exact_below}), as in the public-health indicator methods, applied to the
counts divided by the dispersion factor and the serial-correlation factor, with the critical
value of the same t distribution as the test.

**Recorded crime is a full count, not a sample.** The tests ask whether a change is larger than
the usual variation of that series, not whether a sample represents a population; the book says
"unlikely to be chance variation alone", never "crime significantly changed".
"""


def _statistics() -> str:
    """How the tests are run, with every setting taken from the objects the tests use."""
    return _STATISTICS.format(
        min_history=SETTINGS.min_history_quarters, min_df=SETTINGS.min_dispersion_df,
        window=vocabulary().analysis_quarters, min_trend=SETTINGS.min_trend_quarters,
        q=SETTINGS.q_threshold, power=SETTINGS.power, conf=SETTINGS.conf,
        exact_below=BYAR_EXACT_BELOW, exact_count=EXACT_COUNT_BELOW, exact_cell=EXACT_CELL_BELOW)


def _breaks_section(registry: Registry) -> str:
    """The registered changes in counting: what changed, when, for whom, which indicators."""
    lines = ["## Changes in how figures are counted", "",
             "A change in counting rules or recording systems moves a figure without anything else "
             "changing. Where one falls inside the two years compared, the comparison is reported as "
             "**not comparable**, never as an improvement or a deterioration; a trend is fitted with "
             "a step at the change, and the quarterly process-control limits are recalculated from "
             "it.", ""]
    if not registry.breaks:
        return "\n".join(lines + ["No change is registered.", ""])
    for b in registry.breaks:
        names = ", ".join(registry[k].name for k in b.kpis)
        forces = "every force" if not b.forces else ", ".join(b.forces)
        lines += [f"- **From {b.first_quarter.label}** ({forces}): {b.what} *Source:* {b.source} "
                  f"*Indicators:* {names}.", ""]
    return "\n".join(lines)


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
    text.append(_serial_table(figures.get("headline", {})))
    config = figures.get("config", {})
    if config:
        text.append(f"\nSeed {config.get('seed')}, {config.get('null_replicates')} simulated data sets "
                    f"with no change and {config.get('power_replicates')} with known changes; see "
                    "`benchmarks/README.md` for power by effect size and force size.")
    return "\n".join(text) + "\n"


def _share(cell) -> str:
    return f"{cell['rate']:.1%}" if isinstance(cell, dict) and cell.get("n") else "–"


def _serial_table(headline: dict) -> str:
    """The benchmark's figures by the serial correlation of the simulated extra variation: the
    rows a reader needs to trust the verdicts on real (correlated) series."""
    if not headline:
        return ""
    rhos = sorted(headline, key=float)
    rows = [
        ("No change, year on year: p < 0.05 (should be at most 5%)",
         lambda h: _share(h.get("null", {}).get("year_on_year", {}).get("p<0.05"))),
        ("No change, trend: p < 0.05",
         lambda h: _share(h.get("null", {}).get("trend", {}).get("p<0.05"))),
        ("Known changes: share of reported changes that were false (year on year; nominal 5%)",
         lambda h: (f"{h['step_fdr']['year_on_year']:.1%}" if "year_on_year" in h.get("step_fdr", {})
                    else "–")),
        ("VAWG offences +20% in a force: found (year on year)",
         lambda h: _share(h.get("power", {}).get("vawg_recorded_all_kpis_+20%", {}).get("year_on_year"))),
        ("Charge rates +2 points in a force: found (year on year)",
         lambda h: _share(h.get("power", {}).get("charge_rates_+2pts", {}).get("year_on_year"))),
        ("Real-world-sized changes: found (either test)",
         lambda h: _share(h.get("realistic", {}).get("either", {}).get("found"))),
        ("Real-world-sized changes: unchanged indicators reported (either test)",
         lambda h: _share(h.get("realistic", {}).get("either", {}).get("false_positive"))),
    ]
    lines = ["", "Real quarterly series are serially correlated; the simulation repeats every scenario "
             "with the extra variation following a first-order autoregressive process of "
             "coefficient rho:", "",
             "```{table} How the tests behave as the serial correlation rho grows (simulated data)",
             "| Scenario | " + " | ".join(f"rho {r}" for r in rhos) + " |",
             "|---|" + "---|" * len(rhos)]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(headline[r]) for r in rhos) + " |")
    lines.append("```")
    return "\n".join(lines)


def _breakdown_section(registry: Registry) -> str:
    """How groups of victims are compared, with the registry's and the tests' own settings."""
    settings = registry.breakdown_settings
    broken = [f"{k.name} by {', '.join(d.replace('_', ' ') for d in k.breakdowns)}"
              for k in registry.kpis if k.breakdowns]
    against = "".join(f", or with {v} ({k})" for k, v in settings.reference.items())
    merged = [f"{name} ({', '.join(members)})" for groups in settings.merged.values()
              for name, members in groups.items()]
    thresholds = sorted({k.disclosure_threshold for k in registry.kpis
                         if k.breakdowns and k.disclosure_threshold})
    disclosure = " or ".join(str(t - 1) for t in thresholds) or "the indicator's threshold minus 1"
    return f"""## Groups of victims: ethnicity, age and sex

Indicators broken down from force returns: {'; '.join(broken) or 'none'}.

**Recording completeness first.** For each force and breakdown, the share of the total whose
group is known (recorded, and not 'not stated') in the last 12 months, against the 12 months
before. A force's breakdown is tested only where that share is at least
{settings.completeness_threshold:.0%}; for a proportion, also only where the numerator (the arrests,
say) is known by group for no more than {settings.numerator_tolerance * 100:g} percentage points less
of its total than the denominator is (outcomes recorded by group less completely than the cases they divide by
would bias every group's figure). A gap is tested where this year meets both rules; a change in a
gap only where both years do, so that recording that improved this year is not mistaken for a
change in the gap. Below them the breakdown is shown but not tested or ranked. England and Wales
figures by group are sums over the forces that meet the rules (for proportions, in both years, so
that the two years cover the same forces), and the page states the share of the country's cases
they rest on. Categories are never scaled up to the total: what was not recorded stays not
recorded.

**Gaps between groups.** For proportions, each group's 12-month figure is compared with the rest
of the victims whose group is known{against}:
a two-proportion score test, widened by a dispersion factor measured from how much the quarterly
gap varied over the last {vocabulary().analysis_quarters} quarters beyond binomial noise (a
Pearson statistic about each year's mean gap, on Student's t). As in the main tests, each force's
factor is pooled across the forces of the same indicator and breakdown whose recording is complete
enough (empirical Bayes, when at least {MIN_PRIOR_SERIES} forces have an estimate on at least
{MIN_DISPERSION_DF} degrees of freedom), never less than 1, and the test is referred to t on the
prior's plus the force's own degrees of freedom; England and Wales uses its own history. The
gap's {SETTINGS.conf:.0%} interval is Newcombe's hybrid score interval on the same effective sample
sizes. Wider groups are also compared: {'; '.join(merged) or 'none'}. Counts by group are shown
but not compared, as there is no population by group to turn them into rates.

**Whether a gap changed.** The gap in the last 12 months is compared with the gap in the 12
months before, against the variance the change would have if neither group's figure had moved
(each group's proportion pooled over the two years, times the dispersion factor). A gap's side
is taken as established in a year when its {SETTINGS.conf:.0%} interval excludes zero. A change
unlikely to be chance is called **widened** when the gap moved further from zero (or opened where
none was established), **narrowed** when it moved nearer (or closed), and **reversed** when the gap
was established on one side a year before and is established on the other side now: it closed and
opened the other way, and is never called widened. When neither year's side is established the
size of the gap decides.

**England and Wales two ways.** A gap across the whole country can come from where each group's
victims live: if one group is concentrated in forces where everyone's figure is lower, it looks
worse off nationally even where no force treats the groups differently (Simpson's paradox). So
the England and Wales gap is also given within forces: the Mantel–Haenszel risk difference
stratified by force (Greenland and Robins 1985) over the forces that make up the national figures,
with Sato's (1989) variance widened by the dispersion of the gap within forces measured from its own
quarterly history (each quarter's gap within forces about each year's mean, as above; England and
Wales is tested on its own history), on Student's t; the test and the {SETTINGS.conf:.0%} interval
are Wald's on that t. The change in the gap within forces compares the two years' estimates. The page gives
both gaps and says why they differ when one is a finding and the other is not; the front page
lists a national gap under "what isn't working" (or "what is working") only from the gap within
forces.

**Many tests at once.** The false discovery rate is controlled in families that match the
reader's questions, as for the main tests: for each comparison (a gap, its change, and for
England and Wales each within forces), England and Wales is a Benjamini–Hochberg family of its
own, and the forces are controlled hierarchically with each indicator and breakdown (arrests by
ethnicity, say) as a family (Benjamini and Bogomolov 2014). A gap is reported when its q-value is
below {SETTINGS.q_threshold:g}. Each result gives the smallest gap (or change in a gap) its test would
have found with {SETTINGS.power:.0%} power at the p-value threshold its family actually applied.

**How much a gap depends on who was not recorded.** For every gap, the results also give the gap
if every victim with no recorded group were in the group, and if none were (all among the
comparison group), with the outcomes they actually had. A gap on the same side of zero under both
is marked as holding whoever the unrecorded victims were; otherwise as one that could be made or
undone by them. It is a bound on what the missing records could do, not an interval.

**Quarter by quarter.** The page charts each group against the rest in each quarter (England and
Wales, and each force on its page). A quarter is not shown where a count behind it is from 1 to
{disclosure}, where it would reveal such a count through a published sum (the year's total,
the known categories, a wider group, England and Wales), or where either group has fewer than
{settings.min_cases} cases in the quarter: it is a break in the line, not a value.

**Small numbers.** No figure for a group rests on fewer than {settings.min_cases} cases (a
proportion's denominator) over 12 months, and counts below the indicator's disclosure threshold
are withheld with secondary suppression, so that no published total reveals them.

**What a gap means.** A gap can reflect reporting and recording, and where the victims of each
group live, as well as their experience of the police; it is a question to look into, not by
itself a finding of unfair treatment. Simulations with no real gap (in
`tests/compute/test_breakdowns.py`) confirm the tests reject no more than about 5% of the time at
the 5% level, whatever the extra variation.
"""


def _gaps_benchmark_section(figures: dict | None) -> str:
    head = "## How well the tests of gaps behave\n\n"
    if not figures:
        return head + ("The benchmark `benchmarks/gaps.py` has not been run on this machine, so its "
                       "figures are not shown.\n")
    f, config = figures["figures"], figures["config"]
    kinds = config["kinds"]
    low, high = config["gap_points"]
    few, many = config["black_per_year"]
    return head + (
        f"The benchmark `benchmarks/gaps.py` simulates {config['replicates']} data sets for the 43 "
        f"forces in the published formats, each with {kinds['no_gap']} forces with complete recording "
        f"and no gap, {kinds['persistent']} with a persistent gap in Black victims' arrest rate, "
        f"{kinds['widened']} where such a gap appeared in the last four quarters ({low:.0f} to "
        f"{high:.0f} points, {few} to {many} Black victims a year), and "
        f"{kinds['incomplete'] + kinds['incomplete_gap']} with incomplete recording (with and without "
        f"gaps), and runs the whole pipeline on each. Persistent gaps were found in "
        f"{_rate(f['power_persistent'])} of the forces that had them, gaps that appeared in "
        f"{_rate(f['power_widened'])}; {_rate(f['false_findings_forces'])} of forces with no gap had any "
        f"finding, and forces with incomplete recording had {f['findings_incomplete_forces']['k']} "
        f"findings. See `benchmarks/README.md`.\n")


def methods_markdown(registry: Registry, calibration: dict | None, gaps: dict | None = None) -> str:
    """The whole methods page (MyST Markdown); ``gaps`` the figures of ``benchmarks/gaps.py``."""
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
    return "\n".join([intro, _kpi_section(registry), _statistics(), _breaks_section(registry),
                      _breakdown_section(registry), _comparison_section(), _register_section(),
                      _calibration_section(calibration), _gaps_benchmark_section(gaps)])


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


def load_calibration(root: Path, file: Path = CALIBRATION_FILE) -> dict | None:
    path = Path(root) / file
    return json.loads(path.read_text("utf-8")) if path.exists() else None


def load_gaps(root: Path) -> dict | None:
    """The figures of ``benchmarks/gaps.py``, if it has been run."""
    return load_calibration(root, GAPS_FILE)
