"""Tests for vawgbook.stats: reference values, statsmodels agreement, calibration by simulation.

Reference data: tests/data/phe/testdata_Byars_Wilson.xlsx is PHEindicatormethods' own test data
for ``byars_lower``/``byars_upper`` and ``wilson_lower``/``wilson_upper`` (copied unchanged).
"""

from pathlib import Path

import numpy as np
import pytest
from python_calamine import CalamineWorkbook
from scipy.stats import norm
from statsmodels.stats import rates
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from vawgbook.compute.assessment import assess
from vawgbook.stats import (
    ChangeResult,
    Dispersion,
    bh_qvalues,
    byar_interval,
    dispersion_counts,
    dispersion_proportions,
    trend,
    wilson_interval,
    year_on_year,
)

PHE = Path(__file__).parent / "data" / "phe"
Q20 = np.tile([1, 2, 3, 4], 5)  # 20 quarters, Q1 first
SEASON = np.array([1.0, 1.15, 1.05, 0.85])
CONF = {"95%": 0.95, "99.8%": 0.998}


def _phe_rows(method):
    wb = CalamineWorkbook.from_path(str(PHE / "testdata_Byars_Wilson.xlsx"))
    header, *rows = wb.get_sheet_by_name("testdata_B_W").to_python()
    assert header == ["x", "n", "lowercl", "uppercl", "confidence", "method"]
    return [r for r in rows if r[5] == method]


def _nan(v):
    return np.nan if v == "" else float(v)


def _negbin(rng, mu, phi):
    """Gamma-Poisson counts with mean mu and variance phi * mu (phi > 1)."""
    shape = mu / (phi - 1)
    return rng.poisson(rng.gamma(shape, mu / shape))


def _betabin(rng, n, p, rho):
    """Beta-binomial with variance n p (1 - p) (1 + (n - 1) rho)."""
    shape = np.broadcast(n, p).shape
    return rng.binomial(n, rng.beta(p * (1 - rho) / rho, (1 - p) * (1 - rho) / rho, size=shape))


# --- intervals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, n, conf, lower, upper",
    [
        (65, 100, 0.95, 0.552544, 0.736358),
        (1045, 5000, 0.95, 0.197955, 0.220491),
        (65, 100, 0.998, 0.495495, 0.778354),
    ],
)
def test_wilson_statistics_md_rows(x, n, conf, lower, upper):
    assert wilson_interval(x, n, conf) == pytest.approx((lower, upper), abs=5e-7)


@pytest.mark.parametrize("x, lower, upper", [(65, 50.163188, 82.849139), (1045, 982.593202, 1110.331213)])
def test_byar_statistics_md_rows(x, lower, upper):
    assert byar_interval(x) == pytest.approx((lower, upper), abs=5e-7)


def test_wilson_every_phe_row():
    rows = _phe_rows("Wilson")
    assert len(rows) == 6
    for x, n, lo, hi, conf, _ in rows:
        got = wilson_interval(x, n, CONF[conf])
        np.testing.assert_allclose(got, (lo, hi), rtol=1e-12, atol=5e-7, err_msg=str((x, n, conf)))


def test_byar_every_phe_row():
    """PHE's byars_lower/byars_upper apply Byar at every count (even x=1): exact_below=0.

    Where Byar's lower bracket is negative (x=1 at 99.8%) PHE gives no lower limit: NaN.
    Rows with x >= 10 also match the default (exact below 10) interval.
    """
    rows = _phe_rows("Byars")
    assert len(rows) == 7
    for x, _, lo, hi, conf, _ in rows:
        expected = (_nan(lo), _nan(hi))
        got = byar_interval(x, CONF[conf], exact_below=0)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=5e-7, err_msg=str((x, conf)))
        if x >= 10:
            np.testing.assert_allclose(byar_interval(x, CONF[conf]), expected, rtol=1e-12)
    assert np.isnan(byar_interval(1, 0.998, exact_below=0)[0])


