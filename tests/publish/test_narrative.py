"""Sentences for readers, checked one by one against the wording rules."""

from types import SimpleNamespace

import pandas as pd
import pytest

from vawgbook import words
from vawgbook.config import load_registry
from vawgbook.periods import Quarter
from vawgbook.publish import narrative

REGISTRY = load_registry()
PERIOD = Quarter(2024, 2)


def row(**values):
    base = dict(value=0.07, baseline_value=0.05, change=0.02, relative_change=0.4, q_value=0.004,
                min_detectable_change=0.015, assessment="improving", note="")
    base.update(values)
    return SimpleNamespace(**base)


def test_improvement_is_worded_as_unlikely_to_be_chance():
    text = narrative.year_on_year_sentence(REGISTRY["vawg_charge_rate"], row(), PERIOD, "Kent")
    assert text == (
        "VAWG outcomes that were a charge or summons, Kent, improved: 7.0% in the year ending "
        "September 2024, against 5.0% in the 12 months before (+2.0 percentage points, up 40%). "
        "This is unlikely to be chance variation alone (q = 0.004).")
    assert "significantly" not in text


def test_deterioration_of_a_lower_is_better_kpi():
    text = narrative.year_on_year_sentence(
        REGISTRY["vawg_no_suspect_rate"],
        row(value=0.08, baseline_value=0.06, change=0.02, relative_change=1 / 3, q_value=0.0004,
            assessment="deteriorating"), PERIOD)
    assert "England and Wales, worsened: 8.0%" in text
    assert "(q < 0.001)" in text


def test_context_kpis_rise_or_fall_and_carry_the_recording_caveat():
    text = narrative.year_on_year_sentence(
        REGISTRY["vawg_recorded"],
        row(value=1200.0, baseline_value=1000.0, change=200.0, relative_change=0.2, assessment="increase"),
        PERIOD)
    assert "rose: 1,200 in the year ending September 2024, against 1,000" in text
    assert "(+200, up 20%)" in text
    assert "improved" not in text and "worsened" not in text
    assert words.CONTEXT_CAVEAT in text


def test_no_change_says_no_evidence_and_gives_the_minimum_detectable_change():
    text = narrative.year_on_year_sentence(
        REGISTRY["rape_charge_rate"], row(q_value=0.4, assessment="no_significant_change",
                                          min_detectable_change=0.0123), PERIOD)
    assert "no evidence of change" in text
    assert "could have detected a change of about 1.2 percentage points or more" in text
    counts = narrative.year_on_year_sentence(
        REGISTRY["rape_recorded"], row(value=500.0, baseline_value=480.0, change=20.0, q_value=0.5,
                                       assessment="no_significant_change", min_detectable_change=91.6),
        PERIOD)
    assert "a change of about 92 or more" in counts


def test_insufficient_data_says_so_with_the_reason():
    text = narrative.year_on_year_sentence(
        REGISTRY["da_arrest_rate"], row(assessment="insufficient_data", value=float("nan"),
                                        note="a quarter is missing in the last two years"),
        PERIOD, "Cleveland")
    assert text == ("Arrests per domestic abuse-flagged crime, Cleveland: too little data to tell "
                    "(a quarter is missing in the last two years).")


@pytest.mark.parametrize("q, text", [(0.0004, "q < 0.001"), (0.004, "q = 0.004"),
                                     (0.0123, "q = 0.01"), (0.049, "q = 0.05")])
def test_q_values_are_printed_plainly(q, text):
    assert narrative.format_q(q) == text


def test_counts_sentence_adds_up():
    results = pd.DataFrame({
        "comparison": ["year_on_year"] * 5 + ["trend"],
        "assessment": ["improving", "deteriorating", "increase", "no_significant_change",
                       "insufficient_data", "improving"],
    })
    text = narrative.counts_sentence(results)
    assert text.startswith("Of 4 comparisons that could be tested")
    assert "3 showed a change" in text
    assert "1 improvement, 1 deterioration, and 1 rise or fall" in text
    assert "1 comparison could not be tested" in text


