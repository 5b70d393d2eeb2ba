"""Tests of change for a KPI series: year on year, and a seasonal trend.

Every function is a pure function of arrays. Quarterly series are passed in time order, ending
with the reporting quarter, together with each quarter's quarter of the year (1-4). The tests
take one series (:func:`year_on_year`, :func:`trend`) or many at once
(:func:`year_on_year_batch`, :func:`trend_batch`: every force of a KPI), whose seasonal GLMs are
then fitted together by one vectorised IRLS (:func:`vawgbook.stats.glm.fit_seasonal`).

Every test is widened by the dispersion factor of :mod:`vawgbook.stats.glm`, never narrower
than the plain Poisson or binomial test, and referred to Student's t on the dispersion
estimate's degrees of freedom.

References
----------
.. [1] McCullagh, P. and Nelder, J. A. (1989). *Generalized Linear Models*, 2nd edition.
   Chapman and Hall, London (quasi-likelihood and the dispersion parameter, sections 4.5, 9.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from .distributions import bisect, critical_value, quantile, two_sided_p
from .glm import PLAIN_SHORT, Dispersion, _dispersions, _fitted_dispersions, _observed, fit_seasonal
from .intervals import byar_interval, wilson_interval
from .settings import MIN_TREND_QUARTERS, QUARTERS_PER_YEAR, SETTINGS

WINDOW = QUARTERS_PER_YEAR
KINDS = ("count", "rate", "proportion")
_CONF, _ALPHA, _POWER = SETTINGS.conf, SETTINGS.alpha, SETTINGS.power


@dataclass(frozen=True)
class ChangeResult:
    """Result of a year-on-year or trend comparison for one KPI series.

    Attributes
    ----------
    value, baseline_value : float
        Current and baseline level in the KPI's units (after ``multiplier``).
    change, relative_change : float
        ``value - baseline_value`` and ``value / baseline_value - 1`` (NaN if baseline is 0).
    ci_lower, ci_upper : float
        Confidence interval for ``value``, widened for overdispersion.
    statistic, p_value : float
        Test statistic (already divided by sqrt(phi)) and two-sided p-value.
    dispersion : float
        phi used (1 = plain test).
    min_detectable_change : float
        Smallest absolute change detectable with the requested power (see the test's Notes).
    method : str
        The test and how phi was obtained.
    insufficient : bool
        True when the data cannot support the comparison; numeric fields are then NaN.
    note : str
        Plain-language caveat for readers ("" when none).
    numerator, denominator : float
        Totals behind ``value`` (current 12 months, or the trend window); denominator NaN for
        counts.
    """

    value: float
    baseline_value: float
    change: float
    relative_change: float
    ci_lower: float
    ci_upper: float
    statistic: float
    p_value: float
    dispersion: float
    min_detectable_change: float
    method: str
    insufficient: bool = False
    note: str = ""
    numerator: float = np.nan
    denominator: float = np.nan


def _results(levels, ci, stat, phi, ref_df, mdc, methods, notes, totals) -> list[ChangeResult]:
    """ChangeResults from arrays, one per element; the p-value is two-sided on t with ref_df."""
    (value, base), (num, den) = levels, totals
    p_value = two_sided_p(stat, ref_df)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(base > 0, value / base - 1, np.nan)
    columns = np.broadcast_arrays(value, base, value - base, rel, *ci, stat, p_value, phi, mdc,
                                  num, den)
    rows = zip(*(np.asarray(c, float).tolist() for c in columns), strict=True)
    return [ChangeResult(*r[:10], method, False, note, *r[10:])
            for r, method, note in zip(rows, methods, notes, strict=True)]


def _insufficient(method: str, note: str) -> ChangeResult:
    nan = np.nan
    return ChangeResult(nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, method, True, note)


def _rows(arrays, width: int) -> np.ndarray:
    """Series as the rows of one array, aligned at their last element (NaN before the first)."""
    out = np.full((len(arrays), width), np.nan)
    for row, a in zip(out, arrays, strict=True):
        if len(a):
            row[width - len(a):] = a
    return out


def _prepare(numerators, denominators, quarters_of_year, kind):
    """Validate a stack of series and align them at the reporting quarter.

    Returns numerators, denominators (ones for counts) and quarters as rows of equal width, each
    series' length, and each series' data error (None when it can be tested).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}")
    nums = [np.atleast_1d(np.asarray(a, float)) for a in numerators]
    qs = [np.atleast_1d(np.asarray(a, float)) for a in quarters_of_year]
    dens = ([np.ones_like(a) for a in nums] if kind == "count"
            else [np.atleast_1d(np.asarray(a, float)) for a in denominators])
    lengths = np.array([len(a) for a in nums], int)
    same = [len(n) == len(d) == len(q) for n, d, q in zip(nums, dens, qs, strict=True)]
    width = max((len(a) for a in (*nums, *dens, *qs)), default=0)
    num, den, q = (_rows([a if s else () for a, s in zip(arrays, same, strict=True)], width)
                   for arrays in (nums, dens, qs))
    with np.errstate(invalid="ignore"):
        negative = (num < 0).any(axis=1) | (den < 0).any(axis=1)
        exceeds = (num > den).any(axis=1) & (kind == "proportion")
    errors = [None if s and not n and not e else
              "numerator, denominator and quarter_of_year differ in length" if not s else
              "counts and denominators must not be negative" if n else
              "a proportion's numerator exceeds its denominator"
              for s, n, e in zip(same, negative.tolist(), exceeds.tolist(), strict=True)]
    return num, den, q, lengths, errors


