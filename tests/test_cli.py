"""The command line as a user meets it: ``python -m vawgbook ...`` in a subprocess."""

from __future__ import annotations

import csv
import random
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import (
    CRIME_HEADER,
    POPULATION_HEADER,
    REPO,
    SAMPLE,
    TERRITORIAL,
    command,
    crime_folder,
    crime_row,
    notes_sheet,
    population_row,
    sheet,
    vawgbook,
    write_csv,
    write_workbook,
)
from ingest.test_sources import BAD_CRIME, OTHER_BAD  # the readers' bad-input tables

from vawgbook.cli import main
from vawgbook.errors import InputError

# CONTRACT.md, "Output: kpi_results.csv", in order; then the columns the project appends.
CONTRACT_COLUMNS = [
    "period", "force", "pillar", "kpi_id", "kpi_name", "kind", "direction", "comparison", "window",
    "value", "numerator", "denominator", "ci_lower", "ci_upper", "baseline_value", "change",
    "relative_change", "p_value", "q_value", "min_detectable_change", "assessment",
]
EXTRA_COLUMNS = ["method", "note", "suppressed", "dimension", "category"]
KPI_IDS = [
    "vawg_recorded", "vawg_rate_per_1000_female", "rape_recorded", "stalking_harassment_recorded",
    "vawg_charge_rate", "rape_charge_rate", "stalking_harassment_charge_rate",
    "vawg_victim_not_supporting_rate", "vawg_no_suspect_rate", "da_arrest_rate", "dvpo_rate",
    "dvds_timeliness_rate", "victim_satisfaction_rate", "police_perpetrated_cases",
    "police_perpetrated_no_action_rate", "streetsafe_reports",
]
ASSESSMENTS = {"improving", "deteriorating", "increase", "decrease", "no_significant_change",
               "insufficient_data", "not_comparable"}  # as the contract lists them
SPELLINGS = ["2024-25-Q2", "2024/25 Q2", "2024-25 Q2"]


