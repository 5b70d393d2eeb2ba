"""KPI arithmetic on small hand-made tables."""

import numpy as np
import pandas as pd
import pytest

from vawgbook.compute.panel import kpi_panel, national_panel
from vawgbook.compute.results import compute
from vawgbook.config import load_registry
from vawgbook.ingest.sources import Dataset, Quality
from vawgbook.periods import Quarter

PERIOD = Quarter(2024, 1)  # 2024/25 Q1: the windows cross a financial-year boundary
QUARTERS = [PERIOD - k for k in range(11, -1, -1)]  # 12 quarters ending with PERIOD
FORCES = ["Kent", "Surrey"]


def crime(counts):
    """counts: {(force, quarter_offset_from_first, code): n}"""
    rows = [
        {"force": f, "qidx": QUARTERS[i].index, "offence_code": c, "offences": float(n)}
        for (f, i, c), n in counts.items()
    ]
    return pd.DataFrame(rows)


def full_crime(per_quarter=100.0, code="8Q"):
    return crime({(f, i, code): per_quarter for f in FORCES for i in range(len(QUARTERS))})


def outcomes(rows):
    return pd.DataFrame(
        [
            {"force": f, "qidx": QUARTERS[i].index, "offence_code": c, "outcome_type": t, "closed": float(n)}
            for f, i, c, t, n in rows
        ]
    )


def dataset(crime=None, outcomes=None, returns=None, population=None, quality=None):
    return Dataset(crime, outcomes, returns, population, quality or Quality())


def panel_rows(panel, kpi_id, force):
    return panel.loc[(panel["kpi_id"] == kpi_id) & (panel["force"] == force)].set_index("qidx")


def test_counts_sum_the_group_codes_only():
    registry = load_registry()
    data = crime(
        {("Kent", 0, "19C"): 5, ("Kent", 0, "19F"): 7, ("Kent", 0, "8Q"): 11, ("Kent", 0, "49"): 1000}
    )
    panel = kpi_panel(dataset(crime=data), registry)
    kent = panel_rows(panel, "vawg_recorded", "Kent")
    assert kent.loc[QUARTERS[0].index, "numerator"] == 16  # 19C + 8Q; male rape 19F and theft left out
    assert panel_rows(panel, "rape_recorded", "Kent").loc[QUARTERS[0].index, "numerator"] == 5


def test_missing_force_quarter_is_a_gap_not_zero():
    registry = load_registry()
    data = crime({("Kent", 0, "8Q"): 3, ("Kent", 1, "49"): 9, ("Surrey", 2, "49"): 1})
    panel = kpi_panel(dataset(crime=data), registry)
    kent = panel_rows(panel, "stalking_harassment_recorded", "Kent")
    assert kent.loc[QUARTERS[1].index, "numerator"] == 0  # present (other codes), no rows: zero
    assert np.isnan(kent.loc[QUARTERS[2].index, "numerator"])  # absent: unknown
    surrey = panel_rows(panel, "stalking_harassment_recorded", "Surrey")
    assert surrey["numerator"].isna().tolist() == [True, True, False]


def test_data_not_provided_marks_a_gap():
    registry = load_registry()
    quality = Quality(not_provided=[{"kind": "outcomes", "force": "Kent", "quarter": str(QUARTERS[0])}])
    out = outcomes(
        [
            ("Kent", 0, "8Q", 1, 4),
            ("Kent", 0, "8Q", 18, 6),
            ("Kent", 1, "8Q", 1, 5),
            ("Kent", 1, "8Q", 18, 15),
        ]
    )
    panel = kpi_panel(dataset(crime=full_crime(), outcomes=out, quality=quality), registry)
    kent = panel_rows(panel, "vawg_charge_rate", "Kent")
    assert np.isnan(kent.loc[QUARTERS[0].index, "numerator"])
    assert kent.loc[QUARTERS[1].index, ["numerator", "denominator"]].tolist() == [5, 20]


def test_closed_with_rate_excludes_type_0_and_counts_types_1_to_22():
    registry = load_registry()
    out = outcomes(
        [
            ("Kent", 0, "8L", 0, 500),
            ("Kent", 0, "8L", 1, 3),
            ("Kent", 0, "8L", 14, 10),
            ("Kent", 0, "8L", 16, 5),
            ("Kent", 0, "8L", 22, 2),
            ("Kent", 0, "19F", 1, 50),
        ]
    )
    panel = kpi_panel(dataset(crime=full_crime(), outcomes=out), registry)
    q0 = QUARTERS[0].index
    assert panel_rows(panel, "vawg_charge_rate", "Kent").loc[q0, ["numerator", "denominator"]].tolist() == [
        3,
        20,
    ]
    assert panel_rows(panel, "vawg_victim_not_supporting_rate", "Kent").loc[q0, "numerator"] == 15


def test_national_is_the_sum_of_force_numerators_and_denominators_not_a_mean_of_rates():
    registry = load_registry()
    rows = []
    for i in range(len(QUARTERS)):
        rows += [
            ("Kent", i, "8Q", 1, 10),
            ("Kent", i, "8Q", 18, 90),  # 10%
            ("Surrey", i, "8Q", 1, 1),
            ("Surrey", i, "8Q", 18, 1),
        ]  # 50%
    registry_one = registry  # every force other than Kent and Surrey has no data and is excluded
    panel = kpi_panel(dataset(crime=full_crime(), outcomes=outcomes(rows)), registry_one)
    national = national_panel(panel, registry_one, PERIOD)
    charge = national.loc[national["kpi_id"] == "vawg_charge_rate"].set_index("qidx")
    assert charge.loc[PERIOD.index, ["numerator", "denominator"]].tolist() == [11, 102]
    assert charge["forces"].iloc[0] == 2
    assert "Kent" not in charge["excluded"].iloc[0] and "Essex" in charge["excluded"].iloc[0]


