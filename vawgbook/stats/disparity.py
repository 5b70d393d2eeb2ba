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
.. [4] Greenland, S. and Robins, J. M. (1985). Estimation of a common effect parameter from
   sparse follow-up data. *Biometrics* 41(1), 55-68 (the Mantel-Haenszel risk difference).
.. [5] Sato, T. (1989). On the variance estimator for the Mantel-Haenszel risk difference.
   *Biometrics* 45(4), 1323-1324 (its variance, consistent in sparse and in large strata).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .distributions import critical_value, quantile, two_sided_p
from .intervals import newcombe_interval, wilson_interval
from .pooling import NO_PRIOR, Prior, fit_prior, squeeze
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
    use = (n1 > 0) & (n0 > 0) & np.isfinite(x1) & np.isfinite(x0)
    z = np.zeros_like(x1)
    with np.errstate(divide="ignore", invalid="ignore"):
        big1 = np.where(use, x1, z).sum(1) / np.where(use, n1, z).sum(1)
        big0 = np.where(use, x0, z).sum(1) / np.where(use, n0, z).sum(1)
        v = big1[:, None] * (1 - big1[:, None]) / n1 + big0[:, None] * (1 - big0[:, None]) / n0
        d = np.where(use, x1 / n1 - x0 / n0, 0.0)
    variable = (big1 > 0) & (big1 < 1) & (big0 > 0) & (big0 < 1)
    return _pearson(d, np.where(use, v, 0.0), segments, variable)


def _pearson(d, v, segments, usable) -> GapDispersion:
    """Dispersion of quarterly gaps ``d`` with variances ``v`` (``(comparisons, quarters)``; a
    quarter with ``v`` 0 or missing is left out) about each segment's inverse-variance weighted
    mean: ``X2 / (m - k)``, floored at 1; ``usable`` False, or fewer than
    :data:`MIN_DISPERSION_DF` residual df, gives 1 on infinite df."""
    labels = np.zeros(d.shape[1], dtype=int) if segments is None else np.asarray(segments)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(np.isfinite(v) & (v > 0) & np.isfinite(d), 1 / v, 0.0)
        d = np.where(w > 0, d, 0.0)
        x2 = np.zeros(len(d))
        fitted = np.zeros(len(d))
        for label in np.unique(labels):
            cols = labels == label
            ws, ds = w[:, cols], d[:, cols]
            mean = (ws * ds).sum(1) / ws.sum(1)
            x2 += np.where(ws.sum(1) > 0, (ws * (ds - mean[:, None]) ** 2).sum(1), 0.0)
            fitted += (ws > 0).any(1)
    df = (w > 0).sum(1) - fitted
    ok = (df >= MIN_DISPERSION_DF) & usable
    raw = np.where(ok, x2 / np.maximum(df, 1), np.nan)
    phi = np.where(ok, np.maximum(raw, 1.0), 1.0)
    return GapDispersion(phi, np.where(ok, df.astype(float), np.inf), raw)


def stratified_dispersion(x1, n1, x0, n0, segments=None) -> GapDispersion:
    """Dispersion factor of the gap within strata (:func:`stratified_gap`) from its quarterly
    history: arrays ``(comparisons, strata, quarters)``. Each quarter's gap within strata and its
    Sato variance give the Pearson statistic about each segment's mean (as :func:`gap_dispersion`
    does for one stratum), so the combined gap is widened by how much it actually varied, however
    the strata's own extra variation is spread."""
    x1, n1, x0, n0 = (np.moveaxis(np.asarray(a, float), -1, -2) for a in (x1, n1, x0, n0))
    quarterly = stratified_gap(x1, n1, x0, n0)
    d, v = np.atleast_2d(quarterly.gap), np.atleast_2d(quarterly.se) ** 2
    return _pearson(d, np.where(np.atleast_2d(quarterly.strata) > 0, v, 0.0), segments,
                    np.ones(len(d), bool))


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
    detect_se: np.ndarray  # the standard error it is computed from (for other levels: detectable)


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
        detect_se = np.sqrt(phi * p0 * (1 - p0) * (1 / n1 + 1 / n0))
        mdc = detectable(detect_se, df, alpha, power)
    lower, upper = wilson_interval(x1 / phi, n1 / phi, conf, df)
    gap_lower, gap_upper = newcombe_interval(x1, n1, x0, n0, conf, phi, df)
    return Disparity(p1, lower, upper, p0, p1 - p0, gap_lower, gap_upper,
                     two_sided_p(stat, df), mdc, detect_se)


