"""Serial correlation of quarterly series: estimated once per indicator across forces, and allowed
for in the variance of a year-on-year difference and of a trend.

Police series are autocorrelated: a recording drive or a backlog lifts several quarters in a row.
Tests that treat quarters as independent then reject a true null far too often (simulated at
AR(1) rho 0.5: 13-15% at the 5% level for the year-on-year test). The extra variation is modelled
as a first-order autoregressive working correlation, ``corr(r_s, r_t) = rho^|s - t|``, of the
Pearson residuals of each series' seasonal GLM (:mod:`vawgbook.stats.glm`).

Only the extra variation is taken to be correlated; the Poisson or binomial counting noise is
not, so a series with dispersion ``phi`` has residual correlation ``((phi - 1)/phi) rho^|s-t|``.
Estimating rho from one short series is hopeless (20 quarters, a trend, three seasonal terms and
a step); pooled over the forces of one indicator it is not. Residuals of a fitted model are
biased towards negative autocorrelation (the fitted terms absorb part of any slow movement), so
rho is estimated by restricted maximum likelihood from the error contrasts of each series'
fit, which carry none of the fitted terms. The expectation of the Pearson chi-square under the
same model corrects each series' dispersion estimate (``phi = X2 / tr(M R)`` rather than
``X2 / df``, ``M`` the residual projection), which positive correlation otherwise biases low.

References
----------
.. [1] Liang, K.-Y. and Zeger, S. L. (1986). Longitudinal data analysis using generalized linear
   models. *Biometrika* 73(1), 13-22 (working correlation; the sandwich variance).
.. [2] Box, G. E. P., Jenkins, G. M. and Reinsel, G. C. (1994). *Time Series Analysis*, 3rd
   edition, section 2.1 (the AR(1) autocorrelation function; variance of sums).
.. [3] Searle, S. R. (1971). *Linear Models*, section 2.5 (expected value of a quadratic form,
   ``E[x'Ax] = tr(A Sigma) + mu'A mu``), and the REML references of :func:`estimate_ar1`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def ar1(rho: float, size: int) -> np.ndarray:
    """The AR(1) correlation matrix ``rho^|s - t|`` of ``size`` consecutive quarters."""
    lags = np.abs(np.subtract.outer(np.arange(size), np.arange(size)))
    return np.asarray(rho, float) ** lags


def correlation(rho: float, share, size: int) -> np.ndarray:
    """Residual correlation when a share of each series' variance is AR(1) and the rest
    independent (Poisson or binomial noise): ``1`` on the diagonal, ``share rho^|s-t|`` off it.

    ``share`` (one per series, shape (B,)) is ``(phi - 1) / phi``: the extra variation is what is
    serially correlated, the counting noise is not. Returns shape (B, size, size).
    """
    share = np.clip(np.atleast_1d(np.asarray(share, float)), 0.0, 1.0)
    base = ar1(rho, size)
    eye = np.eye(size)
    return eye + share[:, None, None] * (base - eye)[None]


def share_of(phi) -> np.ndarray:
    """The share of a series' variance that is extra variation, ``(phi - 1)/phi`` (0 at phi <= 1)."""
    phi = np.asarray(phi, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(phi) & (phi > 1), (phi - 1) / phi, 0.0)


