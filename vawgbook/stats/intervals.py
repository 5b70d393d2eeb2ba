"""Confidence intervals for a proportion, a count and a difference of two proportions.

The public-health indicator methods (PHE / UKHSA Fingertips): Wilson's score interval for a
proportion, Byar's approximation for a count (exact below a threshold), and Newcombe's hybrid
score interval for a difference. Every interval in vawgbook (the change tests, the gaps between
groups, the funnel plots) is one of these.

References
----------
.. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
   inference. *Journal of the American Statistical Association* 22(158), 209-212.
.. [2] Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
   comparison of seven methods. *Statistics in Medicine* 17(8), 857-872.
.. [3] Newcombe, R. G. (1998). Interval estimation for the difference between independent
   proportions: comparison of eleven methods. *Statistics in Medicine* 17(8), 873-890
   (method 10, the hybrid score interval from two Wilson intervals).
.. [4] Breslow, N. E. and Day, N. E. (1987). *Statistical Methods in Cancer Research, Volume II*.
   IARC Scientific Publications No. 82, Lyon (Byar's approximation, p. 69).
"""

from __future__ import annotations

import numpy as np

from .distributions import _unwrap, critical_value, poisson_exact_bounds

#: Byar's approximation is used from this count up; the exact (chi-square) interval below it,
#: as PHE's ``phe_rate`` and funnel significance do.
BYAR_EXACT_BELOW = 10


def wilson_interval(x, n, conf: float = 0.95, df=np.inf):
    """Wilson score interval for a proportion x/n, as used by PHE Fingertips.

    Parameters
    ----------
    x, n : array_like
        Successes and trials (broadcast together; need not be integers: effective counts
        ``x/phi``, ``n/phi`` give the dispersion-adjusted interval). ``n <= 0`` gives NaN.
    conf : float, default 0.95
        Two-sided confidence level (PHE publishes 0.95 and 0.998).
    df : float or array_like, default inf
        Degrees of freedom of the critical value: t on ``df`` where a dispersion was estimated,
        the normal (PHE's method) where infinite.

    Returns
    -------
    lower, upper : ndarray or float
        ``(2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))`` with ``z`` the critical value;
        equal to statsmodels' ``proportion_confint(method="wilson")`` at ``df = inf``.
    """
    z = np.asarray(critical_value(conf, df), float)
    x, n, z = np.broadcast_arrays(np.asarray(x, float), np.asarray(n, float), z)
    with np.errstate(divide="ignore", invalid="ignore"):
        root = z * np.sqrt(z**2 + 4 * x * (1 - x / n))
        denom = 2 * (n + z**2)
        lower = np.where(n > 0, (2 * x + z**2 - root) / denom, np.nan)
        upper = np.where(n > 0, (2 * x + z**2 + root) / denom, np.nan)
    return _unwrap(lower), _unwrap(upper)


def byar_lower(x, z):
    """Byar's lower bound for a count ``x`` at normal deviate ``z``: ``x(1 - 1/(9x) - z/(3 sqrt x))^3``."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3


def byar_upper(x, z):
    """Byar's upper bound: ``(x+1)(1 - 1/(9(x+1)) + z/(3 sqrt(x+1)))^3``."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3


def byar_interval(x, conf: float = 0.95, exact_below: float = BYAR_EXACT_BELOW, df=np.inf):
    """Confidence interval for a Poisson count: Byar's approximation, exact for small counts.

    Parameters
    ----------
    x : array_like
        Observed counts (need not be integers: overdispersion-adjusted effective counts are not).
    conf : float, default 0.95
        Two-sided confidence level.
    exact_below : float, default 10
        Counts below this use the exact interval ``chi2(a/2, 2x)/2 .. chi2(1-a/2, 2x+2)/2``
        (lower 0 at x = 0), as PHE's ``phe_rate`` does. ``exact_below=0`` gives Byar everywhere,
        as PHE's ``byars_lower``/``byars_upper`` helpers do.
    df : float or array_like, default inf
        Degrees of freedom of the critical value used in Byar's formula (t where a dispersion
        was estimated; the normal, PHE's method, where infinite). The exact interval for small
        counts keeps the Poisson quantiles.

    Returns
    -------
    lower, upper : ndarray or float
        Where Byar's lower bracket is not positive (for instance x = 0, or x = 1 at 99.8%) the
        method gives no lower limit: NaN. Negative or missing counts give NaN.
    """
    x = np.asarray(x, float)
    z = critical_value(conf, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = 1 - 1 / (9 * x) - z / (3 * np.sqrt(x))
    lower = np.where(base > 0, byar_lower(x, z), np.nan)
    upper = byar_upper(x, z)
    exact_lo, exact_hi = poisson_exact_bounds(x, conf)
    small = x < exact_below
    lower, upper = np.where(small, exact_lo, lower), np.where(small, exact_hi, upper)
    bad = ~(x >= 0)
    return _unwrap(np.where(bad, np.nan, lower)), _unwrap(np.where(bad, np.nan, upper))


def newcombe_interval(x1, n1, x0, n0, conf: float = 0.95, phi=1.0, df=np.inf):
    """Interval for the difference of two proportions ``x1/n1 - x0/n0`` (Newcombe's method 10).

    With ``phi > 1`` the Wilson intervals use the effective counts ``x/phi`` and ``n/phi`` (the
    design-effect adjustment) and the critical value of t on ``df``. With ``phi = 1`` and
    ``df = inf`` this is Newcombe's hybrid score interval as published (and as statsmodels'
    ``confint_proportions_2indep(method="newcomb")``).
    """
    x1, n1, x0, n0, phi = (np.asarray(a, float) for a in (x1, n1, x0, n0, phi))
    l1, u1 = wilson_interval(x1 / phi, n1 / phi, conf, df)
    l0, u0 = wilson_interval(x0 / phi, n0 / phi, conf, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = x1 / n1, x0 / n0
        d = p1 - p0
        return d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
