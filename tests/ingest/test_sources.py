"""The input readers: the four Home Office / force tables as published, good and bad.

Every fixture is written into ``tmp_path`` from small hand-made rows (tests/helpers.py) or from a
few lines of a data/sample file.
"""

from __future__ import annotations

import gzip
import math
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import (
    CRIME_HEADER,
    OUTCOMES_CURRENT_HEADER,
    OUTCOMES_OLDER_HEADER,
    POPULATION_HEADER,
    RETURNS_HEADER,
    SAMPLE,
    crime_folder,
    crime_row,
    csv_text,
    current_row,
    notes_sheet,
    older_row,
    population_row,
    returns_row,
    sheet,
    write_csv,
    write_workbook,
)

from vawgbook.errors import InputError
from vawgbook.ingest.readers import HEADER_SEARCH_ROWS, read_tables
from vawgbook.ingest.sources import CRIME_COLUMNS, load
from vawgbook.periods import Quarter

OUTCOME_KEY = ["force", "qidx", "offence_code", "outcome_type"]


def load_error(folder: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load(folder)
    return info.value


def qidx(label: str) -> int:
    return Quarter.parse(label).index


def closed_by_type(frame: pd.DataFrame) -> dict[int, float]:
    return dict(zip(frame["outcome_type"], frame["closed"], strict=True))


# ---------------------------------------------------------------- outcomes: two header versions


# One force-quarter-code, as (type, recorded in quarter, recorded in previous quarters).
OUTCOME_CASES = [(0, 40, "N/A"), (1, 1, 2), (14, 0, 7), (16, 5, 0), (18, 2, "N/A")]
EXPECTED_CLOSED = {1: 3.0, 14: 7.0, 16: 5.0, 18: 2.0}


def _older_folder(folder: Path) -> Path:
    crime_folder(folder, [crime_row("Kent", "2022/23", 1, "19C", 60)])
    write_csv(folder / "outcomes.csv", OUTCOMES_OLDER_HEADER,
              [older_row("Kent", "2022/23", 1, "19C", t, r, p) for t, r, p in OUTCOME_CASES])
    return folder


def _current_folder(folder: Path) -> Path:
    crime_folder(folder, [crime_row("Kent", "2022/23", 1, "19C", 60)])
    rows = []
    for otype, recorded, previous in OUTCOME_CASES:
        if otype == 0:
            closed = "N/A"
        else:
            closed = recorded + (0 if previous == "N/A" else previous)
        # The recorded-in-quarter column means something else in this header and must not be used:
        # give it numbers that would change the result if it were.
        rows.append(current_row("Kent", "2022/23", 1, "19C", otype, 100 + otype, closed))
    write_csv(folder / "outcomes.csv", OUTCOMES_CURRENT_HEADER, rows)
    return folder


def test_older_header_closed_is_the_sum_of_its_two_count_columns(tmp_path):
    ds = load(_older_folder(tmp_path))
    closed = closed_by_type(ds.outcomes)
    assert {t: closed[t] for t in EXPECTED_CLOSED} == EXPECTED_CLOSED


def test_current_header_closed_is_the_closed_column(tmp_path):
    ds = load(_current_folder(tmp_path))
    closed = closed_by_type(ds.outcomes)
    assert {t: closed[t] for t in EXPECTED_CLOSED} == EXPECTED_CLOSED


def test_both_outcome_headers_give_the_same_closed_figures(tmp_path):
    older = load(_older_folder(tmp_path / "older")).outcomes.sort_values(OUTCOME_KEY)
    current = load(_current_folder(tmp_path / "current")).outcomes.sort_values(OUTCOME_KEY)
    pd.testing.assert_frame_equal(older.reset_index(drop=True), current.reset_index(drop=True))


def test_type_0_has_no_closed_count_in_either_header(tmp_path):
    # Type 0 is "not yet assigned": nothing was closed with it, whatever the header.
    for folder in (_older_folder(tmp_path / "older"), _current_folder(tmp_path / "current")):
        outcomes = load(folder).outcomes
        type0 = outcomes.loc[outcomes["outcome_type"] == 0, "closed"]
        assert len(type0) == 1, folder  # the row is kept ...
        assert math.isnan(type0.iloc[0]), folder  # ... with no closed count


def test_closed_figures_of_both_header_versions_match_on_sample_rows(tmp_path):
    """The sample's first older and current files: sums agree with a direct computation."""
    for name, columns in [
        ("outcomes_2021-22.csv.gz", ["Force outcomes for offences recorded in quarter",
                                     "Force outcomes for offences recorded in previous quarters"]),
        ("outcomes_2022-23.csv.gz", ["Outcomes for investigations closed in the quarter"]),
    ]:
        with gzip.open(SAMPLE / name, "rt", encoding="utf-8") as handle:
            lines = [next(handle) for _ in range(301)]
        folder = tmp_path / name.split(".")[0]
        crime_folder(folder)
        (folder / "outcomes.csv").write_text("".join(lines), encoding="utf-8")
        raw = pd.read_csv(folder / "outcomes.csv", dtype=str, keep_default_na=False)
        assigned = raw.loc[raw["Outcome Type"] != "0"]
        expected = sum(
            pd.to_numeric(assigned[c], errors="coerce").fillna(0).sum() for c in columns
        )
        outcomes = load(folder).outcomes
        assert outcomes.loc[outcomes["outcome_type"] > 0, "closed"].sum() == expected
        assert len(outcomes) == 300


def test_data_not_provided_rows_become_listed_gaps_and_are_dropped(tmp_path):
    crime_folder(tmp_path)
    marker = "N/A - data not provided"
    rows = [older_row("Greater Manchester", "2019/20", 3, "19C", t, marker, marker) for t in (0, 1, 14)]
    rows += [older_row("Greater Manchester", "2019/20", 4, "19C", 1, 3, 4)]
    rows += [older_row("Kent", "2019/20", 3, "19C", 1, 1, 1)]
    write_csv(tmp_path / "outcomes.csv", OUTCOMES_OLDER_HEADER, rows)
    ds = load(tmp_path)
    assert ds.quality.not_provided == [
        {"kind": "outcomes", "force": "Greater Manchester", "quarter": "2019-20-Q3"}]
    kept = set(zip(ds.outcomes["force"], ds.outcomes["qidx"], strict=True))
    assert kept == {("Greater Manchester", qidx("2019-20-Q4")), ("Kent", qidx("2019-20-Q3"))}
    assert not ds.outcomes["closed"].isna().any()  # a gap never turns into a number


def test_data_not_provided_in_recorded_crime_is_a_gap_not_zero(tmp_path):
    crime_folder(tmp_path, [crime_row("Kent", "2024/25", 1, "19C", 5),
                            crime_row("Surrey", "2024/25", 1, "19C", "N/A - data not provided")])
    ds = load(tmp_path)
    assert ds.quality.not_provided == [
        {"kind": "recorded_crime", "force": "Surrey", "quarter": "2024-25-Q1"}]
    assert list(ds.crime["force"]) == ["Kent"]


@pytest.mark.parametrize("marker", ["N/A", "N/A - Offence code expired", ".."])
def test_other_na_markers_are_no_number_but_neither_an_error_nor_a_gap(tmp_path, marker):
    crime_folder(tmp_path, [crime_row("Kent", "2024/25", 1, "19C", 5),
                            crime_row("Kent", "2024/25", 1, "8Q", marker)])
    write_csv(tmp_path / "outcomes.csv", OUTCOMES_OLDER_HEADER,
              [older_row("Kent", "2024/25", 1, "19C", 1, marker, 3),
               older_row("Kent", "2024/25", 1, "8Q", 1, marker, marker)])
    ds = load(tmp_path)
    assert ds.quality.not_provided == []
    offences = dict(zip(ds.crime["offence_code"], ds.crime["offences"], strict=True))
    assert offences["19C"] == 5.0 and math.isnan(offences["8Q"])  # no number, not zero
    closed = dict(zip(ds.outcomes["offence_code"], ds.outcomes["closed"], strict=True))
    assert closed["19C"] == 3.0 and math.isnan(closed["8Q"])


def test_negative_counts_are_kept_and_listed(tmp_path):
    crime_folder(tmp_path)
    write_csv(tmp_path / "outcomes_a.csv", OUTCOMES_OLDER_HEADER,
              [older_row("Kent", "2021/22", 1, "19C", 1, 4, 2),
               older_row("Kent", "2021/22", 1, "19C", 12, -1, 3)])  # row 3
    write_csv(tmp_path / "outcomes_b.csv", OUTCOMES_CURRENT_HEADER,
              [current_row("Kent", "2022/23", 1, "20A", 2, 0, -2)])  # row 2
    ds = load(tmp_path)
    negatives = sorted(ds.quality.negatives, key=lambda n: n["file"])
    assert [(Path(n["file"]).name, n["row"], n["column"], n["value"]) for n in negatives] == [
        ("outcomes_a.csv", 3, "Force outcomes for offences recorded in quarter", -1.0),
        ("outcomes_b.csv", 2, "Outcomes for investigations closed in the quarter", -2.0),
    ]
    closed = {(r.offence_code, r.outcome_type): r.closed for r in ds.outcomes.itertuples()}
    assert closed[("19C", 12)] == 2.0  # -1 + 3, kept as published
    assert closed[("20A", 2)] == -2.0


# ---------------------------------------------------------------- force names


def test_force_name_variants_are_normalised(tmp_path):
    variants = {
        "London, City of": "City of London",
        "Devon & Cornwall": "Devon and Cornwall",
        "Dyfed Powys": "Dyfed-Powys",
        "  KENT ": "Kent",
        "greater   manchester": "Greater Manchester",
        "avon and somerset": "Avon and Somerset",
        "Metropolitan Police Service": "Metropolitan Police",
    }
    crime_folder(tmp_path, [crime_row(name, "2024/25", 1, "19C", i + 1)
                            for i, name in enumerate(variants)])
    ds = load(tmp_path)
    got = dict(zip(ds.crime["offences"].astype(int), ds.crime["force"], strict=True))
    assert got == {i + 1: canonical for i, canonical in enumerate(variants.values())}


def test_variant_spellings_in_different_files_are_the_same_force(tmp_path):
    crime_folder(tmp_path)
    write_csv(tmp_path / "force_returns_1.csv", RETURNS_HEADER,
              [returns_row("Dyfed Powys", "2024/25", 1, "da_arrests", 5)])
    write_csv(tmp_path / "force_returns_2.csv", RETURNS_HEADER,
              [returns_row("Dyfed-Powys", "2024/25", 2, "da_arrests", 6)])
    ds = load(tmp_path)
    assert set(ds.returns["force"]) == {"Dyfed-Powys"}
    assert sorted(ds.returns["value"]) == [5.0, 6.0]


def test_non_territorial_bodies_are_set_aside_and_listed(tmp_path):
    rows = [crime_row("Kent", "2024/25", 1, "19C", 10),
            crime_row("British Transport Police", "2024/25", 1, "19C", 3),
            crime_row("British Transport Police", "2024/25", 2, "19C", 4),
            crime_row("Action Fraud", "2024/25", 1, "53A", 900),
            crime_row("CIFAS", "2024/25", 1, "53A", 800),
            crime_row("UK Finance", "2024/25", 1, "53A", 700)]
    crime_folder(tmp_path, rows)
    ds = load(tmp_path)
    assert list(ds.crime["force"]) == ["Kent"]
    listed = {(Path(s["file"]).name, s["body"], s["rows"]) for s in ds.quality.set_aside}
    assert listed == {("recorded_crime.csv", "British Transport Police", 2),
                      ("recorded_crime.csv", "Action Fraud", 1),
                      ("recorded_crime.csv", "CIFAS", 1),
                      ("recorded_crime.csv", "UK Finance", 1)}


def test_unknown_force_names_file_row_and_column(tmp_path):
    crime_folder(tmp_path, [crime_row("Kent"), crime_row("Surrey"), crime_row("Narnia Constabulary")])
    err = load_error(tmp_path)
    assert Path(err.file).name == "recorded_crime.csv"
    assert (err.row, err.column) == (4, "Force Name")
    assert "Narnia Constabulary" in str(err)


# ---------------------------------------------------------------- file formats and encodings


def _one_crime_table(folder: Path) -> pd.DataFrame:
    ds = load(folder)
    return ds.crime.sort_values(["force", "qidx", "offence_code"]).reset_index(drop=True)


def test_csv_with_utf8_bom(tmp_path):
    write_csv(tmp_path / "recorded_crime.csv", CRIME_HEADER, [crime_row("Kent", n=7)], bom=True)
    crime = _one_crime_table(tmp_path)
    assert crime[["force", "offence_code", "offences"]].values.tolist() == [["Kent", "19C", 7.0]]


def test_windows_1252_csv(tmp_path):
    row = crime_row("Kent", n=7)
    row[3] = "Fraud over £100 – café"  # £, en dash and é are not UTF-8 in this encoding
    path = write_csv(tmp_path / "recorded_crime.csv", CRIME_HEADER, [row], encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    crime = _one_crime_table(tmp_path)
    assert crime["offences"].tolist() == [7.0]
    (table,) = read_tables(path, CRIME_COLUMNS)
    assert table.frame["Offence Description"].tolist() == ["Fraud over £100 – café"]


def test_utf16_csv_is_named_as_such(tmp_path):
    # Excel's "Unicode Text" export: UTF-16 with a byte-order mark (and NUL bytes throughout).
    write_csv(tmp_path / "recorded_crime.csv", CRIME_HEADER, [crime_row("Kent", n=7)],
              encoding="utf-16")
    err = load_error(tmp_path)
    assert Path(err.file).name == "recorded_crime.csv" and err.row is None
    assert "UTF-16" in err.message and "binary" not in err.message


def test_utf8_csv_with_non_ascii_is_decoded_as_utf8(tmp_path):
    row = crime_row("Kent", n=7)
    row[3] = "Fraud over £100 – café"
    path = write_csv(tmp_path / "recorded_crime.csv", CRIME_HEADER, [row])
    (table,) = read_tables(path, CRIME_COLUMNS)
    assert table.frame["Offence Description"].tolist() == ["Fraud over £100 – café"]


def test_gzip_csv(tmp_path):
    write_csv(tmp_path / "recorded_crime.csv.gz", CRIME_HEADER,
              [crime_row("Kent", n=7), crime_row("Surrey", n=8)])
    crime = _one_crime_table(tmp_path)
    assert crime[["force", "offences"]].values.tolist() == [["Kent", 7.0], ["Surrey", 8.0]]


def test_extra_columns_are_accepted(tmp_path):
    header = ["Force Code", *CRIME_HEADER, "Notes"]
    write_csv(tmp_path / "recorded_crime.csv", header,
              [["K1", *crime_row("Kent", n=7), "revised"], ["S1", *crime_row("Surrey", n=8), ""]])
    crime = _one_crime_table(tmp_path)
    assert crime[["force", "offences"]].values.tolist() == [["Kent", 7.0], ["Surrey", 8.0]]


def test_stray_empty_header_columns_are_accepted(tmp_path):
    # An empty header cell in the middle and a trailing comma on every line, as in old sheets.
    header = CRIME_HEADER[:3] + [""] + CRIME_HEADER[3:] + [""]
    rows = [crime_row("Kent", n=7), crime_row("Surrey", n=8)]
    rows = [r[:3] + [""] + r[3:] + [""] for r in rows]
    path = write_csv(tmp_path / "recorded_crime.csv", header, rows)
    crime = _one_crime_table(tmp_path)
    assert crime[["force", "offences"]].values.tolist() == [["Kent", 7.0], ["Surrey", 8.0]]
    (table,) = read_tables(path, CRIME_COLUMNS)
    assert [c for c in table.frame.columns if c != "_row"] == CRIME_COLUMNS


def test_header_case_and_spacing_differences_are_accepted(tmp_path):
    header = [" ".join(c.upper().split()).replace(" ", "  ") for c in CRIME_HEADER]
    write_csv(tmp_path / "recorded_crime.csv", header, [crime_row("Kent", n=7)])
    assert _one_crime_table(tmp_path)["offences"].tolist() == [7.0]


def test_thousands_separators_and_q_prefixed_quarters(tmp_path):
    crime_folder(tmp_path, [crime_row("Kent", "2024/25", "Q2", "19C", "1,234"),
                            crime_row("Kent", "2024-25", "3", "19C", "5")])
    crime = _one_crime_table(tmp_path)
    assert crime[["qidx", "offences"]].values.tolist() == [
        [qidx("2024-25-Q2"), 1234.0], [qidx("2024-25-Q3"), 5.0]]


def test_short_rows_leave_optional_breakdown_columns_blank(tmp_path):
    crime_folder(tmp_path)
    text = (",".join(RETURNS_HEADER) + "\n2024/25,1,Kent,da_arrests,5\n"
            "2024/25,1,Kent,da_arrests,2,victim_sex,female\n")
    (tmp_path / "force_returns.csv").write_text(text, encoding="utf-8")
    returns = load(tmp_path).returns
    assert returns[["dimension", "category", "value"]].values.tolist() == [
        ["", "", 5.0], ["victim_sex", "Female", 2.0]]


@pytest.mark.parametrize("where, row", [("middle", 5), ("top", 6)])
def test_blank_lines_in_a_csv_do_not_shift_row_numbers(tmp_path, where, row):
    lines = csv_text(CRIME_HEADER, [crime_row("Kent"), crime_row("Surrey"),
                                    crime_row("Essex", n="x")]).splitlines()
    if where == "middle":  # a blank line after the first data row: the bad row is line 5
        lines = lines[:2] + [""] + lines[2:]
    else:  # two blank lines (one with spaces) and a CRLF above the header: line 6
        lines = ["", "  "] + lines
    (tmp_path / "recorded_crime.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    err = load_error(tmp_path)
    assert (err.row, err.column) == (row, "Number of Offences")


def test_trailing_blank_lines_are_not_data(tmp_path):
    text = csv_text(CRIME_HEADER, [crime_row("Kent", n=7)]) + "\n,,,,,,,\n\n"
    (tmp_path / "recorded_crime.csv").write_text(text, encoding="utf-8")
    ds = load(tmp_path)
    assert ds.crime["offences"].tolist() == [7.0]
    assert ds.quality.files[0]["rows"] == 1


# ---------------------------------------------------------------- spreadsheets


@pytest.fixture(params=["xlsx", "ods"])
def ext(request):
    return request.param


def test_workbook_with_notes_sheet_and_one_sheet_per_year(tmp_path, ext):
    path = write_workbook(tmp_path / f"recorded_crime.{ext}", {
        "Notes": notes_sheet(),
        "2023-24": sheet(CRIME_HEADER, [crime_row("Kent", "2023/24", q, "19C", 10 + q)
                                        for q in (1, 2, 3, 4)], title_rows=3),
        "2024-25": sheet(CRIME_HEADER, [crime_row("Kent", "2024/25", 1, "19C", 20),
                                        crime_row("London, City of", "2024/25", 1, "8Q", 2)]),
    })
    ds = load(tmp_path)
    crime = ds.crime.sort_values(["force", "qidx"])
    assert crime[["force", "qidx", "offence_code", "offences"]].values.tolist() == [
        ["City of London", qidx("2024-25-Q1"), "8Q", 2.0],
        ["Kent", qidx("2023-24-Q1"), "19C", 11.0],
        ["Kent", qidx("2023-24-Q2"), "19C", 12.0],
        ["Kent", qidx("2023-24-Q3"), "19C", 13.0],
        ["Kent", qidx("2023-24-Q4"), "19C", 14.0],
        ["Kent", qidx("2024-25-Q1"), "19C", 20.0],
    ]
    assert [(f["file"], f["rows"]) for f in ds.quality.files] == [
        (f"{path.name} [2023-24]", 4), (f"{path.name} [2024-25]", 2)]


def test_workbook_with_stray_empty_header_columns(tmp_path, ext):
    # Old published sheets: empty header cells, some with values below them.
    header = [None, *CRIME_HEADER[:3], None, *CRIME_HEADER[3:], None]
    rows = [[None, *r[:3], "x", *r[3:], None] for r in (crime_row("Kent", n=7), crime_row("Essex", n=8))]
    path = write_workbook(tmp_path / f"recorded_crime.{ext}", {"2024-25": sheet(header, rows)})
    (table,) = read_tables(path, CRIME_COLUMNS)
    assert [c for c in table.frame.columns if c != "_row"] == CRIME_COLUMNS
    crime = _one_crime_table(tmp_path)
    assert crime[["force", "offences"]].values.tolist() == [["Essex", 8.0], ["Kent", 7.0]]


def test_workbook_error_gives_sheet_and_spreadsheet_row(tmp_path, ext):
    # Title in row 1, blank row 2, header in row 3: the third data row is spreadsheet row 6.
    rows = [crime_row("Kent", "2024/25", q, "19C", 5) for q in (1, 2, 3)]
    rows[2][7] = "lots"
    write_workbook(tmp_path / f"recorded_crime.{ext}", {
        "Notes": notes_sheet(),
        "2024-25": sheet(CRIME_HEADER, rows, title_rows=2),
    })
    err = load_error(tmp_path)
    assert (Path(err.file).name, err.sheet, err.row, err.column) == (
        f"recorded_crime.{ext}", "2024-25", 6, "Number of Offences")
    assert "sheet '2024-25'" in str(err) and "'lots'" in str(err)


def test_outcomes_workbook_in_the_current_header(tmp_path, ext):
    crime_folder(tmp_path)
    write_workbook(tmp_path / f"outcomes_2024-25.{ext}", {
        "Cover": [["Crime outcomes (synthetic)"]],
        "Outcomes open data": sheet(OUTCOMES_CURRENT_HEADER, [
            current_row("Kent", "2024/25", 1, "19C", 0, 12, "N/A"),
            current_row("Kent", "2024/25", 1, "19C", 1, 1, 4),
            current_row("Kent", "2024/25", 1, "19C", 18, 0, 6)]),
    })
    closed = closed_by_type(load(tmp_path).outcomes)
    assert closed[1] == 4.0 and closed[18] == 6.0 and math.isnan(closed[0])


def test_workbook_sheet_lacking_required_columns_lists_the_sheets(tmp_path):
    header = [c for c in CRIME_HEADER if c != "Offence Code"]
    rows = [[v for c, v in zip(CRIME_HEADER, crime_row(), strict=True) if c != "Offence Code"]]
    write_workbook(tmp_path / "recorded_crime.xlsx", {
        "Notes": notes_sheet(), "2024-25": sheet(header, rows)})
    err = load_error(tmp_path)
    assert Path(err.file).name == "recorded_crime.xlsx"
    assert "Notes" in err.message and "2024-25" in err.message
    assert "Offence Code" in err.message


def test_data_on_any_sheet_is_found_unless_its_header_is_below_the_rows_searched(tmp_path):
    rows = [crime_row("Kent", n=7)]
    sheets = {"Cover": [["Synthetic"]], "Notes": notes_sheet(), "Sheet3": sheet(CRIME_HEADER, rows)}
    write_workbook(tmp_path / "recorded_crime.xlsx", sheets)
    assert _one_crime_table(tmp_path)["offences"].tolist() == [7.0]  # the third sheet, any name
    sheets["Sheet3"] = [["Title"]] * HEADER_SEARCH_ROWS + sheet(CRIME_HEADER, rows)
    write_workbook(tmp_path / "recorded_crime.xlsx", sheets)
    err = load_error(tmp_path)
    assert Path(err.file).name == "recorded_crime.xlsx" and err.row is None
    assert "no sheet has the columns" in err.message
    assert "(sheets: Cover, Notes, Sheet3)" in err.message


def test_sample_rows_read_the_same_from_csv_xlsx_and_ods(tmp_path):
    with gzip.open(SAMPLE / "recorded_crime.csv.gz", "rt", encoding="utf-8") as handle:
        lines = [next(handle) for _ in range(121)]
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "recorded_crime.csv").write_text("".join(lines), encoding="utf-8")
    raw = pd.read_csv(tmp_path / "csv" / "recorded_crime.csv", dtype=str, keep_default_na=False)
    cells = [[int(v) if v.lstrip("-").isdigit() else v for v in row] for row in raw.values.tolist()]
    results = {"csv": load(tmp_path / "csv")}
    for ext in ("xlsx", "ods"):
        (tmp_path / ext).mkdir()
        write_workbook(tmp_path / ext / f"recorded_crime.{ext}", {
            "Notes": notes_sheet(),
            "Data": sheet(list(raw.columns), cells, title_rows=2),
        })
        results[ext] = load(tmp_path / ext)
    assert len(results["csv"].crime) > 0
    assert {s["body"] for s in results["csv"].quality.set_aside} >= {"Action Fraud"}
    for ext in ("xlsx", "ods"):
        pd.testing.assert_frame_equal(results[ext].crime, results["csv"].crime)
        assert [(s["body"], s["rows"]) for s in results[ext].quality.set_aside] == [
            (s["body"], s["rows"]) for s in results["csv"].quality.set_aside]


# ---------------------------------------------------------------- combining files


def test_several_files_of_one_kind_combine(tmp_path):
    write_csv(tmp_path / "recorded_crime_2023-24.csv", CRIME_HEADER,
              [crime_row("Kent", "2023/24", 4, "19C", 3)])
    write_csv(tmp_path / "recorded_crime_2024-25.csv.gz", CRIME_HEADER,
              [crime_row("Kent", "2024/25", 1, "19C", 4)])
    write_csv(tmp_path / "outcomes_2021-22.csv", OUTCOMES_OLDER_HEADER,
              [older_row("Kent", "2021/22", 4, "19C", 1, 1, 1)])
    write_csv(tmp_path / "outcomes_2022-23.csv", OUTCOMES_CURRENT_HEADER,
              [current_row("Kent", "2022/23", 1, "19C", 1, 0, 5)])
    ds = load(tmp_path)
    assert sorted(ds.crime["qidx"]) == [qidx("2023-24-Q4"), qidx("2024-25-Q1")]
    assert ds.quarters() == [Quarter(2023, 4), Quarter(2024, 1)]
    assert sorted(zip(ds.outcomes["qidx"], ds.outcomes["closed"], strict=True)) == [
        (qidx("2021-22-Q4"), 2.0), (qidx("2022-23-Q1"), 5.0)]
    assert [Path(f["file"]).name for f in ds.quality.files] == [
        "recorded_crime_2023-24.csv", "recorded_crime_2024-25.csv.gz",
        "outcomes_2021-22.csv", "outcomes_2022-23.csv"]


def test_same_key_in_two_files_names_both_files(tmp_path):
    write_csv(tmp_path / "recorded_crime_a.csv", CRIME_HEADER,
              [crime_row("Kent", "2024/25", 1, "19C", 3), crime_row("Devon & Cornwall", "2024/25", 1)])
    write_csv(tmp_path / "recorded_crime_b.csv", CRIME_HEADER,
              [crime_row("Surrey", "2024/25", 1, "19C", 3),
               crime_row("Devon and Cornwall", "2024/25", 1, "19C", 4)])
    err = load_error(tmp_path)
    assert "recorded_crime_a.csv" in str(err) and "recorded_crime_b.csv" in str(err)
    assert Path(err.file).name == "recorded_crime_b.csv" and err.row == 3
    assert "row 3" in err.message and "Devon and Cornwall" in err.message


def test_same_key_twice_in_one_file_gives_the_row(tmp_path):
    crime_folder(tmp_path, [crime_row("Kent", "2024/25", 1, "19C", 3),
                            crime_row("Kent", "2024/25", 2, "19C", 3),
                            crime_row("kent", "2024-25", "Q1", "19c", 5)])
    err = load_error(tmp_path)
    assert Path(err.file).name == "recorded_crime.csv"
    assert err.row == 4 and "row 2" in err.message


def test_same_key_in_two_sheets_names_both_sheets(tmp_path):
    rows = [crime_row("Kent", "2024/25", 1, "19C", 3)]
    write_workbook(tmp_path / "recorded_crime.xlsx", {
        "2023-24": sheet(CRIME_HEADER, rows), "2024-25": sheet(CRIME_HEADER, rows)})
    err = load_error(tmp_path)
    assert "[2023-24]" in str(err) and "2024-25" in str(err)


def test_duplicate_force_return_breakdowns_are_errors_but_totals_and_categories_are_not(tmp_path):
    crime_folder(tmp_path)
    rows = [returns_row("Kent", measure="da_arrests", value=10),
            returns_row("Kent", measure="da_arrests", value=4, dimension="victim_ethnicity",
                        category="White"),
            returns_row("Kent", measure="da_arrests", value=2, dimension="victim_ethnicity",
                        category="Black")]
    write_csv(tmp_path / "force_returns.csv", RETURNS_HEADER, rows)
    assert len(load(tmp_path).returns) == 3
    write_csv(tmp_path / "force_returns.csv", RETURNS_HEADER, [*rows, rows[2]])
    err = load_error(tmp_path)
    assert err.row == 5 and "victim_ethnicity Black" in err.message


# ---------------------------------------------------------------- bad input


def _set(row: list, index: int, value) -> list:
    row = list(row)
    row[index] = value
    return row


def _crime_rows(bad_row: list | None = None) -> list[list]:
    rows = [crime_row("Kent", "2024/25", 1), crime_row("Surrey", "2024/25", 1),
            crime_row("Essex", "2024/25", 1)]
    if bad_row is not None:
        rows[1] = bad_row  # spreadsheet row 3
    return rows


def _drop(header: list, rows: list[list], column: str) -> tuple[list, list[list]]:
    i = header.index(column)
    return header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows]


BAD_CRIME = {  # id: (header, rows, row, column, text in the message)
    "missing column": (*_drop(CRIME_HEADER, _crime_rows(), "Offence Code"), 1, None,
                       "'Offence Code'"),
    "renamed column": ([*CRIME_HEADER[:-1], "Offences"], _crime_rows(), 1, None,
                       "'Number of Offences'"),
    "non-numeric count": (CRIME_HEADER, _crime_rows(_set(crime_row("Surrey"), 7, "twelve")), 3,
                          "Number of Offences", "'twelve' is not a number"),
    "blank count": (CRIME_HEADER, _crime_rows(_set(crime_row("Surrey"), 7, "")), 3,
                    "Number of Offences", "not a number"),
    "fractional count": (CRIME_HEADER, _crime_rows(_set(crime_row("Surrey"), 7, "2.5")), 3,
                         "Number of Offences", "whole number"),
    "financial year 2024/26": (CRIME_HEADER, _crime_rows(_set(crime_row("Surrey"), 0, "2024/26")),
                               3, "Financial Year", "2024/26"),
    "financial year FY24": (CRIME_HEADER, _crime_rows(_set(crime_row("Surrey"), 0, "FY24")), 3,
                            "Financial Year", "FY24"),
    "blank financial year": (CRIME_HEADER, _crime_rows(_set(crime_row("Surrey"), 0, "")), 3,
                             "Financial Year", "financial year"),
    "quarter 5": (CRIME_HEADER, _crime_rows(_set(crime_row("Surrey"), 1, 5)), 3,
                  "Financial Quarter", "'5'"),
    "quarter 0": (CRIME_HEADER, _crime_rows(_set(crime_row("Surrey"), 1, 0)), 3,
                  "Financial Quarter", "'0'"),
    "blank offence code": (CRIME_HEADER, _crime_rows(_set(crime_row("Surrey"), 6, "")), 3,
                           "Offence Code", "offence code"),
    "unknown force": (CRIME_HEADER, _crime_rows(crime_row("Kent Police Authority of Mars")), 3,
                      "Force Name", "Kent Police Authority of Mars"),
    "header only": (CRIME_HEADER, [], None, None, "no data rows"),
}


@pytest.mark.parametrize("case", list(BAD_CRIME), ids=list(BAD_CRIME))
def test_bad_recorded_crime(tmp_path, case):
    header, rows, row, column, text = BAD_CRIME[case]
    write_csv(tmp_path / "recorded_crime.csv", header, rows)
    err = load_error(tmp_path)
    assert Path(err.file).name == "recorded_crime.csv"
    assert (err.row, err.column) == (row, column)
    assert text in err.message
    line = str(err)
    assert "\n" not in line and line.startswith(str(tmp_path / "recorded_crime.csv") + ": ")
    if row is not None:
        assert f"row {row}" in line
    if column is not None:
        assert f"column '{column}'" in line


OTHER_BAD = {  # id: (file name, header, rows, row, column, text in the message)
    "outcome type 23": ("outcomes.csv", OUTCOMES_CURRENT_HEADER,
                        [current_row(otype=1), current_row(otype=23)], 3, "Outcome Type", "'23'"),
    "outcome type text": ("outcomes.csv", OUTCOMES_OLDER_HEADER,
                          [older_row(otype="Charged")], 2, "Outcome Type", "'Charged'"),
    "non-numeric closed": ("outcomes.csv", OUTCOMES_CURRENT_HEADER,
                           [current_row(closed="many")], 2,
                           "Outcomes for investigations closed in the quarter", "'many'"),
    "neither outcomes header": ("outcomes.csv", OUTCOMES_OLDER_HEADER[:-1],
                                [older_row()[:-1]], 1, None, "neither outcomes header"),
    "unknown breakdown category": (
        "force_returns.csv", RETURNS_HEADER,
        [returns_row(), returns_row(dimension="victim_ethnicity", category="Martian")], 3,
        "Category", "'Martian'"),
    "age band as ethnicity": (
        "force_returns.csv", RETURNS_HEADER,
        [returns_row(dimension="victim_ethnicity", category="18-24")], 2, "Category", "'18-24'"),
    "dimension without category": (
        "force_returns.csv", RETURNS_HEADER,
        [returns_row(), returns_row(), returns_row(measure="da_flagged_crimes",
                                                   dimension="victim_age_band")],
        4, "Category", "both"),
    "category without dimension": (
        "force_returns.csv", RETURNS_HEADER, [returns_row(category="White")], 2, "Category", "both"),
    "unknown dimension": (
        "force_returns.csv", RETURNS_HEADER,
        [returns_row(dimension="victim_religion", category="None")], 2, "Dimension",
        "victim_religion"),
    "blank measure": ("force_returns.csv", RETURNS_HEADER, [returns_row(measure="")], 2, "Measure",
                      "measure"),
    "non-numeric value": ("force_returns.csv", RETURNS_HEADER, [returns_row(value="5 or 6")], 2,
                          "Value", "'5 or 6'"),
    "returns missing value": ("force_returns.csv", RETURNS_HEADER[:4] + RETURNS_HEADER[5:],
                              [returns_row()[:4] + returns_row()[5:]], 1, None, "'Value'"),
    "population total < female": (
        "population.csv", POPULATION_HEADER,
        [population_row("Kent"), population_row("Surrey", 2024, 600_000, 590_000)], 3,
        "Total Population", "590000"),
    "population not positive": ("population.csv", POPULATION_HEADER,
                                [population_row("Kent", 2024, 0, 10)], 2, "Female Population",
                                "positive"),
    "population year": ("population.csv", POPULATION_HEADER,
                        [population_row("Kent", "2024/25")], 2, "Year", "2024/25"),
    "blank value": ("force_returns.csv", RETURNS_HEADER, [returns_row(), returns_row(value="")], 3,
                    "Value", "'' is not a number"),
    "unknown force in force returns": ("force_returns.csv", RETURNS_HEADER,
                                       [returns_row("Gotham City")], 2, "Force Name", "Gotham City"),
    "outcomes header only": ("outcomes.csv", OUTCOMES_CURRENT_HEADER, [], None, None,
                             "no data rows"),
    "same population year twice": ("population.csv", POPULATION_HEADER,
                                   [population_row("Kent"), population_row("kent")], 3, None,
                                   "duplicate of"),
}


@pytest.mark.parametrize("case", list(OTHER_BAD), ids=list(OTHER_BAD))
def test_bad_other_inputs(tmp_path, case):
    name, header, rows, row, column, text = OTHER_BAD[case]
    crime_folder(tmp_path)
    write_csv(tmp_path / name, header, rows)
    err = load_error(tmp_path)
    assert Path(err.file).name == name
    assert (err.row, err.column) == (row, column)
    assert text in err.message


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"\xef\xbb\xbf"], ids=["empty", "blank", "bom"])
def test_empty_file(tmp_path, content):
    (tmp_path / "recorded_crime.csv").write_bytes(content)
    err = load_error(tmp_path)
    assert Path(err.file).name == "recorded_crime.csv" and "empty" in err.message


