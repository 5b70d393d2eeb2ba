"""Tests for vawgbook.spc: each Making Data Count rule on tiny vectors, then the XmR chart."""

import numpy as np
import pandas as pd
import pytest

from vawgbook.stats import spc

# --- rule: outside limits ----------------------------------------------------------------------


def test_outside_limits():
    got = spc.rule_outside_limits([0, 1, 5, 9, 10, 11, np.nan], 1, 10)
    assert got.tolist() == [-1, 0, 0, 0, 0, 1, 0]  # on a limit is inside; missing never flags


def test_outside_limits_empty_and_without_limits():
    assert spc.rule_outside_limits([], 0, 1).size == 0
    assert not spc.rule_outside_limits([1.0, 100.0], np.nan, np.nan).any()


# --- rule: trend -------------------------------------------------------------------------------


@pytest.mark.parametrize("values", [[], [1], [1, 2, 3, 4, 5, 6]])
def test_trend_too_few_points(values):
    assert spc.rule_trend(values).tolist() == [0] * len(values)


def test_trend_rising_and_falling_flag_every_point_of_the_run():
    assert spc.rule_trend([0, 1, 2, 3, 4, 5, 6, 3]).tolist() == [1] * 7 + [0]
    assert spc.rule_trend([9, 7, 6, 5, 4, 3, 2, 1]).tolist() == [-1] * 8


def test_trend_tie_breaks_the_run():
    assert not spc.rule_trend([1, 2, 3, 3, 4, 5, 6, 7]).any()
    assert spc.rule_trend([1, 2, 3, 3, 4, 5, 6, 7, 8, 9]).tolist() == [0, 0, 0] + [1] * 7


def test_trend_turning_points_take_the_run_that_ends_there():
    peak = spc.rule_trend([1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1])
    assert peak.tolist() == [1] * 7 + [-1] * 6
    trough = spc.rule_trend([7, 6, 5, 4, 3, 2, 1, 2, 3, 4, 5, 6, 7])
    assert trough.tolist() == [-1] * 7 + [1] * 6


def test_trend_run_length_is_a_parameter():
    assert spc.rule_trend([1, 2, 3, 4, 5, 6], run_length=6).tolist() == [1] * 6
    assert spc.rule_trend([1, 2, 3, 4, 5], run_length=6).tolist() == [0] * 5


# --- rule: two in three ------------------------------------------------------------------------


def test_two_in_three_flags_only_the_points_beyond_the_line():
    got = spc.rule_two_in_three([0, 3, 0, 3, 0, 0], -2, 2)
    assert got.tolist() == [0, 1, 0, 1, 0, 0]


def test_two_in_three_needs_the_same_side():
    assert not spc.rule_two_in_three([3, -3, 0, 3, 0, -3], -2, 2).any()
    assert spc.rule_two_in_three([-3, -2.5, 0], -2, 2).tolist() == [-1, -1, 0]


def test_two_in_three_edge_cases():
    assert spc.rule_two_in_three([], -2, 2).size == 0
    assert not spc.rule_two_in_three([3, 3], -2, 2).any()  # fewer than three points
    assert not spc.rule_two_in_three([2, 2, 2], -2, 2).any()  # on the line is not beyond it
    assert not spc.rule_two_in_three([3, 0, 0, 3], -2, 2).any()  # 2 in 4 is not 2 in 3
    assert spc.rule_two_in_three([9, 3, 0], -2, 2).tolist() == [1, 1, 0]  # beyond 3 sigma counts


# --- rule: shift -------------------------------------------------------------------------------


def test_shift_run_on_one_side():
    assert spc.rule_shift([1, 1, 1, 1, 1, 1, 1, -1], 0).tolist() == [1] * 7 + [0]
    assert spc.rule_shift([-1] * 8, 0).tolist() == [-1] * 8
    assert not spc.rule_shift([1] * 6, 0).any()


def test_shift_point_on_the_mean_breaks_the_run():
    assert not spc.rule_shift([1, 1, 1, 0, 1, 1, 1, 1], 0).any()


