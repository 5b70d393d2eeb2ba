"""The findings register: which results are findings, how they read, counted once, matched with
the previous period's, and the scope of England and Wales figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vawgbook import words
from vawgbook.compute import findings
from vawgbook.config import force_names, load_registry

REGISTRY = load_registry()
NATIONAL = force_names().national
PERIOD = "2024-25-Q2"


def result(force, kpi_id, comparison="year_on_year", assessment="no_significant_change", *, value=0.3,
           baseline=0.3, change=0.0, dimension="", category="", note="", suppressed=False, q=0.5,
           numerator=np.nan, denominator=np.nan):
    return {"period": PERIOD, "force": force, "kpi_id": kpi_id, "comparison": comparison,
            "assessment": assessment, "value": value, "baseline_value": baseline, "change": change,
            "q_value": q, "dimension": dimension, "category": category, "note": note,
            "suppressed": suppressed, "numerator": numerator, "denominator": denominator}


def frame(rows):
    return pd.DataFrame(rows)


def quarterly(rows=()):
    columns = ["period", "force", "kpi_id", "numerator", "denominator", "value", "forces", "suppressed"]
    return pd.DataFrame(list(rows), columns=columns)


def registered(rows: pd.DataFrame) -> pd.DataFrame:
    """The register of results rows alone (no funnel plots or process control)."""
    positions = pd.DataFrame(columns=findings.VARIATION_COLUMNS + ["spc_value", "spc_mean"])
    return findings.register(rows, quarterly(), REGISTRY, positions=positions,
                             scopes=findings.scope(rows, quarterly(), REGISTRY))


def keys(register):
    return list(register["key"])


def test_every_rule_names_a_kind_and_reads_one_of_the_readings():
    for (comparison, assessment), rule in findings.FINDING_RULES.items():
        assert rule.kind in findings.KINDS, (comparison, assessment)
        for kpi in REGISTRY.kpis:
            row = pd.Series({"value": -0.1, "baseline_value": 0.1, "change": -0.1})
            row = row.to_frame().T.itertuples().__next__()
            assert rule.reading(kpi, row) in findings.READINGS


def test_only_results_that_are_findings_are_registered():
    rows = frame([
        result("Kent", "da_arrest_rate", assessment="deteriorating", change=-0.1, q=0.001),
        result("Kent", "vawg_charge_rate", assessment="no_significant_change"),
        result("Essex", "vawg_charge_rate", assessment="insufficient_data"),
        result("Essex", "rape_charge_rate", comparison="trend", assessment="improving"),  # not told
        result("Kent", "da_arrest_rate", comparison="recording_completeness", assessment="complete_enough",
               dimension="victim_ethnicity"),
        # withheld: never a finding
        result("Kent", "da_arrest_rate", assessment="improving", suppressed=True),
    ])
    reg = registered(rows)
    assert keys(reg) == ["change|Kent|da_arrest_rate|||deteriorating"]
    assert reg["reading"].tolist() == ["worse"]
    assert list(reg.columns) == findings.COLUMNS


@pytest.mark.parametrize("comparison, assessment, value, baseline, change, reading", [
    # Arrests: higher is better. A group with a lower rate than the rest is worse off.
    ("disparity", "lower", 0.16, 0.25, -0.09, "worse"),
    ("disparity", "higher", 0.30, 0.25, 0.05, "neutral"),  # a gap in the group's favour: no judgement
    ("gap_change", "gap_widened", -0.07, -0.03, -0.04, "worse"),
    ("gap_change", "gap_narrowed", -0.01, -0.05, 0.04, "better"),
    ("gap_change", "gap_narrowed", 0.01, 0.05, -0.04, "neutral"),
    ("gap_change", "gap_reversed", -0.02, 0.03, -0.05, "worse"),
    ("gap_change", "gap_reversed", 0.02, -0.03, 0.05, "better"),
])
def test_gaps_read_by_whether_the_group_is_worse_off(comparison, assessment, value, baseline, change,
                                                     reading):
    rows = frame([result("Kent", "da_arrest_rate", comparison, assessment, value=value, baseline=baseline,
                         change=change, dimension="victim_ethnicity", category="Black", q=0.01)])
    reg = registered(rows)
    assert reg["reading"].tolist() == [reading]
    assert reg["kind"].tolist() == ["gap" if comparison == "disparity" else "gap_change"]


def test_a_count_and_the_rate_made_from_it_are_counted_once():
    family = findings.families(REGISTRY)
    assert family["vawg_rate_per_1000_female"] == "vawg_recorded"
    assert family["rape_recorded"] == "rape_recorded"
    assert family["vawg_charge_rate"] == "vawg_charge_rate"
    rows = frame([
        result("Kent", "vawg_recorded", assessment="increase", change=10.0, q=0.01),
        result("Kent", "vawg_rate_per_1000_female", assessment="increase", change=0.1, q=0.01),
        result("Essex", "vawg_rate_per_1000_female", assessment="increase", change=0.1, q=0.01),
    ])
    reg = registered(rows)
    counted = dict(zip(reg["key"], reg["counted"], strict=True))
    assert counted == {"change|Kent|vawg_recorded|||increase": True,
                       "change|Kent|vawg_rate_per_1000_female|||increase": False,
                       "change|Essex|vawg_rate_per_1000_female|||increase": True}


def test_a_new_assessment_word_is_one_entry_in_the_mapping(monkeypatch):
    rule = findings.Rule("change", lambda kpi, row: "not_comparable")
    monkeypatch.setitem(findings.FINDING_RULES, ("year_on_year", "a_new_word"), rule)
    rows = frame([result("Kent", "da_arrest_rate", assessment="a_new_word", note="counting rules changed")])
    reg = registered(rows)
    assert reg["reading"].tolist() == ["not_comparable"]


def test_a_break_is_a_finding_that_says_which_break():
    rows = frame([result("Kent", "da_arrest_rate", assessment="not_comparable",
                         note="counting rule change in 2024/25 Q1")])
    reg = registered(rows)
    assert reg["reading"].tolist() == ["not_comparable"]
    assert reg["detail"].tolist() == ["counting rule change in 2024/25 Q1"]


def register_of(*found):
    return pd.DataFrame([{c: "" for c in findings.COLUMNS} | {"key": k, "counted": True} for k in found])


def test_findings_are_matched_with_the_previous_period():
    before = register_of("change|Kent|a|||improving", "spc|Essex|b|||concern_low", "gap|Kent|c|d|e|lower")
    now = register_of("change|Kent|a|||improving", "change|Kent|a|||deteriorating", "gap|Kent|c|d|e|lower")
    current, resolved = findings.compare(now, before)
    assert dict(zip(current["key"], current["status"], strict=True)) == {
        "change|Kent|a|||improving": "continuing", "change|Kent|a|||deteriorating": "new",
        "gap|Kent|c|d|e|lower": "continuing"}
    assert resolved["key"].tolist() == ["spc|Essex|b|||concern_low"]
    assert resolved["status"].tolist() == ["resolved"]
    first, none = findings.compare(now, None)
    assert set(first["status"]) == {""} and none.empty


def series(values, suppressed=None, force="Kent", kpi_id="vawg_no_suspect_rate"):
    periods = [f"20{19 + i // 4}-{20 + i // 4}-Q{i % 4 + 1}" for i in range(len(values))]
    suppressed = suppressed or [False] * len(values)
    return quarterly({"period": p, "force": force, "kpi_id": kpi_id, "numerator": v, "denominator": 1.0,
                      "value": v, "forces": 1, "suppressed": s}
                     for p, v, s in zip(periods, values, suppressed, strict=True))


def test_a_latest_quarter_outside_the_limits_is_a_process_control_finding():
    values = [0.10, 0.11] * 7 + [0.02]  # far below the usual range: lower is better
    q = series(values)
    period = q["period"].iloc[-1]
    reading = findings.spc_reading(q, REGISTRY["vawg_no_suspect_rate"], "Kent", period)
    assert reading["icon"] == "improvement_low" and reading["rule"] == "outside_limits"


def test_a_series_with_withheld_quarters_is_not_assessed():
    values = [7.0, np.nan, 6.0, np.nan, 8.0, 5.0, 9.0, 6.0, 7.0, 30.0]
    withheld = [False, True, False, True] + [False] * 6
    q = series(values, withheld, kpi_id="police_perpetrated_cases")
    reading = findings.spc_reading(q, REGISTRY["police_perpetrated_cases"], "Kent", q["period"].iloc[-1])
    assert reading == {"icon": "", "rule": "", "note": "withheld_quarters", "value": reading["value"],
                       "mean": reading["mean"]}


def test_a_series_without_the_latest_quarter_is_not_assessed():
    q = series([0.1, 0.11] * 6)
    reading = findings.spc_reading(q, REGISTRY["vawg_no_suspect_rate"], "Kent", "2030-31-Q1")
    assert reading["note"] == "no_latest_quarter" and reading["icon"] == ""


def test_the_scope_of_england_and_wales_names_the_forces_left_out():
    note = words.NATIONAL_EXCLUDING.format(forces="Cleveland; Norfolk")
    rows = frame([result(NATIONAL, "dvpo_rate", note="plain test; " + note),
                  result(NATIONAL, "vawg_recorded")])
    scopes = findings.scope(rows, quarterly(), REGISTRY).set_index("kpi_id")
    assert scopes.loc["dvpo_rate", "forces_in_scope"] == 41
    assert scopes.loc["dvpo_rate", "left_out"] == "Cleveland; Norfolk"
    assert "Cleveland and Norfolk left out" in scopes.loc["dvpo_rate", "scope"]
    assert scopes.loc["vawg_recorded", "forces_in_scope"] == 43


def test_when_every_force_is_left_out_the_scope_says_no_force_rather_than_listing_43():
    note = words.NATIONAL_EXCLUDING.format(forces="; ".join(force_names().territorial))
    rows = frame([result(NATIONAL, "dvpo_rate", note=note)])
    scopes = findings.scope(rows, quarterly(), REGISTRY)
    assert scopes["forces_in_scope"].tolist() == [0]
    assert scopes["scope"].tolist() == [words.SCOPE_NATIONAL_NONE]


def test_the_scope_of_a_national_gap_is_the_forces_that_record_the_group():
    note = words.BREAKDOWN_NATIONAL_SOME.format(included=15, left_out=28, years=words.BREAKDOWN_BOTH_YEARS)
    rows = frame([result(NATIONAL, "da_arrest_rate"),
                  result(NATIONAL, "da_arrest_rate", "disparity", "lower", dimension="victim_ethnicity",
                         category="Black", note="gap -7.4; " + note)])
    scopes = findings.scope(rows, quarterly(), REGISTRY)
    gap = scopes.loc[scopes["dimension"] == "victim_ethnicity"].iloc[0]
    assert gap["forces_in_scope"] == 15
    assert "15 of 43 forces that record ethnicity for at least 80%" in gap["scope"]


def test_funnel_outliers_are_findings_read_by_direction():
    forces = list(force_names().territorial)[:20]
    rows = [result(f, "da_arrest_rate", numerator=300.0, denominator=1000.0, value=0.3) for f in forces]
    rows[0] = result(forces[0], "da_arrest_rate", numerator=100.0, denominator=1000.0, value=0.1)
    rows.append(result(NATIONAL, "da_arrest_rate", numerator=5800.0, denominator=20000.0, value=0.29))
    made = findings.build(frame(rows), quarterly(), REGISTRY)
    outliers = made.findings.loc[made.findings["kind"] == "outlier"]
    assert outliers["key"].tolist() == [f"outlier|{forces[0]}|da_arrest_rate|||below"]
    assert outliers["reading"].tolist() == ["worse"]  # higher is better, and it is below
    standing = made.variation.set_index("force").loc[forces[0]]
    assert standing["funnel_position"] == "below" and standing["funnel_reading"] == "worse"
    assert made.variation.set_index("force").loc[forces[1], "funnel_position"] == "within"


def test_a_break_is_counted_once_for_each_indicator_however_many_forces_it_touches():
    note = "not comparable with the year before: counting changed (from 2023/24 Q1)"
    rows = frame([result(f, k, assessment="not_comparable", note=note)
                  for f in (NATIONAL, "Kent", "Essex", "Surrey")
                  for k in ("vawg_recorded", "vawg_rate_per_1000_female", "vawg_charge_rate")])
    reg = registered(rows)
    assert len(reg) == 12  # every row is listed ...
    counted = reg.loc[reg["counted"]]
    # ... and counted once per indicator (the rate restates the count), nationally and for forces
    national = counted["force"] == NATIONAL
    assert sorted(counted.loc[national, "kpi_id"]) == ["vawg_charge_rate", "vawg_recorded"]
    assert sorted(counted.loc[~national, "kpi_id"]) == ["vawg_charge_rate", "vawg_recorded"]


def test_england_and_wales_gaps_come_from_within_forces_and_a_force_s_from_its_own():
    """Simpson's paradox: the gap across the country alone is never a finding; the gap within
    forces is. A force's own gap (and its reversal) is."""
    black = dict(dimension="victim_ethnicity", category="Black")
    rows = frame([
        result(NATIONAL, "da_arrest_rate", "gap_change", "gap_widened", value=-0.12, baseline=0.0,
               change=-0.12, q=1e-6, **black),
        result(NATIONAL, "da_arrest_rate", "disparity", "lower", value=0.2, baseline=0.32, change=-0.12,
               q=1e-6, **black),
        result(NATIONAL, "da_arrest_rate", "gap_change_within_forces", "no_significant_change",
               value=-0.01, baseline=0.0, q=0.6, **black),
        result("Kent", "da_arrest_rate", "gap_change", "gap_reversed", value=0.03, baseline=-0.10,
               change=0.13, q=0.001, **black),
    ])
    found = registered(rows)
    assert list(found["force"]) == ["Kent"] and list(found["reading"]) == ["better"]
    rows.loc[2, ["value", "q_value", "assessment"]] = [-0.08, 0.001, "gap_widened"]
    found = registered(rows)
    national = found.loc[found["force"] == NATIONAL]
    assert list(national["comparison"]) == ["gap_change_within_forces"]
    assert list(national["reading"]) == ["worse"]