@pytest.mark.parametrize("name", ["recorded_crime.csv", "recorded_crime.csv.gz",
                                  "recorded_crime.xlsx", "recorded_crime.ods"])
def test_binary_garbage(tmp_path, name):
    garbage = bytes(random.Random(7).randrange(256) for _ in range(4000)) + b"\x00\x01"
    if name == "recorded_crime.csv.gz":
        # a valid gzip stream holding binary data, and a file that is not gzip at all
        (tmp_path / name).write_bytes(gzip.compress(garbage))
        assert "binary" in load_error(tmp_path).message
        (tmp_path / name).write_bytes(garbage)
    else:
        (tmp_path / name).write_bytes(garbage)
    err = load_error(tmp_path)
    assert Path(err.file).name == name
    assert err.row is None


def test_text_file_with_a_data_prefix_is_an_error(tmp_path):
    crime_folder(tmp_path)
    (tmp_path / "population_notes.txt").write_text("notes", encoding="utf-8")
    err = load_error(tmp_path)
    assert Path(err.file).name == "population_notes.txt"


def test_other_files_and_hidden_files_are_ignored(tmp_path):
    crime_folder(tmp_path)
    (tmp_path / "README.md").write_text("about the data", encoding="utf-8")
    (tmp_path / "~$recorded_crime.xlsx").write_bytes(b"lock")
    (tmp_path / "archive").mkdir()
    assert len(load(tmp_path).crime) == 8


