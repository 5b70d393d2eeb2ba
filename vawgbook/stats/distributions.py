"""Reference distributions and a root-finder: the one place every test and interval takes its
critical values and p-values from.

Each function takes arrays and an optional ``df``: finite degrees of freedom mean Student's t
(the quasi-likelihood reference when a dispersion was estimated), infinite the standard normal.
``scipy.special`` is used rather than ``scipy.stats``, which costs most of a second to import.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def _unwrap(a):
    a = np.asarray(a)
    return float(a) if a.ndim == 0 else a


def quantile(q, df=np.inf):
    """The ``q`` quantile of t on ``df`` degrees of freedom; of the normal where ``df`` is infinite."""
    q, df = np.broadcast_arrays(np.asarray(q, float), np.asarray(df, float))
    finite = np.isfinite(df)
    with np.errstate(invalid="ignore"):
        t = special.stdtrit(np.where(finite, df, 1.0), q)
    return _unwrap(np.where(finite, t, special.ndtri(q)))


def critical_value(conf, df=np.inf):
    """Two-sided critical value at confidence level ``conf``: ``quantile(1 - (1 - conf) / 2, df)``.

    Raises ValueError for a level outside (0, 1).
    """
    conf_ = np.asarray(conf, float)
    if not np.all((conf_ > 0) & (conf_ < 1)):
        raise ValueError(f"conf must be a confidence level strictly between 0 and 1 (e.g. 0.95), "
                         f"got {conf!r}")
    return quantile(1 - (1 - conf_) / 2, df)


def two_sided_p(statistic, df=np.inf):
    """Two-sided p-value of a statistic on t(``df``), or the normal where ``df`` is infinite."""
    stat, df = np.broadcast_arrays(np.asarray(statistic, float), np.asarray(df, float))
    finite = np.isfinite(df)
    with np.errstate(invalid="ignore"):
        t = 2 * special.stdtr(np.where(finite, df, 1.0), -np.abs(stat))
    return _unwrap(np.where(finite, t, 2 * special.ndtr(-np.abs(stat))))


def chi2_sf(x, df):
    """Upper tail of the chi-square distribution (``scipy.stats.chi2.sf``)."""
    return _unwrap(special.chdtrc(np.asarray(df, float), np.asarray(x, float)))


def poisson_exact_bounds(x, conf):
    """Exact (Garwood) confidence bounds for a Poisson count ``x``, elementwise.

    ``chi2(a/2, 2x)/2`` and ``chi2(1 - a/2, 2x + 2)/2`` with ``a = 1 - conf``: through the inverse
    incomplete gamma function, ``chi2.ppf(q, 2k)/2 = gammaincinv(k, q)``. The lower bound is 0 at
    ``x = 0``. Counts need not be integers (effective counts after a dispersion adjustment).
    """
    x = np.asarray(x, float)
    a = 1 - conf
    with np.errstate(invalid="ignore"):
        lower = np.where(x > 0, special.gammaincinv(np.maximum(x, 1e-300), a / 2), 0.0)
        upper = special.gammaincinv(x + 1, 1 - a / 2)
    return lower, upper


def bisect(f, target, lo, hi, max_steps: int = 2200):
    """Vectorised bisection to the last bit: for ``f`` increasing, the least ``x`` in ``[lo, hi]``
    (elementwise) with ``f(x) >= target``.

    Halves every bracket until its midpoint is no longer strictly inside it, so the answer is
    exact to the floating-point spacing whatever the scale. The caller is responsible for a
    bracket that holds a root (``f(lo) < target <= f(hi)``); otherwise ``hi`` comes back.
    """
    target = np.asarray(target, float)
    lo, hi = np.broadcast_arrays(np.asarray(lo, float), np.asarray(hi, float), target)[:2]
    lo, hi = lo.copy(), hi.copy()
    for _ in range(max_steps):
        mid = lo + (hi - lo) / 2
        moving = (mid > lo) & (mid < hi)
        if not moving.any():
            break
        below = f(mid) < target
        lo, hi = np.where(moving & below, mid, lo), np.where(moving & ~below, mid, hi)
    return hi
