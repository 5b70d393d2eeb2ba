"""Statistics for the VAWG performance framework: intervals, dispersion, change tests, FDR.

Every function is a pure function of arrays. Quarterly series are passed in time order, ending
with the reporting quarter, together with each quarter's quarter of the year (1-4).

The central worry is overdispersion: quarterly police counts vary far more than Poisson or
binomial noise allows, so every test here is widened by a dispersion factor ``phi`` measured
from the force's own history (quasi-likelihood, McCullagh and Nelder 1989), never narrower than
the plain Poisson or binomial test.

References
----------
.. [1] Breslow, N. E. and Day, N. E. (1987). *Statistical Methods in Cancer Research, Volume II:
   The Design and Analysis of Cohort Studies*. IARC Scientific Publications No. 82, Lyon
   (Byar's approximation, p. 69).
.. [2] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
   inference. *Journal of the American Statistical Association* 22(158), 209-212.
.. [3] Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
   comparison of seven methods. *Statistics in Medicine* 17(8), 857-872.
.. [4] Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate: a practical
   and powerful approach to multiple testing. *Journal of the Royal Statistical Society B*
   57(1), 289-300.
.. [5] McCullagh, P. and Nelder, J. A. (1989). *Generalized Linear Models*, 2nd edition.
   Chapman and Hall, London (quasi-likelihood and the dispersion parameter, sections 4.5, 9.2).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy import optimize, special
from scipy import stats as sps

#: Byar's approximation is used from this count up; the exact (chi-square) interval below it.
BYAR_EXACT_BELOW = 10
#: Fewest quarters with data, and fewest residual degrees of freedom, to estimate dispersion.
MIN_HISTORY_QUARTERS = 8
MIN_DISPERSION_DF = 3
#: Quarters in each 12-month window of the year-on-year comparison.
WINDOW = 4
#: Fewest non-missing quarters for a trend test.
MIN_TREND_QUARTERS = 8
KINDS = ("count", "rate", "proportion")
DIRECTIONS = ("higher_is_better", "lower_is_better", "context")
PLAIN_SHORT = "plain (history too short)"


def _z(conf: float) -> float:
    return float(sps.norm.ppf(1 - (1 - conf) / 2))


def wilson_interval(x, n, conf: float = 0.95):
    """Wilson score interval for a proportion x/n, as used by PHE Fingertips.

    Parameters
    ----------
    x, n : array_like
        Successes and trials (broadcast together). ``n <= 0`` gives NaN.
    conf : float, default 0.95
        Two-sided confidence level (PHE publishes 0.95 and 0.998).

    Returns
    -------
    lower, upper : ndarray or float
        ``(2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))`` with
        ``z = Phi^-1(1 - (1 - conf)/2)``; equal to statsmodels' ``method="wilson"``.

    References
    ----------
    .. [1] Wilson (1927); Newcombe (1998), method 3. See the module references.
    """
    x, n = np.broadcast_arrays(np.asarray(x, float), np.asarray(n, float))
    z = _z(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        root = z * np.sqrt(z**2 + 4 * x * (1 - x / n))
        denom = 2 * (n + z**2)
        lower = np.where(n > 0, (2 * x + z**2 - root) / denom, np.nan)
        upper = np.where(n > 0, (2 * x + z**2 + root) / denom, np.nan)
    return _unwrap(lower), _unwrap(upper)


def byar_interval(x, conf: float = 0.95, exact_below: float = BYAR_EXACT_BELOW):
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

    Returns
    -------
    lower, upper : ndarray or float
        Byar: ``x(1 - 1/(9x) - z/(3 sqrt x))^3`` and
        ``(x+1)(1 - 1/(9(x+1)) + z/(3 sqrt(x+1)))^3``. Where Byar's lower bracket is not positive
        (for instance x = 0, or x = 1 at 99.8%) the method gives no lower limit: NaN.

    References
    ----------
    .. [1] Breslow and Day (1987), p. 69. See the module references.
    """
    x = np.asarray(x, float)
    z = _z(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = 1 - 1 / (9 * x) - z / (3 * np.sqrt(x))
        lower = np.where(base > 0, x * base**3, np.nan)
        upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
        a = 1 - conf
        small = x < exact_below
        lower = np.where(small, np.where(x > 0, sps.chi2.ppf(a / 2, 2 * x) / 2, 0.0), lower)
        upper = np.where(small, sps.chi2.ppf(1 - a / 2, 2 * x + 2) / 2, upper)
    bad = ~(x >= 0)
    return _unwrap(np.where(bad, np.nan, lower)), _unwrap(np.where(bad, np.nan, upper))


def _unwrap(a: np.ndarray):
    return float(a) if a.ndim == 0 else a


@dataclass(frozen=True)
class Dispersion:
    """Dispersion factor estimated from a quarterly history.

    Attributes
    ----------
    phi : float
        Variance relative to Poisson/binomial, floored at 1 (1 means a plain test).
    df : float
        Residual degrees of freedom of the fit (0 when nothing was fitted).
    method : str
        How phi was obtained, e.g. ``"plain (history too short)"``.
    """

    phi: float
    df: float
    method: str

    @property
    def reference_df(self) -> float:
        """Degrees of freedom of the t reference: the fit's df whenever phi was estimated.

        Even when the estimate was floored at 1, the uncertainty of estimating it remains; using
        the normal there made the test too liberal exactly where the noise was underestimated
        (found by ``benchmarks/calibration.py``). A fixed phi (df infinite) uses the normal.
        """
        return self.df if 0 < self.df < np.inf else np.inf


def _design(t, quarter, step=None) -> np.ndarray:
    levels = np.unique(quarter)
    cols = [np.ones_like(t, dtype=float), np.asarray(t, float)]
    cols += [(quarter == lev).astype(float) for lev in levels[1:]]
    if step is not None:
        cols.append(np.asarray(step, float))
    return np.column_stack(cols)


def _fit(family: str, y, size, t, quarter, step=None):
    """Fit ``y ~ t + C(quarter) [+ step]``: Poisson with log(size) offset, or binomial."""
    X = _design(t, quarter, step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separation when a quarter level is all zero
        if family == "poisson":
            model = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(size))
        else:
            model = sm.GLM(np.column_stack([y, size - y]), X, family=sm.families.Binomial())
        return model.fit()


def _dispersion(family, y, size, quarter_of_year, step=None) -> Dispersion:
    y, size, q = (np.asarray(a, float) for a in (y, size, quarter_of_year))
    t = np.arange(len(y), dtype=float)
    ok = np.isfinite(y) & np.isfinite(size) & (size > 0) & np.isfinite(q)
    if step is not None:
        step = np.asarray(step, float)[ok]
        if np.ptp(step) == 0:
            step = None
    y, size, q, t = y[ok], size[ok], q[ok], t[ok]
    n_params = 2 + len(np.unique(q)) - 1 + (step is not None)
    if ok.sum() < MIN_HISTORY_QUARTERS or len(y) - n_params < MIN_DISPERSION_DF:
        return Dispersion(1.0, 0.0, PLAIN_SHORT)
    if y.sum() == 0 or (family == "binomial" and np.all(y == size)):
        return Dispersion(1.0, 0.0, "plain (no variation to estimate from)")
    return _from_fit(_fit(family, y, size, t, q, step), family)


def _from_fit(res, family: str) -> Dispersion:
    raw, df = float(res.pearson_chi2 / res.df_resid), float(res.df_resid)
    if raw <= 1:
        return Dispersion(1.0, df, f"plain (phi estimate {raw:.2f} floored at 1)")
    label = f"quasi-{'Poisson' if family == 'poisson' else 'binomial'}, phi={raw:.2f} on {df:.0f} df"
    return Dispersion(raw, df, f"overdispersion-adjusted ({label})")


def dispersion_counts(y, quarter_of_year, exposure=None, step=None) -> Dispersion:
    """Quasi-Poisson dispersion of a quarterly count series.

    Fits the Poisson GLM ``y ~ t + C(quarter)`` (with ``offset = log(exposure)`` when given) and
    returns ``phi = Pearson chi2 / df_resid``, floored at 1 [1]_.

    Parameters
    ----------
    y : array_like
        Quarterly counts in time order. Quarters with NaN count or NaN / non-positive exposure
        are dropped (time keeps its spacing).
    quarter_of_year : array_like
        Quarter of the year (1-4) of each element.
    exposure : array_like, optional
        Exposure (population, denominator count) of each quarter.
    step : array_like of bool, optional
        Marks quarters after a change under test (the year-on-year test passes the current 12
        months) so that a real change is not mistaken for extra noise.

    Returns
    -------
    Dispersion
        ``phi = 1`` with method ``"plain (history too short)"`` when fewer than 8 quarters have
        data or fewer than 3 residual degrees of freedom remain.

    References
    ----------
    .. [1] McCullagh and Nelder (1989), section 4.5. See the module references.
    """
    size = np.ones(len(y)) if exposure is None else exposure
    return _dispersion("poisson", y, size, quarter_of_year, step)


def dispersion_proportions(x, n, quarter_of_year, step=None) -> Dispersion:
    """Quasi-binomial dispersion of a quarterly proportion series x/n.

    As :func:`dispersion_counts`, with the binomial GLM ``x/n ~ t + C(quarter)`` (trials as
    weights); quarters with ``n = 0`` carry no information and are dropped.
    """
    return _dispersion("binomial", x, n, quarter_of_year, step)


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


def _result(levels, ci, stat, disp: Dispersion, mdc, method, note, totals) -> ChangeResult:
    """Assemble a ChangeResult; the p-value is two-sided on t with ``disp.reference_df``."""
    (value, base), (num, den) = levels, totals
    p_value = 2 * sps.t.sf(abs(stat), disp.reference_df)
    rel = value / base - 1 if base > 0 else np.nan
    nums = (value, base, value - base, rel, *ci, stat, p_value, disp.phi, mdc)
    return ChangeResult(*map(float, nums), method, False, note, float(num), float(den))


def _insufficient(method: str, note: str) -> ChangeResult:
    nan = np.nan
    return ChangeResult(nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, method, True, note)


def _prepare(numerator, denominator, quarter_of_year, kind):
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}")
    num = np.asarray(numerator, float)
    q = np.asarray(quarter_of_year, float)
    den = np.ones_like(num) if kind == "count" else np.asarray(denominator, float)
    if not (len(num) == len(den) == len(q)):
        raise ValueError("numerator, denominator and quarter_of_year differ in length")
    if np.any(num < 0) or np.any(den < 0):
        raise ValueError("counts and denominators must not be negative")
    if kind == "proportion" and np.any(num > den):
        raise ValueError("a proportion's numerator exceeds its denominator")
    return num, den, q