def test_folder_without_recorded_crime(tmp_path):
    write_csv(tmp_path / "population.csv", POPULATION_HEADER, [population_row()])
    err = load_error(tmp_path)
    assert err.file == str(tmp_path) and "recorded_crime" in err.message


def test_missing_data_folder(tmp_path):
    err = load_error(tmp_path / "nowhere")
    assert err.file == str(tmp_path / "nowhere") and "not found" in err.message


# ---------------------------------------------------------------- force returns


def test_unknown_measures_are_kept_and_listed(tmp_path):
    crime_folder(tmp_path)
    write_csv(tmp_path / "force_returns.csv", RETURNS_HEADER, [
        returns_row("Kent", measure="da_arrests", value=5),
        returns_row("Kent", measure="Stalking_Protection_Orders", value=2),
        returns_row("Surrey", measure="stalking_protection_orders", value=3),
    ])
    ds = load(tmp_path)
    assert [(Path(u["file"]).name, u["measure"], u["rows"]) for u in ds.quality.unknown_measures] == [
        ("force_returns.csv", "stalking_protection_orders", 2)]
    kept = ds.returns.loc[ds.returns["measure"] == "stalking_protection_orders"]
    assert sorted(kept["value"]) == [2.0, 3.0]


def test_known_measures_are_not_listed(tmp_path):
    crime_folder(tmp_path)
    write_csv(tmp_path / "force_returns.csv", RETURNS_HEADER,
              [returns_row(measure="DVDS_Disclosures_Within_28_Days", value=1.5)])
    ds = load(tmp_path)
    assert ds.quality.unknown_measures == []
    assert ds.returns[["measure", "value"]].values.tolist() == [
        ["dvds_disclosures_within_28_days", 1.5]]


