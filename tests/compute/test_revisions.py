"""Revisions: figures for earlier quarters that moved between last period's data and this one's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from vawgbook.compute import compute
from vawgbook.compute.quality import revisions
from vawgbook.config import load_registry
from vawgbook.ingest import load, registry_codes
from vawgbook.periods import Quarter
from vawgbook.publish import tables
from vawgbook.publish.report import Report

SAMPLE = Path(__file__).parents[2] / "data" / "sample"
PERIOD = Quarter(2024, 2)
REVISED = ("Kent", "2023/24", 1, "8Q")  # one count resubmitted by a force
ADDED = 50


@pytest.fixture(scope="module")
def two_vintages(tmp_path_factory):
    """Last period computed from the sample; this period from a copy where Kent's stalking
    count for 2023/24 Q1 was revised up by 50."""
    reg = load_registry()
    before = compute(load(SAMPLE, codes=registry_codes(reg), cache=False), reg, PERIOD - 1)
    folder = tmp_path_factory.mktemp("revised")
    shutil.copytree(SAMPLE, folder, dirs_exist_ok=True)
    crime = pd.read_csv(folder / "recorded_crime.csv.gz", dtype=str)
    force, year, quarter, code = REVISED
    row = ((crime["Force Name"] == force) & (crime["Financial Year"] == year)
           & (crime["Financial Quarter"] == str(quarter)) & (crime["Offence Code"] == code))
    assert row.sum() == 1
    crime.loc[row, "Number of Offences"] = str(int(crime.loc[row, "Number of Offences"].iloc[0]) + ADDED)
    (folder / "recorded_crime.csv.gz").unlink()
    crime.to_csv(folder / "recorded_crime.csv", index=False)
    now = compute(load(folder, codes=registry_codes(reg), cache=False), reg, PERIOD)
    return reg, before, now


def test_a_revised_count_is_listed_with_every_figure_built_on_it(two_vintages):
    reg, before, now = two_vintages
    moved = revisions(before.quarterly, now.quarterly)
    kent = moved.loc[moved["force"] == "Kent"]
    built_on_8q = {k.id for k in reg.kpis if k.numerator.source == "recorded_crime"
                   and "8Q" in k.numerator.codes}
    assert set(zip(kent["period"], kent["kpi_id"], strict=True)) == {("2023-24-Q1", k) for k in built_on_8q}
    counts = kent.loc[kent["kpi_id"] == "stalking_harassment_recorded"].iloc[0]
    assert counts["value_now"] - counts["value_before"] == ADDED
    national = moved.loc[(moved["force"] == "England and Wales")
                         & (moved["kpi_id"] == "stalking_harassment_recorded")]
    assert (national["period"] == "2023-24-Q1").any()
    # nothing else moved for Kent, and no force other than Kent had a figure revised
    assert set(moved["force"]) <= {"Kent", "England and Wales"}


def test_the_same_data_twice_has_no_revisions(two_vintages):
    _, before, _ = two_vintages
    assert revisions(before.quarterly, before.quarterly).empty


def test_the_data_quality_page_shows_the_revision(two_vintages):
    reg, before, now = two_vintages
    report = Report(PERIOD, now.results, now.quarterly, reg, {}, revisions(before.quarterly, now.quarterly))
    table = tables.revisions_table(report).frame
    name = reg["stalking_harassment_recorded"].name
    row = table.loc[(table["Force"] == "Kent") & (table["Indicator"] == name)]
    assert row["Quarter"].tolist() == ["2023/24 Q1"]
    before_value, now_value = (int(v.replace(",", "")) for v in row[["Before", "Now"]].iloc[0])
    assert now_value - before_value == ADDED
    empty = Report(PERIOD, now.results, now.quarterly, reg, {}, revisions(now.quarterly, now.quarterly))
    assert tables.revisions_table(empty).text == "No figure for an earlier quarter changed."
    first = Report(PERIOD, now.results, now.quarterly, reg, {}, None)
    assert tables.revisions_table(first).text == "No earlier period to compare with."
