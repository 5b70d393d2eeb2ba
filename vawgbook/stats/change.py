"""Tests of change for a KPI series: year on year, and a seasonal trend.

Every function is a pure function of arrays. Quarterly series are passed in time order, ending
with the reporting quarter, together with each quarter's quarter of the year (1-4). The tests take
one series (:func:`year_on_year`, :func:`trend`) or many at once (:func:`year_on_year_batch`,
:func:`trend_batch`: every force of one KPI, with England and Wales), whose seasonal GLMs are then
fitted together by one vectorised IRLS (:func:`vawgbook.stats.glm.fit_seasonal`).

What a batch does that one series cannot:

- **Serial correlation.** The AR(1) coefficient of the residuals is estimated across the pooled
  series (:mod:`vawgbook.stats.serial`) and allowed for in the variance of the difference of the
  two 12-month totals, in the trend's slope (a sandwich variance) and in each dispersion
  estimate (``X2 / tr(M R)``).
- **Pooled dispersion.** Each pooled series' dispersion is shrunk towards a trend across series
  of log phi on log volume (empirical Bayes, :mod:`vawgbook.stats.pooling`) and its test
  referred to t on the prior's plus its own degrees of freedom.
- **Registered breaks.** A step at each break the caller names is fitted, so a change in
  recording is not mistaken for extra variation (the trend's slope is then the trend within the
  segments).

Dispersion is never below 1 (a test is never narrower than the plain Poisson or binomial one).
Where the counts are small the p-value comes from an exact conditional test with the mid-p
(:mod:`vawgbook.stats.exact`). Intervals use the critical value of the same t reference as the
test.

References
----------
.. [1] McCullagh, P. and Nelder, J. A. (1989). *Generalized Linear Models*, 2nd edition.
   Chapman and Hall, London (quasi-likelihood and the dispersion parameter, sections 4.5, 9.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from . import glm
from .distributions import bisect, critical_value, quantile, two_sided_p
from .exact import fisher_midp, poisson_conditional_midp
from .glm import PLAIN_SHORT, Dispersion, SeasonalFit, _observed, _seasonal_design, fit_seasonal
from .intervals import byar_interval, wilson_interval
from .pooling import NO_PRIOR, Prior, fit_prior, squeeze
from .serial import (
    contrast_inflation,
    dispersion_divisor,
    estimate_ar1,
    residual_projection,
    sandwich_root,
    share_of,
)
from .settings import (
    MIN_DISPERSION_DF,
    MIN_HISTORY_QUARTERS,
    MIN_TREND_QUARTERS,
    QUARTERS_PER_YEAR,
    SETTINGS,
)

WINDOW = QUARTERS_PER_YEAR
KINDS = ("count", "rate", "proportion")
_CONF, _ALPHA, _POWER = SETTINGS.conf, SETTINGS.alpha, SETTINGS.power
#: Counts and rates: an exact conditional test where the smaller window's expected (effective)
#: count under no change is below this (as PHE use exact Poisson limits below 10 events).
EXACT_COUNT_BELOW = 10
#: Rounds of estimating rho and the dispersions in turn (each depends on the other).
SERIAL_ROUNDS = 3
#: Proportions: Fisher's exact test (mid-p) where an expected cell of the 2x2 table is below this
#: (Cochran's rule for the chi-square approximation).
EXACT_CELL_BELOW = 5


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
        Confidence interval for ``value``, widened for overdispersion and serial correlation, on
        the test's t reference.
    statistic, p_value : float
        Test statistic (already scaled by the dispersion) and two-sided p-value.
    dispersion : float
        phi used (1 = plain test), before the serial-correlation factor.
    min_detectable_change : float
        Smallest absolute change detectable with the requested power at ``alpha`` (see
        :func:`min_detectable_changes` to have it at another level).
    method : str
        The test and how phi was obtained.
    insufficient : bool
        True when the data cannot support the comparison; numeric fields are then NaN.
    note : str
        Plain-language caveat for readers ("" when none).
    numerator, denominator : float
        Totals behind ``value`` (current 12 months, or the trend window); denominator NaN for
        counts.
    df : float
        Degrees of freedom of the t reference (infinite: the normal).
    serial : float
        The AR(1) coefficient allowed for (0: none).
    basis : tuple
        What :func:`min_detectable_changes` needs to recompute the minimum detectable change.
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
    df: float = np.inf
    serial: float = 0.0
    basis: tuple = ()


def _results(levels, ci, stat, phi, ref_df, mdc, methods, notes, totals, p_value=None, serial=0.0,
             bases=None) -> list[ChangeResult]:
    """ChangeResults from arrays, one per element; the p-value two-sided on t with ref_df unless
    given."""
    (value, base), (num, den) = levels, totals
    if p_value is None:
        p_value = two_sided_p(stat, ref_df)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(base > 0, value / base - 1, np.nan)
    columns = np.broadcast_arrays(value, base, value - base, rel, *ci, stat, p_value, phi, mdc,
                                  num, den, ref_df)
    rows = zip(*(np.asarray(c, float).tolist() for c in columns), strict=True)
    bases = bases if bases is not None else [()] * len(methods)
    return [ChangeResult(*r[:10], method, False, note, *r[10:13], float(serial), basis)
            for r, method, note, basis in zip(rows, methods, notes, bases, strict=True)]


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


def _critical(ref_df, alpha, power: float):
    """Two-sided ``alpha`` critical value and ``power`` quantile of the test's reference."""
    return quantile(1 - np.asarray(alpha, float) / 2, ref_df), quantile(power, ref_df)


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
_EXACT_TESTS = {
    "count": "exact conditional binomial test of 12-month totals (mid-p)",
    "rate": "exact conditional binomial test of 12-month rates (mid-p)",
    "proportion": "Fisher's exact test of 12-month proportions (mid-p)",
}
# The largest change of the fitted level within a trend's window (on the log or logit scale,
# a factor of a million) taken as a trend at all; beyond it the fit has run off (see trend_batch).
RUNAWAY_LOG_CHANGE = np.log(1e6)
RUNAWAY_NOTE = "no trend estimated: too few cases at one end of the window to fit one"
_SHORT_NOTE = "too little history to measure extra variation: the test may overstate significance"