def detectable(se, df=np.inf, alpha=SETTINGS.alpha, power: float = SETTINGS.power):
    """The smallest difference a two-sided test at level ``alpha`` finds with the given power, for
    an estimate with standard error ``se`` referred to t(``df``): ``(c_a + c_b) se``, ``c_a`` the
    ``1 - alpha/2`` and ``c_b`` the ``power`` quantile. ``alpha`` may be an array (each test's own
    level, as applied by the false discovery rate procedure)."""
    return (quantile(1 - np.asarray(alpha, float) / 2, df) + quantile(power, df)) * np.asarray(se, float)


def pooled_dispersion(dispersion: GapDispersion, volume, pooled) -> tuple[GapDispersion, Prior]:
    """Gap dispersions shrunk towards a prior fitted across series (empirical Bayes, as the main
    tests pool across forces: :func:`vawgbook.stats.pooling.fit_prior` and ``squeeze``).

    Parameters
    ----------
    dispersion : GapDispersion
        Each series' own estimate (:func:`gap_dispersion`); ``raw`` unfloored, NaN where none.
    volume : array_like
        Each series' typical quarterly size (the prior's log-linear trend is in it).
    pooled : array_like of bool
        The series the prior is fitted to and that are shrunk (the forces of one indicator and
        breakdown whose recording is complete enough); the others keep their own estimate.

    Returns
    -------
    (GapDispersion, Prior)
        ``phi`` the posterior ``(d0 s0^2 + d phi) / (d0 + d)`` floored at 1, ``df`` its
        ``d0 + d``; a series without its own estimate takes the prior. With too few series to fit
        a prior, the estimates unchanged and :data:`~vawgbook.stats.pooling.NO_PRIOR`.
    """
    volume = np.asarray(volume, float)
    pooled = np.asarray(pooled, bool) & np.isfinite(volume) & (volume > 0)
    volume = np.where(pooled, volume, 1.0)
    own_df = np.where(np.isfinite(dispersion.raw), dispersion.df, 0.0)
    prior = fit_prior(dispersion.raw[pooled], own_df[pooled], volume[pooled]) if pooled.any() else NO_PRIOR
    if prior.df == 0:
        return dispersion, prior
    post, post_df = squeeze(dispersion.raw[pooled], own_df[pooled], volume[pooled], prior)
    phi, df = dispersion.phi.copy(), dispersion.df.copy()
    phi[pooled] = np.maximum(np.where(np.isfinite(post), post, 1.0), 1.0)
    df[pooled] = post_df
    return GapDispersion(phi, df, dispersion.raw), prior


@dataclass(frozen=True)
class StratifiedGap:
    """A gap within strata (forces), combined across them: the Mantel-Haenszel risk difference."""

    rate: np.ndarray  # the group's figure standardised to the Mantel-Haenszel weights
    reference: np.ndarray  # the comparison group's, standardised likewise
    gap: np.ndarray  # rate - reference: sum w (p1 - p0) / sum w
    gap_lower: np.ndarray  # Wald interval on t(df) with the Sato variance, dispersion-adjusted
    gap_upper: np.ndarray
    se: np.ndarray
    df: np.ndarray  # of the dispersion (infinite where none was estimated)
    p_value: np.ndarray  # of no gap within strata
    min_detectable_gap: np.ndarray
    strata: np.ndarray  # strata that carry weight (both groups have cases)


