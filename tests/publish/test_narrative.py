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