def _steps(breaks, lengths, width: int, shift=None) -> list[np.ndarray]:
    """A (B, width) 0/1 column per break of any series: 1 from the break on, in that series only.

    ``breaks[i]`` lists positions in series ``i``'s own array (its first element is 0); series
    are right-aligned in the stack, so position ``k`` of a series of length ``L`` is column
    ``width - L + k``. ``shift`` moves columns left (a window cut from the end of the stack).
    """
    if breaks is None:
        return []
    columns = []
    most = max((len(b) for b in breaks if b is not None), default=0)
    for j in range(most):
        col = np.zeros((len(lengths), width))
        for i, bs in enumerate(breaks):
            if bs is not None and j < len(bs):
                start = width - lengths[i] + int(bs[j]) - (shift or 0)
                col[i, max(start, 0):] = 1.0 if start < width else 0.0
        columns.append(col)
    return columns


@dataclass(frozen=True)
class _Dispersions:
    """Each series' dispersion as tested: phi (floored at 1) and its t reference df, with what it
    came from."""

    phi: np.ndarray
    df: np.ndarray
    raw: np.ndarray  # X2 / tr(MR) before pooling and flooring (NaN where not estimated)
    methods: list
    short: np.ndarray  # history too short: the plain test, with the caveat
    rho: float
    prior: Prior

    @property
    def share(self) -> np.ndarray:
        """The share of each series' variance that is extra (serially correlated) variation."""
        return share_of(self.phi)


