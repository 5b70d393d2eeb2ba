"""Breakdowns by victim ethnicity and age: completeness, disparity statistics, small numbers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import RETURNS_HEADER, crime_folder, returns_row, write_csv
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from vawgbook.compute.results import COLUMNS, compute
from vawgbook.config import force_names, load_registry, vocabulary
from vawgbook.errors import ConfigError, InputError
from vawgbook.ingest.sources import Dataset, Quality, load
from vawgbook.periods import Quarter
from vawgbook.stats import disparity as gaps

# ---------------------------------------------------------------- statistics

# Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (hybrid score).
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_TABLE_II)
def test_gap_interval_reproduces_newcombes_published_values(counts, published):
    lower, upper = gaps.newcombe_interval(*counts)
    assert (round(float(lower), 4), round(float(upper), 4)) == published


def test_dispersion_widens_the_interval_as_an_effective_sample_size_on_t():
    x1, n1, x0, n0, phi, df = 60, 200, 150, 300, 2.5, 9
    lower, upper = gaps.newcombe_interval(x1, n1, x0, n0, 0.95, phi, df)
    # The same interval from statsmodels, on counts divided by phi, at the confidence level
    # whose normal critical value is t(9)'s.
    alpha = 2 * sps.norm.sf(sps.t.ppf(0.975, df))
    expected = confint_proportions_2indep(x1 / phi, n1 / phi, x0 / phi, n0 / phi,
                                          method="newcomb", alpha=alpha)
    assert (float(lower), float(upper)) == pytest.approx(expected, abs=1e-12)
    plain = gaps.newcombe_interval(x1, n1, x0, n0)
    assert upper - lower > 1.6 * (plain[1] - plain[0])


def test_disparity_test_by_hand():
    # 30/100 against 50/100: pooled 0.4, SE = sqrt(0.4 * 0.6 * (1/100 + 1/100)).
    d = gaps.disparity(30, 100, 50, 100)
    z = -0.2 / np.sqrt(0.4 * 0.6 * 0.02)
    assert float(d.gap) == pytest.approx(-0.2)
    assert float(d.p_value) == pytest.approx(2 * sps.norm.sf(abs(z)), rel=1e-12)
    assert float(d.p_value) == pytest.approx(proportions_ztest([30, 50], [100, 100])[1], rel=1e-12)
    # With phi = 4 on 9 df the statistic halves and is referred to t(9).
    d4 = gaps.disparity(30, 100, 50, 100, phi=4.0, df=9.0)
    assert float(d4.p_value) == pytest.approx(2 * sps.t.sf(abs(z) / 2, 9), rel=1e-12)
    # Minimum detectable gap at 80% power: (z_0.975 + z_0.8) * sqrt(P0(1 - P0)(1/n1 + 1/n0)).
    assert float(d.min_detectable_gap) == pytest.approx(
        (sps.norm.ppf(0.975) + sps.norm.ppf(0.8)) * np.sqrt(0.25 * 0.02))


def test_gap_dispersion_by_hand():
    x1 = np.array([[10, 20, 10, 20, 10, 20, 10, 20, 10, 20, 10, 20]], float)
    n1 = np.full((1, 12), 40.0)
    x0 = np.full((1, 12), 60.0)
    n0 = np.full((1, 12), 100.0)
    got = gaps.gap_dispersion(x1, n1, x0, n0, np.repeat([0, 1, 2], 4))
    p1, p0 = x1.sum() / n1.sum(), 0.6
    v = p1 * (1 - p1) / 40 + p0 * (1 - p0) / 100
    d = x1[0] / 40 - 0.6
    x2 = sum(((d[s:s + 4] - d[s:s + 4].mean()) ** 2).sum() / v for s in (0, 4, 8))
    assert float(got.df[0]) == 9
    assert float(got.raw[0]) == pytest.approx(x2 / 9)
    assert float(got.phi[0]) == pytest.approx(max(1.0, x2 / 9))


def test_gap_dispersion_needs_history_and_variation():
    short = gaps.gap_dispersion(np.ones((1, 5)), np.full((1, 5), 4.0), np.ones((1, 5)),
                                np.full((1, 5), 4.0), np.array([0, 1, 1, 2, 2]))
    assert float(short.phi[0]) == 1.0 and np.isinf(short.df[0])
    never = gaps.gap_dispersion(np.zeros((1, 12)), np.full((1, 12), 9.0), np.ones((1, 12)),
                                np.full((1, 12), 9.0))
    assert float(never.phi[0]) == 1.0 and np.isinf(never.df[0])


def _simulate(rng, k, concentration, n1=60, n0=600, p=0.7):
    """Null histories: both groups share the quarterly rate; beta-binomial extra variation."""
    def draw(n):
        size = rng.poisson(n, (k, 12))
        q = p if concentration is None else rng.beta(p * concentration, (1 - p) * concentration, (k, 12))
        return rng.binomial(size, q), size
    (x1, s1), (x0, s0) = draw(n1), draw(n0)
    disp = gaps.gap_dispersion(x1, s1, x0, s0, np.repeat([0, 1, 2], 4))
    now = [a[:, 8:].sum(1) for a in (x1, s1, x0, s0)]
    before = [a[:, 4:8].sum(1) for a in (x1, s1, x0, s0)]
    return (gaps.disparity(*now, disp.phi, disp.df), gaps.disparity(*now),
            gaps.gap_change(tuple(now), tuple(before), disp.phi, disp.df))


@pytest.mark.parametrize("concentration", [None, 40.0, 10.0])
def test_tests_hold_their_size_when_there_is_no_gap(concentration):
    """Calibration by simulation: with no real gap, at most about 5% of tests reject at 0.05,
    whatever the overdispersion; the plain binomial test does not (the adjustment is needed)."""
    d, plain, change = _simulate(np.random.default_rng(7), 3000, concentration)
    # 3000 replicates: a binomial 99.9% band around 5% reaches about 6.3%.
    assert np.mean(d.p_value < 0.05) < 0.063
    assert np.mean(change.p_value < 0.05) < 0.063
    covered = np.mean((d.gap_lower <= 0) & (d.gap_upper >= 0))
    assert covered > 0.937
    if concentration == 10.0:
        assert np.mean(plain.p_value < 0.05) > 0.25
        assert np.mean(d.p_value < 0.05) > 0.035  # not needlessly conservative where phi is real


def test_gap_change_says_widened_only_when_the_gap_moves_away_from_zero():
    widened = gaps.gap_change((40, 100, 60, 100), (55, 100, 60, 100))  # -0.20 from -0.05
    narrowed = gaps.gap_change((55, 100, 60, 100), (40, 100, 60, 100))  # -0.05 from -0.20
    assert bool(widened.widened) and not bool(narrowed.widened)
    assert float(widened.change) == pytest.approx(-0.15)


# ---------------------------------------------------------------- the engine

PERIOD = Quarter.parse("2024-25-Q2")
QUARTERS = list(range(PERIOD.index - 11, PERIOD.index + 1))
NOT_STATED = vocabulary().not_stated
CATS = ["Asian", "Black", "Mixed", "White", "Other", NOT_STATED]


def _returns(force, respondents, satisfied):
    """Force-return rows for victim satisfaction: totals and ethnicity categories, every quarter.
    ``respondents``/``satisfied``: dicts category -> count per quarter ('' for the total)."""
    rows = []
    for q in QUARTERS:
        for cat, n in respondents.items():
            dim = "victim_ethnicity" if cat else ""
            rows.append((force, q, "victim_survey_respondents", dim, cat, float(n)))
            rows.append((force, q, "victim_survey_satisfied", dim, cat, float(satisfied[cat])))
    return rows


def _dataset(*row_sets) -> Dataset:
    forces = force_names().territorial
    crime = pd.DataFrame([(f, q, "19C", 10.0) for f in forces for q in QUARTERS],
                         columns=["force", "qidx", "offence_code", "offences"])
    returns = pd.DataFrame([r for rows in row_sets for r in rows],
                           columns=["force", "qidx", "measure", "dimension", "category", "value"])
    return Dataset(crime, None, returns, None, Quality())


def _registry(**settings):
    reg = load_registry()
    kpi = dataclasses.replace(reg["victim_satisfaction_rate"], breakdowns=("victim_ethnicity",))
    return dataclasses.replace(reg, kpis=(kpi,), breakdown_settings=dataclasses.replace(
        reg.breakdown_settings, **settings))


GOOD = ({"": 100, "White": 60, "Black": 20, "Asian": 10, NOT_STATED: 10},
        {"": 70, "White": 45, "Black": 10, "Asian": 8, NOT_STATED: 7})
POOR = ({"": 100, "White": 50, "Black": 10, NOT_STATED: 20},
        {"": 70, "White": 40, "Black": 6, NOT_STATED: 14})


@pytest.fixture(scope="module")
def rows():
    ds = _dataset(_returns("Kent", *GOOD), _returns("Surrey", *POOR),
                  [r for r in _returns("Essex", *GOOD) if r[3] == ""])  # Essex: totals only
    results = compute(ds, _registry(), PERIOD).results
    return results.loc[results["dimension"] != ""].set_index(["force", "comparison", "category"])


def test_completeness_is_the_known_share_and_decides_what_is_tested(rows):
    kent = rows.loc[("Kent", "recording_completeness", "")]
    surrey = rows.loc[("Surrey", "recording_completeness", "")]
    essex = rows.loc[("Essex", "recording_completeness", "")]
    assert kent["value"] == pytest.approx(0.9) and kent["assessment"] == "complete_enough"
    assert (kent["numerator"], kent["denominator"]) == (360, 400)  # Not stated is not known
    assert surrey["value"] == pytest.approx(0.6) and surrey["assessment"] == "incomplete_recording"
    assert essex["value"] == 0 and essex["assessment"] == "incomplete_recording"
    assert rows.loc[("Surrey", "disparity", "Black"), "assessment"] == "incomplete_recording"
    assert np.isnan(rows.loc[("Surrey", "disparity", "Black"), "p_value"])
    assert rows.loc[("Essex", "disparity", "Black"), "assessment"] == "insufficient_data"
    national = rows.loc[("England and Wales", "recording_completeness", "")]
    assert national["numerator"] == 360 + 240 + 0 and national["denominator"] == 1200


def test_disparity_against_the_rest_by_hand(rows):
    black = rows.loc[("Kent", "disparity", "Black")]
    # Last 12 months: Black 40/80; the rest of the known categories (White, Asian) 212/280.
    assert (black["numerator"], black["denominator"]) == (40, 80)
    assert black["value"] == pytest.approx(0.5) and black["baseline_value"] == pytest.approx(212 / 280)
    pooled = 252 / 360
    z = (0.5 - 212 / 280) / np.sqrt(pooled * (1 - pooled) * (1 / 80 + 1 / 280))
    # Gaps never vary by quarter here: phi is floored at 1, on 12 - 3 = 9 df.
    assert black["p_value"] == pytest.approx(2 * sps.t.sf(abs(z), 9), rel=1e-9)
    assert black["assessment"] == "lower"
    # England and Wales is made of the forces that record well enough: Kent alone here.
    national = rows.loc[("England and Wales", "disparity", "Black")]
    assert (national["numerator"], national["denominator"]) == (40, 80)
    gap = rows.loc[("Kent", "gap_change", "Black")]
    assert gap["value"] == pytest.approx(0.5 - 212 / 280)
    assert gap["baseline_value"] == pytest.approx(gap["value"])
    assert gap["ci_lower"] < gap["value"] < gap["ci_upper"] < 0
    assert gap["assessment"] == "no_significant_change"


def test_merged_group_and_its_mirror_are_tested_once(rows):
    merged = rows.loc[("Kent", "disparity", "Black and minoritised")]
    assert (merged["numerator"], merged["denominator"]) == (72, 120)
    assert merged["baseline_value"] == pytest.approx(180 / 240)  # White
    assert ("Kent", "disparity", "White") not in rows.index


def test_no_rate_from_a_handful_of_cases():
    few = ({"": 100, "White": 80, "Black": 4, "Asian": 10, NOT_STATED: 2},
           {"": 70, "White": 60, "Black": 3, "Asian": 7, NOT_STATED: 0})
    results = compute(_dataset(_returns("Kent", *few)), _registry(min_cases=20), PERIOD).results
    black = results.set_index(["force", "comparison", "category"]).loc[("Kent", "disparity", "Black")]
    assert black["denominator"] == 16 and np.isnan(black["value"]) and np.isnan(black["p_value"])
    assert black["assessment"] == "insufficient_data" and "too few" in black["note"]


def test_small_categories_are_withheld_with_secondary_suppression():
    small = ({"": 100, "White": 80, "Black": 6, "Asian": 6, "Mixed": 1, NOT_STATED: 2},
             {"": 70, "White": 60, "Black": 5, "Asian": 4, "Mixed": 1, NOT_STATED: 0})
    results = compute(_dataset(_returns("Kent", *small)), _registry(), PERIOD).results
    kent = results.loc[(results["force"] == "Kent") & (results["comparison"] == "disparity")]
    hidden = kent.loc[kent["suppressed"], "category"].tolist()
    assert "Mixed" in hidden  # 4 respondents over the year: below the threshold of 5
    # Known total, and Black and minoritised, are published: one hidden member would show.
    base = [c for c in hidden if c in CATS]
    assert len(base) >= 2
    merged = kent.set_index("category").loc["Black and minoritised"]
    members_hidden = [c for c in ("Asian", "Black", "Mixed", "Other") if c in hidden]
    assert merged["suppressed"] or len(members_hidden) != 1
    assert kent.loc[kent["suppressed"], ["value", "numerator", "denominator"]].isna().all().all()


def test_breakdowns_leave_the_contract_rows_and_columns_alone():
    ds = _dataset(_returns("Kent", *GOOD), _returns("Surrey", *POOR))
    with_b = compute(ds, _registry(), PERIOD).results
    reg = _registry()
    without = compute(ds, dataclasses.replace(reg, kpis=tuple(
        dataclasses.replace(k, breakdowns=()) for k in reg.kpis)), PERIOD).results
    assert list(with_b.columns) == COLUMNS and COLUMNS[-2:] == ["dimension", "category"]
    totals = with_b.loc[with_b["dimension"] == ""].reset_index(drop=True)
    pd.testing.assert_frame_equal(totals, without.reset_index(drop=True))
    assert set(with_b.loc[with_b["dimension"] != "", "comparison"]) == {
        "recording_completeness", "numerator_completeness", "coverage", "disparity", "gap_change",
        "disparity_within_forces", "gap_change_within_forces", "gap_bounds"}


# ---------------------------------------------------------------- bad input


def test_categories_adding_up_to_more_than_the_total_name_the_file_and_row(tmp_path):
    crime_folder(tmp_path)
    write_csv(tmp_path / "force_returns.csv", RETURNS_HEADER, [
        returns_row("Kent", measure="da_arrests", value=10),
        returns_row("Kent", measure="da_arrests", value=8, dimension="victim_ethnicity", category="White"),
        returns_row("Kent", measure="da_arrests", value=3, dimension="victim_ethnicity", category="Black")])
    with pytest.raises(InputError) as caught:
        load(tmp_path, cache=False)
    err = caught.value
    assert err.file.endswith("force_returns.csv") and err.row == 2 and err.column == "Value"
    assert "add up to 11, more than the total 10" in err.message and "Kent" in err.message


def test_a_breakdown_without_its_total_is_reported_not_guessed(tmp_path):
    crime_folder(tmp_path)
    write_csv(tmp_path / "force_returns.csv", RETURNS_HEADER, [
        returns_row("Kent", measure="da_arrests", value=8, dimension="victim_ethnicity", category="White"),
        returns_row("Kent", measure="da_flagged_crimes", value=20)])
    ds = load(tmp_path, cache=False)
    record, = ds.quality.breakdowns_without_total
    assert record["measure"] == "da_arrests" and record["dimension"] == "victim_ethnicity"
    assert record["file"] == "force_returns.csv" and record["force_quarters"] == 1
    totals = ds.returns.loc[ds.returns["dimension"] == ""]
    assert totals["measure"].tolist() == ["da_flagged_crimes"]


@pytest.mark.parametrize(("edit", "message"), [
    ("  - id: vawg_recorded\n", "only KPIs made wholly from force returns can be broken down"),
    ("  - id: dvpo_rate\n", "breakdowns are for counts and proportions"),
])
def test_registry_refuses_breakdowns_that_cannot_be_computed(tmp_path, edit, message):
    text = Path(load_registry().path).read_text("utf-8")
    start = text.index(edit)
    insert = text.index("    numerator:", start)
    bad = text[:insert] + "    breakdowns: [victim_ethnicity]\n" + text[insert:]
    path = tmp_path / "kpis.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_registry(path)


@pytest.mark.parametrize(("section", "message"), [
    ("breakdowns:\n  completeness_threshold: 1.5\n", "completeness_threshold must be a share"),
    ("breakdowns:\n  merged:\n    victim_ethnicity:\n      Some: [Asian, Martian]\n",
     "'Martian' is not a victim_ethnicity category"),
    ("breakdowns:\n  reference:\n    victim_religion: None\n", "dimension 'victim_religion' is not one of"),
])
def test_registry_checks_the_breakdown_settings(tmp_path, section, message):
    text = Path(load_registry().path).read_text("utf-8")
    start = text.index("breakdowns:\n  completeness_threshold")
    end = text.index("\noffence_groups:\n") + 1
    path = tmp_path / "kpis.yaml"
    path.write_text(text[:start] + section + "\n" + text[end:], encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_registry(path)


def test_a_registry_breakdown_with_no_breakdown_data_is_reported_as_such():
    ds = _dataset([r for r in _returns("Kent", *GOOD) if r[3] == ""])  # totals only
    results = compute(ds, _registry(), PERIOD).results
    split = results.loc[results["dimension"] != ""]
    assert set(split["assessment"]) <= {"incomplete_recording", "insufficient_data"}
    assert split["q_value"].isna().all()
    kent = split.set_index(["force", "comparison", "category"]).loc[("Kent", "disparity", "Black")]
    assert "no victim ethnicity breakdown" in kent["note"]


def test_any_contract_dimension_can_be_broken_down():
    rows = []
    for q in QUARTERS:
        for cat, n, s in (("", 100, 70), ("Female", 80, 60), ("Male", 15, 7), (NOT_STATED, 5, 3)):
            dim = "victim_sex" if cat else ""
            rows += [("Kent", q, "victim_survey_respondents", dim, cat, float(n)),
                     ("Kent", q, "victim_survey_satisfied", dim, cat, float(s))]
    reg = _registry()
    kpi = dataclasses.replace(reg.kpis[0], breakdowns=("victim_sex",))
    results = compute(_dataset(rows), dataclasses.replace(reg, kpis=(kpi,)), PERIOD).results
    kent = results.loc[(results["force"] == "Kent") & (results["dimension"] == "victim_sex")]
    completeness = kent.loc[kent["comparison"] == "recording_completeness"].iloc[0]
    assert completeness["value"] == pytest.approx(0.95)
    tested = kent.set_index(["comparison", "category"])
    assert ("disparity", "Male") not in tested.index  # the same test as Female against the rest
    female = tested.loc[("disparity", "Female")]
    assert female["value"] == pytest.approx(0.75) and female["baseline_value"] == pytest.approx(7 / 15)
    assert female["assessment"] == "higher"


# ---------------------------------------------------------------- gaps that hold up


def _by_year(force, years, total_extra=None):
    """Force-return rows where each year of the window has its own figures: ``years`` maps a year
    (0 the oldest, 2 the latest) to ``(respondents, satisfied)`` dicts by category, which hold until
    the next year given; the total is the sum of the categories plus ``total_extra`` (unrecorded)."""
    rows = []
    for k, q in enumerate(QUARTERS):
        respondents, satisfied = years[max(y for y in years if y <= k // 4)]
        extra_n, extra_x = (total_extra or {}).get(min(k // 4, 2), (0, 0))
        total_n, total_x = sum(respondents.values()) + extra_n, sum(satisfied.values()) + extra_x
        rows.append((force, q, "victim_survey_respondents", "", "", float(total_n)))
        rows.append((force, q, "victim_survey_satisfied", "", "", float(total_x)))
        for cat in respondents:
            dim = "victim_ethnicity"
            rows += [(force, q, "victim_survey_respondents", dim, cat, float(respondents[cat])),
                     (force, q, "victim_survey_satisfied", dim, cat, float(satisfied[cat]))]
    return rows


def _split(black, white, rate):
    return {"Black": black, "White": white}, {"Black": round(black * rate), "White": round(white * rate)}


@pytest.fixture(scope="module")
def simpson():
    """Two forces with no gap inside either (20% and 40% satisfied), Black victims spread evenly a
    year before and 80% in the low force in the latest year (as in the issue)."""
    kent = _by_year("Kent", {0: _split(250, 250, 0.2), 2: _split(400, 100, 0.2)})
    surrey = _by_year("Surrey", {0: _split(250, 250, 0.4), 2: _split(100, 400, 0.4)})
    return compute(_dataset(kent, surrey), _registry(), PERIOD)


def test_simpsons_paradox_the_national_gap_is_given_two_ways(simpson):
    rows = simpson.results.set_index(["force", "comparison", "category"])
    crude = rows.loc[("England and Wales", "disparity", "Black")]
    within = rows.loc[("England and Wales", "disparity_within_forces", "Black")]
    assert crude["change"] == pytest.approx(-0.12) and crude["assessment"] == "lower"
    assert crude["q_value"] < 0.001
    assert within["value"] == pytest.approx(0.0, abs=1e-12)
    assert within["assessment"] == "no_significant_difference"
    assert within["baseline_value"] == pytest.approx(-0.12)  # the crude gap beside it
    assert within["ci_lower"] < 0 < within["ci_upper"]
    changed = rows.loc[("England and Wales", "gap_change", "Black")]
    assert changed["assessment"] == "gap_widened"  # across the country: from 0 to -12 points
    assert rows.loc[("England and Wales", "gap_change_within_forces", "Black"), "assessment"] \
        == "no_significant_change"
    for force in ("Kent", "Surrey"):
        assert rows.loc[(force, "disparity", "Black"), "assessment"] == "no_significant_difference"


def test_simpsons_paradox_leaves_the_front_page_silent(simpson):
    """No England and Wales gap reaches the findings register (which the front page counts and
    lists): the gap across the country is made only by where the groups' victims live."""
    from vawgbook.compute import findings
    from vawgbook.publish import narrative
    from vawgbook.publish.report import Report

    register = findings.register(simpson.results, simpson.quarterly, _registry())
    national = register.loc[(register["force"] == "England and Wales")
                            & register["kind"].isin(["gap", "gap_change"])]
    assert national.empty
    report = Report(PERIOD, simpson.results, simpson.quarterly, _registry())
    # The Visible page gives both, and says why they differ.
    found = narrative.national_gaps(report)
    assert ("Comparing victims in the same force, the gap is +0.0 percentage points (no evidence of a "
            "gap)") in found
    assert "not spread across forces in the same way" in found