def _checked(errors: list, skip_invalid: bool) -> np.ndarray:
    """Rows that can be tested; raise the first data error unless skip_invalid."""
    bad = [e for e in errors if e is not None]
    if bad and not skip_invalid:
        raise ValueError(bad[0])
    return np.array([e is None for e in errors], bool)


def _variance_fn(kind: str, phi):
    if kind == "proportion":
        return lambda p: phi * p * (1 - p)
    return lambda r: phi * r


def _two_sample_z(kind, x1, e1, x0, e0, phi):
    """Score z for level x1/e1 vs x0/e0 under the pooled null level, divided by sqrt(phi)."""
    pooled = (x1 + x0) / (e1 + e0)
    se = np.sqrt(_variance_fn(kind, phi)(pooled) * (1 / e1 + 1 / e0))
    diff = x1 / e1 - x0 / e0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((se == 0) & (diff == 0), 0.0, diff / se)


def _mdc_two_sample(kind, level0, e1, e0, phi, crit_a, crit_b) -> np.ndarray:
    """Smallest |delta| with delta = crit_a SE0(delta) + crit_b SE1(delta) (see year_on_year),
    for arrays: the root in [0, hi] bracketed as ``brentq`` was given it, found by bisection to
    the last bit (NaN where the bracket has no root)."""
    var = _variance_fn(kind, phi)
    proportion = kind == "proportion"
    sign = np.where(proportion & (level0 > 0.5), -1.0, 1.0)
    bound = np.where(sign < 0, level0, 1 - level0) if proportion else np.full_like(level0, np.inf)

    def gap(d):
        level1 = level0 + sign * d
        pooled = (e1 * level1 + e0 * level0) / (e1 + e0)
        se0 = np.sqrt(var(pooled) * (1 / e1 + 1 / e0))
        se1 = np.sqrt(var(level1) / e1 + var(level0) / e0)
        return d - crit_a * se0 - crit_b * se1

    unbounded = np.isinf(bound)
    hi = np.where(unbounded, np.maximum(level0, 1 / e1), bound)
    for _ in range(2000):
        grow = unbounded & (gap(hi) < 0)
        if not grow.any():
            break
        hi = np.where(grow, hi * 2, hi)
    f_lo, f_hi = gap(np.zeros_like(hi)), gap(hi)
    if np.any((f_lo > 0) & (f_hi > 0)):  # crit_a + crit_b < 0: a power below alpha / 2
        raise ValueError("no minimum detectable change: the power is below alpha / 2")
    root = bisect(gap, 0.0, np.zeros_like(hi), hi)
    return np.where(f_lo == 0, 0.0, np.where(f_hi < 0, np.nan, root))