def test_shift_empty_and_missing():
    assert spc.rule_shift([], 0).size == 0
    assert not spc.rule_shift([1, 1, 1, np.nan, 1, 1, 1, 1], 0).any()


# --- precedence and direction ------------------------------------------------------------------


def test_combine_rules_takes_the_first_rule_that_fires():
    outside = np.array([0, 1, 0, 0], dtype=np.int8)
    trend = np.array([1, -1, 1, 0], dtype=np.int8)
    shift = np.array([-1, -1, -1, -1], dtype=np.int8)
    direction, rule = spc.combine_rules(outside, trend, np.zeros(4, np.int8), shift)
    assert direction.tolist() == [1, 1, 1, -1]
    assert [spc.RULES[i] for i in rule] == ["trend", "outside_limits", "trend", "shift"]
    assert spc.combine_rules(np.zeros(3, np.int8))[1].tolist() == [-1, -1, -1]


@pytest.mark.parametrize(
    ("improvement", "high", "low"),
    [
        ("increase", "special_cause_improvement", "special_cause_concern"),
        ("decrease", "special_cause_concern", "special_cause_improvement"),
        ("neutral", "special_cause_neutral_high", "special_cause_neutral_low"),
    ],
)
def test_point_types_by_direction(improvement, high, low):
    assert spc.point_types([1, 0, -1], improvement).tolist() == [high, "common_cause", low]


def test_unknown_improvement_is_named():
    with pytest.raises(ValueError, match="unknown improvement 'up'"):
        spc.point_types([1], "up")


# --- the XmR chart -----------------------------------------------------------------------------

STABLE = [10, 12, 11, 13, 10, 12, 11, 13, 10, 12, 11, 13, 10, 12]


def test_xmr_limits_by_hand():
    df = spc.xmr(STABLE)
    mean, amr = np.mean(STABLE), np.mean(np.abs(np.diff(STABLE)))
    assert list(df.columns[:8]) == [
        "value",
        "mean",
        "lower_limit",
        "upper_limit",
        "near_lower",
        "near_upper",
        "moving_range",
        "point_type",
    ]
    assert df["mean"].iloc[0] == pytest.approx(mean)
    assert df["upper_limit"].iloc[0] == pytest.approx(mean + 2.66 * amr)
    assert df["near_lower"].iloc[0] == pytest.approx(mean - 2 / 3 * 2.66 * amr)
    assert np.isnan(df["moving_range"].iloc[0]) and df["moving_range"].iloc[1] == 2
    assert (df["point_type"] == "common_cause").all() and not df["trial_limits"].any()
    assert spc.variation_icon(df) == "common_cause"


def test_xmr_screening_excludes_large_moving_ranges():
    values = [*STABLE, 40, 12]
    screened, raw = spc.xmr(values), spc.xmr(values, screen_outliers=False)
    mr = np.abs(np.diff(values))
    kept = mr[mr < 3.267 * mr.mean()]
    assert kept.size == mr.size - 2  # both ranges around the spike
    assert screened["upper_limit"].iloc[0] == pytest.approx(np.mean(values) + 2.66 * kept.mean())
    assert raw["upper_limit"].iloc[0] == pytest.approx(np.mean(values) + 2.66 * mr.mean())
    assert screened["point_type"].iloc[-2] == "special_cause_improvement"


def test_xmr_precedence_rising_trend_below_the_mean_is_improvement():
    values = [10, 14] * 5 + [6, 6.5, 7, 7.5, 8, 8.5, 9]
    df = spc.xmr(values, improvement="increase")
    run = df.iloc[10:]
    assert (run["value"] < run["mean"]).all()  # also a shift below the mean (concern) ...
    assert (run["rule"] == "trend").all()  # ... but the trend comes first
    assert (run["point_type"] == "special_cause_improvement").all()
    assert spc.variation_icon(df) == "improvement_high"