def test_breakdown_categories_are_canonicalised(tmp_path):
    crime_folder(tmp_path)
    write_csv(tmp_path / "force_returns.csv", RETURNS_HEADER, [
        returns_row(measure="da_flagged_crimes", value=100),
        returns_row(measure="da_flagged_crimes", value=10, dimension="Victim_Ethnicity",
                    category="asian"),
        returns_row(measure="da_flagged_crimes", value=4, dimension="victim_ethnicity",
                    category="NOT STATED"),
        returns_row(measure="da_flagged_crimes", value=3, dimension="victim_age_band",
                    category="65 AND OVER"),
    ])
    returns = load(tmp_path).returns
    assert returns[["dimension", "category", "value"]].values.tolist() == [
        ["", "", 100.0], ["victim_ethnicity", "Asian", 10.0],
        ["victim_ethnicity", "Not stated", 4.0], ["victim_age_band", "65 and over", 3.0]]


def test_population_table(tmp_path):
    crime_folder(tmp_path)
    write_csv(tmp_path / "population.csv", POPULATION_HEADER, [
        population_row("Kent", 2023, 900_000, 1_800_000),
        population_row("Kent", 2024, "910,000", "1,810,000"),
        population_row("British Transport Police", 2024, 1, 2)])
    ds = load(tmp_path)
    assert ds.population[["force", "year", "female", "total"]].values.tolist() == [
        ["Kent", 2023, 900_000.0, 1_800_000.0], ["Kent", 2024, 910_000.0, 1_810_000.0]]