def _moderated(family: str, fit: SeasonalFit, ok: np.ndarray, rows: np.ndarray, n: int,
               pooled: np.ndarray, volume: np.ndarray, rho: float | None,
               min_history: int = MIN_HISTORY_QUARTERS) -> _Dispersions:
    """Dispersion of every series from its GLM fit (``rows``: the series fitted, in ``fit``'s
    order), with serial correlation and empirical Bayes pooling over the ``pooled`` series."""
    name = "Poisson" if family == "poisson" else "binomial"
    phi, df = np.ones(n), np.zeros(n)
    raw = np.full(n, np.nan)
    methods = [PLAIN_SHORT] * n
    short = np.ones(n, bool)
    if not rows.size:
        return _Dispersions(phi, df, raw, methods, short, 0.0, NO_PRIOR)
    fitted_ok = ok[rows]
    projections = residual_projection(fit.design, fitted_ok)
    # as many quarters as the model has terms plus MIN_DISPERSION_DF (collinear terms count too)
    enough = ((fitted_ok.sum(axis=1) >= min_history)
              & (fitted_ok.sum(axis=1) - fit.live.sum(axis=1) >= MIN_DISPERSION_DF))
    # The share of each series' variance that is extra variation (and so serially correlated)
    # depends on its dispersion, which depends on rho: a few rounds settle both.
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.where(enough, fit.pearson_chi2 / fit.df_resid, np.nan)
    use = enough & pooled[rows]
    fixed = rho is not None
    rho = float(rho or 0.0)
    for _ in range(SERIAL_ROUNDS if (use.any() or fixed) else 0):
        share = share_of(estimate)
        if not fixed:
            rho = estimate_ar1(fit.residuals[use], projections[use], fitted_ok[use], share[use]).rho
        with np.errstate(divide="ignore", invalid="ignore"):
            estimate = np.where(enough, fit.pearson_chi2 / dispersion_divisor(projections, rho, share),
                                np.nan)
        if fixed and not rho:
            break
    own_df = np.where(enough, fit.df_resid, 0.0)
    in_prior = pooled[rows] & enough
    prior = fit_prior(estimate[in_prior], own_df[in_prior], volume[rows][in_prior]) \
        if in_prior.any() else NO_PRIOR
    post, post_df = estimate.copy(), own_df.copy()
    moderated = pooled[rows] & (prior.df > 0)
    if moderated.any():
        post[moderated], post_df[moderated] = squeeze(estimate[moderated], own_df[moderated],
                                                      volume[rows][moderated], prior)
    tested = enough | moderated
    for k, i in enumerate(rows.tolist()):
        if not tested[k]:
            continue
        short[i] = False
        raw[i] = estimate[k]
        value = max(float(post[k]), 1.0) if np.isfinite(post[k]) else 1.0
        phi[i], df[i] = value, float(post_df[k])
        parts = []
        if moderated[k]:
            parts.append(f"pooled across forces, prior df {prior.df:.0f}")
        if rho:
            parts.append(f"serial correlation {rho:.2f}")
        extra = "; ".join(parts)
        extra_comma, extra_semi = (f", {extra}", f"; {extra}") if extra else ("", "")
        label = f"quasi-{name}, phi={value:.2f} on {df[i]:.0f} df{extra_comma}"
        methods[i] = (f"overdispersion-adjusted ({label})" if post[k] > 1 else
                      f"plain (phi estimate {post[k]:.2f} floored at 1{extra_semi})")
    return _Dispersions(phi, df, raw, methods, short, float(rho), prior)


def _history_fit(family: str, num, den, q, lengths, good, breaks, step_window: int | None):
    """The seasonal GLM of each series' whole history (rows ``good``), with a step for the last
    ``step_window`` quarters and one at each registered break."""
    width = num.shape[1]
    t = np.arange(width) - (width - lengths[good])[:, None]
    steps = [np.broadcast_to(np.arange(width) >= width - step_window, (good.size, width))] \
        if step_window else []
    steps += [s[good] for s in _steps(breaks, lengths, width)]
    y, size, quarter, tt = num[good], den[good], q[good], np.broadcast_to(t, (good.size, width))
    ok = _observed(y, size, quarter, tt)
    flat = np.where(ok, y, 0.0).sum(axis=1) == 0
    if family == "binomial":
        flat |= np.where(ok, y == size, True).all(axis=1)
    X, live, levels, present = _seasonal_design(tt, quarter, ok, steps)
    fittable = ~flat & (ok.sum(axis=1) > live.sum(axis=1))
    rows = np.flatnonzero(fittable)
    fit = glm._irls(family, y[rows], size[rows], ok[rows], X[rows], live[rows], levels, present[rows]) \
        if rows.size else None
    return fit, ok, rows