def test_byar_exact_below_ten_and_zero():
    x = np.arange(10)
    lo, hi = byar_interval(x)
    ref = np.array([rates.confint_poisson(k, 1, method="exact-c") for k in x]).T
    np.testing.assert_allclose(lo, ref[0], rtol=1e-10)
    np.testing.assert_allclose(hi, ref[1], rtol=1e-10)
    assert lo[0] == 0.0 and hi[0] == pytest.approx(-np.log(0.025), rel=1e-12)
    assert np.isnan(byar_interval(0, exact_below=0)[0])  # pure Byar gives no lower limit at 0
    assert np.isnan(byar_interval(-1)[0]) and np.isnan(byar_interval(np.nan)[1])


def test_wilson_vectorised_and_matches_statsmodels():
    rng = np.random.default_rng(0)
    n = rng.integers(1, 2000, size=200)
    x = rng.integers(0, n + 1)
    lo, hi = wilson_interval(x, n, 0.95)
    ref_lo, ref_hi = proportion_confint(x, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(lo, ref_lo, atol=1e-12)
    np.testing.assert_allclose(hi, ref_hi, atol=1e-12)
    assert lo.shape == (200,)
    assert all(np.isnan(wilson_interval(0, 0)))


# --- year on year: plain tests reproduce statsmodels' documented examples --------------


def test_plain_two_proportion_reproduces_proportions_ztest():
    x = np.array([1, 1, 1, 2, 3, 3, 3, 3])  # baseline 5, current 12
    n = np.array([20, 20, 20, 23, 25, 25, 25, 24])  # baseline 83, current 99
    z_ref, p_ref = proportions_ztest([5, 12], [83, 99])
    assert (z_ref, p_ref) == pytest.approx((-1.4078304151258787, 0.15918129181156992), rel=1e-12)
    for phi in (None, 1.0):  # 8 quarters only: history too short, so plain either way
        r = year_on_year(x, n, Q20[:8], "proportion", multiplier=100, phi=phi)
        assert r.statistic == pytest.approx(-z_ref, rel=1e-12)
        assert r.p_value == pytest.approx(p_ref, rel=1e-12)
        assert r.dispersion == 1.0 and "plain" in r.method
    r = year_on_year(x, n, Q20[:8], "proportion", multiplier=100)
    assert r.method.endswith("plain (history too short)") and r.note
    assert r.value == pytest.approx(1200 / 99) and r.baseline_value == pytest.approx(500 / 83)
    assert (r.ci_lower, r.ci_upper) == pytest.approx(np.multiply(wilson_interval(12, 99), 100))
    assert (r.numerator, r.denominator) == (12, 99)


def test_plain_rate_reproduces_poisson_score_test():
    num = np.array([7, 8, 7, 8, 15, 15, 15, 15])
    den = np.r_[np.full(4, 54308.7 / 4), np.full(4, 51477.5 / 4)]
    ref = rates.test_poisson_2indep(60, 51477.5, 30, 54308.7)
    assert (ref.statistic, ref.pvalue) == pytest.approx((3.417402, 0.000632), abs=5e-7)
    r = year_on_year(num, den, Q20[:8], "rate", multiplier=1000)
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    assert r.value == pytest.approx(60 / 51477.5 * 1000)
    lo, hi = byar_interval(60)
    assert (r.ci_lower, r.ci_upper) == pytest.approx((lo / 51477.5 * 1000, hi / 51477.5 * 1000))


def test_count_is_twelve_month_total_and_plain_score_test():
    y = np.array([20, 25, 22, 18, 30, 28, 35, 32])
    r = year_on_year(y, None, Q20[:8], "count", phi=1.0)
    ref = rates.test_poisson_2indep(125, 1, 85, 1)
    assert r.value == 125 and r.baseline_value == 85 and r.change == 40
    assert r.relative_change == pytest.approx(40 / 85)
    assert (r.statistic, r.p_value) == pytest.approx((ref.statistic, ref.pvalue), rel=1e-12)
    assert (r.ci_lower, r.ci_upper) == pytest.approx(byar_interval(125))


def test_phi_widens_test_and_intervals():
    x, n = np.array([40, 42, 41, 39, 55, 52, 58, 50]), np.full(8, 200)
    plain = year_on_year(x, n, Q20[:8], "proportion", phi=1.0)
    wide = year_on_year(x, n, Q20[:8], "proportion", phi=4.0)
    assert wide.statistic == pytest.approx(plain.statistic / 2)
    assert "overdispersion-adjusted" in wide.method
    # Wilson on effective counts x/phi, n/phi is Wilson with z*sqrt(phi)
    conf4 = 1 - 2 * norm.sf(2 * norm.ppf(0.975))
    assert (wide.ci_lower, wide.ci_upper) == pytest.approx(wilson_interval(215, 800, conf4))
    assert wide.min_detectable_change > 1.9 * plain.min_detectable_change
    y = np.array([200, 210, 190, 205, 230, 240, 220, 235])
    c1, c4 = (year_on_year(y, None, Q20[:8], "count", phi=p) for p in (1.0, 4.0))
    assert c4.ci_upper - c4.ci_lower == pytest.approx(2 * (c1.ci_upper - c1.ci_lower), rel=0.02)
    with pytest.raises(ValueError, match="phi"):
        year_on_year(y, None, Q20[:8], "count", phi=0.5)


# --- edge cases --------------------------------------------------------------------------


def test_insufficient_windows_give_nans_not_exceptions():
    y = np.arange(10.0, 30.0)
    for bad in (
        year_on_year(y[:7], None, Q20[:7], "count"),
        year_on_year(np.r_[y[:-3], np.nan, y[-2:]], None, Q20, "count"),
        year_on_year(np.zeros(20), np.r_[np.ones(16), np.zeros(4)], Q20, "proportion"),
        year_on_year(y, np.r_[np.ones(19), 0.0], Q20, "rate"),
        trend(np.r_[np.full(13, np.nan), y[-7:]], None, Q20, "count"),
    ):
        assert isinstance(bad, ChangeResult) and bad.insufficient and bad.note
        assert np.isnan(bad.value) and np.isnan(bad.p_value)
        assert assess(bad.change, np.nan, "context", insufficient=bad.insufficient) == "insufficient_data"
    # a gap before the last two years only drops that quarter from the dispersion fit
    ok = year_on_year(np.r_[np.nan, y[1:]], None, Q20, "count")
    assert not ok.insufficient and ok.baseline_value == y[12:16].sum()


def test_zeros_and_short_history():
    zeros = np.zeros(20)
    r = year_on_year(zeros, None, Q20, "count")
    assert (r.value, r.change, r.statistic, r.p_value) == (0, 0, 0, 1)
    assert np.isnan(r.relative_change) and not r.insufficient
    r = year_on_year(zeros, np.full(20, 50), Q20, "proportion")
    assert r.p_value == 1 and r.ci_lower == 0
    t = trend(zeros, None, Q20, "count")
    assert t.p_value == 1 and t.change == 0 and t.note
    assert dispersion_counts(zeros, Q20).method.startswith("plain")
    some = np.array([0, 3, 0, 1, 2, 0, 0, 4, 1, 0, 0, 2, 3, 1, 0, 0, 2, 5, 1, 0])
    assert np.isfinite(year_on_year(some, None, Q20, "count").p_value)
    assert np.isfinite(trend(some, None, Q20, "count").p_value)
    short = dispersion_counts([50, 60, 55, np.nan, 52, 61, np.nan, 45, 50], Q20[:9])
    assert short == Dispersion(1.0, 0.0, "plain (history too short)")
    r = year_on_year([50, 60, 55, 40, 52, 61, 57, 45], None, Q20[:8], "count")
    assert r.method.endswith("plain (history too short)") and "overstate" in r.note


def test_bad_input_raises():
    with pytest.raises(ValueError, match="'ratio'"):
        year_on_year(np.ones(8), None, Q20[:8], "ratio")
    with pytest.raises(ValueError, match="'ratio'"):
        trend(np.ones(8), None, Q20[:8], "ratio")
    with pytest.raises(ValueError, match="exceeds"):
        year_on_year(np.full(8, 5), np.full(8, 4), Q20[:8], "proportion")
    with pytest.raises(ValueError, match="direction"):
        assess(1.0, 0.01, "up")


# --- multiple testing and assessment ------------------------------------------------------


def test_bh_matches_multipletests_with_nans():
    rng = np.random.default_rng(5)
    p = np.r_[rng.uniform(size=40) ** 3, [np.nan] * 5, 0.0, 1.0, 0.02, 0.02]
    rng.shuffle(p)
    q = bh_qvalues(p)
    ok = ~np.isnan(p)
    np.testing.assert_allclose(q[ok], multipletests(p[ok], method="fdr_bh")[1], rtol=1e-14)
    assert np.array_equal(np.isnan(q), ~ok)
    assert bh_qvalues([np.nan, np.nan]).shape == (2,) and bh_qvalues([]).size == 0


@pytest.mark.parametrize(
    "change, q, direction, expected",
    [
        (1.0, 0.01, "higher_is_better", "improving"),
        (-1.0, 0.01, "higher_is_better", "deteriorating"),
        (-1.0, 0.01, "lower_is_better", "improving"),
        (1.0, 0.01, "lower_is_better", "deteriorating"),
        (1.0, 0.01, "context", "increase"),
        (-1.0, 0.01, "context", "decrease"),
        (1.0, 0.05, "higher_is_better", "no_significant_change"),
        (1.0, np.nan, "context", "insufficient_data"),
    ],
)
def test_assess(change, q, direction, expected):
    assert assess(change, q, direction) == expected


# --- dispersion ---------------------------------------------------------------------------


def test_dispersion_recovers_truth():
    rng = np.random.default_rng(11)
    mu = 400 * SEASON[Q20 - 1]
    poisson = [dispersion_counts(rng.poisson(mu), Q20).phi for _ in range(200)]
    assert np.median(poisson) < 1.1 and min(poisson) == 1.0
    over = [dispersion_counts(_negbin(rng, mu, 6.0), Q20) for _ in range(200)]
    assert np.mean([d.phi for d in over]) == pytest.approx(6.0, rel=0.12)
    assert over[0].df == 20 - 5 and "quasi-Poisson" in over[0].method
    n = np.full(20, 300)
    binom = [dispersion_proportions(rng.binomial(n, 0.3), n, Q20).phi for _ in range(200)]
    assert np.median(binom) < 1.1
    rho = 0.01  # phi = 1 + (n - 1) rho = 3.99
    bb = [dispersion_proportions(_betabin(rng, n, 0.3, rho), n, Q20).phi for _ in range(200)]
    assert np.mean(bb) == pytest.approx(1 + 299 * rho, rel=0.12)
    rate = dispersion_counts(rng.poisson(mu * 3), Q20, exposure=np.full(20, 3.0))
    assert rate.phi < 2


# --- calibration and power by simulation ---------------------------------------------------

N_NULL = 500
MC_LIMIT = 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / N_NULL)  # 0.0745: nominal + Monte Carlo margin