def test_a_gap_that_changes_side_is_reversed_and_the_front_page_says_it_is_working():
    kent = _by_year("Kent", {0: _split(2000, 8000, 0.5), 1: ({"Black": 2000, "White": 8000},
                                                            {"Black": 800, "White": 4000}),
                             2: ({"Black": 2000, "White": 8000}, {"Black": 1060, "White": 4000})})
    results = compute(_dataset(kent), _registry(), PERIOD).results
    gap = results.set_index(["force", "comparison", "category"]).loc[("Kent", "gap_change", "Black")]
    assert gap["baseline_value"] == pytest.approx(-0.10) and gap["value"] == pytest.approx(0.03)
    assert gap["assessment"] == "gap_reversed"
    from vawgbook.compute import findings
    from vawgbook.publish import narrative

    register = findings.register(results, compute(_dataset(kent), _registry(), PERIOD).quarterly,
                                 _registry())
    kent_gaps = register.loc[(register["force"] == "Kent") & (register["kind"] == "gap_change")]
    assert len(kent_gaps) and (kent_gaps["assessment"] == "gap_reversed").all()
    assert (kent_gaps["reading"] == "better").all()  # Black (and the merged group: the same)
    row = next(results.loc[(results["force"] == "Kent") & (results["comparison"] == "gap_change")
                           & (results["category"] == "Black")].itertuples())
    sentence = narrative.gap_change_sentence(_registry()[row.kpi_id], row, PERIOD, "Kent")
    assert "reversed (it closed and opened the other way)" in sentence