def _volume(num, den, kind):
    """A series' typical quarterly size: its mean denominator (counts: its mean count)."""
    with np.errstate(invalid="ignore"):
        return np.nanmean(np.where(np.isfinite(num), num if kind == "count" else den, np.nan), axis=1)


def year_on_year_batch(numerators, denominators, quarters_of_year, kind: str, *,
                       multiplier: float = 1.0, conf: float = _CONF, alpha=_ALPHA,
                       power: float = _POWER, phi: float | None = None, breaks=None,
                       pooled=None, rho: float | None = None,
                       skip_invalid: bool = False) -> list[ChangeResult | None]:
    """:func:`year_on_year` for many series of one kind at once (all forces of one KPI, say).

    Parameters
    ----------
    numerators, denominators, quarters_of_year : sequence of array_like
        One series per element (they may differ in length), each as :func:`year_on_year` takes
        it; ``denominators`` may be None for counts.
    kind, multiplier, conf, alpha, power, phi
        As :func:`year_on_year`, the same for every series (``alpha`` may be one per series).
    breaks : sequence, optional
        For each series, the positions (in its own array) of the first quarter after each
        registered break, or None: a step is fitted there. (Whether the comparison may be made
        across a break is the caller's question.)
    pooled : array_like of bool, optional
        The series that share an empirical Bayes prior for their dispersion and from which the
        serial correlation is estimated (the forces; not England and Wales). None: no pooling and
        no serial correlation unless ``rho`` is given (each series on its own, as
        :func:`year_on_year`).
    rho : float, optional
        Use this AR(1) coefficient instead of estimating it.
    skip_invalid : bool, default False
        Give None for a series whose data cannot be tested (negative values, more successes than
        trials, lengths that differ) instead of raising ValueError.

    Returns
    -------
    list of ChangeResult
        One per series; ``result.serial`` is the AR(1) coefficient used.
    """
    num, den, q, lengths, errors = _prepare(numerators, denominators, quarters_of_year, kind)
    valid = _checked(errors, skip_invalid)
    n = len(num)
    pooled = np.zeros(n, bool) if pooled is None else np.asarray(pooled, bool)
    alpha = np.broadcast_to(np.asarray(alpha, float), (n,))
    test = _YOY_TESTS[kind]
    width = 2 * WINDOW
    last_num, last_den = num[:, -width:], den[:, -width:]
    long = lengths >= width
    with np.errstate(invalid="ignore"):
        complete = np.isfinite(last_num).all(axis=1) & np.isfinite(last_den).all(axis=1) & long
        x1, x0 = last_num[:, WINDOW:].sum(axis=1), last_num[:, :WINDOW].sum(axis=1)
        e1, e0 = last_den[:, WINDOW:].sum(axis=1), last_den[:, :WINDOW].sum(axis=1)
        if kind == "count":
            e1 = e0 = np.ones(n)  # a count's value is the 12-month total
        no_den = ~((e1 > 0) & (e0 > 0))
        if kind == "rate":
            no_den |= (last_den <= 0).any(axis=1)
    out: list[ChangeResult | None] = [None] * n
    for i in np.flatnonzero(valid & ~(complete & ~no_den)):
        out[i] = _insufficient(test, "fewer than 8 quarters of data" if not long[i] else
                               "a quarter is missing in the last two years" if not complete[i]
                               else "no denominator in a 12-month window")
    good = np.flatnonzero(valid & complete & ~no_den)
    if not good.size:
        return out
    family = "binomial" if kind == "proportion" else "poisson"
    if phi is not None:
        disp = _Dispersions(np.full(n, _fixed(phi).phi), np.full(n, np.inf), np.full(n, np.nan),
                            [_fixed(phi).method] * n, np.zeros(n, bool), 0.0 if rho is None else rho,
                            NO_PRIOR)
    else:
        fit, ok, rows = _history_fit(family, num, den, q, lengths, good, breaks, WINDOW)
        volume = _volume(num[good], den[good], kind)
        if fit is None:
            disp = _moderated(family, None, ok, rows, good.size, pooled[good], volume, rho)
        else:
            disp = _moderated(family, fit, ok, rows, good.size, pooled[good], volume, rho)
        disp = _Dispersions(*(_spread(a, good, n) for a in (disp.phi, disp.df, disp.raw)),
                            _spread_list(disp.methods, good, n), _spread(disp.short, good, n),
                            disp.rho, disp.prior)
    x1, x0, e1, e0 = x1[good], x0[good], e1[good], e0[good]
    phi_, ref_df = disp.phi[good], disp.df[good]
    ref_df = np.where(ref_df > 0, ref_df, np.inf)
    # Serial correlation: the variance of the difference of the two 12-month totals, and of the
    # current total (for its interval), relative to independent quarters.
    exposures = last_den[good] if kind != "count" else np.ones((good.size, width))
    contrast = np.where(np.arange(width) >= WINDOW, 1 / e1[:, None], -1 / e0[:, None])
    current = np.where(np.arange(width) >= WINDOW, 1.0, 0.0) * np.ones((good.size, 1))
    diff_factor = contrast_inflation(contrast, exposures, disp.rho, disp.share[good])
    level_factor = contrast_inflation(current, exposures, disp.rho, disp.share[good])
    scale = phi_ * diff_factor
    stat = _two_sample_z(kind, x1, e1, x0, e0, scale)
    p_value = two_sided_p(stat, ref_df)
    exact = _small(kind, x1, e1, x0, e0, scale)
    if exact.any():
        eff = scale[exact]
        if kind == "proportion":
            p_value[exact] = fisher_midp(x1[exact] / eff, e1[exact] / eff, x0[exact] / eff, e0[exact] / eff)
        else:
            p_value[exact] = poisson_conditional_midp(x1[exact] / eff, e1[exact], x0[exact] / eff, e0[exact])
    spread = phi_ * level_factor
    if kind == "proportion":
        lo, hi = wilson_interval(x1 / spread, e1 / spread, conf, ref_df)
    else:
        lo, hi = np.multiply(byar_interval(x1 / spread, conf, df=ref_df), spread / e1)
    crit_a, crit_b = _critical(ref_df, alpha[good], power)
    mdc = _mdc_two_sample(kind, x0 / e0, e1, e0, scale, crit_a, crit_b) * multiplier
    code = KINDS.index(kind)
    methods = []
    for k, i in enumerate(good.tolist()):
        name = _EXACT_TESTS[kind] if exact[k] else test
        extra = f"; serial correlation factor {diff_factor[k]:.2f}" if disp.rho and phi is None else ""
        methods.append(f"{name}; {disp.methods[i]}{extra}")
    results = _results(
        (x1 / e1 * multiplier, x0 / e0 * multiplier),
        (lo * multiplier, hi * multiplier),
        stat,
        phi_,
        ref_df,
        mdc,
        methods,
        [_SHORT_NOTE if disp.short[i] else "" for i in good.tolist()],
        (x1, e1 if kind != "count" else np.nan),
        p_value=p_value,
        serial=disp.rho,
        bases=[("year_on_year", code, float(x0[k] / e0[k]), float(e1[k]), float(e0[k]), float(scale[k]),
                float(ref_df[k]), float(multiplier)) for k in range(good.size)],
    )
    for i, result in zip(good, results, strict=True):
        out[i] = result
    return out