def test_null_false_positive_rate_counts_heavy_overdispersion():
    rng = np.random.default_rng(2024)
    flagged = plain = 0
    for i in range(N_NULL):
        phi = (5.0, 10.0, 20.0)[i % 3]
        y = _negbin(rng, 3000 * SEASON[Q20 - 1], phi)
        flagged += year_on_year(y, None, Q20, "count").p_value < 0.05
        plain += year_on_year(y, None, Q20, "count", phi=1.0).p_value < 0.05
    assert flagged / N_NULL <= MC_LIMIT
    assert plain / N_NULL > 0.4


def test_null_false_positive_rate_beta_binomial_proportions():
    rng = np.random.default_rng(7)
    flagged = plain = 0
    for _ in range(N_NULL):
        n = rng.integers(300, 600, size=20)
        x = _betabin(rng, n, 0.3 * np.array([1.0, 1.1, 1.0, 0.9])[Q20 - 1], 0.02)
        flagged += year_on_year(x, n, Q20, "proportion").p_value < 0.05
        plain += year_on_year(x, n, Q20, "proportion", phi=1.0).p_value < 0.05
    assert flagged / N_NULL <= MC_LIMIT
    assert plain / N_NULL > 0.3


def test_power_doubling_detected():
    rng = np.random.default_rng(3)
    mu = 30 * SEASON[Q20 - 1]
    mu[-4:] *= 2
    hits = [year_on_year(_negbin(rng, mu, 2.0), None, Q20, "count").p_value < 0.05 for _ in range(200)]
    assert np.mean(hits) > 0.9
    t_hits = [trend(rng.poisson(mu), None, Q20, "count").p_value < 0.05 for _ in range(100)]
    assert np.mean(t_hits) > 0.6


