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
from ..periods import restarts
from ..stats import funnel, spc
from ..stats.comparison import funnel_plot

IMPROVEMENT = {"higher_is_better": "increase", "lower_is_better": "decrease", "context": "neutral"}
#: Where a force sits on a funnel plot, from the PHE label (the 99.8% limits make a finding).
POSITIONS = {funnel.HIGH_999: "above", funnel.LOW_999: "below", funnel.HIGH_95: "within",
             funnel.LOW_95: "within", funnel.NOT_SIGNIFICANT: "within"}
READING_ABOVE = {"higher_is_better": "better", "lower_is_better": "worse", "context": "neutral"}
READING_BELOW = {"higher_is_better": "worse", "lower_is_better": "better", "context": "neutral"}


@dataclass
class Funnel:
    """A funnel plot for one KPI over the 12 months: points, limits and what was done."""

    kpi: Kpi
    points: pd.DataFrame  # force, numerator, denominator, value, signal, position, reading
    limits: pd.DataFrame  # denominator, lower_95, upper_95, lower_998, upper_998
    baseline: float  # in the KPI's units
    method: str  # "none" or "additive"
    note: str


def funnel_for(results: pd.DataFrame, kpi: Kpi) -> Funnel | None:
    """The 12-month funnel for a proportion or rate KPI; None for counts or too few forces.

    The comparison is :func:`vawgbook.stats.comparison.funnel_plot`, the one the findings
    register uses, so the forces drawn outside the limits are the ones the register names.
    """
    if kpi.kind == "count":
        return None
    rows = results.loc[(results["kpi_id"] == kpi.id) & (results["comparison"] == "year_on_year")
                       & (results["force"] != force_names().national)]
    if "dimension" in rows:
        rows = rows.loc[rows["dimension"] == ""]
    rows = rows.dropna(subset=["numerator", "denominator"])
    rows = rows.loc[(rows["denominator"] > 0) & (rows["numerator"] >= 0)]
    if kpi.kind == "proportion":
        rows = rows.loc[rows["numerator"] <= rows["denominator"]]
    x, n = rows["numerator"].to_numpy(float), rows["denominator"].to_numpy(float)
    plot = funnel_plot(x, n, "proportion" if kpi.kind == "proportion" else "ratio")
    if plot is None:
        return None
    grid = np.unique(np.geomspace(max(n.min() * 0.8, 1.0), n.max() * 1.2, 120))
    limits = {"denominator": grid}
    for conf, tag in ((funnel.CONF_INNER, "95"), (funnel.CONF_OUTER, "998")):
        lo, hi = plot.limits(grid, conf)
        limits[f"lower_{tag}"], limits[f"upper_{tag}"] = lo * kpi.multiplier, hi * kpi.multiplier
    positions = [POSITIONS[s] for s in plot.signal]
    readings = [READING_ABOVE[kpi.direction] if p == "above" else READING_BELOW[kpi.direction]
                if p == "below" else "similar" for p in positions]
    points = pd.DataFrame({"force": rows["force"].to_numpy(), "numerator": x, "denominator": n,
                           "value": x / n * kpi.multiplier, "signal": plot.signal,
                           "position": positions, "reading": readings})
    note = W.FUNNEL_ADDITIVE if plot.method == "additive" else W.FUNNEL_UNADJUSTED
    return Funnel(kpi, points, pd.DataFrame(limits), plot.rate * kpi.multiplier, plot.method, note)


def _named(points: pd.DataFrame, position: str, words: dict) -> str:
    mine = points.loc[points["position"] == position]
    return ", ".join(f"{r.force}{words.get(r.reading, '')}" for r in mine.itertuples())


def funnel_sentence(f: Funnel) -> str:
    """Which forces lie outside the 99.8% limits, whether that is better or worse, and the
    caveat on comparing forces."""
    parts = [W.FUNNEL_BASELINE.format(value=f.kpi.display(f.baseline), note=f.note)]
    high = _named(f.points, "above", W.FUNNEL_READING)
    low = _named(f.points, "below", W.FUNNEL_READING_BELOW)
    if high:
        parts.append(W.FUNNEL_ABOVE.format(forces=high))
    if low:
        parts.append(W.FUNNEL_BELOW.format(forces=low))
    if not high and not low:
        parts.append(W.FUNNEL_NONE_OUTSIDE)
    parts.append(W.FUNNEL_CAVEAT)
    return " ".join(parts)


def spc_for(quarterly: pd.DataFrame, kpi: Kpi, place: str, breaks=()) -> pd.DataFrame:
    """XmR chart of the KPI's quarterly values for one place, with the direction of improvement,
    from the first quarter with data (or a withheld figure) to the latest; limits are
    recalculated from each registered break (``registry.breaks_for``) in the series.

    A quarter withheld as small numbers is marked ``withheld``. When any is, no mean or limits
    are given (from the published quarters alone they would sit too high, as the withheld ones
    are the small ones) and no point is typed: the series is not assessed.
    """
    data = quarterly.loc[(quarterly["kpi_id"] == kpi.id) & (quarterly["force"] == place)]
    hidden = (data["suppressed"].astype(bool) if "suppressed" in data
              else pd.Series(False, index=data.index))
    has = data["value"].notna() | hidden
    if has.any():
        first = int(np.argmax(has.to_numpy()))
        data, hidden = data.iloc[first:], hidden.iloc[first:]
    chart = spc.xmr(data["value"].to_numpy(float), improvement=IMPROVEMENT[kpi.direction],
                    recalc_at=restarts(data["period"], [b.first_quarter for b in breaks]) or None)
    chart.insert(0, "period", data["period"].to_numpy())
    chart["withheld"] = hidden.to_numpy(bool)
    if chart["withheld"].any():
        for column in ("mean", "lower_limit", "upper_limit", "near_lower", "near_upper"):
            chart[column] = np.nan
        chart["point_type"] = np.where(chart["value"].notna(), "not_assessed", None)
    return chart


def spc_sentence(chart: pd.DataFrame, kpi: Kpi, assessment: str, standing=None) -> str:
    """The latest quarter's process-control reading, and why it may differ from the yearly test.

    ``standing`` is the place's row of the register's ``variation.csv`` (its ``spc_icon`` and
    ``spc_note``); without it the reading is taken from ``chart``.
    """
    if standing is not None:
        icon, note = standing["spc_icon"], standing["spc_note"]
        if not icon:
            return W.SPC_NOT_ASSESSED.get(note, W.SPC_NO_VALUES)
    else:
        if "withheld" in chart and chart["withheld"].any():
            return W.SPC_NOT_ASSESSED["withheld_quarters"]
        icon = spc.variation_icon(chart, IMPROVEMENT[kpi.direction])
        if icon is None:
            return W.SPC_NO_VALUES
    text = W.SPC_READING.format(icon=W.ICON_WORDS[icon])
    yearly_signal = assessment not in ("no_significant_change", "insufficient_data")
    if (icon == "common_cause") == yearly_signal:
        text += W.SPC_AND_YEARLY_DIFFER
    return text
