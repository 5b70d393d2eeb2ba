"""Statistical process control: XmR charts with NHS England "Making Data Count" rules.

Each special-cause rule is its own small function on numpy arrays returning, per point, +1 (a
high signal), -1 (a low signal) or 0. ``combine_rules`` applies them in an explicit precedence,
``point_types`` turns directions into improvement or concern, and ``xmr`` puts it together.

References
----------
.. [1] NHS England and NHS Improvement. Making Data Count (2019) and Making Data Count:
   strengthening your decisions (2021). https://www.england.nhs.uk/publication/making-data-count/
.. [2] Wheeler DJ. Understanding Variation: the Key to Managing Chaos, 2nd ed. SPC Press; 2000.
.. [3] NHS-R Community. NHSRplotthedots: Draw XmR charts for NHSE/I "Making Data Count".
   https://github.com/nhs-r-community/NHSRplotthedots
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# Wheeler's XmR scaling constants for moving ranges of two consecutive points (n = 2):
#: 3 / d2 with d2 = 1.128, the mean range of two normal values in sigma units: mean ± 2.66 × mean MR
#: are the 3-sigma process limits.
LIMIT_FACTOR = 2.66
#: The 2-sigma "near limit" lines used by the two-in-three rule: two thirds of the 3-sigma width.
NEAR_LIMIT_FACTOR = 2 / 3 * LIMIT_FACTOR
#: D4 for n = 2, the upper limit of a moving range: ranges at or above 3.267 × mean MR are screened
#: out before the limits are computed (NHSRplotthedots, following Wheeler).
MR_SCREEN_FACTOR = 3.267
#: Making Data Count: limits from fewer points than this are trial limits.
MIN_POINTS_FOR_LIMITS = 13
#: Making Data Count: a run of 7 points is a trend (rising/falling) or a shift (one side of the mean).
RUN_LENGTH = 7
#: Rule names in precedence order; the first rule that flags a point decides its direction.
RULES = ("outside_limits", "trend", "two_in_three", "shift")
IMPROVEMENTS = ("increase", "decrease", "neutral")


def _runs(condition: np.ndarray, min_length: int) -> np.ndarray:
    """Mask of the elements of ``condition`` that lie in a run of at least ``min_length`` Trues."""
    cond = np.asarray(condition, dtype=bool)
    out = np.zeros(cond.size, dtype=bool)
    if cond.size == 0 or min_length < 1:
        return out
    edges = np.diff(np.concatenate(([0], cond.view(np.int8), [0])))
    for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        if stop - start >= min_length:
            out[start:stop] = True
    return out


def rule_outside_limits(values, lower, upper) -> np.ndarray:
    """Points above the upper (+1) or below the lower (-1) process limit; on a limit is inside."""
    v = np.asarray(values, dtype=float)
    return np.where(v > upper, 1, np.where(v < lower, -1, 0)).astype(np.int8)


def rule_trend(values, run_length: int = RUN_LENGTH) -> np.ndarray:
    """Points in a run of ``run_length`` or more points each higher (+1) or lower (-1) than the last.

    A tie (an equal consecutive value) breaks a run. A turning point that ends a rising run and
    starts a falling one (or the reverse) takes the direction of the run that ends at it.
    """
    v = np.asarray(values, dtype=float)
    out = np.zeros(v.size, dtype=np.int8)
    if v.size < max(run_length, 2):
        return out
    step = np.diff(v)
    rising, falling = _runs(step > 0, run_length - 1), _runs(step < 0, run_length - 1)
    rise = np.concatenate((rising, [False])) | np.concatenate(([False], rising))
    fall = np.concatenate((falling, [False])) | np.concatenate(([False], falling))
    out[rise] = 1
    out[fall & (~rise | np.concatenate(([False], falling)))] = -1  # a trough ends the falling run
    return out


def rule_two_in_three(values, near_lower, near_upper) -> np.ndarray:
    """Points beyond a 2-sigma line when at least 2 of 3 consecutive points are beyond it on that side.

    Points beyond the 3-sigma limits count as beyond the 2-sigma line. Only the points beyond the
    line are flagged, not a third point between them. On the line is not beyond it. (NHSRplotthedots
    also requires all three points on the same side of the mean; Making Data Count does not.)
    """
    v = np.asarray(values, dtype=float)
    out = np.zeros(v.size, dtype=np.int8)
    if v.size < 3:
        return out
    for sign, beyond in ((1, v > near_upper), (-1, v < near_lower)):
        count = np.convolve(beyond.astype(int), np.ones(3, dtype=int), mode="valid")  # windows
        in_window = np.zeros(v.size, dtype=bool)
        for offset in range(3):
            in_window[offset : offset + count.size] |= count >= 2
        out[beyond & in_window] = sign
    return out


def rule_shift(values, mean, run_length: int = RUN_LENGTH) -> np.ndarray:
    """Points in a run of ``run_length`` or more on one side of the mean; a point on it breaks a run."""
    v = np.asarray(values, dtype=float)
    out = np.zeros(v.size, dtype=np.int8)
    for sign in (1, -1):
        out[_runs(np.sign(v - mean) == sign, run_length)] = sign
    return out


def combine_rules(*signals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Combine rule outputs given in precedence order (as ``RULES``).

    Returns
    -------
    direction : numpy.ndarray of int8
        The sign from the first rule that flags each point, 0 where none does.
    rule : numpy.ndarray of int
        Index of that rule, -1 where none.
    """
    stacked = np.vstack(signals) if signals else np.zeros((0, 0), dtype=np.int8)
    flagged = stacked != 0
    first = np.where(flagged.any(axis=0), flagged.argmax(axis=0), -1)
    direction = np.where(first >= 0, stacked[np.maximum(first, 0), np.arange(stacked.shape[1])], 0)
    return direction.astype(np.int8), first


