"""Statistics for the VAWG performance framework: intervals, dispersion, change tests, FDR.

Every function is a pure function of arrays. Quarterly series are passed in time order, ending
with the reporting quarter, together with each quarter's quarter of the year (1-4). The tests
take one series (:func:`year_on_year`, :func:`trend`) or many at once
(:func:`year_on_year_batch`, :func:`trend_batch`: every force of a KPI), whose seasonal GLMs are
then fitted together by one vectorised IRLS (:func:`fit_seasonal`).

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

from dataclasses import dataclass

import numpy as np
from scipy import special

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
    return float(special.ndtri(1 - (1 - conf) / 2))


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
        # chi2.ppf(q, 2k) / 2 = gammaincinv(k, q): scipy.stats' own formula, without importing it
        lower = np.where(small, np.where(x > 0, 2 * special.gammaincinv(x, a / 2) / 2, 0.0), lower)
        upper = np.where(small, 2 * special.gammaincinv(x + 1, 1 - a / 2) / 2, upper)
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


# --- the seasonal GLM, fitted to a stack of series at once ------------------------------------

_EPS = np.finfo(float).eps
#: IRLS stops after this many steps, or when the deviance changes by at most GLM_TOL (the
#: defaults of statsmodels' ``GLM.fit``, whose iterations these are).
GLM_MAXITER = 100
GLM_TOL = 1e-8


@dataclass(frozen=True)
class SeasonalFit:
    """``y ~ t + C(quarter) [+ step]`` fitted to each row of a stack of series (:func:`fit_seasonal`).

    Attributes
    ----------
    params : ndarray, shape (B, K)
        Coefficients of the columns ``[1, t, one per quarter level in levels, step]``. A series'
        first level with data is its reference, so its column is 0, as are the columns of levels
        it has no data for and the step column where the step does not vary.
    cov_root : ndarray, shape (B, K, K)
        ``L`` with ``L L' = (X'WX)^-1`` at the weights of the last IRLS step (zero in the unused
        columns). Quadratic forms ``g' cov g = |L' g|^2`` are best taken through it: where a
        quarter level is all zero ``cov`` has huge entries that cancel.
    live : ndarray of bool, shape (B, K)
        The columns each series' model has.
    levels : ndarray, shape (G,)
        The quarter levels of columns ``2 .. 2 + G - 1``.
    present : ndarray of bool, shape (B, G)
        The levels each series has data for.
    pearson_chi2, df_resid : ndarray, shape (B,)
        Pearson chi-square at the fit, and ``nobs - rank(X)``.
    iterations : ndarray of int, shape (B,)
    converged : ndarray of bool, shape (B,)
    """

    params: np.ndarray
    cov_root: np.ndarray
    live: np.ndarray
    levels: np.ndarray
    present: np.ndarray
    pearson_chi2: np.ndarray
    df_resid: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray

    @property
    def cov(self) -> np.ndarray:
        """``(X'WX)^-1``: statsmodels' ``cov_params()`` at scale 1 (shape (B, K, K))."""
        return self.cov_root @ self.cov_root.transpose(0, 2, 1)


class _Poisson:
    """Poisson family, log link, offset log(size): statsmodels' formulas, clipping included."""

    @staticmethod
    def setup(y, size, ok):
        endog = np.where(ok, y, 0.0)
        return endog, np.ones_like(endog), np.log(np.where(ok, size, 1.0))

    @staticmethod
    def start(endog, ok):
        mean = endog.sum(axis=1) / ok.sum(axis=1)
        return (endog + mean[:, None]) / 2.0

    @staticmethod
    def link(mu):
        return np.log(np.clip(mu, _EPS, np.inf))

    inverse = staticmethod(np.exp)

    @staticmethod
    def deriv(mu):
        return 1.0 / np.clip(mu, _EPS, np.inf)

    variance = staticmethod(np.abs)

    @staticmethod
    def deviance(endog, mu, trials):
        return 2 * (endog * np.log(np.clip(endog / mu, _EPS, np.inf)) - (endog - mu))


class _Binomial:
    """Binomial family, logit link, proportions y/size with size trials (statsmodels' formulas)."""

    @staticmethod
    def setup(y, size, ok):
        trials = np.where(ok, y + (size - y), 1.0)
        endog = np.where(ok, y * 1.0 / trials, 0.0)
        return endog, trials, np.zeros_like(endog)

    @staticmethod
    def start(endog, ok):
        return (endog + 0.5) / 2

    @staticmethod
    def link(mu):
        p = np.clip(mu, _EPS, 1 - _EPS)
        return np.log(p / (1.0 - p))

    @staticmethod
    def inverse(eta):
        return 1.0 / (1.0 + np.exp(-eta))

    @staticmethod
    def variance(mu):
        p = np.clip(mu, _EPS, 1 - _EPS)
        return p * (1 - p)

    @staticmethod
    def deriv(mu):
        p = np.clip(mu, _EPS, 1 - _EPS)
        return 1.0 / (p * (1 - p))

    @staticmethod
    def deviance(endog, mu, trials):
        ratio = np.clip(endog / (mu + 1e-20), _EPS, np.inf)
        other = np.clip((1.0 - endog) / (1.0 - mu + 1e-20), _EPS, np.inf)
        return 2 * trials * (endog * np.log(ratio) + (1 - endog) * np.log(other))


_FAMILIES = {"poisson": _Poisson, "binomial": _Binomial}


def _stacked(y, size, quarter_of_year, t=None):
    """Rows of series as float arrays (one series becomes one row); t defaults to 0 .. T-1."""
    y, size, quarter = (np.atleast_2d(np.asarray(a, float)) for a in (y, size, quarter_of_year))
    t = np.arange(y.shape[1], dtype=float) if t is None else np.asarray(t, float)
    return y, size, quarter, np.broadcast_to(t, y.shape)


def _observed(y, size, quarter, t=None):
    """Quarters a fit can use: count (or successes), a positive size and the quarter known."""
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(y) & np.isfinite(size) & (size > 0) & np.isfinite(quarter)
    return ok if t is None else ok & np.isfinite(t)


def _seasonal_design(t, quarter, ok, step=None):
    """Design ``[1, t, quarter dummies, step]`` of each row, zero outside ``ok``; which columns each
    row's model has (its first quarter level is the reference; a step must vary); the levels."""
    levels = np.unique(quarter[ok])
    dummies = (quarter[..., None] == levels) & ok[..., None]
    present = dummies.any(axis=1)
    used = present.copy()
    used[np.arange(len(used)), np.argmax(present, axis=1)] = False
    cols = [ok[..., None], np.where(ok, t, 0.0)[..., None], dummies & used[:, None, :]]
    live = [np.ones((len(ok), 2), bool), used]
    if step is not None:
        s = np.where(ok, np.broadcast_to(np.asarray(step, float), ok.shape), 0.0)
        varies = np.where(ok, s, -np.inf).max(axis=1) > np.where(ok, s, np.inf).min(axis=1)
        cols.append((s * varies[:, None])[..., None])
        live.append(varies[:, None])
    return np.concatenate(cols, axis=2, dtype=float), np.hstack(live), levels, present


def _rank(X, nobs, k):
    """``np.linalg.matrix_rank`` of each row's design (nobs x k once padding is dropped)."""
    s = np.linalg.svd(X, compute_uv=False)
    return (s > (s.max(axis=1) * np.maximum(nobs, k) * _EPS)[:, None]).sum(axis=1)


def _wls(A, r, pins, deficient):
    """Least squares ``A b = r`` for each row: QR, with a row pinning each unused column to 0
    (the same solution as the model without it); rank-deficient rows by the pseudo-inverse,
    i.e. the minimum-norm solution statsmodels' ``lstsq`` gives."""
    beta = np.empty(A.shape[::2])
    full = ~deficient
    if full.any():
        Q, R = np.linalg.qr(np.concatenate([A[full], pins[full]], axis=1))
        rhs = np.einsum("btk,bt->bk", Q[:, : A.shape[1]], r[full])
        beta[full] = np.linalg.solve(R, rhs[..., None])[..., 0]
    if deficient.any():
        beta[deficient] = np.einsum("bkt,bt->bk", np.linalg.pinv(A[deficient], rcond=_EPS),
                                    r[deficient])
    return beta


def _cov_root(A, pins, deficient):
    """``L`` with ``L L' = pinv(A) pinv(A)'`` (statsmodels' normalized_cov_params) for each row:
    ``R^-1`` of the QR of A, or from the SVD where A is rank deficient; zero where pinned."""
    root = np.zeros((A.shape[0], A.shape[2], A.shape[2]))
    full = ~deficient
    if full.any():
        _, R = np.linalg.qr(np.concatenate([A[full], pins[full]], axis=1))
        root[full] = np.linalg.solve(R, np.broadcast_to(np.eye(A.shape[2]), R.shape))
    if deficient.any():
        _, s, vt = np.linalg.svd(A[deficient], full_matrices=False)
        with np.errstate(divide="ignore"):
            inv = np.where(s > 1e-15 * s.max(axis=1, keepdims=True), 1 / s, 0.0)
        root[deficient] = vt.transpose(0, 2, 1) * inv[:, None, :]
    root[pins.diagonal(axis1=1, axis2=2) > 0] = 0.0
    return root


def _irls(family: str, y, size, ok, X, live, levels, present) -> SeasonalFit:
    """statsmodels' IRLS for every row at once, each row stopping when its own deviance settles."""
    fam = _FAMILIES[family]
    B, T, K = X.shape
    nobs, k = ok.sum(axis=1), live.sum(axis=1)
    endog, trials, offset = fam.setup(y, size, ok)
    mu = np.where(ok, fam.start(endog, ok), fam.inverse(offset))
    eta = fam.link(mu)
    dev = (fam.deviance(endog, mu, trials) * ok).sum(axis=1)
    rank = _rank(X, nobs, k)
    deficient = rank < k
    pins = np.eye(K) * ~live[:, :, None]
    params, weighted = np.zeros((B, K)), np.zeros((B, T, K))
    iterations, converged = np.zeros(B, int), np.zeros(B, bool)
    active = np.arange(B)
    for step in range(1, GLM_MAXITER + 1):
        m, e, yk, nk, okk = mu[active], eta[active], endog[active], trials[active], ok[active]
        Xk, d = X[active], fam.deriv(m)
        # weighted least squares of the working response z on X, weights n / (g'(mu)^2 V(mu))
        sqrt_w = np.sqrt(np.where(okk, nk * (1.0 / (d**2 * fam.variance(m))), 0.0))
        A = sqrt_w[..., None] * Xk
        z = e + d * (yk - m) - offset[active]
        beta = _wls(A, sqrt_w * z, pins[active], deficient[active])
        e = np.einsum("btk,bk->bt", Xk, beta) + offset[active]
        m = fam.inverse(e)
        new = (fam.deviance(yk, m, nk) * okk).sum(axis=1)
        done = np.abs(new - dev[active]) <= GLM_TOL
        params[active], weighted[active], eta[active], mu[active], dev[active] = beta, A, e, m, new
        iterations[active], converged[active] = step, done
        active = active[~done]
        if not active.size:
            break
    pearson = ((endog - mu) ** 2 / fam.variance(mu) * trials * ok).sum(axis=1)
    return SeasonalFit(params * live, _cov_root(weighted, pins, deficient), live, levels, present,
                       pearson, (nobs - rank).astype(float), iterations, converged)


def fit_seasonal(family: str, y, size, quarter_of_year, t=None, step=None, mask=None) -> SeasonalFit:
    """Fit ``y ~ t + C(quarter) [+ step]`` to every row of a stack of series at once.

    ``family="poisson"``: counts ``y`` with ``offset = log(size)``; ``"binomial"``: ``y``
    successes of ``size`` trials, logit link. The iterations, starting values, stopping rule
    (deviance change at most 1e-8, at most 100 steps), clipping and covariance are statsmodels'
    ``GLM(...).fit()``, so each row gives what ``sm.GLM`` on that series alone gives (to rounding),
    including where a quarter level is all zero and the fit drifts towards infinite coefficients.

    Parameters
    ----------
    family : {"poisson", "binomial"}
    y, size, quarter_of_year : array_like, shape (B, T) (or (T,) for one series)
        Quarters with NaN ``y``, NaN or non-positive ``size`` or NaN quarter are left out, as are
        those where ``mask`` is False; each row's residual df counts its own quarters.
    t : array_like, optional
        Time of each quarter (default ``0 .. T-1``).
    step : array_like, optional
        An extra column (shape (T,) or (B, T)); left out of a row where it does not vary.

    Returns
    -------
    SeasonalFit
    """
    y, size, quarter, t = _stacked(y, size, quarter_of_year, t)
    ok = _observed(y, size, quarter, t)
    if mask is not None:
        ok &= np.asarray(mask, bool)
    return _irls(family, y, size, ok, *_seasonal_design(t, quarter, ok, step))


def _fitted_dispersions(fit: SeasonalFit, family: str) -> list[Dispersion]:
    """phi = Pearson chi2 / df_resid of each fitted row, floored at 1."""
    name = "Poisson" if family == "poisson" else "binomial"
    out = []
    for raw, df in zip((fit.pearson_chi2 / fit.df_resid).tolist(), fit.df_resid.tolist(), strict=True):
        if raw <= 1:
            out.append(Dispersion(1.0, df, f"plain (phi estimate {raw:.2f} floored at 1)"))
        else:
            label = f"quasi-{name}, phi={raw:.2f} on {df:.0f} df"
            out.append(Dispersion(raw, df, f"overdispersion-adjusted ({label})"))
    return out


def _dispersions(family: str, y, size, quarter_of_year, step=None, t=None) -> list[Dispersion]:
    """Dispersion of each row of a stack of quarterly series (see :func:`dispersion_counts`)."""
    y, size, q, t = _stacked(y, size, quarter_of_year, t)
    ok = _observed(y, size, q)
    X, live, levels, present = _seasonal_design(t, q, ok, step)
    nobs = ok.sum(axis=1)
    short = (nobs < MIN_HISTORY_QUARTERS) | (nobs - live.sum(axis=1) < MIN_DISPERSION_DF)
    flat = np.where(ok, y, 0.0).sum(axis=1) == 0
    if family == "binomial":
        flat |= np.where(ok, y == size, True).all(axis=1)
    out = [Dispersion(1.0, 0.0, PLAIN_SHORT) if s else
           Dispersion(1.0, 0.0, "plain (no variation to estimate from)") for s in short.tolist()]
    rows = np.flatnonzero(~short & ~flat)
    if rows.size:
        fit = _irls(family, y[rows], size[rows], ok[rows], X[rows], live[rows], levels, present[rows])
        for i, disp in zip(rows, _fitted_dispersions(fit, family), strict=True):
            out[i] = disp
    return out


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
    return _dispersions("poisson", y, size, quarter_of_year, None if step is None else [step])[0]


def dispersion_proportions(x, n, quarter_of_year, step=None) -> Dispersion:
    """Quasi-binomial dispersion of a quarterly proportion series x/n.

    As :func:`dispersion_counts`, with the binomial GLM ``x/n ~ t + C(quarter)`` (trials as
    weights); quarters with ``n = 0`` carry no information and are dropped.
    """
    return _dispersions("binomial", x, n, quarter_of_year, None if step is None else [step])[0]


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
    p_value = 2 * special.stdtr(ref_df, -np.abs(stat))
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
    lo, root = np.zeros_like(hi), hi.copy()
    for _ in range(2200):
        mid = lo + (root - lo) / 2
        moving = (mid > lo) & (mid < root)
        if not moving.any():
            break
        below = gap(mid) < 0
        lo, root = np.where(moving & below, mid, lo), np.where(moving & ~below, mid, root)
    return np.where(f_lo == 0, 0.0, np.where(f_hi < 0, np.nan, root))


def _critical(ref_df, alpha: float, power: float):
    return special.stdtrit(ref_df, 1 - alpha / 2), special.stdtrit(ref_df, power)


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
                       multiplier: float = 1.0, conf: float = 0.95, alpha: float = 0.05,
                       power: float = 0.8, phi: float | None = None,
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
    den = None if denominator is None else [denominator]
    return trend_batch([numerator], den, [quarter_of_year], kind, n_quarters,
                       multiplier=multiplier, conf=conf, alpha=alpha, power=power)[0]


def trend_batch(numerators, denominators, quarters_of_year, kind: str, n_quarters: int = 12, *,
                multiplier: float = 1.0, conf: float = 0.95, alpha: float = 0.05,
                power: float = 0.8, skip_invalid: bool = False) -> list[ChangeResult | None]:
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
    crit = special.stdtrit(ref_df, 1 - (1 - conf) / 2)
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