def test_xmr_decrease_and_neutral_directions():
    values = [*STABLE, 30]
    assert spc.xmr(values, improvement="decrease")["point_type"].iloc[-1] == "special_cause_concern"
    assert spc.variation_icon(spc.xmr(values, improvement="decrease")) == "concern_high"
    assert spc.variation_icon(spc.xmr(values, improvement="increase")) == "improvement_high"
    assert spc.variation_icon(spc.xmr(values, improvement="neutral")) == "neutral_high"
    low = [*STABLE, -10]
    assert spc.variation_icon(spc.xmr(low, improvement="decrease")) == "improvement_low"
    assert spc.variation_icon(spc.xmr(low, improvement="increase")) == "concern_low"
    assert spc.variation_icon(spc.xmr(low, improvement="neutral")) == "neutral_low"


def test_xmr_recalculation_gives_each_segment_its_own_limits():
    values = STABLE + [v + 20 for v in STABLE]
    df = spc.xmr(values, recalc_at=len(STABLE))
    first, second = df[df["segment"] == 0], df[df["segment"] == 1]
    assert first["mean"].iloc[0] == pytest.approx(np.mean(STABLE))
    assert second["mean"].iloc[0] == pytest.approx(np.mean(STABLE) + 20)
    assert np.isnan(second["moving_range"].iloc[0])  # moving ranges do not cross the boundary
    assert (df["point_type"] == "common_cause").all()  # without the restart: a shift
    assert (spc.xmr(values)["rule"] != "").any()


def test_xmr_recalc_at_is_validated():
    with pytest.raises(ValueError, match=r"outside 1\.\.3"):
        spc.xmr([1, 2, 3, 4], recalc_at=[0])


def test_xmr_trial_limits_for_short_segments():
    df = spc.xmr(STABLE[:12] + STABLE, recalc_at=12)
    assert df["trial_limits"].tolist() == [True] * 12 + [False] * 14


def test_xmr_missing_values_are_skipped_but_kept():
    values = pd.Series([10, 12, np.nan, 11, 13], index=pd.period_range("2023Q1", periods=5, freq="Q"))
    df = spc.xmr(values)
    assert df.index.equals(values.index) and len(df) == 5
    assert df["mean"].iloc[2] == pytest.approx(11.5)
    assert np.isnan(df["moving_range"].iloc[2]) and df["moving_range"].iloc[3] == 1  # 11 vs 12
    assert pd.isna(df["point_type"].iloc[2]) and df["trial_limits"].all()


def test_xmr_missing_values_do_not_break_runs():
    values = [0, 0, 0, 0, 0, 0, 0, 1, 2, 3, np.nan, 4, 5, 6, 7]
    assert (spc.xmr(values)["rule"].iloc[7:10] == "trend").all()


@pytest.mark.parametrize("values", [[], [np.nan, np.nan], [5.0]])
def test_xmr_degenerate_series(values):
    df = spc.xmr(values)
    assert len(df) == len(values) and df["upper_limit"].isna().all()
    assert spc.variation_icon(df) in (None, "common_cause")
    assert spc.assurance_icon(df, target=1) is None


def test_xmr_constant_series_has_no_signal():
    df = spc.xmr([5.0] * 10)
    assert (df["point_type"] == "common_cause").all() and (df["upper_limit"] == 5).all()


def test_xmr_validates_arguments():
    with pytest.raises(ValueError, match="unknown improvement"):
        spc.xmr([1, 2], improvement="higher")
    with pytest.raises(ValueError, match="run_length"):
        spc.xmr([1, 2], run_length=1)


# --- icons -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("improvement", "target", "icon"),
    [
        ("increase", 5, "consistently_passing"),
        ("increase", 20, "consistently_failing"),
        ("increase", 11.5, "inconsistent"),
        ("decrease", 5, "consistently_failing"),
        ("decrease", 20, "consistently_passing"),
        ("neutral", 5, None),
        ("increase", None, None),
    ],
)
def test_assurance_icon(improvement, target, icon):
    df = spc.xmr(STABLE, improvement=improvement)
    assert spc.assurance_icon(df, target, improvement) == icon


def test_icons_read_options_from_attrs():
    df = spc.xmr(STABLE, improvement="decrease", target=20)
    assert spc.assurance_icon(df) == "consistently_passing"
    df.attrs.clear()
    with pytest.raises(ValueError, match="improvement direction unknown"):
        spc.variation_icon(df)
    assert spc.variation_icon(df, improvement="increase") == "common_cause"