@pytest.fixture(scope="session")
def sample_runs(tmp_path_factory):
    """``vawgbook kpis`` on the sample, once per period spelling, run side by side."""
    folder = tmp_path_factory.mktemp("kpis")
    outs = [folder / f"run{i}" / "kpi_results.csv" for i in range(len(SPELLINGS))]
    procs = [
        subprocess.Popen(
            command("kpis", "--data", str(SAMPLE), "--period", spelling, "--out", str(out)),
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for spelling, out in zip(SPELLINGS, outs, strict=True)
    ]
    runs = []
    for proc, out in zip(procs, outs, strict=True):
        stdout, stderr = proc.communicate(timeout=300)
        runs.append({"returncode": proc.returncode, "stdout": stdout, "stderr": stderr, "out": out})
    return runs


@pytest.fixture(scope="session")
def sample_rows(sample_runs):
    with open(sample_runs[0]["out"], newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# ---------------------------------------------------------------- kpis on the sample


def test_kpis_exits_0_and_says_what_it_wrote(sample_runs):
    for run in sample_runs:
        assert run["returncode"] == 0, run["stderr"]
        assert "Traceback" not in run["stderr"]
        assert f"wrote {run['out']} (3256 rows)" in run["stderr"]
        assert run["out"].is_file()
        # nothing but the results file is left in the output folder (no temporary files)
        assert [p.name for p in run["out"].parent.iterdir()] == ["kpi_results.csv"]


def test_kpis_header_is_the_contract_columns_in_order(sample_runs):
    first_line = sample_runs[0]["out"].read_bytes().split(b"\n", 1)[0]
    assert first_line.decode("ascii").split(",") == CONTRACT_COLUMNS + EXTRA_COLUMNS


def test_kpis_one_row_per_force_kpi_and_comparison(sample_rows):
    totals = [r for r in sample_rows if not r["dimension"]]
    assert len(totals) == 44 * 16 * 2
    assert sample_rows[:len(totals)] == totals  # breakdown rows come after the contract's rows
    keys = [(r["force"], r["kpi_id"], r["comparison"]) for r in totals]
    assert len(set(keys)) == len(keys)
    groups = [(r["force"], r["kpi_id"], r["comparison"], r["dimension"], r["category"])
              for r in sample_rows[len(totals):]]
    assert len(set(groups)) == len(groups) > 0
    expected = {(f, k, c) for f in ("England and Wales", *TERRITORIAL) for k in KPI_IDS
                for c in ("year_on_year", "trend")}
    assert set(keys) == expected


def test_kpis_columns_hold_what_the_contract_says(sample_rows):
    assert {r["period"] for r in sample_rows} == {"2024-25-Q2"}
    assert {r["window"] for r in sample_rows if r["comparison"] == "year_on_year"} == {"12_months"}
    assert {r["assessment"] for r in sample_rows if not r["dimension"]} <= ASSESSMENTS
    assert {r["assessment"] for r in sample_rows if r["dimension"]} <= {
        "complete_enough", "incomplete_recording", "insufficient_data", "higher", "lower",
        "no_significant_difference", "gap_widened", "gap_narrowed", "no_significant_change",
        "not_tested"}
    assert {r["kind"] for r in sample_rows} == {"count", "proportion", "rate"}
    assert {r["direction"] for r in sample_rows} == {"higher_is_better", "lower_is_better", "context"}
    checked = 0
    for r in sample_rows:
        if r["value"] and r["baseline_value"] and r["change"]:
            value, baseline, change = (float(r[c]) for c in ("value", "baseline_value", "change"))
            # each figure is written to 10 significant digits
            tolerance = 1e-9 * (abs(value) + abs(baseline) + abs(change))
            assert change == pytest.approx(value - baseline, abs=tolerance), r
            if baseline and r["relative_change"]:
                assert float(r["relative_change"]) == pytest.approx(value / baseline - 1,
                                                                    rel=1e-8, abs=1e-9), r
            checked += 1
    assert checked > 500


def test_kpis_national_figures_match_the_sample_readme(sample_rows):
    # data/sample/README.md, "Headline sample figures (12 months to 2024/25 Q2, territorial forces)".
    national = {r["kpi_id"]: r for r in sample_rows
                if r["force"] == "England and Wales" and r["comparison"] == "year_on_year"}
    assert float(national["vawg_recorded"]["value"]) == 648_718
    assert float(national["rape_recorded"]["value"]) == 62_362
    assert float(national["vawg_charge_rate"]["value"]) == pytest.approx(0.0576, abs=5e-5)
    assert float(national["rape_charge_rate"]["value"]) == pytest.approx(0.0284, abs=5e-5)
    assert float(national["vawg_no_suspect_rate"]["value"]) == pytest.approx(0.0545, abs=5e-5)


def test_all_period_spellings_give_byte_identical_output(sample_runs):
    outputs = [run["out"].read_bytes() for run in sample_runs]
    assert outputs[0] and all(out == outputs[0] for out in outputs[1:])


def test_running_twice_gives_the_same_bytes(sample_runs):
    # Separate processes on the same data and (once parsed) the same period.
    first, second = sample_runs[0]["out"], sample_runs[1]["out"]
    assert first != second and first.read_bytes() == second.read_bytes()


# ---------------------------------------------------------------- bad input


def _bad_folder(tmp_path: Path, case: str) -> tuple[list[str], str | None]:
    """Arguments for ``kpis`` (without --out) and the file the error must name."""
    data = tmp_path / "data"
    if case == "missing column":
        data.mkdir()
        header = [c for c in CRIME_HEADER if c != "Number of Offences"]
        path = write_csv(data / "recorded_crime.csv", header, [crime_row()[:-1]])
        return ["--data", str(data), "--period", "2024-25-Q1"], str(path)
    if case == "unknown force":
        crime_folder(data, [crime_row("Kent"), crime_row("Gotham City")])
        return ["--data", str(data), "--period", "2024-25-Q1"], str(data / "recorded_crime.csv")
    if case == "malformed period":
        crime_folder(data)
        return ["--data", str(data), "--period", "2024-Q9"], None
    if case == "period not in data":
        crime_folder(data)
        return ["--data", str(data), "--period", "2030-31-Q1"], None
    if case == "missing data folder":
        return ["--data", str(tmp_path / "no such folder"), "--period", "2024-25-Q1"], str(
            tmp_path / "no such folder")
    if case == "broken registry":
        crime_folder(data)
        registry = tmp_path / "kpis.yaml"
        registry.write_text("kpis:\n  - id: x\n    name: [unclosed\n", encoding="utf-8")
        return ["--data", str(data), "--period", "2024-25-Q1", "--registry", str(registry)], str(
            registry)
    raise AssertionError(case)


BAD_CASES = {  # case: what the one line must also say
    "missing column": ["missing column(s) 'Number of Offences'", "(row 1)"],
    "unknown force": ["'Gotham City' is not one of the 43 territorial forces",
                      "(row 3, column 'Force Name')"],
    "malformed period": ["'2024-Q9'", "2024-25-Q2"],
    "period not in data": ["2030/31 Q1", "2024/25 Q1 to 2024/25 Q2"],
    "missing data folder": ["data folder not found"],
    "broken registry": ["not valid YAML", "row "],
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_input_is_one_line_exit_1_and_nothing_written(tmp_path, case):
    args, named_file = _bad_folder(tmp_path, case)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "kpi_results.csv"
    sentinel = b"period,force\nsentinel,do not replace\n"
    out.write_bytes(sentinel)
    result = vawgbook("kpis", *args, "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    if named_file is not None:
        assert lines[0].startswith(f"error: {named_file}: ")
    for text in BAD_CASES[case]:
        assert text in lines[0]
    assert "--debug" not in lines[0]  # a known problem, not a bug
    assert out.read_bytes() == sentinel
    assert [p.name for p in out_dir.iterdir()] == ["kpi_results.csv"]
    assert result.stdout == ""


def test_debug_shows_the_traceback(tmp_path):
    args, _ = _bad_folder(tmp_path, "unknown force")
    out = tmp_path / "out.csv"
    result = vawgbook("--debug", "kpis", *args, "--out", str(out))
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "InputError" in result.stderr and "Gotham City" in result.stderr
    assert not out.exists()


def test_usage_error_is_a_usage_message_not_a_crash(tmp_path):
    result = vawgbook("kpis", "--data", str(tmp_path), "--out", str(tmp_path / "out.csv"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "Usage:" in result.stderr and "--period" in result.stderr
    assert "--debug" not in result.stderr  # not reported as an internal error


# ---------------------------------------------------------------- the whole bad-input corpus


def _corpus_case(data: Path, case: str) -> tuple[Path, str]:
    """Write one bad-input case into ``data``: the file the line must name and how it must end."""
    if case in BAD_CRIME or case in OTHER_BAD:  # the readers' table cases (test_sources.py)
        if case in BAD_CRIME:
            (header, rows, row, column, _), name = BAD_CRIME[case], "recorded_crime.csv"
        else:
            name, header, rows, row, column, _ = OTHER_BAD[case]
            crime_folder(data)
        where = [f"row {row}"] * (row is not None) + [f"column {column!r}"] * (column is not None)
        return write_csv(data / name, header, rows), f" ({', '.join(where)})" if where else ""
    crime = data / "recorded_crime.csv"
    if case in ("empty file", "BOM only", "binary garbage"):
        content = {"empty file": b"", "BOM only": b"\xef\xbb\xbf",
                   "binary garbage": bytes(random.Random(7).randrange(256) for _ in range(4000))}
        crime.write_bytes(content[case] + b"\x00" * (case == "binary garbage"))
        return crime, ""
    if case == "UTF-16":
        return write_csv(crime, CRIME_HEADER, [crime_row()], encoding="utf-16"), ""
    if case == "garbage workbook":
        path = data / "recorded_crime.xlsx"
        path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
        return path, ""
    if case == "text file with a data prefix":
        crime_folder(data)
        (data / "population_notes.txt").write_text("notes", encoding="utf-8")
        return data / "population_notes.txt", ""
    if case == "no recorded crime file":
        write_csv(data / "population.csv", POPULATION_HEADER, [population_row()])
        return data, ""
    if case == "same key in two files":
        write_csv(data / "recorded_crime_a.csv", CRIME_HEADER, [crime_row("Kent")])
        return write_csv(data / "recorded_crime_b.csv", CRIME_HEADER, [crime_row("kent")]), " (row 2)"
    path = data / "recorded_crime.xlsx"
    if case == "same key in two sheets":
        write_workbook(path, {"2023-24": sheet(CRIME_HEADER, [crime_row()]),
                              "2024-25": sheet(CRIME_HEADER, [crime_row()])})
        return Path(f"{path} [2024-25]"), " (row 2)"  # the file as both places are named
    if case == "bad count in a workbook":
        write_workbook(path, {"Notes": notes_sheet(),
                              "Data": sheet(CRIME_HEADER, [crime_row(n="lots")], title_rows=2)})
        return path, " (sheet 'Data', row 4, column 'Number of Offences')"
    if case == "workbook without the columns":
        write_workbook(path, {"Notes": notes_sheet(), "Data": sheet(CRIME_HEADER[:-1], [crime_row()])})
        return path, "(sheets: Notes, Data)"
    raise AssertionError(case)


FILE_CASES = ["empty file", "BOM only", "binary garbage", "UTF-16", "garbage workbook",
              "text file with a data prefix", "no recorded crime file", "same key in two files",
              "same key in two sheets", "bad count in a workbook", "workbook without the columns"]


def _main(monkeypatch, *args: str) -> int:
    """``vawgbook ARGS`` through the console script's entry point, in this process."""
    monkeypatch.setattr(sys, "argv", ["vawgbook", *args])
    with pytest.raises(SystemExit) as done:
        main()
    return done.value.code


@pytest.mark.parametrize("case", [*BAD_CRIME, *OTHER_BAD, *FILE_CASES])
def test_every_case_of_the_bad_input_corpus_is_one_line_and_exit_1(tmp_path, monkeypatch, capsys,
                                                                   case):
    # In this process: a subprocess per case would take minutes (the subprocess path is the same
    # main(), tested above).
    data = tmp_path / "data"
    data.mkdir()
    file, ending = _corpus_case(data, case)
    out = tmp_path / "kpi_results.csv"
    out.write_bytes(b"period,force\nsentinel,do not replace\n")
    args = ["kpis", "--data", str(data), "--period", "2024-25-Q1", "--out", str(out)]
    assert _main(monkeypatch, *args) == 1
    printed = capsys.readouterr()
    (line,) = printed.err.splitlines()
    assert line.startswith(f"error: {file}: ") and line.endswith(ending)
    assert "--debug" not in line and printed.out == ""
    assert out.read_bytes() == b"period,force\nsentinel,do not replace\n"
    monkeypatch.setattr(sys, "argv", ["vawgbook", "--debug", *args])
    with pytest.raises(InputError):  # --debug: the exception itself, with its traceback
        main()


# ---------------------------------------------------------------- validate


def test_validate_on_the_sample():
    result = vawgbook("validate", "--data", str(SAMPLE))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    text = result.stdout
    assert "British Transport Police" in text and "Action Fraud" in text
    gap = next(line for line in text.splitlines() if "Greater Manchester" in line)
    assert "2019-20-Q3" in gap and "2019-20-Q4" in gap
    assert "Cleveland" in text  # no force returns at all
    assert "Negative counts kept as published: 8" in text