def _critical(ref_df, alpha: float, power: float):
    """Two-sided ``alpha`` critical value and ``power`` quantile of the test's reference."""
    return quantile(1 - alpha / 2, ref_df), quantile(power, ref_df)


def _fixed(phi: float) -> Dispersion:
    if phi < 1:
        raise ValueError(f"phi must be at least 1, got {phi}")
    label = "plain (phi fixed at 1)" if phi == 1 else f"overdispersion-adjusted (phi fixed at {phi:g})"
    return Dispersion(float(phi), np.inf, label)


_YOY_TESTS = {
    "count": "Poisson score test of 12-month totals",
    "rate": "Poisson score test of 12-month rates",
    "proportion": "two-proportion z-test of 12-month proportions",
}
_SHORT_NOTE = "too little history to measure extra variation: the test may overstate significance"


def year_on_year_batch(numerators, denominators, quarters_of_year, kind: str, *,
                       multiplier: float = 1.0, conf: float = _CONF, alpha: float = _ALPHA,
                       power: float = _POWER, phi: float | None = None,
                       skip_invalid: bool = False) -> list[ChangeResult | None]:
    """:func:`year_on_year` for many series of one kind at once (all forces of one KPI, say).

    Parameters
    ----------
    numerators, denominators, quarters_of_year : sequence of array_like
        One series per element (they may differ in length), each as :func:`year_on_year` takes
        it; ``denominators`` may be None for counts.
    kind, multiplier, conf, alpha, power, phi
        As :func:`year_on_year`, the same for every series.
    skip_invalid : bool, default False
        Give None for a series whose data cannot be tested (negative values, more successes than
        trials, lengths that differ) instead of raising ValueError.

    Returns
    -------
    list of ChangeResult
        ``result[i]`` is what ``year_on_year`` gives for series ``i`` (to rounding): the
        dispersion fits of all series are made together by :func:`fit_seasonal`.
    """
    num, den, q, lengths, errors = _prepare(numerators, denominators, quarters_of_year, kind)
    valid = _checked(errors, skip_invalid)
    test = _YOY_TESTS[kind]
    width = 2 * WINDOW
    last_num, last_den = num[:, -width:], den[:, -width:]
    long = lengths >= width
    with np.errstate(invalid="ignore"):
        complete = np.isfinite(last_num).all(axis=1) & np.isfinite(last_den).all(axis=1) & long
        x1, x0 = last_num[:, WINDOW:].sum(axis=1), last_num[:, :WINDOW].sum(axis=1)
        e1, e0 = last_den[:, WINDOW:].sum(axis=1), last_den[:, :WINDOW].sum(axis=1)
        if kind == "count":
            e1 = e0 = np.ones(len(num))  # a count's value is the 12-month total
        no_den = ~((e1 > 0) & (e0 > 0))
        if kind == "rate":
            no_den |= (last_den <= 0).any(axis=1)
    out: list[ChangeResult | None] = [None] * len(num)
    for i in np.flatnonzero(valid & ~(complete & ~no_den)):
        out[i] = _insufficient(test, "fewer than 8 quarters of data" if not long[i] else
                               "a quarter is missing in the last two years" if not complete[i]
                               else "no denominator in a 12-month window")
    good = np.flatnonzero(valid & complete & ~no_den)
    if not good.size:
        return out
    x1, x0, e1, e0 = x1[good], x0[good], e1[good], e0[good]
    if phi is not None:
        disps = [_fixed(phi)] * good.size
    else:
        step = np.arange(num.shape[1]) >= num.shape[1] - WINDOW
        t = np.arange(num.shape[1]) - (num.shape[1] - lengths[good])[:, None]
        family = "binomial" if kind == "proportion" else "poisson"
        disps = _dispersions(family, num[good], den[good], q[good], step=step, t=t)
    phi_ = np.array([d.phi for d in disps])
    ref_df = np.array([d.reference_df for d in disps])

    stat = _two_sample_z(kind, x1, e1, x0, e0, phi_)
    if kind == "proportion":
        lo, hi = wilson_interval(x1 / phi_, e1 / phi_, conf)
    else:
        lo, hi = np.multiply(byar_interval(x1 / phi_, conf), phi_ / e1)
    crit_a, crit_b = _critical(ref_df, alpha, power)
    mdc = _mdc_two_sample(kind, x0 / e0, e1, e0, phi_, crit_a, crit_b) * multiplier
    short = [d.method == PLAIN_SHORT for d in disps]
    results = _results(
        (x1 / e1 * multiplier, x0 / e0 * multiplier),
        (lo * multiplier, hi * multiplier),
        stat,
        phi_,
        ref_df,
        mdc,
        [f"{test}; {d.method}" for d in disps],
        [_SHORT_NOTE if s else "" for s in short],
        (x1, e1 if kind != "count" else np.nan),
    )
    for i, result in zip(good, results, strict=True):
        out[i] = result
    return out