def _spread(values, rows, n):
    """Values for ``rows`` of ``n`` series, as a length-``n`` array (NaN, or False, elsewhere)."""
    values = np.asarray(values)
    out = np.zeros(n, bool) if values.dtype == bool else np.full(n, np.nan)
    out[rows] = values
    return out


def _spread_list(values, rows, n):
    out = [""] * n
    for k, i in enumerate(np.asarray(rows).tolist()):
        out[i] = values[k]
    return out


def _small(kind, x1, e1, x0, e0, scale):
    """Where the counts are too small for the normal approximation (on the effective scale)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "proportion":
            p = (x1 + x0) / (e1 + e0)
            cells = np.stack([e1 * p, e1 * (1 - p), e0 * p, e0 * (1 - p)]) / scale
            return (cells.min(axis=0) < EXACT_CELL_BELOW) & (e1 > 0) & (e0 > 0)
        total = (x1 + x0) / scale
        smaller = total * np.minimum(e1, e0) / (e1 + e0)
        return smaller < EXACT_COUNT_BELOW


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
    phi comes from the quasi-likelihood GLM ``y ~ t + C(quarter) + current`` of the whole
    history (``current`` marks the latest 12 months, so a real change does not inflate it): the
    Pearson chi-square over its expectation, floored at 1. The score z is divided by sqrt(phi)
    and, when phi was estimated on ``df`` residual degrees of freedom (even if floored at 1),
    referred to Student's t on ``df`` (the quasi-likelihood F test of McCullagh and Nelder 1989,
    section 4.5); with a fixed phi, to the normal. Small counts use an exact conditional test
    with the mid-p (:data:`EXACT_COUNT_BELOW`, :data:`EXACT_CELL_BELOW`).

    The interval for ``value`` is Byar (counts, rates) or Wilson (proportions) applied to the
    effective counts ``x/phi`` (and ``n/phi``), scaled back, with the critical value of the
    test's t reference.

    The minimum detectable change solves ``delta = c_a SE0 + c_b SE1`` (normal approximation to
    the test's power), with ``SE0`` the null (pooled) and ``SE1`` the alternative standard error
    of the difference, both times sqrt(phi), ``c_a`` the two-sided ``alpha`` critical value and
    ``c_b`` the ``power`` quantile of the same reference. It is computed for a change in the
    direction in which the variance grows (up for counts and rates, towards 1/2 for
    proportions), the harder direction.

    One series on its own is neither pooled nor corrected for serial correlation:
    :func:`year_on_year_batch` does both across the forces of a KPI.
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
    standard error times sqrt(phi), referred to t on df_resid when phi was estimated. The
    seasonally adjusted level at time t is the mean over the quarter-of-year effects of the
    fitted value; its interval is the delta-method interval on the log (logit) scale.

    The minimum detectable change is the change over the window implied by a slope of
    ``(c_a + c_b)`` standard errors (``c_a`` the two-sided ``alpha`` critical value, ``c_b`` the
    ``power`` quantile), centred on the fitted level at the middle of the window.

    References
    ----------
    .. [1] McCullagh and Nelder (1989), sections 4.5 and 9.2. See the module references.
    """
    den = None if denominator is None else [denominator]
    return trend_batch([numerator], den, [quarter_of_year], kind, n_quarters,
                       multiplier=multiplier, conf=conf, alpha=alpha, power=power)[0]


