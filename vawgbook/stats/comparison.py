"""Units compared on one funnel plot: whether to widen the limits, the limits, each unit's signal.

The one place where a set of units (forces) is compared with their pooled value. The findings
register (compute stage) and the funnel charts (publish stage) both call :func:`funnel_plot`, so
a force named as outside the limits is the force drawn outside them.

Proportions use the PHE proportion limits around Σx/Σn; rates use observed/expected ratio
limits with expected = denominator × pooled rate (see :mod:`.funnel`). Where the units spread
significantly more than chance allows (Spiegelhalter's test of phi at the 5% level), additive
random-effects limits are used instead.

References
----------
Spiegelhalter DJ. Handling over-dispersion of performance indicators. Quality and Safety in
Health Care 2005; 14(5): 347-351 (the test of phi: k·phi against chi-squared on k − 1 df).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import funnel
from .distributions import chi2_sf

#: Level of Spiegelhalter's test of phi that decides whether the limits are widened.
OVERDISPERSION_LEVEL = 0.05
STATISTICS = ("proportion", "ratio")


@dataclass(frozen=True)
class FunnelPlot:
    """Units on one funnel plot.

    Attributes
    ----------
    statistic : {"proportion", "ratio"}
    rate : float
        The pooled value Σx/Σn (the funnel's centre, before any multiplier).
    method : {"none", "additive"}
        Additive random-effects limits when the units are over-dispersed, else plain.
    overdispersion : funnel.Overdispersion
    p_overdispersion : float
        p-value of Spiegelhalter's test of phi.
    signal : numpy.ndarray of str
        Each unit's PHE label (``funnel.HIGH_999`` etc.).
    """

    statistic: str
    rate: float
    method: str
    overdispersion: funnel.Overdispersion
    p_overdispersion: float
    signal: np.ndarray

    def limits(self, n, conf: float) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper limits at denominators ``n``, on the scale of ``rate``."""
        n = np.asarray(n, float)
        if self.statistic == "proportion":
            return funnel.proportion_limits(n, self.rate, conf, self.method, self.overdispersion)
        lo, hi = funnel.ratio_limits(n * self.rate, conf, 1.0, self.method, self.overdispersion)
        return lo * self.rate, hi * self.rate


def funnel_plot(x, n, statistic: str) -> FunnelPlot | None:
    """Compare units ``x/n`` on a funnel plot; None when there is nothing to compare.

    Parameters
    ----------
    x, n : array_like
        Numerators and denominators (> 0) of the units.
    statistic : {"proportion", "ratio"}
        ``"proportion"`` for shares, ``"ratio"`` for rates (observed/expected counts).

    Returns
    -------
    FunnelPlot or None
        None for fewer than three units or no events at all.
    """
    if statistic not in STATISTICS:
        raise ValueError(f"unknown statistic {statistic!r}: use 'proportion' or 'ratio'")
    x, n = np.asarray(x, float), np.asarray(n, float)
    if x.size < 3 or x.sum() <= 0:
        return None
    rate = x.sum() / n.sum()
    if statistic == "proportion":
        od = funnel.overdispersion(x, n)
    else:
        od = funnel.overdispersion(x, n * rate, statistic="ratio")
    k = od.n_units
    p_phi = float(chi2_sf(k * od.phi, k - 1))
    method = "additive" if p_phi < OVERDISPERSION_LEVEL and od.tau2 > 0 else "none"
    if statistic == "proportion":
        signal = funnel.classify_proportions(x, n, rate, method)
    else:
        signal = funnel.classify_ratios(x, n * rate, 1.0, method)
    return FunnelPlot(statistic, float(rate), method, od, p_phi, signal)
