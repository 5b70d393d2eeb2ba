"""The period's results: registered breaks, the families of the false discovery rate and the
detectable change, computed on the sample."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from vawgbook.compute import compute
from vawgbook.config import load_registry
from vawgbook.config.registry import Break
from vawgbook.ingest import load, registry_codes
from vawgbook.periods import Quarter
from vawgbook.stats import bh_qvalues
from vawgbook.stats.multiplicity import hierarchical_qvalues

SAMPLE = Path(__file__).parents[2] / "data" / "sample"
PERIOD = Quarter(2024, 2)
NATIONAL = "England and Wales"


@pytest.fixture(scope="module")
def dataset():
    return load(SAMPLE, codes=registry_codes(load_registry()))


def _break(first: str, kpis: tuple[str, ...], forces: tuple[str, ...] = ()) -> Break:
    return Break("test", Quarter.parse(first), forces, kpis, "a new crime recording system",
                 "the force's notice")


@pytest.fixture(scope="module")
def shipped(dataset):
    return compute(dataset, load_registry(), PERIOD).results


def test_a_break_inside_the_two_years_makes_them_not_comparable(shipped):
    registry = load_registry()
    (hocr,) = registry.breaks
    yoy = shipped.loc[(shipped["comparison"] == "year_on_year") & (shipped["dimension"] == "")]
    touched = yoy.loc[yoy["kpi_id"].isin(hocr.kpis) & ~yoy["suppressed"]
                      & (yoy["assessment"] != "insufficient_data")]
    assert len(touched) > 200
    assert (touched["assessment"] == "not_comparable").all()
    assert touched["p_value"].isna().all() and touched["q_value"].isna().all()
    assert touched["note"].str.contains("Counting Rules").all()
    assert touched["note"].str.contains("2023/24 Q1").all()
    assert touched["value"].notna().all()  # the figures are still shown
    others = yoy.loc[~yoy["kpi_id"].isin(hocr.kpis)]
    assert not (others["assessment"] == "not_comparable").any()
    assert others["p_value"].notna().sum() > 300


def test_both_years_after_a_break_are_compared_and_a_trend_takes_a_step(dataset):
    registry = dataclasses.replace(load_registry(), breaks=(
        _break("2022-23-Q1", ("rape_recorded",)),))
    results = compute(dataset, registry, PERIOD).results
    rape = results.loc[(results["kpi_id"] == "rape_recorded") & (results["dimension"] == "")]
    yoy, trend = (rape.loc[rape["comparison"] == c] for c in ("year_on_year", "trend"))
    assert not (yoy["assessment"] == "not_comparable").any() and yoy["p_value"].notna().all()
    assert trend["note"].str.contains("step at the counting change in 2022/23 Q1").all()


def test_a_break_in_one_force_touches_that_force_and_england_and_wales(dataset):
    registry = dataclasses.replace(load_registry(), breaks=(
        _break("2024-25-Q1", ("da_arrest_rate",), ("Kent",)),))
    results = compute(dataset, registry, PERIOD).results
    yoy = results.loc[(results["kpi_id"] == "da_arrest_rate") & (results["comparison"] == "year_on_year")
                      & (results["dimension"] == "")].set_index("force")
    assert yoy.loc["Kent", "assessment"] == "not_comparable"
    assert yoy.loc[NATIONAL, "assessment"] == "not_comparable"
    assert yoy.loc["Surrey", "assessment"] != "not_comparable"


def test_england_and_wales_is_a_family_of_its_own_and_forces_are_selected_by_indicator(shipped):
    for comparison in ("year_on_year", "trend"):
        rows = shipped.loc[(shipped["comparison"] == comparison) & (shipped["dimension"] == "")
                           & shipped["p_value"].notna()]
        national = rows.loc[rows["force"] == NATIONAL]
        np.testing.assert_allclose(national["q_value"], bh_qvalues(national["p_value"]))
        forces = rows.loc[rows["force"] != NATIONAL]
        h = hierarchical_qvalues(forces["p_value"].to_numpy(), forces["kpi_id"].to_numpy(), 0.05)
        np.testing.assert_allclose(forces["q_value"], h.q_values)
        found = rows["assessment"].isin(["improving", "deteriorating", "increase", "decrease"])
        assert (found == (rows["q_value"] < 0.05)).all()


def test_the_detectable_change_is_stated_at_the_level_applied(dataset, shipped):
    """At the family's applied level (stricter than 5%), the detectable change is larger than the
    one at an unadjusted 5% that the test itself reports."""
    registry = load_registry()
    from vawgbook import stats

    kpi = registry["rape_recorded"]
    national = shipped.loc[(shipped["force"] == NATIONAL) & (shipped["kpi_id"] == kpi.id)
                           & (shipped["comparison"] == "year_on_year")].iloc[0]
    panel_q = compute(dataset, registry, PERIOD).quarterly
    series = panel_q.loc[(panel_q["force"] == NATIONAL) & (panel_q["kpi_id"] == kpi.id)]
    qoy = [Quarter.parse(p).quarter for p in series["period"]]
    alone = stats.year_on_year(series["numerator"].to_numpy(float), None, qoy, "count")
    assert national["min_detectable_change"] > alone.min_detectable_change