def test_completeness_that_improved_this_year_tests_the_gap_but_not_its_change():
    # Kent: 60% of respondents with a known ethnicity a year before, 90% now.
    years = {0: _split(60, 300, 0.6), 1: _split(60, 300, 0.6), 2: _split(90, 450, 0.6)}
    unrecorded = {0: (240, 144), 1: (240, 144), 2: (60, 36)}
    kent = _by_year("Kent", years, unrecorded)
    rows = compute(_dataset(kent), _registry(), PERIOD).results.set_index(["force", "comparison", "category"])
    completeness = rows.loc[("Kent", "recording_completeness", "")]
    assert completeness["value"] == pytest.approx(0.9)
    assert completeness["baseline_value"] == pytest.approx(0.6)
    assert completeness["assessment"] == "incomplete_baseline"
    assert np.isfinite(rows.loc[("Kent", "disparity", "Black"), "p_value"])
    change = rows.loc[("Kent", "gap_change", "Black")]
    assert change["assessment"] == "incomplete_recording" and np.isnan(change["p_value"])
    assert "12 months before" in change["note"]
    # England and Wales is made of forces complete in both years: none here.
    national = rows.loc[("England and Wales", "disparity", "Black")]
    assert national["assessment"] == "insufficient_data" and "no force recorded" in national["note"]


