"""Reading the input files as published: CSV (optionally gzip-compressed), ODS or XLSX.

This layer only finds files and turns each table into strings with the spreadsheet row number
kept, so that every later check can name the file, row and column. What the columns mean is
checked in :mod:`vawgbook.sources`.
"""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import InputError

KINDS = ("recorded_crime", "outcomes", "force_returns", "population")
TEXT_SUFFIXES = (".csv", ".csv.gz")
SPREADSHEET_SUFFIXES = (".ods", ".xlsx", ".xlsm", ".xls")
HEADER_SEARCH_ROWS = 30  # a published sheet may have title rows above its header
ROW = "_row"  # the column holding each row's spreadsheet row number


@dataclass
class RawTable:
    """One table read from a file (one sheet of a workbook), every cell as a stripped string."""

    path: Path
    sheet: str | None
    frame: pd.DataFrame  # canonical column names, plus ROW

    @property
    def label(self) -> str:
        """The path as given, with the sheet: for error messages."""
        return str(self.path) if self.sheet is None else f"{self.path} [{self.sheet}]"

    @property
    def name(self) -> str:
        """The file name alone, with the sheet: for reports, which must not show local paths."""
        return self.path.name if self.sheet is None else f"{self.path.name} [{self.sheet}]"

    def error(self, message: str, row: int | None = None, column: str | None = None) -> InputError:
        return InputError(self.path, message, row=row, column=column, sheet=self.sheet)


def find_files(data_dir: Path) -> dict[str, list[Path]]:
    """The input files in ``data_dir`` by kind, matched by file-name prefix, sorted by name."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(data_dir, "data folder not found")
    found: dict[str, list[Path]] = {kind: [] for kind in KINDS}
    for path in sorted(data_dir.iterdir()):
        name = path.name.lower()
        kind = next((k for k in KINDS if name.startswith(k)), None)
        if kind is None or not path.is_file() or name.startswith("."):
            continue
        if not name.endswith(TEXT_SUFFIXES + SPREADSHEET_SUFFIXES):
            raise InputError(path, "not a CSV, ODS or XLSX file (expected .csv, .csv.gz, .ods, .xlsx)")
        found[kind].append(path)
    return found


def _canonical(name: object) -> str:
    return " ".join(str(name).split()).lower()


def _rename(columns: list[str], expected: list[str]) -> dict[str, str]:
    """Map columns to the expected spellings, ignoring case and repeated spaces."""
    wanted = {_canonical(c): c for c in expected}
    return {c: wanted.get(_canonical(c), " ".join(str(c).split())) for c in columns}


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise InputError(path, "not a text CSV file (it contains binary data)")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Files saved by Excel on Windows are often Windows-1252.
        return data.decode("cp1252", errors="replace")


def _read_csv(path: Path, expected: list[str]) -> list[RawTable]:
    try:
        data = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(path, f"cannot be read: {exc}") from None
    text = _decode(path, data)
    if not text.strip():
        raise InputError(path, "the file is empty")
    # Blank lines are kept as blank rows (dropped later, row numbers kept) so that row numbers
    # match the file's lines; blank lines above the header move the header down.
    lead = re.match(r"(?:[ \t]*\r?\n)*", text).group(0)
    try:
        frame = pd.read_csv(
            io.StringIO(text[len(lead):]), dtype=str, keep_default_na=False,
            skipinitialspace=True, skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        raise InputError(path, f"is not a valid CSV table: {exc}") from None
    return [_table(path, None, frame, header_row=1 + lead.count("\n"))]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_workbook(path: Path, expected: list[str]) -> list[RawTable]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InputError(path, f"cannot be read as a spreadsheet: {exc}") from None
    tables, seen = [], []
    wanted = {_canonical(c) for c in expected}
    for sheet in book.sheet_names:
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        header = next(
            (
                i
                for i, row in enumerate(rows[:HEADER_SEARCH_ROWS])
                if wanted <= {_canonical(_cell(v)) for v in row}
            ),
            None,
        )
        if header is None:
            seen.append(sheet)  # a notes or cover sheet
            continue
        names = [_cell(v) for v in rows[header]]
        body = [[_cell(v) for v in row] for row in rows[header + 1 :]]
        frame = pd.DataFrame(body, columns=names, dtype=str) if body else pd.DataFrame(
            columns=names, dtype=str
        )
        tables.append(_table(path, sheet, frame, header_row=header + 1))
    if not tables:
        raise InputError(
            path,
            f"no sheet has the columns {', '.join(expected)} (sheets: {', '.join(seen)})",
        )
    return tables


def _table(path: Path, sheet: str | None, frame: pd.DataFrame, header_row: int) -> RawTable:
    # Stray empty header columns (seen in old published sheets) are dropped.
    keep = [c for c in frame.columns if str(c).strip() and not str(c).startswith("Unnamed:")]
    frame = frame.loc[:, keep].astype(str).apply(lambda s: s.str.strip())
    frame.columns = [" ".join(str(c).split()) for c in frame.columns]
    frame[ROW] = range(header_row + 1, header_row + 1 + len(frame))
    # Trailing blank rows are not data.
    blank = (frame.drop(columns=ROW) == "").all(axis=1)
    return RawTable(path, sheet, frame.loc[~blank].reset_index(drop=True))


def read_tables(path: Path, expected: list[str]) -> list[RawTable]:
    """Read every data table in ``path``, with columns renamed to the ``expected`` spellings."""
    name = path.name.lower()
    reader = _read_csv if name.endswith(TEXT_SUFFIXES) else _read_workbook
    tables = reader(path, expected)
    for table in tables:
        table.frame = table.frame.rename(columns=_rename(list(table.frame.columns), expected))
    return tables