def _seasonal_level(inverse, present, effects, intercept, slope, at):
    """The mean over the quarter levels with data of the fitted value at time ``at``."""
    values = inverse((intercept + slope * at)[:, None] + effects)
    return np.where(present, values, 0.0).sum(axis=1) / present.sum(axis=1)


def trend_batch(numerators, denominators, quarters_of_year, kind: str, n_quarters: int = 12, *,
                multiplier: float = 1.0, conf: float = _CONF, alpha=_ALPHA,
                power: float = _POWER, breaks=None, pooled=None, rho: float | None = None,
                skip_invalid: bool = False) -> list[ChangeResult | None]:
    """:func:`trend` for many series of one kind at once; arguments as :func:`year_on_year_batch`.

    A registered break inside the window adds a step there (the slope is then the trend within
    the segments); ``pooled`` series share an empirical Bayes prior for the dispersion of the
    window's fit; the slope's variance allows for AR(1) ``rho`` (estimated across the pooled
    series when not given) by the sandwich formula.
    """
    num, den, q, lengths, errors = _prepare(numerators, denominators, quarters_of_year, kind)
    valid = _checked(errors, skip_invalid)
    n = len(num)
    pooled = np.zeros(n, bool) if pooled is None else np.asarray(pooled, bool)
    alpha = np.broadcast_to(np.asarray(alpha, float), (n,))
    binomial = kind == "proportion"
    family = "binomial" if binomial else "poisson"
    width = min(n_quarters, num.shape[1])
    cut = num.shape[1] - width
    num, den, q = num[:, cut:], den[:, cut:], q[:, cut:]
    span = np.minimum(lengths, width)
    tests = [f"{'binomial' if binomial else 'Poisson'} GLM trend over {s} quarters" for s in span]
    ok = _observed(num, den, q)
    y_total = np.where(ok, num, 0.0).sum(axis=1)
    size_total = np.where(ok, den, 0.0).sum(axis=1)
    totals = (y_total, np.full(n, np.nan) if kind == "count" else size_total)
    enough = valid & (ok.sum(axis=1) >= MIN_TREND_QUARTERS)
    flat = y_total == 0
    if binomial:
        flat |= np.where(ok, num == den, True).all(axis=1)
    out: list[ChangeResult | None] = [None] * n
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
    steps = [s[rows] for s in _steps(breaks, lengths, num.shape[1] + cut, shift=cut)]
    steps = [s[:, :width] for s in steps]
    fit = fit_seasonal(family, num[rows], den[rows], q[rows], t=t, mask=ok[rows], steps=steps)
    volume = _volume(num[rows], den[rows], kind)
    disp = _moderated(family, fit, ok[rows], np.arange(rows.size), rows.size, pooled[rows], volume,
                      rho, min_history=MIN_TREND_QUARTERS)
    phi = disp.phi
    ref_df = np.where(disp.df > 0, disp.df, np.inf)
    root = sandwich_root(fit.design, fit.cov_root, disp.rho, disp.share) * np.sqrt(phi)[:, None, None]
    b = fit.params
    # A series with (almost) no cases at one end of the window has no maximum likelihood trend:
    # IRLS stops because the deviance settles while the slope runs off, and the fitted level at
    # an end heads for zero (baselines of 1e16, intervals up to infinity). No real series moves
    # by a factor of a million within the window, so such a fit is reported as not estimable;
    # its coefficients and their covariance are replaced by a harmless stand-in (0, identity)
    # so that nothing overflows on the way to a result that is then set aside.
    runaway = ~np.isfinite(b[:, 1]) | (np.abs(b[:, 1]) * (span[rows] - 1) > RUNAWAY_LOG_CHANGE)
    if runaway.any():
        b = np.where(runaway[:, None], 0.0, b)
        root = np.where(runaway[:, None, None], np.eye(b.shape[1]), root)
    se_slope = np.sqrt((root[:, 1] ** 2).sum(axis=1))
    stat = b[:, 1] / se_slope

    n_levels = len(fit.levels)
    effects = b[:, 2:2 + n_levels]  # 0 for the reference level
    inverse = special.expit if binomial else np.exp
    t_last = span[rows] - 1.0
    t_mid = t_last / 2
    # the level with the steps of the last segment (where the series is now)
    last_steps = b[:, 2 + n_levels:] @ np.ones(b.shape[1] - 2 - n_levels) if b.shape[1] > 2 + n_levels \
        else np.zeros(len(b))
    intercept_now = b[:, 0] + last_steps
    value = _seasonal_level(inverse, fit.present, effects, intercept_now, b[:, 1], t_last)
    base = _seasonal_level(inverse, fit.present, effects, b[:, 0], b[:, 1], 0.0)
    # delta-method interval for the seasonally adjusted level at the last quarter
    mu = inverse((intercept_now[:, None] + effects) + (b[:, 1] * t_last)[:, None])
    deriv = np.where(fit.present, mu * (1 - mu) if binomial else mu, 0.0)
    n_season = fit.present.sum(axis=1)
    grad = np.zeros_like(b)
    grad[:, 0] = deriv.sum(axis=1) / n_season
    grad[:, 1] = (deriv * t_last[:, None]).sum(axis=1) / n_season
    grad[:, 2:2 + n_levels] = np.where(fit.live[:, 2:2 + n_levels], deriv, 0.0) / n_season[:, None]
    grad[:, 2 + n_levels:] = np.where(fit.live[:, 2 + n_levels:], grad[:, :1], 0.0)
    se_link = np.sqrt((np.einsum("bk,bkl->bl", grad, root) ** 2).sum(axis=1)) / (
        value * (1 - value) if binomial else value)
    crit = critical_value(conf, ref_df)
    if binomial:
        lo = special.expit(special.logit(value) - crit * se_link)
        hi = special.expit(special.logit(value) + crit * se_link)
    else:
        lo, hi = value * np.exp(-crit * se_link), value * np.exp(crit * se_link)
    mid_intercept = b[:, 0] + b[:, 1] * t_mid
    present_effects = np.where(fit.present, effects, np.nan)
    bases = [("trend", int(binomial), float(mid_intercept[k]), float(se_slope[k]), float(t_mid[k]),
              float(t_last[k] - t_mid[k]), float(ref_df[k]), float(multiplier),
              *present_effects[k].tolist()) for k in range(rows.size)]
    mdc = np.array([min_detectable_changes([r], [a], power)[0]
                    for r, a in zip(bases, alpha[rows], strict=True)])
    results = _results(
        (value * multiplier, base * multiplier),
        (lo * multiplier, hi * multiplier),
        stat,
        phi,
        ref_df,
        mdc,
        [f"{tests[i]}; {disp.methods[k]}" for k, i in enumerate(rows.tolist())],
        [_SHORT_NOTE if disp.short[k] else "" for k in range(rows.size)],
        (totals[0][rows], totals[1][rows]),
        serial=disp.rho,
        bases=bases,
    )
    for k, (i, result) in enumerate(zip(rows, results, strict=True)):
        out[i] = _insufficient(tests[i], RUNAWAY_NOTE) if runaway[k] else result
    return out


