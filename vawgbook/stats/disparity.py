"""Statistics for gaps between groups: one group's proportion against another's.

Everything is vectorised: each argument is an array with one element per comparison (a force or
England and Wales, an indicator, a group), or per comparison and quarter for the history.

The gap is ``p1 - p0``: the group's proportion minus the comparison group's (the rest of the
known categories, or a reference category). As in the main tests (:mod:`vawgbook.stats`), the
binomial variance is widened by a dispersion factor ``phi`` estimated from the history itself,
never below 1, and the reference distribution is Student's t on the estimate's degrees of
freedom. Here ``phi`` is measured from how much the quarterly gaps vary beyond binomial noise
(a Pearson statistic of the quarterly gaps about their weighted mean in each year), so that
shocks common to both groups in a quarter (a force's survey changing, say) do not count.

References
----------
.. [1] Newcombe, R. G. (1998). Interval estimation for the difference between independent
   proportions: comparison of eleven methods. *Statistics in Medicine* 17(8), 873-890
   (method 10, the hybrid score interval from two Wilson intervals).
.. [2] McCullagh, P. and Nelder, J. A. (1989). *Generalized Linear Models*, 2nd edition
   (quasi-likelihood dispersion from the Pearson statistic, section 4.5).
.. [3] Kish, L. (1965). *Survey Sampling*. Wiley (the design effect: an effective sample size
   ``n / phi`` gives intervals widened by ``sqrt(phi)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .distributions import quantile, two_sided_p
from .intervals import newcombe_interval, wilson_interval
from .settings import MIN_DISPERSION_DF, SETTINGS


def _arrays(*values):
    return [np.asarray(v, dtype="float64") for v in values]


@dataclass(frozen=True)
class GapDispersion:
    """Dispersion of quarterly gaps, one element per comparison."""

    phi: np.ndarray  # at least 1
    df: np.ndarray  # quarters - 1 where estimated; inf where the history is too short
    raw: np.ndarray  # the estimate before flooring (NaN where not estimated)


def gap_dispersion(x1, n1, x0, n0, segments=None) -> GapDispersion:
    """Dispersion factor of the gap from quarterly histories, shape ``(comparisons, quarters)``.

    For quarters where both groups have cases, ``d_t = x1/n1 - x0/n0`` with binomial variance
    ``v_t = P1(1-P1)/n1 + P0(1-P0)/n0`` (``P`` the proportions over the whole history). The
    Pearson statistic ``X2 = sum (d_t - dbar_s)^2 / v_t``, about the inverse-variance weighted
    mean gap of each segment ``s`` of the history, has expectation ``m - k`` under binomial noise
    alone (``m`` quarters, ``k`` segments with data), so ``phi = X2 / (m - k)``, floored at 1 as
    in the main tests. ``segments`` labels each quarter (default: one segment); giving the
    windows being compared their own segments keeps a real gap in them out of the estimate of
    noise (as the main tests' current-year term does), which would otherwise make the test
    conservative. Fewer than :data:`MIN_DISPERSION_DF` residual df, or a history with no
    variation to measure (a group always at 0% or 100%), gives ``phi = 1`` on the normal
    reference.
    """
    x1, n1, x0, n0 = (np.atleast_2d(a) for a in _arrays(x1, n1, x0, n0))
    labels = np.zeros(x1.shape[1], dtype=int) if segments is None else np.asarray(segments)
    use = (n1 > 0) & (n0 > 0) & np.isfinite(x1) & np.isfinite(x0)
    z = np.zeros_like(x1)
    with np.errstate(divide="ignore", invalid="ignore"):
        big1 = np.where(use, x1, z).sum(1) / np.where(use, n1, z).sum(1)
        big0 = np.where(use, x0, z).sum(1) / np.where(use, n0, z).sum(1)
        v = big1[:, None] * (1 - big1[:, None]) / n1 + big0[:, None] * (1 - big0[:, None]) / n0
        d = np.where(use, x1 / n1 - x0 / n0, 0.0)
        w = np.where(use & (v > 0), 1 / v, 0.0)
        x2 = np.zeros(len(x1))
        fitted = np.zeros(len(x1))
        for label in np.unique(labels):
            cols = labels == label
            ws, ds = w[:, cols], d[:, cols]
            mean = (ws * ds).sum(1) / ws.sum(1)
            x2 += np.where(ws.sum(1) > 0, (ws * (ds - mean[:, None]) ** 2).sum(1), 0.0)
            fitted += (ws > 0).any(1)
    df = (w > 0).sum(1) - fitted
    variable = (big1 > 0) & (big1 < 1) & (big0 > 0) & (big0 < 1)
    ok = (df >= MIN_DISPERSION_DF) & variable
    raw = np.where(ok, x2 / np.maximum(df, 1), np.nan)
    phi = np.where(ok, np.maximum(raw, 1.0), 1.0)
    return GapDispersion(phi, np.where(ok, df.astype(float), np.inf), raw)


@dataclass(frozen=True)
class Disparity:
    """A group's proportion against the comparison group's, in the same window."""

    rate: np.ndarray  # x1 / n1
    rate_lower: np.ndarray  # the group's own interval (dispersion-adjusted Wilson)
    rate_upper: np.ndarray
    reference: np.ndarray  # x0 / n0
    gap: np.ndarray  # rate - reference
    gap_lower: np.ndarray  # Newcombe interval of the gap (dispersion-adjusted)
    gap_upper: np.ndarray
    p_value: np.ndarray  # score test of no gap, on t(df)
    min_detectable_gap: np.ndarray  # smallest gap found with the given power


def disparity(x1, n1, x0, n0, phi=1.0, df=np.inf, conf: float = SETTINGS.conf, alpha: float = SETTINGS.alpha,
              power: float = SETTINGS.power) -> Disparity:
    """Test and interval for the gap ``x1/n1 - x0/n0`` between two groups in one window.

    The test is the two-proportion score test (pooled proportion under no gap, as
    ``statsmodels.stats.proportion.proportions_ztest``) with the variance multiplied by ``phi``
    and the statistic referred to t(df). The minimum detectable gap is
    ``(c_a + c_b) * sqrt(phi * P0(1-P0)(1/n1 + 1/n0))``, with ``c_a`` the two-sided ``alpha``
    and ``c_b`` the ``power`` quantile of the same reference, ``P0`` the comparison group's
    proportion.
    """
    x1, n1, x0, n0, phi, df = _arrays(x1, n1, x0, n0, phi, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = x1 / n1, x0 / n0
        pooled = (x1 + x0) / (n1 + n0)
        se0 = np.sqrt(phi * pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        stat = np.where(se0 > 0, (p1 - p0) / se0, np.nan)
        crit_b = quantile(power, df)
        mdc = (quantile(1 - alpha / 2, df) + crit_b) * np.sqrt(phi * p0 * (1 - p0) * (1 / n1 + 1 / n0))
    lower, upper = wilson_interval(x1 / phi, n1 / phi, conf, df)
    gap_lower, gap_upper = newcombe_interval(x1, n1, x0, n0, conf, phi, df)
    return Disparity(p1, lower, upper, p0, p1 - p0, gap_lower, gap_upper,
                     two_sided_p(stat, df), mdc)


@dataclass(frozen=True)
class GapChange:
    """The gap now against the gap a year before."""

    change: np.ndarray  # gap_now - gap_before
    p_value: np.ndarray
    widened: np.ndarray  # bool: the gap moved away from zero (in the direction of gap_now)
    min_detectable_change: np.ndarray


def gap_change(now: tuple, before: tuple, phi=1.0, df=np.inf, alpha: float = SETTINGS.alpha,
               power: float = SETTINGS.power) -> GapChange:
    """Whether a gap widened or narrowed: ``now`` and ``before`` are ``(x1, n1, x0, n0)``.

    The change in the gap is tested with the unpooled (Wald) variance of a difference of two
    independent gaps, ``phi * (v_now + v_before)`` with ``v = p1(1-p1)/n1 + p0(1-p0)/n0``, on
    t(df). "Widened" means the gap moved further from zero on the side it is on now.
    """
    x1, n1, x0, n0 = _arrays(*now)
    y1, m1, y0, m0 = _arrays(*before)
    phi, df = _arrays(phi, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        g_now = x1 / n1 - x0 / n0
        g_before = y1 / m1 - y0 / m0

        def var(a, n, b, m):
            pa, pb = a / n, b / m
            return pa * (1 - pa) / n + pb * (1 - pb) / m

        se = np.sqrt(phi * (var(x1, n1, x0, n0) + var(y1, m1, y0, m0)))
        change = g_now - g_before
        stat = np.where(se > 0, change / se, np.nan)
        crit_b = quantile(power, df)
        mdc = (quantile(1 - alpha / 2, df) + crit_b) * se
    side = np.where(g_now != 0, np.sign(g_now), np.sign(g_before))
    return GapChange(change, two_sided_p(stat, df), change * side > 0, mdc)
