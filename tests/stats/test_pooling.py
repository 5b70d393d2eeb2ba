"""Empirical Bayes pooling of dispersion (Smyth 2004): checked against the model it assumes."""

import numpy as np
import pytest
from scipy import special, stats

from vawgbook.stats.pooling import NO_PRIOR, Prior, fit_prior, squeeze, trigamma_inverse


def test_trigamma_inverse_inverts_trigamma():
    y = np.array([1e-3, 0.05, 0.5, 1.0, 3.0, 20.0, 400.0, 1e5])
    np.testing.assert_allclose(trigamma_inverse(special.polygamma(1, y)), y, rtol=1e-7)
    assert np.isnan(trigamma_inverse(-1.0))


def _draw(rng, n, d0, s0, df, slope=0.0, volume=None):
    """Variances from the scaled-F model: 1/sigma^2 ~ chi2(d0)/(d0 s0^2), then s^2 ~ sigma^2
    chi2(d)/d; with a trend log s0^2 = log s0 + slope log volume."""
    volume = np.ones(n) if volume is None else volume
    scale = s0 * volume**slope
    sigma2 = scale * d0 / rng.chisquare(d0, n) if np.isfinite(d0) else scale
    return sigma2 * rng.chisquare(df, n) / df, sigma2


@pytest.mark.parametrize("d0", [4.0, 10.0, 30.0])
def test_prior_degrees_of_freedom_and_scale_are_recovered(d0):
    """Smyth's moment estimates on 4,000 series from the model: d0 within 20%, s0 within 5%."""
    rng = np.random.default_rng(int(d0))
    df = rng.choice([7.0, 11.0, 16.0], 4000)
    phi, _ = _draw(rng, 4000, d0, 6.0, df)
    prior = fit_prior(phi, df, np.ones(4000))
    assert prior.df == pytest.approx(d0, rel=0.2)
    assert prior.scale(1.0) == pytest.approx(6.0, rel=0.05)
    assert prior.slope == 0.0  # one volume: no trend can be fitted


def test_a_trend_in_volume_is_recovered():
    rng = np.random.default_rng(3)
    volume = np.exp(rng.uniform(np.log(50), np.log(50_000), 3000))
    df = np.full(3000, 12.0)
    phi, _ = _draw(rng, 3000, 20.0, 0.5, df, slope=0.3, volume=volume)
    prior = fit_prior(phi, df, volume)
    assert prior.slope == pytest.approx(0.3, abs=0.02)
    assert prior.scale(1000.0) == pytest.approx(0.5 * 1000**0.3, rel=0.08)


def test_no_extra_spread_means_infinite_prior_df():
    """Every series with the same true dispersion: their estimates spread only by sampling
    error, so the prior is a point (d0 infinite) and every force gets it."""
    rng = np.random.default_rng(5)
    df = np.full(500, 10.0)
    phi = 4.0 * rng.chisquare(10, 500) / 10
    prior = fit_prior(phi, df, np.full(500, 100.0))
    assert np.isinf(prior.df) or prior.df > 500
    post, post_df = squeeze(phi, df, np.full(500, 100.0), prior)
    assert np.ptp(post) < np.ptp(phi) / 5 and np.all(post_df > 100)


def test_posterior_is_the_weighted_mean_of_prior_and_estimate():
    prior = Prior(np.log(4.0), 0.0, 6.0, 40)
    post, post_df = squeeze(np.array([1.0, 10.0, np.nan]), np.array([9.0, 9.0, 0.0]), np.ones(3), prior)
    np.testing.assert_allclose(post, [(6 * 4 + 9 * 1) / 15, (6 * 4 + 9 * 10) / 15, 4.0])
    np.testing.assert_allclose(post_df, [15.0, 15.0, 6.0])
    same, same_df = squeeze(np.array([2.0]), np.array([5.0]), np.ones(1), NO_PRIOR)
    assert same.tolist() == [2.0] and same_df.tolist() == [5.0]


def test_too_few_series_pool_nothing():
    assert fit_prior(np.ones(5), np.full(5, 10.0), np.ones(5)) == NO_PRIOR


def test_moderated_statistics_hold_their_size_and_gain_power():
    """The point of pooling: with each series' variance estimated on 8 df, a t test on the
    moderated variance (d0 + 8 df) keeps its size and finds more real effects than the t test on
    each series' own variance."""
    rng = np.random.default_rng(11)
    n, d, d0 = 20_000, 8.0, 12.0
    s2, sigma2 = _draw(rng, n, d0, 3.0, np.full(n, d))
    effect = np.where(np.arange(n) < n // 2, 0.0, 2.5)  # half the series have a real effect
    estimate = effect * np.sqrt(sigma2) + rng.normal(size=n) * np.sqrt(sigma2)
    prior = fit_prior(s2, np.full(n, d), np.ones(n))
    post, post_df = squeeze(s2, np.full(n, d), np.ones(n), prior)
    p_own = 2 * stats.t.sf(np.abs(estimate / np.sqrt(s2)), d)
    p_mod = 2 * stats.t.sf(np.abs(estimate / np.sqrt(post)), post_df)
    null = effect == 0
    assert (p_mod[null] < 0.05).mean() == pytest.approx(0.05, abs=0.008)
    assert (p_mod[~null] < 0.05).mean() > (p_own[~null] < 0.05).mean() + 0.05
