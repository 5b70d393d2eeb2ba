"""Comparing forces (funnel plots) and reading a series over time (process control), for the book.

Funnel plots follow the public-health method in :mod:`vawgbook.stats.funnel`; process-control charts
the NHS Making Data Count rules in :mod:`vawgbook.stats.spc`. This module turns a period's results into
their inputs and into plain sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import words as W
from ..config import Kpi, force_names
from ..periods import Quarter
from ..stats import funnel, spc
from ..stats.distributions import chi2_sf

OVERDISPERSION_LEVEL = 0.05  # test of phi (Spiegelhalter 2005) that decides the adjustment
IMPROVEMENT = {"higher_is_better": "increase", "lower_is_better": "decrease", "context": "neutral"}


@dataclass
class Funnel:
    """A funnel plot for one KPI over the 12 months: points, limits and what was done."""

    kpi: Kpi
    points: pd.DataFrame  # force, numerator, denominator, value, signal
    limits: pd.DataFrame  # denominator, lower_95, upper_95, lower_998, upper_998
    baseline: float  # in the KPI's units
    method: str  # "none", "multiplicative" or "additive"
    note: str


def funnel_for(results: pd.DataFrame, kpi: Kpi) -> Funnel | None:
    """The 12-month funnel for a proportion or rate KPI; None for counts or too few forces.

    Proportions use the PHE proportion limits around the national proportion; rates use
    observed/expected ratio limits with expected = denominator x national rate. Where the forces
    spread significantly more than chance allows (Spiegelhalter's test of phi at the 5% level),
    additive random-effects limits are shown instead, and the note says so.
    """
    if kpi.kind == "count":
        return None
    rows = results.loc[(results["kpi_id"] == kpi.id) & (results["comparison"] == "year_on_year")
                       & (results["force"] != force_names().national)]
    rows = rows.dropna(subset=["numerator", "denominator"])
    rows = rows.loc[(rows["denominator"] > 0) & (rows["numerator"] >= 0)]
    if kpi.kind == "proportion":
        rows = rows.loc[rows["numerator"] <= rows["denominator"]]
    if len(rows) < 3 or rows["numerator"].sum() <= 0:
        return None
    x, n = rows["numerator"].to_numpy(float), rows["denominator"].to_numpy(float)
    rate = x.sum() / n.sum()
    statistic = "proportion" if kpi.kind == "proportion" else "ratio"
    od = (funnel.overdispersion(x, n) if statistic == "proportion"
          else funnel.overdispersion(x, n * rate, statistic="ratio"))
    k = od.n_units
    p_phi = float(chi2_sf(k * od.phi, k - 1))
    method = "additive" if p_phi < OVERDISPERSION_LEVEL and od.tau2 > 0 else "none"
    grid = np.unique(np.geomspace(max(n.min() * 0.8, 1.0), n.max() * 1.2, 120))
    limits = {"denominator": grid}
    for conf, tag in ((funnel.CONF_INNER, "95"), (funnel.CONF_OUTER, "998")):
        if statistic == "proportion":
            lo, hi = funnel.proportion_limits(grid, rate, conf, method, od)
        else:
            lo, hi = funnel.ratio_limits(grid * rate, conf, 1.0, method, od)
            lo, hi = lo * rate, hi * rate
        limits[f"lower_{tag}"], limits[f"upper_{tag}"] = lo * kpi.multiplier, hi * kpi.multiplier
    if statistic == "proportion":
        signal = funnel.classify_proportions(x, n, rate, method)
    else:
        signal = funnel.classify_ratios(x, n * rate, 1.0, method)
    points = pd.DataFrame({"force": rows["force"].to_numpy(), "numerator": x, "denominator": n,
                           "value": x / n * kpi.multiplier, "signal": signal})
    if method == "additive":
        note = W.FUNNEL_ADDITIVE.format(phi=od.phi)
    else:
        note = W.FUNNEL_UNADJUSTED
    return Funnel(kpi, points, pd.DataFrame(limits), rate * kpi.multiplier, method, note)


def funnel_sentence(f: Funnel) -> str:
    """Which forces lie outside the 99.8% limits, with the caveat on comparing forces."""
    high = f.points.loc[f.points["signal"] == funnel.HIGH_999, "force"].tolist()
    low = f.points.loc[f.points["signal"] == funnel.LOW_999, "force"].tolist()
    parts = [W.FUNNEL_BASELINE.format(value=f.kpi.display(f.baseline), note=f.note)]
    if high or low:
        if high:
            parts.append(W.FUNNEL_ABOVE.format(forces=", ".join(high)))
        if low:
            parts.append(W.FUNNEL_BELOW.format(forces=", ".join(low)))
    else:
        parts.append(W.FUNNEL_NONE_OUTSIDE)
    parts.append(W.FUNNEL_CAVEAT)
    return " ".join(parts)


def spc_for(quarterly: pd.DataFrame, kpi: Kpi, place: str, breaks=()) -> pd.DataFrame:
    """XmR chart of the KPI's quarterly values for one place, with the direction of improvement;
    limits are recalculated from each registered break (``registry.breaks_for``) in the series."""
    data = quarterly.loc[(quarterly["kpi_id"] == kpi.id) & (quarterly["force"] == place)]
    periods = [Quarter.parse(p) for p in data["period"]]
    restart = [i for b in breaks for i, p in enumerate(periods) if p == b.first_quarter and i > 0]
    chart = spc.xmr(data["value"].to_numpy(float), improvement=IMPROVEMENT[kpi.direction],
                    recalc_at=restart or None)
    chart.insert(0, "period", data["period"].to_numpy())
    return chart


def spc_sentence(chart: pd.DataFrame, kpi: Kpi, assessment: str) -> str:
    """The latest quarter's process-control reading, and why it may differ from the yearly test."""
    icon = spc.variation_icon(chart, IMPROVEMENT[kpi.direction])
    if icon is None:
        return W.SPC_NO_VALUES
    text = W.SPC_READING.format(icon=W.ICON_WORDS[icon])
    yearly_signal = assessment not in ("no_significant_change", "insufficient_data")
    if (icon == "common_cause") == yearly_signal:
        text += W.SPC_AND_YEARLY_DIFFER
    return text