def _variance_fn(kind: str, phi: float):
    if kind == "proportion":
        return lambda p: phi * p * (1 - p)
    return lambda r: phi * r


def _two_sample_z(kind, x1, e1, x0, e0, phi):
    """Score z for level x1/e1 vs x0/e0 under the pooled null level, divided by sqrt(phi)."""
    pooled = (x1 + x0) / (e1 + e0)
    se = np.sqrt(_variance_fn(kind, phi)(pooled) * (1 / e1 + 1 / e0))
    diff = x1 / e1 - x0 / e0
    return 0.0 if se == 0 and diff == 0 else diff / se


def _mdc_two_sample(kind, level0, e1, e0, phi, crit_a, crit_b) -> float:
    """Smallest |delta| with delta = crit_a SE0(delta) + crit_b SE1(delta) (see year_on_year)."""
    var = _variance_fn(kind, phi)
    sign = -1.0 if kind == "proportion" and level0 > 0.5 else 1.0
    bound = (level0 if sign < 0 else 1 - level0) if kind == "proportion" else np.inf

    def gap(d):
        level1 = level0 + sign * d
        pooled = (e1 * level1 + e0 * level0) / (e1 + e0)
        se0 = np.sqrt(var(pooled) * (1 / e1 + 1 / e0))
        se1 = np.sqrt(var(level1) / e1 + var(level0) / e0)
        return d - crit_a * se0 - crit_b * se1

    hi = max(level0, 1 / e1) if np.isinf(bound) else bound
    while np.isinf(bound) and gap(hi) < 0:
        hi *= 2
    if gap(hi) < 0:
        return np.nan
    return float(optimize.brentq(gap, 0.0, hi, xtol=1e-12 * max(hi, 1e-300)))


