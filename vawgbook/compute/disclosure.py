"""Statistical disclosure control: small counts, and the figures built on them, are not published.

A KPI's threshold comes from the registry (on at 5 for force returns, off for the Home Office's
own published tables). A figure is suppressed when a count behind it (its numerator or
denominator, in the window it covers or the baseline it is compared with) is from 1 to the
threshold minus 1. Where only one force is suppressed for an indicator and window, the next
smallest is suppressed too (secondary suppression), so that the national total minus the
published forces cannot reveal the hidden one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import words as W
from ..config import Registry, force_names, vocabulary
from ..periods import Quarter
from ..stats.settings import QUARTERS_PER_YEAR

BLANKED = ["value", "numerator", "denominator", "ci_lower", "ci_upper", "baseline_value", "change",
           "relative_change", "p_value", "q_value", "min_detectable_change"]


def note(threshold: int) -> str:
    return W.DISCLOSURE_NOTE.format(threshold=threshold)


def _small(values: pd.Series, threshold: pd.Series) -> pd.Series:
    return (values > 0) & (values < threshold)


def _secondary(frame: pd.DataFrame, primary: pd.Series, groups: list[str], size: str) -> pd.Series:
    """Add the smallest published force in each group where exactly one force is suppressed."""
    hidden = primary.copy()
    forces = frame["force"] != force_names().national
    counts = hidden[forces].groupby([frame.loc[forces, g] for g in groups]).transform("sum")
    lonely = pd.Series(False, index=frame.index)
    lonely[forces] = counts == 1
    for _, group in frame.loc[lonely & forces].groupby(groups):
        candidates = group.loc[~hidden[group.index] & (group[size] > 0)]
        if not candidates.empty:
            hidden[candidates[size].idxmin()] = True
    return hidden


def secondary_over_sums(hidden: np.ndarray, size: np.ndarray, relations) -> np.ndarray:
    """Secondary suppression where several published sums overlap (breakdowns by group).

    ``hidden`` and ``size`` are indexed by cell; each relation is ``(cells, total)``: cells whose
    sum is published, and the cell holding that sum if it can be withheld too (else None). Where a
    sum has exactly one hidden cell, the smallest other non-zero cell is hidden too (or, if there
    is none, the sum itself), until no sum reveals a hidden cell. Returns the new mask.
    """
    hidden = hidden.copy()
    changed = True
    while changed:
        changed = False
        for cells, total in relations:
            if sum(bool(hidden[c]) for c in cells) != 1:
                continue
            others = [c for c in cells if not hidden[c] and size[c] > 0]
            if others:
                hidden[min(others, key=lambda c: (size[c], c))] = True
            elif total is not None and not hidden[total]:
                hidden[total] = True
            else:
                continue
            changed = True
    return hidden


def _window_sums(quarterly: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    rows = quarterly.loc[quarterly["qidx"].between(first, last)]
    return rows.groupby(["force", "kpi_id"])[["numerator", "denominator"]].sum(min_count=1)


def protect(results: pd.DataFrame, quarterly: pd.DataFrame, registry: Registry,
            period: Quarter) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suppress small figures in the results and the quarterly series; adds ``suppressed``."""
    thresholds = {k.id: k.disclosure_threshold for k in registry.kpis}
    # One parse per distinct period, not per row (tens of thousands of rows on real data).
    index = {p: Quarter.parse(p).index for p in quarterly["period"].unique()}
    quarterly = quarterly.assign(qidx=quarterly["period"].map(index).astype("int64"))
    limit_q = quarterly["kpi_id"].map(thresholds).fillna(0)
    primary_q = _small(quarterly["numerator"], limit_q) | _small(quarterly["denominator"], limit_q)
    hidden_q = _secondary(quarterly, primary_q, ["kpi_id", "period"], "numerator")

    year, before = period.window(QUARTERS_PER_YEAR), period.previous_window(QUARTERS_PER_YEAR)
    analysis = period.window(vocabulary().analysis_quarters)
    windows = {"current": _window_sums(quarterly, year[0].index, period.index),
               "baseline": _window_sums(quarterly, before[0].index, before[-1].index),
               "trend": _window_sums(quarterly, analysis[0].index, period.index)}
    key = pd.MultiIndex.from_frame(results[["force", "kpi_id"]])
    limit = results["kpi_id"].map(thresholds).fillna(0).to_numpy()
    is_yoy = (results["comparison"] == "year_on_year").to_numpy()
    primary = np.zeros(len(results), dtype=bool)
    for name, sums in windows.items():
        aligned = sums.reindex(key)
        small = np.zeros(len(results), dtype=bool)
        for column in ("numerator", "denominator"):
            values = aligned[column].to_numpy()
            small |= (values > 0) & (values < limit)
        primary |= small & (is_yoy if name != "trend" else ~is_yoy)
    primary = pd.Series(primary, index=results.index)
    hidden = _secondary(results, primary, ["kpi_id", "comparison"], "numerator")

    results = results.copy()
    results.loc[hidden, BLANKED] = np.nan
    results.loc[hidden, "assessment"] = "insufficient_data"
    results.loc[hidden, "note"] = [note(thresholds[k]) for k in results.loc[hidden, "kpi_id"]]
    results["suppressed"] = hidden
    quarterly = quarterly.drop(columns="qidx")
    quarterly.loc[hidden_q, ["numerator", "denominator", "value"]] = np.nan
    quarterly["suppressed"] = hidden_q
    return results, quarterly