def stratified_gap(x1, n1, x0, n0, phi=1.0, df=np.inf, conf: float = SETTINGS.conf,
                   alpha: float = SETTINGS.alpha, power: float = SETTINGS.power) -> StratifiedGap:
    """The gap between two groups within strata, combined across strata (the last axis).

    The Mantel-Haenszel risk difference ``sum w_k (p1_k - p0_k) / sum w_k`` with
    ``w_k = n1_k n0_k / (n1_k + n0_k)`` (Greenland and Robins 1985) compares each group with the
    other in the same stratum, so a group that is concentrated in strata where everyone's figure is
    low is not made to look worse off by that alone (Simpson's paradox). Its variance is Sato's
    (1989), ``(gap sum P_k + sum Q_k) / (sum w_k)^2`` with
    ``P_k = (n1^2 x0 - n0^2 x1 + n1 n0 (n0 - n1)/2) / N_k^2`` and
    ``Q_k = (x1 (n0 - x0) + x0 (n1 - x1)) / (2 N_k)``, which holds with few large strata and with
    many small ones; extra variation multiplies it by ``phi`` (one per comparison: the combined
    gap's own dispersion, :func:`stratified_dispersion`), on t(``df``). The interval is Wald,
    ``gap -/+ t se``; the test is ``gap / se`` on the same t. Strata in which either group has no
    cases (or a value is missing) carry no weight. With ``phi = 1`` and ``df = inf`` this is the
    published method (Agresti 2013, p. 231).
    """
    x1, n1, x0, n0 = np.broadcast_arrays(*_arrays(x1, n1, x0, n0))
    phi, df = _arrays(phi, df)
    use = (n1 > 0) & (n0 > 0) & np.isfinite(x1) & np.isfinite(x0)
    zero = np.zeros_like(x1)
    x1, n1, x0, n0 = (np.where(use, a, zero) for a in (x1, n1, x0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        big_n = np.where(use, n1 + n0, 1.0)
        w = np.where(use, n1 * n0 / big_n, 0.0)
        p1, p0 = np.where(use, x1 / n1, 0.0), np.where(use, x0 / n0, 0.0)
        total = w.sum(-1)
        rate, reference = (w * p1).sum(-1) / total, (w * p0).sum(-1) / total
        gap = rate - reference
        p_sum = ((n1**2 * x0 - n0**2 * x1 + n1 * n0 * (n0 - n1) / 2) / big_n**2).sum(-1)
        q_sum = ((x1 * (n0 - x0) + x0 * (n1 - x1)) / (2 * big_n)).sum(-1)
        se = np.sqrt(phi * (gap * p_sum + q_sum) / total**2)
        crit = critical_value(conf, df)
        stat = np.where(se > 0, gap / se, np.nan)
    df = np.broadcast_to(df, np.shape(gap))
    return StratifiedGap(rate, reference, gap, np.maximum(gap - crit * se, -1.0),
                         np.minimum(gap + crit * se, 1.0), se, df, two_sided_p(stat, df),
                         detectable(se, df, alpha, power), (w > 0).sum(-1))


#: How a gap that changed is described (:func:`change_kind`).
WIDENED, NARROWED, REVERSED = "widened", "narrowed", "reversed"


def change_kind(now, now_lower, now_upper, before, before_lower, before_upper) -> np.ndarray:
    """Whether a gap that changed widened, narrowed, or narrowed and reversed.

    A gap's side is *established* in a year when its interval excludes zero. A gap on opposite
    sides in the two years, established in both, has narrowed and **reversed** (the group went from
    worse off to better off, or the other way): never "widened". On opposite sides with only one
    year established, the other year's gap is taken as none: established now only, the gap
    **widened** (it opened); established before only, it **narrowed** (it closed). Otherwise (the
    same side, a gap of exactly zero, or neither year established) it widened when it is now
    further from zero, and narrowed when it is nearer.
    """
    now, before = _arrays(now, before)
    clear_now = (np.asarray(now_lower, float) > 0) | (np.asarray(now_upper, float) < 0)
    clear_before = (np.asarray(before_lower, float) > 0) | (np.asarray(before_upper, float) < 0)
    opposite = now * before < 0
    further = np.abs(now) > np.abs(before)
    widened = np.where(opposite & (clear_now != clear_before), clear_now, further)
    return np.where(opposite & clear_now & clear_before, REVERSED, np.where(widened, WIDENED, NARROWED))


@dataclass(frozen=True)
class GapChange:
    """The gap now against the gap a year before."""

    change: np.ndarray  # gap_now - gap_before
    p_value: np.ndarray
    kind: np.ndarray  # "widened", "narrowed" or "reversed" (:func:`change_kind`)
    min_detectable_change: np.ndarray
    se: np.ndarray
    df: np.ndarray

    @property
    def widened(self) -> np.ndarray:
        return self.kind == WIDENED


def _gap_change(change, se, df, kind, alpha, power) -> GapChange:
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(se > 0, change / se, np.nan)
    return GapChange(change, two_sided_p(stat, df), kind, detectable(se, df, alpha, power), se,
                     np.broadcast_to(np.asarray(df, float), np.shape(change)))


def gap_change(now: tuple, before: tuple, phi=1.0, df=np.inf, alpha: float = SETTINGS.alpha,
               power: float = SETTINGS.power, conf: float = SETTINGS.conf) -> GapChange:
    """Whether a gap widened or narrowed: ``now`` and ``before`` are ``(x1, n1, x0, n0)``.

    The change in the gap is tested against the variance it has when neither group's proportion
    changed (as the score test of a gap uses the proportion pooled across groups): each group's
    proportion pooled over the two years, ``P1(1-P1)(1/n1 + 1/m1) + P0(1-P0)(1/n0 + 1/m0)``, times
    ``phi``, on t(df). Unlike the separate (Wald) variances of the two years, it does not shrink
    when a small group happens to be at 0% or 100% in one year. Widened, narrowed or reversed as
    :func:`change_kind` says, from each year's Newcombe interval (dispersion-adjusted, at
    ``conf``).
    """
    x1, n1, x0, n0 = _arrays(*now)
    y1, m1, y0, m0 = _arrays(*before)
    phi, df = _arrays(phi, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        g_now = x1 / n1 - x0 / n0
        g_before = y1 / m1 - y0 / m0
        big1, big0 = (x1 + y1) / (n1 + m1), (x0 + y0) / (n0 + m0)
        se = np.sqrt(phi * (big1 * (1 - big1) * (1 / n1 + 1 / m1) + big0 * (1 - big0) * (1 / n0 + 1 / m0)))
    kind = change_kind(g_now, *newcombe_interval(x1, n1, x0, n0, conf, phi, df),
                       g_before, *newcombe_interval(y1, m1, y0, m0, conf, phi, df))
    return _gap_change(g_now - g_before, se, df, kind, alpha, power)


def stratified_change(now: StratifiedGap, before: StratifiedGap, alpha: float = SETTINGS.alpha,
                      power: float = SETTINGS.power) -> GapChange:
    """The change in a gap within strata (:func:`stratified_gap` of two years, with the same
    dispersion): the difference of the two estimates, with the sum of their variances on the
    dispersion's degrees of freedom."""
    kind = change_kind(now.gap, now.gap_lower, now.gap_upper, before.gap, before.gap_lower, before.gap_upper)
    return _gap_change(now.gap - before.gap, np.sqrt(now.se**2 + before.se**2), now.df, kind, alpha, power)


@dataclass(frozen=True)
class RecordingBounds:
    """What a gap would be under the two extreme assumptions about cases with no recorded group."""

    gap: np.ndarray  # as recorded
    all_in_group: np.ndarray  # if every unrecorded case were in the group
    all_in_comparison: np.ndarray  # if none were (every one in the comparison group)
    lower: np.ndarray
    upper: np.ndarray
    robust: np.ndarray  # bool: the gap is on the same side of zero as recorded under both


def recording_bounds(x1, n1, x0, n0, unrecorded_x, unrecorded_n) -> RecordingBounds:
    """The gap ``x1/n1 - x0/n0`` if the ``unrecorded_n`` cases with no recorded group (of which
    ``unrecorded_x`` are in the numerator) were all in the group, or all in the comparison group.

    A simple bound, not an interval: it says how far who is missing could move the gap, not how
    likely that is. Proportions are kept within 0 to 1.
    """
    x1, n1, x0, n0, ux, un = _arrays(x1, n1, x0, n0, unrecorded_x, unrecorded_n)
    ux, un = np.maximum(np.nan_to_num(ux), 0.0), np.maximum(np.nan_to_num(un), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = x1 / n1, x0 / n0
        in_group = np.clip((x1 + ux) / (n1 + un), 0, 1) - p0
        in_comparison = p1 - np.clip((x0 + ux) / (n0 + un), 0, 1)
    gap = p1 - p0
    side = np.sign(gap)
    robust = (side != 0) & (np.sign(in_group) == side) & (np.sign(in_comparison) == side)
    return RecordingBounds(gap, in_group, in_comparison, np.fmin(in_group, in_comparison),
                           np.fmax(in_group, in_comparison), robust)