def test_a_numerator_recorded_less_completely_than_its_denominator_is_not_relied_on():
    # Respondents' ethnicity known for 90%; satisfied respondents' for only 75% of them.
    years = {0: ({"Black": 100, "White": 800}, {"Black": 40, "White": 400})}
    kent = _by_year("Kent", years, {k: (100, 260) for k in range(3)})
    rows = compute(_dataset(kent), _registry(), PERIOD).results.set_index(["force", "comparison", "category"])
    numerator = rows.loc[("Kent", "numerator_completeness", "")]
    assert numerator["value"] == pytest.approx(440 / 700)
    assert numerator["assessment"] == "numerator_incomplete"
    assert rows.loc[("Kent", "recording_completeness", ""), "assessment"] == "numerator_incomplete"
    disparity = rows.loc[("Kent", "disparity", "Black")]
    assert disparity["assessment"] == "incomplete_recording" and np.isnan(disparity["p_value"])
    assert "of the numerator but 90% of the denominator" in disparity["note"]
    # Within the registry's tolerance it is relied on.
    loose = compute(_dataset(kent), _registry(numerator_tolerance=0.3), PERIOD).results
    loose = loose.set_index(["force", "comparison", "category"])
    assert loose.loc[("Kent", "recording_completeness", ""), "assessment"] == "complete_enough"
    assert np.isfinite(loose.loc[("Kent", "disparity", "Black"), "p_value"])