def year_on_year(
    numerator,
    denominator,
    quarter_of_year,
    kind: str,
    multiplier: float = 1.0,
    conf: float = _CONF,
    alpha: float = _ALPHA,
    power: float = _POWER,
    phi: float | None = None,
) -> ChangeResult:
    """Compare the 12 months ending with the reporting quarter with the 12 months before.

    Parameters
    ----------
    numerator, denominator : array_like
        Quarterly series in time order ending with the reporting quarter (full history).
        ``denominator`` is ignored for ``kind="count"``; for ``"rate"`` it is each quarter's
        exposure (for a per-year rate, pass person-years: population / 4 per quarter); for
        ``"proportion"`` the trials.
    quarter_of_year : array_like
        Quarter of the year (1-4) of each element.
    kind : {"count", "rate", "proportion"}
        ``count``: 12-month totals, Poisson score test. ``rate``: ``sum(num)/sum(den)``, Poisson
        score test with the denominators as exposure. ``proportion``: pooled two-proportion z-test
        without continuity correction (``proportions_ztest``).
    multiplier : float, default 1.0
        Scales values into KPI units (1000 for per 1,000, 100 for percent).
    conf, alpha, power : float
        Confidence level of the interval; two-sided level and power for the minimum detectable
        change.
    phi : float, optional
        Use this dispersion instead of estimating it (``phi=1`` gives the plain test).

    Returns
    -------
    ChangeResult
        ``insufficient=True`` with NaNs when the last 8 quarters have a gap or a window has no
        denominator.

    Notes
    -----
    phi comes from :func:`dispersion_counts` or :func:`dispersion_proportions` on the whole
    history, with an indicator for the current 12 months so a real change does not inflate it.
    The score z is divided by sqrt(phi) and, when phi was estimated on ``df`` residual degrees
    of freedom (even if floored at 1), referred to Student's t on ``df`` (the quasi-likelihood F
    test of McCullagh and Nelder 1989, section 4.5); with a fixed phi, to the normal.

    The interval for ``value`` is Byar (counts, rates) or Wilson (proportions) applied to the
    effective counts ``x/phi`` (and ``n/phi``), scaled back. For Wilson this is identical to
    using ``z sqrt(phi)`` in place of z; for Byar it also scales the skewness term.

    The minimum detectable change solves ``delta = c_a SE0 + c_b SE1`` (normal approximation to
    the test's power), with ``SE0`` the null (pooled) and ``SE1`` the alternative standard error
    of the difference, both times sqrt(phi), ``c_a`` the two-sided ``alpha`` critical value and
    ``c_b`` the ``power`` quantile (t on df when phi > 1). It is computed for a change in the
    direction in which the variance grows (up for counts and rates, towards 1/2 for
    proportions), the harder direction. Benjamini-Hochberg makes the effective per-test level at
    most ``alpha``, so this is a lower bound on the change that would be flagged.
    """
    den = None if denominator is None else [denominator]
    return year_on_year_batch([numerator], den, [quarter_of_year], kind, multiplier=multiplier,
                              conf=conf, alpha=alpha, power=power, phi=phi)[0]


