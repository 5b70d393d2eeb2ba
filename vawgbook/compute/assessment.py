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
COMPLETENESS = ("complete_enough", "incomplete_recording", "numerator_incomplete",
                "incomplete_baseline", "insufficient_data")
NUMERATOR_COMPLETENESS = ("complete_enough", "numerator_incomplete", "incomplete_recording",
                          "insufficient_data")
DISPARITY = ("higher", "lower", "no_significant_difference", "incomplete_recording",
             "insufficient_data")
GAP_CHANGE = ("gap_widened", "gap_narrowed", "gap_reversed", "no_significant_change",
              "incomplete_recording", "insufficient_data")
BOUNDS = ("robust_to_recording", "sensitive_to_recording", "insufficient_data")
COVERAGE = ("not_tested", "insufficient_data")
BREAKDOWN = ("not_tested", "incomplete_recording", "insufficient_data")
#: Every breakdown comparison with the assessments its rows can carry (documented in the README's
#: table of breakdown comparisons): the one mapping a reader-facing page needs.
BREAKDOWN_ASSESSMENTS = {
    "recording_completeness": COMPLETENESS,
    "numerator_completeness": NUMERATOR_COMPLETENESS,
    "coverage": COVERAGE,
    "disparity": DISPARITY,
    "disparity_within_forces": DISPARITY,
    "gap_change": GAP_CHANGE,
    "gap_change_within_forces": GAP_CHANGE,
    "gap_bounds": BOUNDS,
    "breakdown": BREAKDOWN,
}
#: What a tested change in a gap is called, by how it changed
#: (:func:`vawgbook.stats.disparity.change_kind`).
GAP_KINDS = {"widened": "gap_widened", "narrowed": "gap_narrowed", "reversed": "gap_reversed"}
#: Every assessment a results row can carry.
ALL = tuple(dict.fromkeys(CHANGE + tuple(a for words in BREAKDOWN_ASSESSMENTS.values() for a in words)))


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
                kind: np.ndarray | None = None,
                q_threshold: float = SETTINGS.q_threshold) -> np.ndarray:
    """Assessments of tested breakdown rows (q-values known): a ``disparity`` (or
    ``disparity_within_forces``) is ``higher`` or ``lower`` by the sign of the gap; a
    ``gap_change`` (or ``gap_change_within_forces``) is ``gap_widened``, ``gap_narrowed`` or
    ``gap_reversed`` by ``kind`` (:data:`GAP_KINDS`); otherwise no evidence of a difference, or
    of a change."""
    significant = np.asarray(q_value, float) < q_threshold
    if comparison.startswith("disparity"):
        found = np.where(np.asarray(gap_or_change, float) > 0, "higher", "lower")
        return np.where(significant, found, "no_significant_difference")
    found = np.array([GAP_KINDS[k] for k in np.asarray(kind, object)], dtype=object)
    return np.where(significant, found, "no_significant_change")
