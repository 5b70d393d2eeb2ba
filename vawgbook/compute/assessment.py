"""The assessment words of ``kpi_results.csv`` (the contract's vocabulary) and the rules that
give them. Readers' words and symbols for each are in :mod:`vawgbook.publish.words`."""

from __future__ import annotations

import numpy as np

from ..stats import SETTINGS

DIRECTIONS = ("higher_is_better", "lower_is_better", "context")

#: ``year_on_year`` and ``trend`` rows.
CHANGE = ("improving", "deteriorating", "increase", "decrease", "no_significant_change",
          "insufficient_data", "not_comparable")
#: Breakdown rows, by comparison.
COMPLETENESS = ("complete_enough", "incomplete_recording", "insufficient_data")
DISPARITY = ("higher", "lower", "no_significant_difference", "incomplete_recording",
             "insufficient_data")
GAP_CHANGE = ("gap_widened", "gap_narrowed", "no_significant_change", "incomplete_recording",
              "insufficient_data")
BREAKDOWN = ("not_tested", "incomplete_recording", "insufficient_data")
#: Every assessment a results row can carry.
ALL = tuple(dict.fromkeys(CHANGE + COMPLETENESS + DISPARITY + GAP_CHANGE + BREAKDOWN))


def assess(change: float, q_value: float, direction: str, q_threshold: float = SETTINGS.q_threshold,
           insufficient: bool = False) -> str:
    """Turn a change and its q-value into the contract's assessment word.

    Parameters
    ----------
    change : float
        Value minus baseline.
    q_value : float
        False-discovery-rate adjusted p-value of the test.
    direction : {"higher_is_better", "lower_is_better", "context"}
        The KPI's polarity.
    q_threshold : float
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
    if direction == "context":
        return "increase" if change > 0 else "decrease"
    better = change > 0 if direction == "higher_is_better" else change < 0
    return "improving" if better else "deteriorating"


def assess_gaps(comparison: str, q_value: np.ndarray, gap_or_change: np.ndarray,
                widened: np.ndarray | None = None,
                q_threshold: float = SETTINGS.q_threshold) -> np.ndarray:
    """Assessments of tested breakdown rows (q-values known): a ``disparity`` is ``higher`` or
    ``lower`` by the sign of the gap, a ``gap_change`` ``gap_widened`` or ``gap_narrowed``;
    otherwise no evidence of a difference, or of a change."""
    significant = np.asarray(q_value, float) < q_threshold
    if comparison == "disparity":
        found = np.where(np.asarray(gap_or_change, float) > 0, "higher", "lower")
        return np.where(significant, found, "no_significant_difference")
    found = np.where(np.asarray(widened, bool), "gap_widened", "gap_narrowed")
    return np.where(significant, found, "no_significant_change")