def _critical(ref_df: float, alpha: float, power: float) -> tuple[float, float]:
    return float(sps.t.ppf(1 - alpha / 2, ref_df)), float(sps.t.ppf(power, ref_df))


def _fixed(phi: float) -> Dispersion:
    if phi < 1:
        raise ValueError(f"phi must be at least 1, got {phi}")
    label = "plain (phi fixed at 1)" if phi == 1 else f"overdispersion-adjusted (phi fixed at {phi:g})"
    return Dispersion(float(phi), np.inf, label)


def year_on_year(
    numerator,
    denominator,
    quarter_of_year,
    kind: str,
    multiplier: float = 1.0,
    conf: float = 0.95,
    alpha: float = 0.05,
    power: float = 0.8,
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
    num, den, q = _prepare(numerator, denominator, quarter_of_year, kind)
    test = {
        "count": "Poisson score test of 12-month totals",
        "rate": "Poisson score test of 12-month rates",
        "proportion": "two-proportion z-test of 12-month proportions",
    }[kind]
    if len(num) < 2 * WINDOW:
        return _insufficient(test, "fewer than 8 quarters of data")
    last8 = slice(len(num) - 2 * WINDOW, None)
    if not (np.all(np.isfinite(num[last8])) and np.all(np.isfinite(den[last8]))):
        return _insufficient(test, "a quarter is missing in the last two years")
    x1, x0 = num[-WINDOW:].sum(), num[last8][:WINDOW].sum()
    e1, e0 = den[-WINDOW:].sum(), den[last8][:WINDOW].sum()
    if kind == "count":
        e1 = e0 = 1.0  # a count's value is the 12-month total
    if e1 <= 0 or e0 <= 0 or (kind == "rate" and np.any(den[last8] <= 0)):
        return _insufficient(test, "no denominator in a 12-month window")

    step = np.arange(len(num)) >= len(num) - WINDOW
    if phi is not None:
        disp = _fixed(phi)
    elif kind == "proportion":
        disp = dispersion_proportions(num, den, q, step=step)
    else:
        disp = dispersion_counts(num, q, exposure=den, step=step)
    phi_ = disp.phi

    stat = _two_sample_z(kind, x1, e1, x0, e0, phi_)
    if kind == "proportion":
        lo, hi = wilson_interval(x1 / phi_, e1 / phi_, conf)
    else:
        lo, hi = np.multiply(byar_interval(x1 / phi_, conf), phi_ / e1)
    value, base = x1 / e1 * multiplier, x0 / e0 * multiplier
    crit_a, crit_b = _critical(disp.reference_df, alpha, power)
    mdc = _mdc_two_sample(kind, x0 / e0, e1, e0, phi_, crit_a, crit_b) * multiplier
    short = disp.method == PLAIN_SHORT
    note = "too little history to measure extra variation: the test may overstate significance"
    return _result(
        (value, base),
        (lo * multiplier, hi * multiplier),
        stat,
        disp,
        mdc,
        f"{test}; {disp.method}",
        note if short else "",
        (x1, e1 if kind != "count" else np.nan),
    )


def trend(
    numerator,
    denominator,
    quarter_of_year,
    kind: str,
    n_quarters: int = 12,
    multiplier: float = 1.0,
    conf: float = 0.95,
    alpha: float = 0.05,
    power: float = 0.8,
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
    num, den, q = _prepare(numerator, denominator, quarter_of_year, kind)
    binomial = kind == "proportion"
    num, den, q = num[-n_quarters:], den[-n_quarters:], q[-n_quarters:]
    test = f"{'binomial' if binomial else 'Poisson'} GLM trend over {len(num)} quarters"
    t_all = np.arange(len(num), dtype=float)
    ok = np.isfinite(num) & np.isfinite(den) & (den > 0) & np.isfinite(q)
    if ok.sum() < MIN_TREND_QUARTERS:
        return _insufficient(test, f"fewer than {MIN_TREND_QUARTERS} quarters with data")
    y, size, qq, t = num[ok], den[ok], q[ok], t_all[ok]
    totals = (y.sum(), np.nan if kind == "count" else size.sum())
    if y.sum() == 0 or (binomial and np.all(y == size)):
        level = y.sum() / size.sum() * multiplier
        flat = Dispersion(1.0, 0.0, "plain (no variation to estimate from)")
        method = f"{test}; {flat.method}"
        return _result((level, level), (np.nan, np.nan), 0.0, flat, np.nan, method, "no variation", totals)
    family = "binomial" if binomial else "poisson"
    res = _fit(family, y, size, t, qq)
    disp = _from_fit(res, family)
    b, cov = np.asarray(res.params), np.asarray(res.cov_params()) * disp.phi
    se_slope = float(np.sqrt(cov[1, 1]))
    stat = float(b[1] / se_slope)

    n_season = len(np.unique(qq))
    X_season = np.column_stack([np.ones(n_season), np.zeros(n_season), np.eye(n_season)[:, 1:]])
    inverse = special.expit if binomial else np.exp

    def level(intercept, slope, at):
        return inverse(intercept + slope * at + X_season[:, 2:] @ b[2:]).mean()

    t_first, t_last, t_mid = 0.0, t_all[-1], t_all[-1] / 2
    value, base = level(b[0], b[1], t_last), level(b[0], b[1], t_first)
    # delta-method interval for the seasonally adjusted level at the last quarter
    mu = inverse(X_season @ b + b[1] * t_last)
    deriv = mu * (1 - mu) if binomial else mu
    grad = (deriv[:, None] * (X_season + np.r_[0, t_last, np.zeros(n_season - 1)])).mean(axis=0)
    se_link = np.sqrt(grad @ cov @ grad) / (value * (1 - value) if binomial else value)
    crit = float(sps.t.ppf(1 - (1 - conf) / 2, disp.reference_df))
    if binomial:
        lo, hi = special.expit(special.logit(value) + np.array([-crit, crit]) * se_link)
    else:
        lo, hi = value * np.exp(np.array([-crit, crit]) * se_link)
    crit_a, crit_b = _critical(disp.reference_df, alpha, power)
    slope = (crit_a + crit_b) * se_slope
    mid_intercept = b[0] + b[1] * t_mid
    mdc = level(mid_intercept, slope, t_last - t_mid) - level(mid_intercept, slope, t_first - t_mid)
    levels = (value * multiplier, base * multiplier)
    ci = (lo * multiplier, hi * multiplier)
    return _result(levels, ci, stat, disp, abs(mdc) * multiplier, f"{test}; {disp.method}", "", totals)


def bh_qvalues(pvalues) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), ignoring NaNs.

    Parameters
    ----------
    pvalues : array_like
        p-values of one family of tests; NaNs stay NaN and do not count towards m.

    Returns
    -------
    ndarray
        ``q_(i) = min_{j >= i} min(1, m p_(j) / j)`` over the sorted non-missing p-values; equal
        to ``multipletests(p, method="fdr_bh")[1]`` on them.

    References
    ----------
    .. [1] Benjamini and Hochberg (1995). See the module references.
    """
    p = np.asarray(pvalues, float)
    q = np.full(p.shape, np.nan)
    valid = np.isfinite(p)
    pv = p[valid]
    if pv.size == 0:
        return q
    order = np.argsort(pv)
    ranked = pv[order] * pv.size / np.arange(1, pv.size + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    out = np.empty_like(pv)
    out[order] = adjusted
    q[valid] = out
    return q


def assess(
    change: float,
    q_value: float,
    direction: str,
    kind_is_context: bool = False,
    q_threshold: float = 0.05,
    insufficient: bool = False,
) -> str:
    """Turn a change and its q-value into the contract's assessment word.

    Parameters
    ----------
    change : float
        Value minus baseline.
    q_value : float
        Benjamini-Hochberg q-value of the test.
    direction : {"higher_is_better", "lower_is_better", "context"}
        The KPI's polarity.
    kind_is_context : bool, default False
        Treat the KPI as context whatever its direction.
    q_threshold : float, default 0.05
        A change is significant when ``q_value < q_threshold``.
    insufficient : bool, default False
        The comparison could not be made.

    Returns
    -------
    str
        ``insufficient_data`` (insufficient, or change or q missing), ``no_significant_change``,
        ``increase``/``decrease`` for context KPIs, ``improving``/``deteriorating`` otherwise.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}: expected one of {', '.join(DIRECTIONS)}")
    if insufficient or not (np.isfinite(change) and np.isfinite(q_value)):
        return "insufficient_data"
    if q_value >= q_threshold or change == 0:
        return "no_significant_change"
    if kind_is_context or direction == "context":
        return "increase" if change > 0 else "decrease"
    better = change > 0 if direction == "higher_is_better" else change < 0
    return "improving" if better else "deteriorating"