def trend(
    numerator,
    denominator,
    quarter_of_year,
    kind: str,
    n_quarters: int = 12,
    multiplier: float = 1.0,
    conf: float = _CONF,
    alpha: float = _ALPHA,
    power: float = _POWER,
) -> ChangeResult:
    """Test for a linear trend over the last ``n_quarters``, allowing for seasonality.

    Parameters
    ----------
    numerator, denominator, quarter_of_year, kind, multiplier, conf, alpha, power
        As :func:`year_on_year`.
    n_quarters : int, default 12
        Length of the window; at least 8 of its quarters must have data.

    Returns
    -------
    ChangeResult
        ``value`` and ``baseline_value`` are the seasonally adjusted fitted levels at the last and
        first quarter of the window, per quarter for counts (not 12-month totals), per unit of
        exposure for rates, as a proportion for proportions, all times ``multiplier``.
        ``ci_lower``/``ci_upper`` bound the fitted level at the last quarter.

    Notes
    -----
    Fits ``y ~ t + C(quarter)``: quasi-Poisson with ``log(exposure)`` offset for counts and rates,
    quasi-binomial (trials as weights) for proportions, with the dispersion ``phi = Pearson
    chi2 / df_resid`` of the window, floored at 1 [1]_. The statistic is the slope over its
    standard error times sqrt(phi), referred to t on df_resid when phi > 1 (normal otherwise).
    The seasonally adjusted level at time t is the mean over the quarter-of-year effects of the
    fitted value; its interval is the delta-method interval on the log (logit) scale.

    The minimum detectable change is the change over the window implied by a slope of
    ``(c_a + c_b)`` standard errors (``c_a`` the two-sided ``alpha`` critical value, ``c_b`` the
    ``power`` quantile), centred on the fitted level at the middle of the window; as for
    :func:`year_on_year` it is a lower bound once Benjamini-Hochberg is applied.

    References
    ----------
    .. [1] McCullagh and Nelder (1989), sections 4.5 and 9.2. See the module references.
    """
    den = None if denominator is None else [denominator]
    return trend_batch([numerator], den, [quarter_of_year], kind, n_quarters,
                       multiplier=multiplier, conf=conf, alpha=alpha, power=power)[0]


