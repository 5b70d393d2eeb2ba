"""Builders for small input files in the Home Office layouts (see data/sample/README.md).

Tests write these into ``tmp_path``; no copy of any data file is kept in the repository.
"""

from __future__ import annotations

import csv
import gzip
import io
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"

CRIME_HEADER = ["Financial Year", "Financial Quarter", "Force Name", "Offence Description",
                "Offence Group", "Offence Subgroup", "Offence Code", "Number of Offences"]
OUTCOMES_OLDER_HEADER = [
    "Financial Year", "Financial Quarter", "Force Name", "Offence Description", "Offence Group",
    "Offence Subgroup", "Offence Code", "Offence code expired", "Outcome Description",
    "Outcome Group", "Outcome Type", "Force outcomes for offences recorded in quarter",
    "Force outcomes for offences recorded in previous quarters",
]
OUTCOMES_CURRENT_HEADER = [
    "Financial Year", "Financial Quarter", "Force Name", "Offence Code", "Offence Description",
    "Offence Group", "Offence Subgroup", "Offence code expired", "Outcome Type",
    "Outcome Description", "Outcome Group",
    "Outcomes for offences that were recorded in the quarter",
    "Outcomes for investigations closed in the quarter",
]
RETURNS_HEADER = ["Financial Year", "Financial Quarter", "Force Name", "Measure", "Value",
                  "Dimension", "Category"]
POPULATION_HEADER = ["Force Name", "Year", "Female Population", "Total Population"]

# The 43 territorial forces as reference/framework.md lists them (independent of forces.yaml).
TERRITORIAL = (
    "Avon and Somerset", "Bedfordshire", "Cambridgeshire", "Cheshire", "City of London",
    "Cleveland", "Cumbria", "Derbyshire", "Devon and Cornwall", "Dorset", "Durham", "Dyfed-Powys",
    "Essex", "Gloucestershire", "Greater Manchester", "Gwent", "Hampshire", "Hertfordshire",
    "Humberside", "Kent", "Lancashire", "Leicestershire", "Lincolnshire", "Merseyside",
    "Metropolitan Police", "Norfolk", "North Wales", "North Yorkshire", "Northamptonshire",
    "Northumbria", "Nottinghamshire", "South Wales", "South Yorkshire", "Staffordshire", "Suffolk",
    "Surrey", "Sussex", "Thames Valley", "Warwickshire", "West Mercia", "West Midlands",
    "West Yorkshire", "Wiltshire",
)

OFFENCES = {  # code: (description, group, subgroup)
    "19C": ("Rape of a female aged 16 and over", "Sexual offences", "Rape"),
    "20A": ("Sexual assault on a female aged 13 and over", "Sexual offences",
            "Other sexual offences"),
    "8Q": ("Stalking", "Violence against the person", "Stalking and harassment"),
    "8L": ("Harassment", "Violence against the person", "Stalking and harassment"),
    "28E": ("Residential burglary of a home", "Burglary", "Residential burglary"),
}


def crime_row(force="Kent", year="2024/25", quarter=1, code="19C", n=10) -> list:
    description, group, subgroup = OFFENCES.get(code, ("Other", "Other", "Other"))
    return [year, quarter, force, description, group, subgroup, code, n]


def older_row(force="Kent", year="2021/22", quarter=1, code="19C", otype=1,
              recorded=1, previous=2) -> list:
    """An outcomes row in the older header: counts for offences recorded in / before the quarter."""
    description, group, subgroup = OFFENCES.get(code, ("Other", "Other", "Other"))
    return [year, quarter, force, description, group, subgroup, code, "", f"type {otype}",
            "group", otype, recorded, previous]


def current_row(force="Kent", year="2022/23", quarter=1, code="19C", otype=1,
                recorded=1, closed=3) -> list:
    """An outcomes row in the current header."""
    description, group, subgroup = OFFENCES.get(code, ("Other", "Other", "Other"))
    return [year, quarter, force, code, description, group, subgroup, "", otype,
            f"type {otype}", "group", recorded, closed]


def returns_row(force="Kent", year="2024/25", quarter=1, measure="da_arrests", value=5,
                dimension="", category="") -> list:
    return [year, quarter, force, measure, value, dimension, category]


def population_row(force="Kent", year=2024, female=950_000, total=1_900_000) -> list:
    return [force, year, female, total]


def csv_text(header: Sequence, rows: Iterable[Sequence]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv(path: Path, header: Sequence, rows: Iterable[Sequence], *, encoding="utf-8",
              bom=False) -> Path:
    """Write a CSV; ``.gz`` in the name compresses it."""
    data = csv_text(header, rows).encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def write_workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """Write an XLSX or ODS (by suffix), one sheet per entry, each a list of rows.

    Every row is written as it is (no header added), so title rows, blank rows and the header
    are part of ``rows``: the first list is spreadsheet row 1.
    """
    engine = {".xlsx": "openpyxl", ".ods": "odf"}[path.suffix]
    with pd.ExcelWriter(path, engine=engine) as writer:
        for name, rows in sheets.items():
            width = max(len(r) for r in rows)
            padded = [list(r) + [None] * (width - len(r)) for r in rows]
            pd.DataFrame(padded, dtype=object).to_excel(
                writer, sheet_name=name, index=False, header=False)
    return path


def sheet(header: Sequence, rows: Iterable[Sequence], title_rows: int = 0) -> list[list]:
    """Rows for :func:`write_workbook`: optional title lines and a blank line, then the table."""
    top = []
    if title_rows:
        top = [["Police recorded crime (synthetic test data)"]]
        top += [[None]] * (title_rows - 1)
    return top + [list(header)] + [list(r) for r in rows]


def notes_sheet() -> list[list]:
    return [["Notes"], ["1. Synthetic test data, not real figures."], ["2. Q1 is April to June."]]


def crime_folder(folder: Path, rows: Iterable[Sequence] | None = None) -> Path:
    """A data folder holding a small recorded crime file (the one file every folder needs)."""
    folder.mkdir(parents=True, exist_ok=True)
    if rows is None:
        rows = [crime_row(force, "2024/25", q, code, 10 + q)
                for force in ("Kent", "Surrey") for q in (1, 2) for code in ("19C", "8Q")]
    write_csv(folder / "recorded_crime.csv", CRIME_HEADER, rows)
    return folder


def command(*args: str) -> list[str]:
    """``python -m vawgbook ARGS`` with this interpreter."""
    return [sys.executable, "-m", "vawgbook", *args]


def vawgbook(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """Run the command line as a user does, in a subprocess; text output captured."""
    return subprocess.run(command(*args), cwd=cwd, capture_output=True, text=True, timeout=120)