def test_suppressed_figures_are_not_described():
    text = narrative.year_on_year_sentence(
        REGISTRY["police_perpetrated_cases"],
        row(assessment="insufficient_data", value=float("nan"), suppressed=True), PERIOD, "Durham")
    assert text == ("Police-perpetrated VAWG cases, Durham: not published, as it rests on fewer cases "
                    "than the disclosure threshold.")


def gap_row(**values):
    base = dict(force="England and Wales", kpi_id="da_arrest_rate", dimension="victim_ethnicity",
                category="Black", comparison="disparity", value=0.24, baseline_value=0.36, change=-0.12,
                p_value=1e-6, q_value=1e-5, assessment="lower", suppressed=False, note="",
                ci_lower=-0.15, ci_upper=-0.09, denominator=4000.0)
    base.update(values)
    return SimpleNamespace(**base)


def test_the_national_gap_is_said_two_ways_and_the_difference_explained():
    kpi = REGISTRY["da_arrest_rate"]
    within = gap_row(comparison="disparity_within_forces", value=0.001, baseline_value=-0.12,
                     p_value=0.9, q_value=0.9, assessment="no_significant_difference")
    text = narrative.national_gap_sentence(kpi, gap_row(), within, PERIOD)
    assert "across England and Wales as a whole, a gap of -12.0 percentage points (unlikely to be " \
           "chance, q < 0.001)" in text
    assert ("Comparing victims in the same force, the gap is +0.1 percentage points (no evidence of a "
            "gap)") in text
    assert "not spread across forces in the same way" in text and "the one to go by" in text
    agreeing = gap_row(comparison="disparity_within_forces", value=-0.1, baseline_value=-0.12)
    agree = narrative.national_gap_sentence(kpi, gap_row(), agreeing, PERIOD)
    assert "not spread" not in agree


def test_the_front_page_takes_national_gap_changes_from_within_forces_only():
    black = dict(kpi_id="da_arrest_rate", dimension="victim_ethnicity", category="Black")
    rows = pd.DataFrame([
        dict(force="England and Wales", **black, comparison="gap_change", value=-0.12, baseline_value=0.0,
             q_value=1e-6, assessment="gap_widened"),
        dict(force="England and Wales", **black, comparison="gap_change_within_forces", value=-0.01,
             baseline_value=0.0, q_value=0.6, assessment="no_significant_change"),
        dict(force="Kent", **black, comparison="gap_change", value=0.03, baseline_value=-0.10, q_value=0.001,
             assessment="gap_reversed"),
    ])
    assert narrative.gap_headlines(rows, REGISTRY, PERIOD) == {"working": [], "not_working": []}
    kent = narrative.gap_headlines(rows, REGISTRY, PERIOD, "Kent")
    assert kent["not_working"] == []
    assert "reversed (it closed and opened the other way), Kent" in kent["working"][0]
    rows.loc[1, ["value", "q_value", "assessment"]] = [-0.08, 0.001, "gap_widened"]
    national = narrative.gap_headlines(rows, REGISTRY, PERIOD)
    assert len(national["not_working"]) == 1 and "in the same force widened" in national["not_working"][0]


def test_bounds_are_worded_with_both_assumptions():
    kpi = REGISTRY["da_arrest_rate"]
    bounds = gap_row(comparison="gap_bounds", value=-0.15, baseline_value=-0.043, ci_lower=-0.15,
                     ci_upper=-0.043, denominator=200.0, assessment="robust_to_recording")
    text = narrative.bounds_sentence(kpi, bounds, PERIOD)
    assert ("a gap of -15.0 percentage points as recorded; -4.3 percentage points if all 200 victims "
            "with no recorded ethnicity were Black victims, -15.0 percentage points if none were") in text
    assert text.endswith("Either way the gap stays on the same side.")


def test_names_inside_a_sentence_keep_their_abbreviations():
    name = "VAWG victims satisfied with the police"
    assert narrative.mid_sentence(name) == name
    assert narrative.mid_sentence("Arrests per crime") == "arrests per crime"
