"""Dispersion factors pooled across forces: empirical Bayes moderation (Smyth 2004, limma).

Each force's dispersion factor is estimated from its own 12 to 22 quarters, on 7 to 16 degrees of
freedom: noisy, so its tests are referred to t on few degrees of freedom and lose power, and a
force whose estimate happens to come out low is tested too liberally. The forces of one
indicator share most of their behaviour, so each estimate is shrunk towards a prior fitted across
them: log phi is regressed on log volume (bigger forces have more extra-Poisson variation), and
the prior's degrees of freedom ``d0`` are estimated from how much the log estimates spread
beyond their sampling variance (a scaled-F model: ``phi_i | sigma_i^2 ~ sigma_i^2 chi2(d_i)/d_i``,
``1/sigma_i^2 ~ chi2(d0)/(d0 s0_i^2)``). The posterior

    ``phi_i* = (d0 s0_i^2 + d_i phi_i) / (d0 + d_i)``

is referred to t on ``d0 + d_i`` degrees of freedom. Where the forces agree more than sampling
error alone would make them, ``d0`` is infinite and every force gets its prior.

References
----------
.. [1] Smyth, G. K. (2004). Linear models and empirical Bayes methods for assessing differential
   expression in microarray experiments. *Statistical Applications in Genetics and Molecular
   Biology* 3(1), Article 3 (section 6: estimation of the hyperparameters).
.. [2] Phipson, B., Lee, S., Majewski, I. J., Alexander, W. S. and Smyth, G. K. (2016). Robust
   hyperparameter estimation protects against hypervariable genes and improves power to detect
   differential expression. *Annals of Applied Statistics* 10(2), 946-963 (a trend in the prior).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

#: Fewest series with an estimate for a prior to be fitted (otherwise nothing is pooled).
MIN_PRIOR_SERIES = 8
#: A trend of log phi on log volume needs at least this many series; fewer give a flat prior.
MIN_TREND_SERIES = 12


def trigamma_inverse(x):
    """Solve ``trigamma(y) = x`` for ``y > 0`` (Smyth's Newton iteration, limma's
    ``trigammaInverse``): monotone convergence from ``0.5 + 1/x``."""
    x = np.asarray(x, float)
    safe = np.maximum(x, 1e-300)
    y = np.where(x > 1e7, 1 / np.sqrt(safe), np.where(x < 1e-6, 1 / safe, 0.5 + 1 / safe))
    newton = (x >= 1e-6) & (x <= 1e7)
    for _ in range(50):
        tri = special.polygamma(1, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            dif = np.where(newton, tri * (1 - tri / x) / special.polygamma(2, y), 0.0)
        y = y + dif
        if np.all(-dif / y < 1e-8):
            break
    return np.where(x < 0, np.nan, y)


@dataclass(frozen=True)
class Prior:
    """The prior fitted across series: ``log s0^2 = a + b log(volume)``, on ``d0`` df.

    ``df`` is 0 when nothing was pooled (too few series), infinite when the estimates spread no
    more than sampling error alone explains. ``series`` says how many estimates it rests on.
    """

    intercept: float
    slope: float
    df: float
    series: int

    def scale(self, volume) -> np.ndarray:
        """The prior dispersion ``s0^2`` at each volume."""
        return np.exp(self.intercept + self.slope * np.log(np.asarray(volume, float)))


NO_PRIOR = Prior(0.0, 0.0, 0.0, 0)


def fit_prior(phi, df, volume) -> Prior:
    """Moment estimates of the scaled-F prior (limma's ``fitFDist``, with a linear trend in log
    volume in place of its spline).

    Parameters
    ----------
    phi, df : array_like
        Dispersion estimates (unfloored, Pearson X2 over its expectation) and their degrees of
        freedom; entries with non-finite values or ``df <= 0`` are left out.
    volume : array_like
        Each series' typical size (its mean quarterly denominator, or count).

    Returns
    -------
    Prior
        ``e_i = log phi_i - digamma(d_i/2) + log(d_i/2)`` has mean ``log s0_i^2 - digamma(d0/2) +
        log(d0/2)`` and variance ``trigamma(d_i/2) + trigamma(d0/2)``: the regression of ``e`` on
        log volume gives the first, its residual variance less the mean ``trigamma(d_i/2)`` the
        second.
    """
    phi, df, volume = (np.asarray(a, float) for a in (phi, df, volume))
    ok = np.isfinite(phi) & np.isfinite(df) & (df > 0) & np.isfinite(volume) & (volume > 0)
    if ok.sum() < MIN_PRIOR_SERIES:
        return NO_PRIOR
    phi, df, volume = phi[ok], df[ok], volume[ok]
    phi = np.maximum(phi, 1e-5 * np.median(phi))  # limma: keep zeros off the log scale
    e = np.log(phi) - special.digamma(df / 2) + np.log(df / 2)
    x = np.log(volume)
    if ok.sum() >= MIN_TREND_SERIES and np.ptp(x) > 0:
        design = np.column_stack([np.ones_like(x), x])
    else:
        design = np.ones((len(x), 1))
    coef, *_ = np.linalg.lstsq(design, e, rcond=None)
    residual = e - design @ coef
    evar = float((residual**2).sum() / (len(e) - design.shape[1]))
    evar -= float(np.mean(special.polygamma(1, df / 2)))
    if evar > 0:
        d0 = float(2 * trigamma_inverse(evar))
        shift = special.digamma(d0 / 2) - np.log(d0 / 2)
    else:
        d0, shift = np.inf, 0.0
    slope = float(coef[1]) if design.shape[1] == 2 else 0.0
    return Prior(float(coef[0] + shift), slope, d0, int(ok.sum()))


def squeeze(phi, df, volume, prior: Prior):
    """Posterior dispersions and their degrees of freedom under ``prior``.

    Returns ``(phi*, df*)``: ``(d0 s0^2 + d phi) / (d0 + d)`` on ``d0 + d`` df; with an infinite
    ``d0`` the prior itself on infinite df; with no prior (``d0 = 0``) the estimates unchanged.
    Estimates that are missing (``df`` 0) take the prior where there is one.
    """
    phi, df = np.asarray(phi, float), np.asarray(df, float)
    if prior.df == 0:
        return phi, df
    s0 = prior.scale(volume)
    own = np.where(np.isfinite(phi) & (df > 0), phi, 0.0)
    d = np.where(np.isfinite(phi), np.maximum(df, 0.0), 0.0)
    if np.isinf(prior.df):
        return s0, np.full_like(s0, np.inf)
    return (prior.df * s0 + d * own) / (prior.df + d), prior.df + d