def residual_projection(design: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """``M = I - H`` for each row of a stack of weighted designs (B, T, K), restricted to the
    quarters used (rows and columns outside ``ok`` are zero): what turns the true errors into the
    Pearson residuals. ``H`` uses the pseudo-inverse, so unused or collinear columns do no harm."""
    pinv = np.linalg.pinv(design, rcond=1e-10)  # (B, K, T)
    hat = design @ pinv  # (B, T, T)
    eye = np.eye(design.shape[1])[None] * ok[:, None, :] * ok[:, :, None]
    return eye - hat * ok[:, None, :] * ok[:, :, None]


@dataclass(frozen=True)
class SerialCorrelation:
    """The AR(1) coefficient of an indicator's extra variation, pooled over series.

    Attributes
    ----------
    rho : float
        Estimated coefficient (0 when it could not be estimated).
    series : int
        How many series it was estimated from.
    """

    rho: float
    series: int


#: The values of rho the restricted likelihood is evaluated at (then refined by a parabola).
RHO_GRID = np.round(np.arange(-0.5, 0.95 + 1e-9, 0.025), 3)


def _error_contrasts(projections: np.ndarray):
    """An orthonormal basis of each projection's range (the error contrasts of REML), grouped by
    its dimension so that each group is one batched computation."""
    values, vectors = np.linalg.eigh(projections)
    keep = values > 0.5
    groups = {}
    for b, dim in enumerate(keep.sum(axis=1).tolist()):
        groups.setdefault(dim, []).append(b)
    return {dim: (np.array(rows), np.stack([vectors[b][:, keep[b]] for b in rows]))
            for dim, rows in groups.items() if dim > 0}


def _restricted_loglik(rho: float, contrasts, residuals, share) -> float:
    """The REML log-likelihood of the pooled series at ``rho``, each series' scale profiled out:
    ``sum_i -(q_i/2) log(r_i'K_i S_i^-1 K_i'r_i) - (1/2) log|S_i|`` with ``S_i = K_i'R_i K_i``."""
    total = 0.0
    size = residuals.shape[1]
    for dim, (rows, basis) in contrasts.items():
        corr = correlation(rho, share[rows], size)
        s = basis.transpose(0, 2, 1) @ corr @ basis
        chol = np.linalg.cholesky(s)
        z = np.linalg.solve(chol, np.einsum("btq,bt->bq", basis, residuals[rows])[..., None])[..., 0]
        quad = (z**2).sum(axis=1)
        logdet = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        total += float((-dim / 2 * np.log(quad) - logdet).sum())
    return total


def estimate_ar1(residuals: np.ndarray, projections: np.ndarray, ok: np.ndarray, share=1.0,
                 min_series: int = 5) -> SerialCorrelation:
    """Pooled AR(1) coefficient of a stack of series' Pearson residuals, by restricted maximum
    likelihood.

    Parameters
    ----------
    residuals : ndarray, shape (B, T)
        Pearson residuals (0 where not used).
    projections : ndarray, shape (B, T, T)
        Each series' residual projection :func:`residual_projection`.
    ok : ndarray of bool, shape (B, T)
        The quarters each series' fit used.
    share : float or ndarray, shape (B,)
        The share of each series' variance that is serially correlated (:func:`share_of`).
    min_series : int
        Fewer usable series than this gives ``rho = 0`` (no correction).

    Returns
    -------
    SerialCorrelation
        ``rho`` maximises the restricted likelihood of the residuals, ``r_i ~ N(0, phi_i M_i R_i
        M_i)`` with ``R_i`` of :func:`correlation` and each ``phi_i`` profiled out [3]_ [4]_: the
        error contrasts ``K_i'r_i`` carry no fitted terms, so the estimate is free of the bias
        that fitting a trend, seasons and steps puts into the residuals' autocorrelation.

    References
    ----------
    .. [3] Patterson, H. D. and Thompson, R. (1971). Recovery of inter-block information when
       block sizes are unequal. *Biometrika* 58(3), 545-554.
    .. [4] Harville, D. A. (1977). Maximum likelihood approaches to variance component
       estimation and to related problems. *JASA* 72(358), 320-338.
    """
    ss = np.einsum("bt,bt->b", residuals, residuals)
    usable = (ss > 0) & (ok.sum(axis=1) >= 3)
    if usable.sum() < min_series:
        return SerialCorrelation(0.0, int(usable.sum()))
    share = np.broadcast_to(np.asarray(share, float), (len(ok),))[usable]
    contrasts = _error_contrasts(projections[usable])
    r = residuals[usable]
    loglik = np.array([_restricted_loglik(rho, contrasts, r, share) for rho in RHO_GRID])
    i = int(np.argmax(loglik))
    rho = float(RHO_GRID[i])
    if 0 < i < len(RHO_GRID) - 1:  # the vertex of the parabola through the best three points
        y0, y1, y2 = loglik[i - 1:i + 2]
        curvature = y0 - 2 * y1 + y2
        if curvature < 0:
            step = RHO_GRID[1] - RHO_GRID[0]
            rho += float(0.5 * step * (y0 - y2) / curvature)
    return SerialCorrelation(float(np.clip(rho, RHO_GRID[0], RHO_GRID[-1])), int(usable.sum()))


def dispersion_divisor(projections: np.ndarray, rho: float, share=1.0) -> np.ndarray:
    """``tr(M R)`` of each series: the expected Pearson chi-square over phi under AR(1) ``rho``
    (``df_resid`` when rho is 0). Dividing X2 by it gives an unbiased dispersion."""
    share = np.broadcast_to(np.asarray(share, float), (len(projections),))
    return np.einsum("bst,bts->b", projections, correlation(rho, share, projections.shape[1]))


def contrast_inflation(weights: np.ndarray, variances: np.ndarray, rho: float, share=1.0) -> np.ndarray:
    """How much serial correlation inflates the variance of a contrast of quarterly values.

    For ``c'y`` with independent-case variance ``sum c_t^2 v_t``, the variance under
    :func:`correlation` is ``sum_s sum_t c_s c_t sqrt(v_s v_t) R_st``; returns the ratio (1 at
    rho = 0), one per row.

    Parameters
    ----------
    weights, variances : ndarray, shape (B, T)
        The contrast (e.g. ``1/e1`` on the latest four quarters, ``-1/e0`` on the four before)
        and each quarter's variance up to the common dispersion (e.g. its exposure).
    """
    w = weights * np.sqrt(variances)
    share = np.broadcast_to(np.asarray(share, float), (len(weights),))
    corr = correlation(rho, share, weights.shape[1])
    independent = (w**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(independent > 0, np.einsum("bs,bst,bt->b", w, corr, w) / independent, 1.0)


def sandwich_root(design: np.ndarray, cov_root: np.ndarray, rho: float, share=1.0) -> np.ndarray:
    """A root ``S`` (``S S' = B A'RA B``, ``B = (A'A)^-1 = L L'``) of the working-AR(1) covariance
    of GLM coefficients per unit dispersion (Liang and Zeger 1986 [1]_); ``L`` itself at rho 0.

    Quadratic forms are taken through the root (``g' cov g = |S'g|^2``): where a quarter level is
    all zero, ``B`` has huge entries that cancel, and ``B A'A B`` formed directly would not.
    """
    if not rho:
        return cov_root
    share = np.broadcast_to(np.asarray(share, float), (len(design),))
    middle = cov_root.transpose(0, 2, 1) @ design.transpose(0, 2, 1) \
        @ correlation(rho, share, design.shape[1]) @ design @ cov_root
    values, vectors = np.linalg.eigh((middle + middle.transpose(0, 2, 1)) / 2)
    return cov_root @ vectors * np.sqrt(np.maximum(values, 0.0))[:, None, :]