def test_coverage_and_bounds_rows(rows):
    coverage = rows.loc[("England and Wales", "coverage", "")]
    # Kent alone meets the threshold: its 360 known of 1,200 respondents in the three forces.
    assert (coverage["numerator"], coverage["denominator"]) == (360, 1200)
    assert coverage["value"] == pytest.approx(0.3) and coverage["assessment"] == "not_tested"
    bounds = rows.loc[("Kent", "gap_bounds", "Black")]
    # Kent, last 12 months: Black 40/80, the rest 212/280; 40 unrecorded respondents, 28 satisfied.
    assert (bounds["numerator"], bounds["denominator"]) == (28, 40)
    in_group, in_rest = 68 / 120 - 212 / 280, 40 / 80 - 240 / 320
    assert bounds["value"] == pytest.approx(0.5 - 212 / 280)
    assert bounds["baseline_value"] == pytest.approx(in_group)
    assert (bounds["ci_lower"], bounds["ci_upper"]) == pytest.approx(sorted([in_group, in_rest]))
    assert bounds["assessment"] == "robust_to_recording"


def test_coverage_needs_only_the_two_years_it_compares():
    """Force returns that start a year into the window (the earliest year only feeds the gaps'
    dispersion): the country's cases are still every force's in the two years compared, not
    none (which gave a coverage of infinity) nor only the forces with the earliest year."""
    later = [r for r in _returns("Surrey", *POOR) if r[1] >= QUARTERS[4]]
    ds = _dataset(_returns("Kent", *GOOD), later, [r for r in _returns("Essex", *GOOD) if r[3] == ""])
    results = compute(ds, _registry(), PERIOD).results
    coverage = results.set_index(["force", "comparison", "category"]).loc[
        ("England and Wales", "coverage", "")]
    assert (coverage["numerator"], coverage["denominator"]) == (360, 1200)
    starting = [[r for r in _returns(f, *c) if r[1] >= QUARTERS[4]] for f, c in (("Kent", GOOD),
                                                                                 ("Surrey", POOR))]
    results = compute(_dataset(*starting), _registry(), PERIOD).results
    coverage = results.set_index(["force", "comparison", "category"]).loc[
        ("England and Wales", "coverage", "")]
    assert (coverage["numerator"], coverage["denominator"]) == (360, 800)
    assert coverage["value"] == pytest.approx(0.45)