def min_detectable_changes(bases, alphas, power: float = _POWER) -> np.ndarray:
    """The minimum detectable change of each result at its own two-sided level ``alphas``.

    ``bases`` are :attr:`ChangeResult.basis` tuples (or the results themselves); where a result
    has none (not tested), NaN. This is how a change is stated at the level the false discovery
    rate procedure actually applied, after the q-values are known.
    """
    out = np.full(len(bases), np.nan)
    for k, (basis, alpha) in enumerate(zip(bases, alphas, strict=True)):
        basis = basis.basis if isinstance(basis, ChangeResult) else basis
        if not basis or not np.isfinite(alpha):
            continue
        if basis[0] == "year_on_year":
            _, code, level0, e1, e0, scale, df, multiplier = basis
            crit_a, crit_b = _critical(np.array([df]), np.array([alpha]), power)
            args = (np.array([v]) for v in (level0, e1, e0, scale))
            out[k] = _mdc_two_sample(KINDS[code], *args, crit_a, crit_b)[0] * multiplier
        else:
            _, binomial, mid, se_slope, before, after, df, multiplier, *effects = basis
            effects = np.array(effects)
            present = np.isfinite(effects)
            inverse = special.expit if binomial else np.exp
            crit_a, crit_b = _critical(df, alpha, power)
            slope = (crit_a + crit_b) * se_slope

            later = np.mean(inverse(mid + slope * after + effects[present]))
            earlier = np.mean(inverse(mid - slope * before + effects[present]))
            out[k] = abs(later - earlier) * multiplier
    return out
