"""Gaps between groups: the gap within strata (Mantel-Haenszel), reversal, bounds, pooling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from vawgbook.stats import disparity as gaps
from vawgbook.stats.pooling import fit_prior, squeeze

# Agresti (2013), Categorical Data Analysis, 3rd ed., Table 6.9 (p. 226): a multi-centre trial,
# (drug successes, drug n, control successes, control n) by centre.
AGRESTI = np.array([(11, 36, 10, 37), (16, 20, 22, 32), (14, 19, 7, 19), (2, 16, 1, 17),
                    (6, 17, 0, 12), (1, 11, 0, 10), (1, 5, 1, 9), (4, 6, 6, 7)], float).T


def test_mantel_haenszel_gap_reproduces_the_published_example():
    got = gaps.stratified_gap(*AGRESTI)
    # Agresti p. 231: estimate 0.130, standard error 0.050 (Sato's variance).
    assert round(float(got.gap), 3) == 0.130 and round(float(got.se), 3) == 0.050
    # The same interval in R's cardx::ci_prop_diff_mh_strata (Sato variance): (0.0313, 0.2284).
    assert (round(float(got.gap_lower), 4), round(float(got.gap_upper), 4)) == (0.0313, 0.2284)
    assert float(got.p_value) == pytest.approx(2 * sps.norm.sf(float(got.gap) / float(got.se)))
    assert int(got.strata) == 8 and np.isinf(got.df)


def test_mantel_haenszel_gap_by_hand_with_dispersion():
    x1, n1, x0, n0 = AGRESTI
    w = n1 * n0 / (n1 + n0)
    gap = np.sum(w * (x1 / n1 - x0 / n0)) / w.sum()
    big = n1 + n0
    p_sum = np.sum((n1**2 * x0 - n0**2 * x1 + n1 * n0 * (n0 - n1) / 2) / big**2)
    q_sum = np.sum((x1 * (n0 - x0) + x0 * (n1 - x1)) / (2 * big))
    sato = (gap * p_sum + q_sum) / w.sum() ** 2
    plain = gaps.stratified_gap(*AGRESTI)
    assert float(plain.gap) == pytest.approx(gap) and float(plain.se) ** 2 == pytest.approx(sato)
    # Extra variation multiplies the variance, on the dispersion's degrees of freedom.
    widened = gaps.stratified_gap(*AGRESTI, phi=3.0, df=12.0)
    assert float(widened.se) == pytest.approx(np.sqrt(3) * float(plain.se)) and float(widened.df) == 12
    assert float(widened.p_value) == pytest.approx(2 * sps.t.sf(gap / float(widened.se), 12))
    change = gaps.stratified_change(widened, gaps.stratified_gap(*AGRESTI[[2, 3, 0, 1]], phi=3.0, df=12.0))
    assert float(change.change) == pytest.approx(2 * gap) and float(change.df) == 12
    assert float(change.se) == pytest.approx(np.sqrt(2) * float(widened.se))


def test_the_gap_within_strata_takes_its_dispersion_from_its_own_quarterly_history():
    rng = np.random.default_rng(5)
    n1, n0 = rng.integers(80, 200, (3, 12)).astype(float), rng.integers(500, 900, (3, 12)).astype(float)
    x1, x0 = rng.binomial(n1.astype(int), 0.3).astype(float), rng.binomial(n0.astype(int), 0.3).astype(float)
    segments = np.repeat([0, 1, 2], 4)
    got = gaps.stratified_dispersion(x1, n1, x0, n0, segments)
    quarters = [gaps.stratified_gap(x1[:, t], n1[:, t], x0[:, t], n0[:, t]) for t in range(12)]
    d = np.array([float(q.gap) for q in quarters])
    v = np.array([float(q.se) ** 2 for q in quarters])
    x2 = 0.0
    for s in range(3):
        cols = segments == s
        mean = np.sum(d[cols] / v[cols]) / np.sum(1 / v[cols])
        x2 += np.sum((d[cols] - mean) ** 2 / v[cols])
    assert float(got.df[0]) == 9 and float(got.raw[0]) == pytest.approx(x2 / 9)
    assert float(got.phi[0]) == pytest.approx(max(1.0, x2 / 9))


def test_simpsons_paradox_crude_gap_without_a_gap_within_forces():
    # Two forces with no gap inside either (20% and 40%), Black victims 80% in the first.
    x1, n1 = np.array([320.0, 160.0]), np.array([1600.0, 400.0])  # Black victims
    x0, n0 = np.array([80.0, 640.0]), np.array([400.0, 1600.0])  # the rest
    crude = gaps.disparity(x1.sum(), n1.sum(), x0.sum(), n0.sum())
    within = gaps.stratified_gap(x1, n1, x0, n0)
    assert float(crude.gap) == pytest.approx(-0.12) and float(crude.p_value) < 1e-12
    assert float(within.gap) == pytest.approx(0.0, abs=1e-15) and float(within.p_value) > 0.99


def test_strata_without_both_groups_carry_no_weight():
    got = gaps.stratified_gap([10, 5, np.nan], [50, 0, 20], [20, 5, 3], [80, 40, 10])
    alone = gaps.stratified_gap([10], [50], [20], [80])
    assert float(got.gap) == pytest.approx(float(alone.gap)) and int(got.strata) == 1


@pytest.mark.parametrize(("now", "before", "kind"), [
    ((-0.20, -0.25, -0.15), (-0.05, -0.10, 0.0), "widened"),  # further from zero, same side
    ((-0.05, -0.10, -0.01), (-0.20, -0.25, -0.15), "narrowed"),
    ((0.03, 0.01, 0.05), (-0.10, -0.15, -0.05), "reversed"),  # -10 to +3, both established
    ((0.03, -0.01, 0.07), (-0.10, -0.15, -0.05), "narrowed"),  # closed: +3 not established
    ((-0.14, -0.20, -0.08), (0.01, -0.03, 0.05), "widened"),  # opened where there was none
    ((-0.03, -0.06, 0.01), (0.02, -0.01, 0.05), "widened"),  # neither established: by size
])
def test_a_gap_that_changes_side_is_reversed_never_widened(now, before, kind):
    assert str(gaps.change_kind(*now, *before)) == kind


def test_gap_change_from_minus_ten_to_plus_three_is_reversed():
    # The example of the issue: -10 points to +3 points, with enough cases to establish both.
    change = gaps.gap_change((5300, 10000, 5000, 10000), (4000, 10000, 5000, 10000))
    assert float(change.change) == pytest.approx(0.13)
    assert str(change.kind) == "reversed" and not bool(change.widened)
    assert float(change.p_value) < 1e-10


def test_gap_change_variance_pools_each_group_over_the_two_years():
    x1, n1, x0, n0, y1, m1, y0, m0 = 30, 100, 120, 300, 45, 110, 130, 290
    change = gaps.gap_change((x1, n1, x0, n0), (y1, m1, y0, m0), phi=2.0, df=20.0)
    p1, p0 = (x1 + y1) / (n1 + m1), (x0 + y0) / (n0 + m0)
    se = np.sqrt(2 * (p1 * (1 - p1) * (1 / n1 + 1 / m1) + p0 * (1 - p0) * (1 / n0 + 1 / m0)))
    stat = (x1 / n1 - x0 / n0 - y1 / m1 + y0 / m0) / se
    assert float(change.p_value) == pytest.approx(2 * sps.t.sf(abs(stat), 20))
    assert float(change.min_detectable_change) == pytest.approx(
        (sps.t.ppf(0.975, 20) + sps.t.ppf(0.8, 20)) * se)
    assert float(gaps.detectable(change.se, change.df, 0.001)) == pytest.approx(
        (sps.t.ppf(1 - 0.0005, 20) + sps.t.ppf(0.8, 20)) * se)


def test_gap_change_holds_its_size_for_small_groups():
    """With no change, a group of a few cases a quarter is not flagged more than about 5% of the
    time (the separate Wald variances would shrink whenever it hit 0% or 100%)."""
    rng = np.random.default_rng(11)
    k = 4000
    n1, n0 = rng.poisson(7, (k, 2)) + 20, rng.poisson(400, (k, 2))
    x1, x0 = rng.binomial(n1, 0.85), rng.binomial(n0, 0.85)
    now, before = ((a[:, year] for a in (x1, n1, x0, n0)) for year in (1, 0))
    change = gaps.gap_change(tuple(now), tuple(before))
    assert np.mean(change.p_value < 0.05) < 0.06


def test_recording_bounds_by_hand():
    # 16 of 80 in the group, 252 of 720 in the rest; 200 unrecorded cases, 70 in the numerator.
    b = gaps.recording_bounds(16, 80, 252, 720, 70, 200)
    assert float(b.gap) == pytest.approx(0.2 - 0.35)
    assert float(b.all_in_group) == pytest.approx(86 / 280 - 0.35)
    assert float(b.all_in_comparison) == pytest.approx(0.2 - 322 / 920)
    assert float(b.lower) == pytest.approx(float(b.all_in_comparison))
    assert bool(b.robust)
    small = gaps.recording_bounds(19, 80, 252, 720, 90, 200)  # -11 points, all in group: +0.3
    assert float(small.all_in_group) > 0 and not bool(small.robust)


def test_pooled_dispersion_reuses_the_empirical_bayes_prior():
    rng = np.random.default_rng(3)
    m = 40
    df = np.full(m, 9.0)
    raw = 1.8 * rng.chisquare(9, m) / 9
    volume = rng.uniform(20, 400, m)
    own = gaps.GapDispersion(np.maximum(raw, 1.0), df, raw)
    pooled = np.ones(m, bool)
    pooled[-5:] = False  # not pooled: keep their own estimate
    got, prior = gaps.pooled_dispersion(own, volume, pooled)
    expected_prior = fit_prior(raw[:-5], df[:-5], volume[:-5])
    assert prior == expected_prior and prior.df > 0
    post, post_df = squeeze(raw[:-5], df[:-5], volume[:-5], prior)
    assert np.allclose(got.phi[:-5], np.maximum(post, 1.0)) and np.allclose(got.df[:-5], post_df)
    assert np.array_equal(got.phi[-5:], own.phi[-5:]) and np.array_equal(got.df[-5:], df[-5:])
    # Too few series: nothing pooled.
    few, none = gaps.pooled_dispersion(own, volume, np.arange(m) < 3)
    assert none.df == 0 and np.array_equal(few.phi, own.phi)