def point_types(direction, improvement: str) -> np.ndarray:
    """Turn signal directions into Making Data Count point types for a KPI's improvement direction."""
    _check_improvement(improvement)
    d = np.asarray(direction)
    if improvement == "neutral":
        high, low = "special_cause_neutral_high", "special_cause_neutral_low"
    else:
        good = "special_cause_improvement"
        bad = "special_cause_concern"
        high, low = (good, bad) if improvement == "increase" else (bad, good)
    return np.select([d > 0, d < 0], [high, low], "common_cause").astype(object)


def _check_improvement(improvement: str) -> None:
    if improvement not in IMPROVEMENTS:
        raise ValueError(f"unknown improvement {improvement!r}: use one of {', '.join(IMPROVEMENTS)}")


def _segments(size: int, recalc_at) -> np.ndarray:
    cuts = [] if recalc_at is None else np.atleast_1d(recalc_at).astype(int).tolist()
    bad = [c for c in cuts if not 0 < c < size]
    if bad:
        raise ValueError(
            f"recalc_at positions {bad} are outside 1..{size - 1}: give the first index of each new period"
        )
    segment = np.zeros(size, dtype=int)
    for cut in sorted(set(cuts)):
        segment[cut:] += 1
    return segment


def _limits(v: np.ndarray, screen_outliers: bool) -> tuple[float, float, np.ndarray]:
    """Mean, mean moving range (after optional screening) and moving ranges of one segment."""
    mean = float(v.mean()) if v.size else np.nan
    mr = np.abs(np.diff(v))
    if mr.size == 0:
        return mean, np.nan, np.full(v.size, np.nan)
    amr = mr.mean()
    if screen_outliers and amr > 0:
        amr = mr[mr < MR_SCREEN_FACTOR * amr].mean()
    return mean, float(amr), np.concatenate(([np.nan], mr))


