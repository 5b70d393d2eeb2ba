"""Comparing forces (funnel plots) and reading a series over time (process control), for the book.

Funnel plots follow the public-health method in :mod:`vawgbook.funnel`; process-control charts
the NHS Making Data Count rules in :mod:`vawgbook.spc`. This module turns a period's results into
their inputs and into plain sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from . import funnel, spc
from .registry import Kpi

NATIONAL = "England and Wales"
OVERDISPERSION_LEVEL = 0.05  # test of phi (Spiegelhalter 2005) that decides the adjustment
IMPROVEMENT = {"higher_is_better": "increase", "lower_is_better": "decrease", "context": "neutral"}
ICON_WORDS = {
    "common_cause": "common-cause variation only (no signal)",
    "improvement_high": "special-cause improvement (higher)",
    "improvement_low": "special-cause improvement (lower)",
    "concern_high": "special-cause concern (higher)",
    "concern_low": "special-cause concern (lower)",
    "neutral_high": "special-cause variation (higher)",
    "neutral_low": "special-cause variation (lower)",
}


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
                       & (results["force"] != NATIONAL)]
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
    p_phi = float(sps.chi2.sf(k * od.phi, k - 1))
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
        note = (f"Forces differ far more than chance alone would make them (overdispersion factor "
                f"{od.phi:.1f}), so the limits allow for real differences between forces "
                "(additive random-effects adjustment); only forces outside these wider limits are "
                "named.")
    else:
        note = "Forces differ no more than chance alone allows, so the limits are unadjusted."
    return Funnel(kpi, points, pd.DataFrame(limits), rate * kpi.multiplier, method, note)


def funnel_sentence(f: Funnel) -> str:
    """Which forces lie outside the 99.8% limits, with the caveat on comparing forces."""
    high = f.points.loc[f.points["signal"] == funnel.HIGH_999, "force"].tolist()
    low = f.points.loc[f.points["signal"] == funnel.LOW_999, "force"].tolist()
    parts = [f"England and Wales: {f.kpi.display(f.baseline)}. {f.note}"]
    if high or low:
        if high:
            parts.append(f"Above the 99.8% limit: {', '.join(high)}.")
        if low:
            parts.append(f"Below the 99.8% limit: {', '.join(low)}.")
    else:
        parts.append("No force lies outside the 99.8% limits.")
    parts.append("Forces differ in recording practice, population and demography, so a force "
                 "outside the limits is a prompt to ask why, not a verdict.")
    return " ".join(parts)


def spc_for(quarterly: pd.DataFrame, kpi: Kpi, place: str) -> pd.DataFrame:
    """XmR chart of the KPI's quarterly values for one place, with the direction of improvement."""
    data = quarterly.loc[(quarterly["kpi_id"] == kpi.id) & (quarterly["force"] == place)]
    chart = spc.xmr(data["value"].to_numpy(float), improvement=IMPROVEMENT[kpi.direction])
    chart.insert(0, "period", data["period"].to_numpy())
    return chart


def spc_sentence(chart: pd.DataFrame, kpi: Kpi, assessment: str) -> str:
    """The latest quarter's process-control reading, and why it may differ from the yearly test."""
    icon = spc.variation_icon(chart, IMPROVEMENT[kpi.direction])
    if icon is None:
        return "No quarterly values to chart."
    text = f"Quarterly process-control chart: the latest quarter shows {ICON_WORDS[icon]}."
    yearly_signal = assessment not in ("no_significant_change", "insufficient_data")
    if (icon == "common_cause") == yearly_signal:
        text += (" The two methods answer different questions: the year-on-year test compares two "
                 "12-month totals, allowing for the series' extra variation, while the chart flags "
                 "single quarters or runs of quarters outside the series' usual range, so one can "
                 "signal when the other does not.")
    return text