def test_national_leaves_out_a_force_with_a_gap_in_the_analysis_range():
    registry = load_registry()
    data = full_crime()
    data = data.loc[~((data["force"] == "Surrey") & (data["qidx"] == QUARTERS[5].index))]
    panel = kpi_panel(dataset(crime=data), registry)
    national = national_panel(panel, registry, PERIOD)
    counts = national.loc[national["kpi_id"] == "vawg_recorded"].set_index("qidx")
    assert counts.loc[PERIOD.index, "numerator"] == 100  # Kent only
    assert "Surrey" in counts["excluded"].iloc[0]


def test_rate_per_1000_uses_the_population_of_the_matching_year():
    registry = load_registry()
    population = pd.DataFrame(
        {
            "force": ["Kent", "Kent"],
            "year": [2023, 2024],
            "female": [1_000_000.0, 2_000_000.0],
            "total": [2e6, 4e6],
        }
    )
    panel = kpi_panel(dataset(crime=full_crime(), population=population), registry)
    kent = panel_rows(panel, "vawg_rate_per_1000_female", "Kent")
    # A quarter is a quarter of a person-year: 2023/24 quarters use the 2023 estimate.
    assert kent.loc[Quarter(2023, 4).index, "denominator"] == 250_000
    assert kent.loc[Quarter(2024, 1).index, "denominator"] == 500_000
    assert np.isnan(kent.loc[Quarter(2022, 2).index, "denominator"])  # no 2022 estimate: no rate


@pytest.fixture(scope="module")
def computed():
    rows = []
    for f in FORCES:
        for i in range(len(QUARTERS)):
            rows += [(f, i, "8Q", 1, 10 + i), (f, i, "8Q", 18, 90)]
    years = [2021, 2022, 2023, 2024]
    population = pd.DataFrame(
        {"force": FORCES * len(years), "year": sorted(years * len(FORCES)), "female": 5e5, "total": 1e6}
    )
    data = dataset(crime=full_crime(), outcomes=outcomes(rows), population=population)
    return compute(data, load_registry(), PERIOD).results


def test_year_on_year_windows_sum_the_right_quarters(computed):
    row = computed.loc[
        (computed["force"] == "Kent")
        & (computed["kpi_id"] == "vawg_charge_rate")
        & (computed["comparison"] == "year_on_year")
    ].iloc[0]
    assert row["window"] == "12_months"
    assert row["numerator"] == sum(10 + i for i in range(8, 12))  # 2023/24 Q2 .. 2024/25 Q1
    assert row["denominator"] == sum(10 + i + 90 for i in range(8, 12))
    assert row["value"] == pytest.approx(row["numerator"] / row["denominator"])
    baseline = sum(10 + i for i in range(4, 8)) / sum(100 + i for i in range(4, 8))
    assert row["baseline_value"] == pytest.approx(baseline)
    assert row["change"] == pytest.approx(row["value"] - baseline)


def test_annualised_rate_over_twelve_months(computed):
    row = computed.loc[
        (computed["force"] == "Kent")
        & (computed["kpi_id"] == "vawg_rate_per_1000_female")
        & (computed["comparison"] == "year_on_year")
    ].iloc[0]
    assert row["value"] == pytest.approx(400 / 500_000 * 1000)  # 100 a quarter, 500,000 women


def test_forces_without_data_are_insufficient_not_zero(computed):
    essex = computed.loc[computed["force"] == "Essex"]
    assert set(essex["assessment"]) == {"insufficient_data"}
    assert essex["value"].isna().all()
    # KPIs whose input file is absent are skipped, not reported as gaps everywhere
    assert "da_arrest_rate" not in set(computed["kpi_id"])


def test_national_rows_come_first_and_sum_forces(computed):
    assert computed["force"].iloc[0] == "England and Wales"
    national = computed.loc[
        (computed["force"] == "England and Wales")
        & (computed["kpi_id"] == "vawg_recorded")
        & (computed["comparison"] == "year_on_year")
    ].iloc[0]
    assert national["value"] == 800  # two forces, 100 a quarter, four quarters


def test_a_zero_denominator_quarter_is_data_not_a_gap():
    registry = load_registry()
    rows = [(f, i, "8Q", 1, 1) for f in FORCES for i in range(len(QUARTERS))]
    rows += [(f, i, "8Q", 18, 1) for f in FORCES for i in range(len(QUARTERS))]
    rows = [r for r in rows if not (r[0] == "Surrey" and r[1] == 3)]  # Surrey: no outcomes at all in Q3
    out = outcomes(rows)
    out = pd.concat([out, outcomes([("Surrey", 3, "8Q", 0, 5)])])  # present, but nothing assigned
    panel = kpi_panel(dataset(crime=full_crime(), outcomes=out), registry)
    assert panel_rows(panel, "vawg_charge_rate", "Surrey").loc[QUARTERS[3].index, "denominator"] == 0
    national = national_panel(panel, registry, PERIOD)
    charge = national.loc[national["kpi_id"] == "vawg_charge_rate"].set_index("qidx")
    assert charge["forces"].iloc[0] == 2
    assert charge.loc[QUARTERS[3].index, "denominator"] == 2  # Kent's 2, Surrey's 0
