"""Exact conditional tests for small counts, with the mid-p correction.

Where a year's count is a handful (police-perpetrated cases in a small force, say), the normal
approximation behind the score tests misstates the tail. The standard remedy conditions on the
total: for two Poisson counts, the first given their sum is binomial; for two proportions, the
successes of the first group given all successes are hypergeometric (Fisher). Exact p-values of a
discrete statistic are conservative; the mid-p (half the probability of the observed value) keeps
the size close to the nominal level on average, and is the usual recommendation for reporting.
Two-sided p-values double the smaller one-sided tail ("central" method), capped at 1.

With a dispersion factor ``phi`` the tests are applied to the effective counts ``x/phi`` (and
``n/phi``), as the intervals are; the binomial tail is then the regularised incomplete beta
function, which is its continuous extension.

References
----------
.. [1] Lancaster, H. O. (1961). Significance tests in discrete distributions. *Journal of the
   American Statistical Association* 56(294), 223-234 (the mid-p).
.. [2] Agresti, A. (2002). *Categorical Data Analysis*, 2nd edition, sections 1.4.5 and 3.5
   (mid-p values; Fisher's exact test and its mid-p version).
.. [3] Przyborowski, J. and Wilenski, H. (1940). Homogeneity of results in testing samples from
   Poisson series. *Biometrika* 31, 313-323 (the conditional binomial test of two Poisson rates).
"""

from __future__ import annotations

import numpy as np
from scipy import special


def _upper(x, n, p):
    """``P(X >= x)`` for ``X ~ Bin(n, p)``, continuous in ``x`` and ``n`` (1 at x <= 0, 0 above n)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        inner = special.betainc(np.maximum(x, 1e-300), np.maximum(n - x + 1, 1e-300), p)
    return np.where(x <= 0, 1.0, np.where(x > n, 0.0, inner))


def poisson_conditional_midp(x1, e1, x0, e0):
    """Two-sided mid-p of ``rate1 = rate0`` for counts ``x1`` over exposure ``e1`` and ``x0`` over
    ``e0``: given ``n = x1 + x0``, ``x1 ~ Bin(n, e1/(e1 + e0))`` under the null [3]_.

    Parameters
    ----------
    x1, e1, x0, e0 : array_like
        Counts (effective counts after a dispersion adjustment need not be integers) and
        exposures (> 0). For two 12-month counts compared as counts, equal exposures.

    Returns
    -------
    ndarray
        ``min(1, 2 min(P_upper, P_lower))`` with each tail ``P(beyond) + P(observed)/2``.
    """
    x1, e1, x0, e0 = np.broadcast_arrays(*(np.asarray(a, float) for a in (x1, e1, x0, e0)))
    n = x1 + x0
    with np.errstate(invalid="ignore", divide="ignore"):
        p = e1 / (e1 + e0)
    upper = 0.5 * (_upper(x1, n, p) + _upper(x1 + 1, n, p))
    lower = 0.5 * ((1 - _upper(x1 + 1, n, p)) + (1 - _upper(x1, n, p)))
    out = np.minimum(1.0, 2 * np.minimum(upper, lower))
    return np.where(n > 0, out, 1.0)


def _log_hypergeom(k, total, successes, draws):
    """log P(K = k) for K hypergeometric: ``draws`` from ``total`` of which ``successes``."""
    def log_comb(a, b):
        return special.gammaln(a + 1) - special.gammaln(b + 1) - special.gammaln(a - b + 1)

    return log_comb(successes, k) + log_comb(total - successes, draws - k) - log_comb(total, draws)


def fisher_midp(x1, n1, x0, n0):
    """Two-sided mid-p of Fisher's exact test of ``x1/n1 = x0/n0`` [2]_.

    Counts are rounded to whole numbers (effective counts after a dispersion adjustment are
    not); the statistic is ``x1`` given the margins. Returns, for each element,
    ``min(1, 2 min(P(X < x1) + P(X = x1)/2, P(X > x1) + P(X = x1)/2))``; NaN where a group has no
    trials.
    """
    arrays = np.broadcast_arrays(*(np.rint(np.asarray(a, float)) for a in (x1, n1, x0, n0)))
    out = np.full(arrays[0].shape, np.nan)
    for idx in np.ndindex(out.shape):
        a, n_a, b, n_b = (float(v[idx]) for v in arrays)
        if not (n_a > 0 and n_b > 0) or not np.isfinite(a + b):
            continue
        total, successes = n_a + n_b, a + b
        support = np.arange(max(0.0, successes - n_b), min(successes, n_a) + 1)
        pmf = np.exp(_log_hypergeom(support, total, successes, n_a))
        pmf /= pmf.sum()
        at = pmf[support == a].sum()
        below, above = pmf[support < a].sum(), pmf[support > a].sum()
        out[idx] = min(1.0, 2 * min(below + at / 2, above + at / 2))
    return out