def test_the_quarterly_series_by_group_hide_what_a_sum_would_reveal():
    small = ({"": 100, "White": 80, "Black": 6, "Asian": 6, "Mixed": 1, NOT_STATED: 2},
             {"": 70, "White": 60, "Black": 5, "Asian": 4, "Mixed": 1, NOT_STATED: 0})
    ds = _dataset(_returns("Kent", *small), _returns("Surrey", *GOOD))
    computed = compute(ds, _registry(), PERIOD)
    series = computed.groups_quarterly
    kent = series.loc[series["force"] == "Kent"]
    assert len(kent) == 12 * kent["category"].nunique()
    hidden = kent.loc[kent["suppressed"]]
    assert set(hidden["category"]) >= {"Mixed"}
    assert hidden[["numerator", "denominator", "value", "comparison_value"]].isna().all().all()
    # In each quarter, never exactly one of the categories hidden (their known total shows).
    base = kent.loc[kent["category"].isin(CATS)]
    assert (base.groupby("period")["suppressed"].sum() != 1).all()
    # England and Wales is published, so with Kent's Black victims hidden, Surrey's are too.
    black = series.loc[series["category"] == "Black"].set_index(["force", "period"])["suppressed"]
    assert (black["Kent"] & black["Surrey"]).all()
    # Each group's figure against the rest, by hand, for a quarter that is shown: England and
    # Wales, Black victims (Kent 5 of 6 and Surrey 10 of 20) against the rest (65 of 87, 53 of 70).
    national = series.loc[(series["force"] == "England and Wales") & (series["category"] == "Black")].iloc[0]
    assert not national["suppressed"] and national["value"] == pytest.approx(15 / 26)
    assert national["comparison_value"] == pytest.approx(118 / 157)
