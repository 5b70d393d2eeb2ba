"""Exact conditional tests with the mid-p, against statsmodels and scipy."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.rates import test_poisson_2indep as poisson_2indep

from vawgbook.stats.exact import fisher_midp, poisson_conditional_midp


@pytest.mark.parametrize("x1, e1, x0, e0", [(3, 1, 9, 1), (0, 1, 5, 1), (7, 1, 7, 1), (12, 2.5, 4, 1.0),
                                            (1, 1000.0, 2, 800.0), (25, 10.0, 60, 14.0)])
def test_poisson_conditional_midp_is_statsmodels_cond_midp(x1, e1, x0, e0):
    """statsmodels' one-sided conditional mid-p values; two-sided by doubling the smaller (the
    "central" convention; statsmodels' own two-sided version sums the less likely values)."""
    larger = poisson_2indep(x1, e1, x0, e0, method="cond-midp", alternative="larger").pvalue
    smaller = poisson_2indep(x1, e1, x0, e0, method="cond-midp", alternative="smaller").pvalue
    ref = min(1.0, 2 * min(larger, smaller))
    assert poisson_conditional_midp(x1, e1, x0, e0) == pytest.approx(ref, rel=1e-9)


def test_mid_p_is_the_exact_p_less_half_the_observed_probability():
    """Independent computation from the binomial distribution itself."""
    n, p, x = 12, 0.5, 9
    upper = stats.binom.sf(x - 1, n, p) - stats.binom.pmf(x, n, p) / 2
    lower = stats.binom.cdf(x, n, p) - stats.binom.pmf(x, n, p) / 2
    assert poisson_conditional_midp(x, 1, n - x, 1) == pytest.approx(min(1, 2 * min(upper, lower)))


def test_effective_counts_are_the_continuous_extension():
    """Non-integer counts (divided by a dispersion) interpolate between the integer cases."""
    lo, mid, hi = poisson_conditional_midp([4.0, 4.5, 5.0], 1, 10, 1)
    assert lo < mid < hi


@pytest.mark.parametrize("table", [(1, 10, 7, 12), (0, 5, 5, 5), (3, 20, 3, 20), (10, 40, 2, 35),
                                   (6, 9, 1, 8)])
def test_fisher_midp_against_the_hypergeometric_distribution(table):
    x1, n1, x0, n0 = table
    dist = stats.hypergeom(n1 + n0, x1 + x0, n1)
    at = dist.pmf(x1)
    ref = min(1.0, 2 * min(dist.cdf(x1) - at / 2, dist.sf(x1 - 1) - at / 2))
    assert fisher_midp(x1, n1, x0, n0) == pytest.approx(ref, rel=1e-9)
    assert np.isnan(fisher_midp(1, 0, 1, 5))


def test_mid_p_tests_hold_their_size_on_small_counts():
    """The reason to use them: with 2-6 events expected a year, the conditional mid-p test of two
    years rejects a true null about 5% of the time (the exact test would reject far less)."""
    rng = np.random.default_rng(1)
    lam = rng.uniform(2, 6, 20_000)
    x1, x0 = rng.poisson(lam), rng.poisson(lam)
    p = poisson_conditional_midp(x1, 1, x0, 1)
    assert 0.03 < (p < 0.05).mean() < 0.06
