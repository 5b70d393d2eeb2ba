"""Funnel plot control limits and outlier classification (PHE / Fingertips method).

Proportions use the limits of PHE's ``phe_funnels``: the proportion at which the Wilson score
bound touches the baseline. Ratios of observed to expected counts use exact Poisson limits for
small counts and Byar's approximation above them, as PHE's ``phe_funnel_significance`` does.
Both can be widened for over-dispersion (Spiegelhalter 2005).

References
----------
.. [1] Spiegelhalter DJ. Funnel plots for comparing institutional performance.
   Statistics in Medicine 2005; 24(8): 1185-1202.
.. [2] Spiegelhalter DJ. Handling over-dispersion of performance indicators.
   Quality and Safety in Health Care 2005; 14(5): 347-351.
.. [3] Public Health England. Technical Guide: Confidence intervals. Fingertips technical guidance.
   Implemented in the R package PHEindicatormethods (``phe_funnels``, ``phe_funnel_significance``).
.. [4] Breslow NE, Day NE. Statistical methods in cancer research, volume II. Lyon: IARC; 1987
   (Byar's approximation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from .distributions import bisect, critical_value, poisson_exact_bounds
from .intervals import BYAR_EXACT_BELOW, byar_lower, byar_upper

#: Labels, in PHE's order of precedence (a point below both lower limits is "Low (0.001)").
LOW_999, LOW_95, HIGH_999, HIGH_95 = "Low (0.001)", "Low (0.025)", "High (0.001)", "High (0.025)"
NOT_SIGNIFICANT = "Not significant"
#: The two confidence levels of a PHE funnel plot: 95% (z for 0.975) and 99.8% (z for 0.999).
CONF_INNER, CONF_OUTER = 0.95, 0.998
#: PHE uses exact Poisson limits for fewer observed events than this, Byar's approximation above.
EXACT_BELOW = float(BYAR_EXACT_BELOW)
#: Spiegelhalter (2005) winsorises the z-scores at the 10th and 90th centiles.
WINSOR = 0.10
METHODS = ("none", "multiplicative", "additive")


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")


def _array(name: str, a, positive: bool = False) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if np.isnan(arr).any():
        where = np.flatnonzero(np.isnan(arr.ravel()))[:5].tolist()
        raise ValueError(f"{name} has missing values (positions {where}); drop or impute them first")
    if (arr <= 0).any() if positive else (arr < 0).any():
        raise ValueError(f"{name} must be {'greater than' if positive else 'at least'} zero")
    return arr


@dataclass(frozen=True)
class Overdispersion:
    """Over-dispersion of a set of units around a funnel's baseline (Spiegelhalter 2005).

    Attributes
    ----------
    phi : float
        Multiplicative factor: the mean of the squared winsorised z-scores; above 1 means more
        spread than chance allows. Winsorising shrinks it (to about 0.68 under pure chance), so
        limits use ``max(phi, 1)`` and never narrow.
    tau2 : float
        Additive between-unit variance (random effects, DerSimonian-Laird style) on the scale of
        ``statistic``: ``"proportion"`` (original scale) or ``"ratio"`` (square-root scale).
    n_units, baseline, winsor
        Number of units, the target the z-scores were measured from, fraction winsorised per end.
    """

    phi: float
    tau2: float
    n_units: int
    statistic: str
    baseline: float
    winsor: float


def _scale(statistic: str, y, size, baseline: float):
    """Transformed values, target and within-unit standard errors for the z-scores."""
    if statistic == "proportion":
        return y, baseline, np.sqrt(baseline * (1 - baseline) / size)
    # Square-root transform for Poisson ratios: var(sqrt(O/E)) ~ 1/(4E), whatever the mean.
    return np.sqrt(y), np.sqrt(baseline), 1 / (2 * np.sqrt(size))


def overdispersion(
    x, n, baseline: float | None = None, statistic: str = "proportion", winsor: float = WINSOR
) -> Overdispersion:
    """Estimate over-dispersion from unit z-scores, as in Spiegelhalter (2005).

    Parameters
    ----------
    x, n : array_like
        Numerators and denominators, or observed and expected counts for ``statistic="ratio"``.
    baseline : float, optional
        Target. Default Σx/Σn for proportions and 1 for ratios.
    statistic : {"proportion", "ratio"}
        Proportions are scored on the original scale, z = (p - b) / sqrt(b(1-b)/n), the scale of
        the PHE limits. Ratios on the square-root scale, z = 2 sqrt(E) (sqrt(O/E) - sqrt(b)).
    winsor : float
        Fraction of z-scores pulled in at each end (default 0.10: 10th and 90th centiles, linear
        interpolation as R's default ``quantile``).

    Returns
    -------
    Overdispersion
        ``phi = mean(z_w**2)`` and ``tau2 = (I phi - (I - 1)) / (Σw - Σw²/Σw)`` with
        ``w = 1/s²``, floored at 0.

    References
    ----------
    Spiegelhalter DJ. Funnel plots for comparing institutional performance. Stat Med 2005;
    24: 1185-1202; Handling over-dispersion of performance indicators. QSHC 2005; 14: 347-351.
    """
    if statistic not in ("proportion", "ratio"):
        raise ValueError(f"unknown statistic {statistic!r}: use 'proportion' or 'ratio'")
    if not 0 <= winsor < 0.5:
        raise ValueError(f"winsor must be in [0, 0.5), got {winsor!r}")
    x, n = _array("x", x), _array("n", n, positive=True)
    if x.size < 2:
        raise ValueError("over-dispersion needs at least two units")
    if baseline is None:
        baseline = x.sum() / n.sum() if statistic == "proportion" else 1.0
    if statistic == "proportion" and not 0 < baseline < 1:
        raise ValueError(f"baseline proportion {baseline!r} leaves no binomial variation to scale")
    y, target, s = _scale(statistic, x / n, n, baseline)
    z = (y - target) / s
    lo, hi = np.quantile(z, [winsor, 1 - winsor])
    phi = float(np.mean(np.clip(z, lo, hi) ** 2))
    w = 1 / s**2
    excess = z.size * phi - (z.size - 1)
    tau2 = max(0.0, excess / (w.sum() - (w**2).sum() / w.sum()))
    return Overdispersion(phi, float(tau2), z.size, statistic, float(baseline), winsor)


def _half_width(z: float, s, method: str, od: Overdispersion | None, statistic: str):
    _check_method(method)
    if method == "none":
        return z * s
    if od is None:
        raise ValueError(f"method={method!r} needs an Overdispersion: pass overdispersion(x, n, ...)")
    if od.statistic != statistic:
        raise ValueError(f"this Overdispersion was estimated for {od.statistic}s, not {statistic}s")
    if method == "multiplicative":
        return z * np.sqrt(max(od.phi, 1.0)) * s
    return z * np.sqrt(s**2 + od.tau2)


def proportion_limits(
    n,
    baseline: float,
    conf: float = CONF_INNER,
    method: str = "none",
    overdispersion: Overdispersion | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Funnel plot control limits for a proportion at denominators ``n``.

    Parameters
    ----------
    n : array_like
        Denominators (> 0).
    baseline : float
        The funnel's centre, as a proportion in [0, 1] (PHE: Σx/Σn).
    conf : float
        0.95 (z for 0.975) or 0.998 (z for 0.999) in PHE's plots; any level in (0, 1).
    method : {"none", "multiplicative", "additive"}
        ``"none"`` is the PHE limit. The others widen it for over-dispersion: by ``sqrt(phi)``
        or by adding ``tau2`` to the binomial variance (Spiegelhalter 2005).
    overdispersion : Overdispersion, optional
        Required for the widened methods (``overdispersion(x, n)``).

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits as proportions, clipped to [0, 1].

    Notes
    -----
    PHE's limit is the proportion at which the Wilson score bound of an observed proportion
    touches the baseline ``b``: the Wilson interval around ``p`` contains ``b`` exactly when
    ``(p - b)² <= z² b (1 - b) / n``, so the limits are ``b ± z sqrt(b (1 - b) / n)``. This is
    the closed form of the quadratic solved in PHEindicatormethods' ``sigma_adjustment``.

    References
    ----------
    PHE, Technical Guide: Confidence intervals; PHEindicatormethods ``phe_funnels``.
    """
    n = _array("n", n, positive=True)
    if not 0 <= baseline <= 1:
        raise ValueError(f"baseline must be a proportion in [0, 1], got {baseline!r}")
    half = _half_width(critical_value(conf), np.sqrt(baseline * (1 - baseline) / n), method,
                       overdispersion, "proportion")
    return np.clip(baseline - half, 0, 1), np.clip(baseline + half, 0, 1)


def _label(low_outer, low_inner, high_outer, high_inner) -> np.ndarray:
    """PHE labels from four boolean masks, checked in PHE's order."""
    return np.select(
        [low_outer, low_inner, high_outer, high_inner], [LOW_999, LOW_95, HIGH_999, HIGH_95], NOT_SIGNIFICANT
    ).astype(object)


def _classify_value(value, limits_outer, limits_inner) -> np.ndarray:
    """Strict comparisons: a point exactly on a limit is not flagged (as PHE)."""
    (lo_o, up_o), (lo_i, up_i) = limits_outer, limits_inner
    return _label(value < lo_o, value < lo_i, value > up_o, value > up_i)


def classify_proportions(x, n, baseline: float | None = None, method: str = "none") -> np.ndarray:
    """Classify proportions ``x/n`` against funnel limits, as ``phe_funnel_significance``.

    Parameters
    ----------
    x, n : array_like
        Numerators (0 <= x <= n) and denominators (> 0).
    baseline : float, optional
        Proportion the funnel is centred on; default Σx/Σn.
    method : {"none", "multiplicative", "additive"}
        Over-dispersion handling; the widened methods estimate it from these same units.

    Returns
    -------
    numpy.ndarray of str
        ``"Low (0.001)"`` (below the 99.8% limit), ``"Low (0.025)"``, ``"High (0.001)"``,
        ``"High (0.025)"`` or ``"Not significant"``. A point exactly on a limit is not flagged.
    """
    x, n = _array("x", x), _array("n", n, positive=True)
    if (x > n).any():
        raise ValueError("numerators must not exceed denominators for a proportion")
    if baseline is None:
        baseline = x.sum() / n.sum()
    od = overdispersion(x, n, baseline) if method != "none" else None
    return _classify_value(
        x / n, *(proportion_limits(n, baseline, c, method, od) for c in (CONF_OUTER, CONF_INNER))
    )


def _count_bounds(obs, conf: float, exact_below: float):
    """PHE confidence bounds for observed counts: exact Poisson below ``exact_below``, else Byar."""
    z = critical_value(conf)
    exact_lo, exact_hi = poisson_exact_bounds(obs, conf)
    small = obs < exact_below
    safe = np.maximum(obs, 1e-300)  # Byar's branch is discarded where counts are small
    return np.where(small, exact_lo, byar_lower(safe, z)), np.where(small, exact_hi, byar_upper(obs, z))


def ratio_limits(
    expected,
    conf: float = CONF_INNER,
    baseline: float = 1.0,
    method: str = "none",
    overdispersion: Overdispersion | None = None,
    exact_below: float = EXACT_BELOW,
) -> tuple[np.ndarray, np.ndarray]:
    """Funnel plot control limits for a ratio of observed to expected counts.

    Parameters
    ----------
    expected : array_like
        Expected counts (> 0): the funnel's x-axis.
    conf : float
        0.95 or 0.998 in PHE's plots.
    baseline : float
        Ratio the funnel is centred on (1 for observed/expected).
    method : {"none", "multiplicative", "additive"}
        ``"none"``: Poisson limits. The others use the square-root scale, ``sqrt(O/E)`` with
        standard error ``1/(2 sqrt(E))``, widened by ``sqrt(phi)`` or by adding ``tau2``
        (Spiegelhalter 2005); they are normal approximations even without over-dispersion.
    overdispersion : Overdispersion, optional
        From ``overdispersion(obs, expected, statistic="ratio")``; needed for widened methods.
    exact_below : float
        Counts below this use exact Poisson limits, others Byar's approximation, as PHE's
        significance test. ``numpy.inf`` gives exact limits throughout, as ``phe_funnels`` plots.

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits on the ratio scale (lower clipped at 0).

    Notes
    -----
    With ``method="none"`` the upper limit at ``E`` is ``O*/E``, where ``O*`` is the (continuous)
    count whose lower confidence bound equals ``baseline * E``; the lower limit uses the count
    whose upper bound equals it. The exact bounds are inverted in closed form through the gamma
    distribution (``scipy.special.gdtrib``), Byar's by bisection, so ``classify_ratios`` and
    these lines agree.

    References
    ----------
    PHEindicatormethods ``phe_funnels(statistic = "ratio")``; Breslow and Day (1987).
    """
    expected = _array("expected", expected, positive=True)
    _check_method(method)
    if method != "none":
        y0 = np.sqrt(baseline)
        half = _half_width(critical_value(conf), 1 / (2 * np.sqrt(expected)), method, overdispersion, "ratio")
        return np.maximum(y0 - half, 0) ** 2, (y0 + half) ** 2
    mean = baseline * expected
    alpha, z = 1 - conf, critical_value(conf)
    obs_hi = special.gdtrib(1.0, alpha / 2, mean)  # lower bound of obs_hi == mean
    obs_lo = special.gdtrib(1.0, 1 - alpha / 2, mean) - 1  # upper bound of obs_lo == mean
    if np.isfinite(exact_below):
        ceiling = 2 * (mean + (z + 2) * np.sqrt(mean) + exact_below + 10)  # beyond either solution
        byar_hi = bisect(lambda o: byar_lower(o, z), mean, exact_below, ceiling)
        byar_lo = bisect(lambda o: byar_upper(o, z), mean, exact_below, ceiling)
        obs_hi = np.where(obs_hi < exact_below, obs_hi, byar_hi)
        obs_lo = np.where(obs_lo < exact_below, obs_lo, byar_lo)
    return np.maximum(np.nan_to_num(obs_lo, nan=0.0), 0) / expected, obs_hi / expected


def classify_ratios(
    obs, expected, baseline: float = 1.0, method: str = "none", exact_below: float = EXACT_BELOW
) -> np.ndarray:
    """Classify observed/expected ratios, as PHE's ``phe_funnel_significance(statistic="ratio")``.

    Parameters
    ----------
    obs, expected : array_like
        Observed counts (>= 0) and expected counts (> 0).
    baseline : float
        Ratio tested against (1 for observed/expected).
    method : {"none", "multiplicative", "additive"}
        ``"none"``: "High" when the lower confidence bound of ``obs`` (exact Poisson below
        ``exact_below`` events, Byar's otherwise) exceeds ``baseline * expected``, "Low" when the
        upper bound falls below it. Widened methods compare ``obs/expected`` with
        ``ratio_limits`` using over-dispersion estimated from these units.
    exact_below : float
        See ``ratio_limits``.

    Returns
    -------
    numpy.ndarray of str
        PHE labels as in ``classify_proportions``; a bound exactly equal to the expected count is
        not flagged.
    """
    obs, expected = _array("obs", obs), _array("expected", expected, positive=True)
    _check_method(method)
    if method != "none":
        od = overdispersion(obs, expected, baseline, statistic="ratio")
        return _classify_value(
            obs / expected,
            *(ratio_limits(expected, c, baseline, method, od) for c in (CONF_OUTER, CONF_INNER)),
        )
    mean = baseline * expected
    lo_o, hi_o = _count_bounds(obs, CONF_OUTER, exact_below)
    lo_i, hi_i = _count_bounds(obs, CONF_INNER, exact_below)
    return _label(hi_o < mean, hi_i < mean, lo_o > mean, lo_i > mean)
