"""A seasonal generalised linear model fitted to many quarterly series at once, and the
dispersion factor each series' history gives.

``y ~ t + C(quarter) [+ step]``: quasi-Poisson with ``log(size)`` offset for counts and rates,
quasi-binomial (trials as weights) for proportions. :func:`fit_seasonal` runs statsmodels'
iteratively reweighted least squares on a whole stack of series (every force of a KPI) as one
vectorised computation, so each row gives what ``sm.GLM`` on that series alone gives (to
rounding) at a fraction of the cost.

The central worry is overdispersion: quarterly police counts vary far more than Poisson or
binomial noise allows, so every test is widened by a dispersion factor ``phi`` measured from the
series' own history (Pearson chi-square over residual degrees of freedom), never narrower than
the plain Poisson or binomial test.

References
----------
.. [1] McCullagh, P. and Nelder, J. A. (1989). *Generalized Linear Models*, 2nd edition.
   Chapman and Hall, London (quasi-likelihood and the dispersion parameter, sections 4.5, 9.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .settings import MIN_DISPERSION_DF, MIN_HISTORY_QUARTERS

PLAIN_SHORT = "plain (history too short)"


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
    residuals : ndarray, shape (B, T)
        Pearson residuals ``(y - mu) / sqrt(V(mu) / trials)`` (0 where a quarter was not used).
    design : ndarray, shape (B, T, K)
        The weighted design ``W^(1/2) X`` of the last IRLS step (0 where not used): its hat matrix
        is what the residuals were left by (:mod:`vawgbook.stats.serial`).
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
    residuals: np.ndarray | None = None
    design: np.ndarray | None = None

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


def _seasonal_design(t, quarter, ok, steps=()):
    """Design ``[1, t, quarter dummies, steps...]`` of each row, zero outside ``ok``; which columns
    each row's model has (its first quarter level is the reference; a step must vary); the levels.

    ``steps``: extra columns, each of shape (T,) or (B, T) (a step at a break, a term for the
    latest 12 months)."""
    levels = np.unique(quarter[ok])
    dummies = (quarter[..., None] == levels) & ok[..., None]
    present = dummies.any(axis=1)
    used = present.copy()
    used[np.arange(len(used)), np.argmax(present, axis=1)] = False
    cols = [ok[..., None], np.where(ok, t, 0.0)[..., None], dummies & used[:, None, :]]
    live = [np.ones((len(ok), 2), bool), used]
    for step in steps:
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
    with np.errstate(divide="ignore", invalid="ignore"):
        residuals = np.where(ok, (endog - mu) * np.sqrt(trials / fam.variance(mu)), 0.0)
    pearson = ((endog - mu) ** 2 / fam.variance(mu) * trials * ok).sum(axis=1)
    return SeasonalFit(params * live, _cov_root(weighted, pins, deficient), live, levels, present,
                       pearson, (nobs - rank).astype(float), iterations, converged, residuals, weighted)


def fit_seasonal(family: str, y, size, quarter_of_year, t=None, step=None, mask=None,
                 steps=()) -> SeasonalFit:
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
    steps : sequence of array_like, optional
        More such columns, after ``step`` (a step at each registered break, say).

    Returns
    -------
    SeasonalFit
    """
    y, size, quarter, t = _stacked(y, size, quarter_of_year, t)
    ok = _observed(y, size, quarter, t)
    if mask is not None:
        ok &= np.asarray(mask, bool)
    columns = ([] if step is None else [step]) + list(steps)
    return _irls(family, y, size, ok, *_seasonal_design(t, quarter, ok, columns))


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
    X, live, levels, present = _seasonal_design(t, q, ok, [] if step is None else [step])
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