def test_change_equal_to_mdc_detected_about_80_percent():
    rng = np.random.default_rng(8)
    mu = 200 * SEASON[Q20 - 1]
    mdc = np.median(
        [year_on_year(_negbin(rng, mu, 3.0), None, Q20, "count").min_detectable_change for _ in range(100)]
    )
    shifted = mu.copy()
    shifted[-4:] *= 1 + mdc / mu[-4:].sum()
    hits = [year_on_year(_negbin(rng, shifted, 3.0), None, Q20, "count").p_value < 0.05 for _ in range(400)]
    assert 0.65 <= np.mean(hits) <= 0.92


# --- trend --------------------------------------------------------------------------------


def test_trend_levels_and_null_calibration():
    rng = np.random.default_rng(21)
    growth = 100 * SEASON[Q20 - 1] * np.exp(0.05 * np.arange(20))
    # Noiseless: fitted exactly, phi floored at 1; still referred to t on the fit's 7 df (a floored
    # estimate is still an estimate), so a clear but not astronomically small p.
    r = trend(growth, None, Q20, "count")
    level = 100 * SEASON.mean()  # seasonally adjusted: mean over the quarter effects
    assert r.value == pytest.approx(level * np.exp(0.05 * 19), rel=1e-6)
    assert r.baseline_value == pytest.approx(level * np.exp(0.05 * 8), rel=1e-6)
    assert r.ci_lower < r.value < r.ci_upper and r.p_value < 1e-3 and r.dispersion == 1
    flagged = [
        trend(_negbin(rng, 2000 * SEASON[Q20 - 1], 8.0), None, Q20, "count").p_value < 0.05
        for _ in range(300)
    ]
    assert np.mean(flagged) <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / 300)
    n = np.full(20, 400)
    p = trend(rng.binomial(n, 0.25), n, Q20, "proportion", multiplier=100)
    assert 20 < p.value < 30 and p.min_detectable_change > 0 and "binomial" in p.method