# ---------------------------------------------------------------- the whole sample


@pytest.fixture(scope="module")
def sample():
    return load(SAMPLE)


def test_sample_reads_with_its_documented_quirks(sample):
    q = sample.quality
    assert [(g["kind"], g["force"], g["quarter"]) for g in q.not_provided] == [
        ("outcomes", "Greater Manchester", "2019-20-Q3"),
        ("outcomes", "Greater Manchester", "2019-20-Q4")]
    assert len(q.negatives) == 8
    assert all(n["value"] < 0 for n in q.negatives)
    assert {s["body"] for s in q.set_aside} == {"British Transport Police", "Action Fraud"}
    assert q.unknown_measures == []
    assert len(sample.quarters()) == 22
    assert sample.quarters()[0] == Quarter(2019, 1) and sample.quarters()[-1] == Quarter(2024, 2)
    for frame in (sample.crime, sample.outcomes):
        assert frame["force"].nunique() == 43
    assert "City of London" in set(sample.outcomes["force"])  # spelt "London, City of" there
    assert "Dyfed-Powys" in set(sample.returns["force"])  # spelt "Dyfed Powys" there
    assert set(sample.returns["force"]) == set(sample.crime["force"]) - {"Cleveland"}
    devon = sample.crime.loc[sample.crime["force"] == "Devon and Cornwall", "qidx"]
    assert devon.min() == Quarter(2019, 1).index  # spelt "Devon & Cornwall" in 2019/20


def test_sample_headline_vawg_count(sample):
    # data/sample/README.md: VAWG offences recorded in the 12 months to 2024/25 Q2, territorial forces.
    vawg = ["19C", "19D", "19E", "20A", "20B", "88E", "8Q", "8L", "8U"]
    window = [q.index for q in Quarter(2024, 2).window()]
    crime = sample.crime
    rows = crime.loc[crime["qidx"].isin(window) & crime["offence_code"].isin(vawg)]
    assert rows["offences"].sum() == 648_718
    assert np.isfinite(rows["offences"]).all()
