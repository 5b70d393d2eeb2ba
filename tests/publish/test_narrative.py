"""Sentences for readers, checked one by one against the wording rules."""

from types import SimpleNamespace

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
        "This is unlikely to be chance variation alone ([q](../../glossary.html#glossary-q-value) "
        "= 0.004, under the 0.05 a finding needs).")
    assert "significantly" not in text


def test_deterioration_of_a_lower_is_better_kpi():
    text = narrative.year_on_year_sentence(
        REGISTRY["vawg_no_suspect_rate"],
        row(value=0.08, baseline_value=0.06, change=0.02, relative_change=1 / 3, q_value=0.0004,
            assessment="deteriorating"), PERIOD)
    assert "England and Wales, worsened: 8.0%" in text
    assert "#glossary-q-value) < 0.001, under the 0.05 a finding needs)" in text


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
        REGISTRY["rape_charge_rate"], row(q_value=0.4, assessment="no_significant_change", change=0.005,
                                          min_detectable_change=0.0123), PERIOD)
    assert "no evidence of change" in text
    assert "could have detected a change of about 1.2 percentage points or more" in text
    counts = narrative.year_on_year_sentence(
        REGISTRY["rape_recorded"], row(value=500.0, baseline_value=480.0, change=20.0, q_value=0.5,
                                       assessment="no_significant_change", min_detectable_change=91.6),
        PERIOD)
    assert "a change of about 92 or more" in counts


def test_a_change_larger_than_the_detectable_one_is_never_said_to_be_detectable():
    """The detectable change is for one test at 5%; a finding needs q < 0.05 across all the tests.
    A change of 2,005 that was not a finding must not sit beside "could have detected 1,746"."""
    text = narrative.year_on_year_sentence(
        REGISTRY["vawg_recorded"], row(value=12005.0, baseline_value=10000.0, change=2005.0, q_value=0.12,
                                       assessment="no_significant_change", min_detectable_change=1746.0),
        PERIOD, "Kent")
    assert "no evidence of change" in text
    assert "could have detected" not in text and "1,746" not in text
    assert "could still be chance once the number of tests made at the same time is allowed for" in text
    assert "= 0.12; a finding needs q below 0.05" in text


def test_national_sentences_name_the_forces_they_cover_and_drop_the_note():
    note = words.NATIONAL_EXCLUDING.format(forces="Cleveland")
    text = narrative.year_on_year_sentence(
        REGISTRY["da_arrest_rate"], row(assessment="insufficient_data", note=note), PERIOD,
        "England and Wales (42 of 43 forces: Cleveland left out, data incomplete)")
    assert text == ("Arrests per domestic abuse-flagged crime, England and Wales (42 of 43 forces: Cleveland "
                    "left out, data incomplete): too little data to tell.")


def test_the_ethnic_group_other_is_never_confused_with_the_comparison_group():
    assert narrative.group_label("victim_ethnicity", "Other") == "victims of another ethnic group"
    assert narrative.comparator_label("victim_ethnicity") == (
        "the rest of the victims whose ethnicity was recorded")


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


def test_a_q_value_is_said_with_the_threshold_and_linked_to_the_glossary():
    assert narrative.q_phrase(0.0037) == ("[q](../../glossary.html#glossary-q-value) = 0.0037, under the "
                                          "0.05 a finding needs")


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