def test_minimum_detectable_change_at_another_level_is_recomputed_from_the_result():
    """The change a test could detect at the level the FDR procedure applied: the same as the
    test's own at 5%, larger at a stricter level; for both tests."""
    from vawgbook.stats import min_detectable_changes, trend

    rng = np.random.default_rng(4)
    y = rng.poisson(500, 20).astype(float)
    for result in (year_on_year(y, None, Q20, "count"), trend(y, None, Q20, "count")):
        again, stricter = min_detectable_changes([result, result], [0.05, 0.0005])
        assert again == pytest.approx(result.min_detectable_change, rel=1e-9)
        assert stricter > 1.3 * again
    assert np.isnan(min_detectable_changes([year_on_year(y[:5], None, Q20[:5], "count")], [0.05])[0])


def test_a_trend_that_runs_off_is_not_estimated_and_warns_nothing():
    """A few cases early in the window and none after: the maximum likelihood trend does not
    exist (statsmodels' fit, the reference, runs off by e^50 over the window), so no trend is
    reported rather than a baseline of 1e16 with an infinite interval. A series rising from
    zero whose fit exists is still tested."""
    import warnings

    import statsmodels.api as sm

    from vawgbook.stats.change import RUNAWAY_LOG_CHANGE, RUNAWAY_NOTE

    q = np.tile([1, 2, 3, 4], 3)
    design = np.column_stack([np.ones(12), np.arange(12), q == 2, q == 3, q == 4]).astype(float)
    dying = np.array([2, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0], float)
    rising = np.array([0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 3, 5], float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = [sm.GLM(y, design, family=sm.families.Poisson()).fit().params[1] * 11
                     for y in (dying, rising)]
    assert abs(reference[0]) > RUNAWAY_LOG_CHANGE > abs(reference[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow on the way
        gone, tested = trend(dying, None, q, "count"), trend(rising, None, q, "count")
    assert gone.insufficient and gone.note == RUNAWAY_NOTE and np.isnan(gone.p_value)
    assert not tested.insufficient and tested.p_value < 0.1 and tested.value > 1