def trend_batch(numerators, denominators, quarters_of_year, kind: str, n_quarters: int = 12, *,
                multiplier: float = 1.0, conf: float = _CONF, alpha: float = _ALPHA,
                power: float = _POWER, skip_invalid: bool = False) -> list[ChangeResult | None]:
    """:func:`trend` for many series of one kind at once; arguments as :func:`year_on_year_batch`.

    ``result[i]`` is what ``trend`` gives for series ``i`` (to rounding); the GLMs of all series
    are fitted together by :func:`fit_seasonal`.
    """
    num, den, q, lengths, errors = _prepare(numerators, denominators, quarters_of_year, kind)
    valid = _checked(errors, skip_invalid)
    binomial = kind == "proportion"
    family = "binomial" if binomial else "poisson"
    width = min(n_quarters, num.shape[1])
    num, den, q = num[:, num.shape[1] - width:], den[:, den.shape[1] - width:], q[:, q.shape[1] - width:]
    span = np.minimum(lengths, width)
    tests = [f"{'binomial' if binomial else 'Poisson'} GLM trend over {n} quarters" for n in span]
    ok = _observed(num, den, q)
    y_total = np.where(ok, num, 0.0).sum(axis=1)
    size_total = np.where(ok, den, 0.0).sum(axis=1)
    totals = (y_total, np.full(len(num), np.nan) if kind == "count" else size_total)
    enough = valid & (ok.sum(axis=1) >= MIN_TREND_QUARTERS)
    flat = y_total == 0
    if binomial:
        flat |= np.where(ok, num == den, True).all(axis=1)
    out: list[ChangeResult | None] = [None] * len(num)
    for i in np.flatnonzero(valid & ~enough):
        out[i] = _insufficient(tests[i], f"fewer than {MIN_TREND_QUARTERS} quarters with data")
    rows = np.flatnonzero(enough & flat)
    if rows.size:
        flat_disp = Dispersion(1.0, 0.0, "plain (no variation to estimate from)")
        with np.errstate(divide="ignore", invalid="ignore"):
            level = y_total[rows] / size_total[rows] * multiplier
        nan = np.full(rows.size, np.nan)
        results = _results((level, level), (nan, nan), 0.0, 1.0, np.inf, nan,
                           [f"{tests[i]}; {flat_disp.method}" for i in rows],
                           ["no variation"] * rows.size, (totals[0][rows], totals[1][rows]))
        for i, result in zip(rows, results, strict=True):
            out[i] = result
    rows = np.flatnonzero(enough & ~flat)
    if not rows.size:
        return out
    t = np.arange(width) - (width - span[rows])[:, None]
    fit = fit_seasonal(family, num[rows], den[rows], q[rows], t=t, mask=ok[rows])
    disps = _fitted_dispersions(fit, family)
    phi = np.array([d.phi for d in disps])
    ref_df = np.array([d.reference_df for d in disps])
    b, root = fit.params, fit.cov_root * np.sqrt(phi)[:, None, None]
    se_slope = np.sqrt((root[:, 1] ** 2).sum(axis=1))
    stat = b[:, 1] / se_slope

    # seasonally adjusted level: the mean over the quarter levels with data of the fitted value
    n_levels = len(fit.levels)
    effects = b[:, 2:2 + n_levels]  # 0 for the reference level
    n_season = fit.present.sum(axis=1)
    inverse = special.expit if binomial else np.exp

    def level(intercept, slope, at):
        values = inverse((intercept + slope * at)[:, None] + effects)
        return np.where(fit.present, values, 0.0).sum(axis=1) / n_season

    t_last = span[rows] - 1.0
    t_mid = t_last / 2
    value, base = level(b[:, 0], b[:, 1], t_last), level(b[:, 0], b[:, 1], 0.0)
    # delta-method interval for the seasonally adjusted level at the last quarter
    mu = inverse((b[:, :1] + effects) + (b[:, 1] * t_last)[:, None])
    deriv = np.where(fit.present, mu * (1 - mu) if binomial else mu, 0.0)
    grad = np.zeros_like(b)
    grad[:, 0] = deriv.sum(axis=1) / n_season
    grad[:, 1] = (deriv * t_last[:, None]).sum(axis=1) / n_season
    grad[:, 2:2 + n_levels] = np.where(fit.live[:, 2:2 + n_levels], deriv, 0.0) / n_season[:, None]
    se_link = np.sqrt((np.einsum("bk,bkl->bl", grad, root) ** 2).sum(axis=1)) / (
        value * (1 - value) if binomial else value)
    crit = critical_value(conf, ref_df)
    if binomial:
        lo = special.expit(special.logit(value) - crit * se_link)
        hi = special.expit(special.logit(value) + crit * se_link)
    else:
        lo, hi = value * np.exp(-crit * se_link), value * np.exp(crit * se_link)
    crit_a, crit_b = _critical(ref_df, alpha, power)
    slope = (crit_a + crit_b) * se_slope
    mid_intercept = b[:, 0] + b[:, 1] * t_mid
    mdc = level(mid_intercept, slope, t_last - t_mid) - level(mid_intercept, slope, 0.0 - t_mid)
    results = _results(
        (value * multiplier, base * multiplier),
        (lo * multiplier, hi * multiplier),
        stat,
        phi,
        ref_df,
        np.abs(mdc) * multiplier,
        [f"{tests[i]}; {d.method}" for i, d in zip(rows, disps, strict=True)],
        [""] * rows.size,
        (totals[0][rows], totals[1][rows]),
    )
    for i, result in zip(rows, results, strict=True):
        out[i] = result
    return out