def xmr(
    values,
    improvement: str = "increase",
    screen_outliers: bool = True,
    target: float | None = None,
    run_length: int = RUN_LENGTH,
    recalc_at: int | Sequence[int] | None = None,
) -> pd.DataFrame:
    """XmR (individuals and moving range) chart with Making Data Count special-cause rules.

    Parameters
    ----------
    values : array_like or pandas.Series
        The series in time order; a Series keeps its index. Missing values are skipped in every
        calculation (moving ranges and runs join across them) but keep their rows.
    improvement : {"increase", "decrease", "neutral"}
        Which direction is better; neutral KPIs get high/low signals.
    screen_outliers : bool
        Drop moving ranges at or above ``MR_SCREEN_FACTOR`` (3.267) × the mean moving range before
        computing limits, as NHSRplotthedots does. NHS England's Making Data Count Excel tool does
        not screen; pass False to match it.
    target : float, optional
        Stored in ``DataFrame.attrs`` for ``assurance_icon``.
    run_length : int
        Points needed for a trend or shift (7 in Making Data Count).
    recalc_at : int or sequence of int, optional
        Positions at which limits restart (e.g. a change in recording practice). Each segment gets
        its own mean, limits and rules; moving ranges and runs do not cross a boundary.

    Returns
    -------
    pandas.DataFrame
        One row per value: ``value, mean, lower_limit, upper_limit, near_lower, near_upper,
        moving_range, point_type, rule, segment, trial_limits``. ``point_type`` is
        ``common_cause``, ``special_cause_improvement``, ``special_cause_concern``,
        ``special_cause_neutral_high`` or ``special_cause_neutral_low`` (missing for missing
        values); ``rule`` names the highest-precedence rule that fired. ``trial_limits`` is True in
        segments with fewer than 13 values. Options are in ``attrs``.

    Notes
    -----
    Limits are mean ± 2.66 × mean moving range; near-limit lines mean ± (2/3) × 2.66 × mean MR.
    Rules, in precedence (``RULES``): a point outside a limit; a run of ``run_length`` rising or
    falling; 2 of 3 consecutive points beyond a 2-sigma line on the same side; a run of
    ``run_length`` on one side of the mean. Every point of a qualifying run is flagged, and the
    first rule that flags a point sets its direction (a rising trend below the mean is high).
    """
    _check_improvement(improvement)
    if int(run_length) != run_length or run_length < 2:
        raise ValueError(f"run_length must be a whole number of at least 2, got {run_length!r}")
    index = values.index if isinstance(values, pd.Series) else None
    v = np.asarray(values, dtype=float).ravel()
    segment = _segments(v.size, recalc_at)
    cols = {k: np.full(v.size, np.nan) for k in ("mean", "amr", "moving_range")}
    point_type = np.full(v.size, None, dtype=object)
    rule = np.full(v.size, None, dtype=object)
    trial = np.zeros(v.size, dtype=bool)
    for seg in np.unique(segment):
        rows = np.flatnonzero(segment == seg)
        ok = rows[~np.isnan(v[rows])]
        mean, amr, mr = _limits(v[ok], screen_outliers)
        cols["mean"][rows], cols["amr"][rows], cols["moving_range"][ok] = mean, amr, mr
        trial[rows] = ok.size < MIN_POINTS_FOR_LIMITS
        y = v[ok]
        signals = (
            rule_outside_limits(y, mean - LIMIT_FACTOR * amr, mean + LIMIT_FACTOR * amr),
            rule_trend(y, run_length),
            rule_two_in_three(y, mean - NEAR_LIMIT_FACTOR * amr, mean + NEAR_LIMIT_FACTOR * amr),
            rule_shift(y, mean, run_length),
        )
        direction, first = combine_rules(*signals)
        point_type[ok] = point_types(direction, improvement)
        rule[ok] = [RULES[i] if i >= 0 else "" for i in first]
    mean, amr = cols["mean"], cols["amr"]
    df = pd.DataFrame(
        {
            "value": v,
            "mean": mean,
            "lower_limit": mean - LIMIT_FACTOR * amr,
            "upper_limit": mean + LIMIT_FACTOR * amr,
            "near_lower": mean - NEAR_LIMIT_FACTOR * amr,
            "near_upper": mean + NEAR_LIMIT_FACTOR * amr,
            "moving_range": cols["moving_range"],
            "point_type": point_type,
            "rule": rule,
            "segment": segment,
            "trial_limits": trial,
        },
        index=index,
    )
    df.attrs.update(
        improvement=improvement,
        target=target,
        screen_outliers=screen_outliers,
        run_length=int(run_length),
        recalc_at=None if recalc_at is None else [int(c) for c in np.atleast_1d(recalc_at)],
    )
    return df


def _last_point(df: pd.DataFrame) -> pd.Series | None:
    seen = df[df["value"].notna()]
    return None if seen.empty else seen.iloc[-1]


def variation_icon(df: pd.DataFrame, improvement: str | None = None) -> str | None:
    """Making Data Count variation icon for the latest (non-missing) point of an ``xmr`` result.

    Returns ``common_cause``, ``improvement_high``, ``improvement_low``, ``concern_high``,
    ``concern_low``, ``neutral_high`` or ``neutral_low``; None for a series with no values.
    ``improvement`` defaults to the one ``xmr`` stored in ``df.attrs``.
    """
    improvement = improvement or df.attrs.get("improvement")
    if improvement is None:
        raise ValueError("improvement direction unknown: pass improvement='increase'|'decrease'|'neutral'")
    _check_improvement(improvement)
    last = _last_point(df)
    if last is None:
        return None
    kind = last["point_type"]
    if kind == "common_cause":
        return "common_cause"
    if kind.startswith("special_cause_neutral_"):
        return kind.removeprefix("special_cause_")
    high_is_good = improvement == "increase"
    if kind == "special_cause_improvement":
        return "improvement_high" if high_is_good else "improvement_low"
    return "concern_low" if high_is_good else "concern_high"


def assurance_icon(
    df: pd.DataFrame, target: float | None = None, improvement: str | None = None
) -> str | None:
    """Making Data Count assurance icon: can the process be relied on to meet ``target``?

    Uses the limits at the latest point. With higher-is-better, a target below the lower limit is
    ``consistently_passing``, above the upper limit ``consistently_failing``, otherwise
    ``inconsistent`` (mirrored for lower-is-better). None without a target, for neutral KPIs, or
    when there are no limits yet. ``target`` and ``improvement`` default to ``df.attrs``.
    """
    target = df.attrs.get("target") if target is None else target
    improvement = improvement or df.attrs.get("improvement")
    if target is None or improvement is None or improvement == "neutral":
        return None
    _check_improvement(improvement)
    last = _last_point(df)
    if last is None or np.isnan(last["lower_limit"]):
        return None
    if target < last["lower_limit"]:
        return "consistently_passing" if improvement == "increase" else "consistently_failing"
    if target > last["upper_limit"]:
        return "consistently_failing" if improvement == "increase" else "consistently_passing"
    return "inconsistent"
