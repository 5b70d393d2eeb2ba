"""Reading the input files as published: CSV (optionally gzip-compressed), ODS or XLSX.

This layer only finds files and turns each table into text cells with the spreadsheet row number
kept, so that every later check can name the file, row and column. What the columns mean is
checked in :mod:`vawgbook.ingest.sources`.

Every column comes back as a pandas ``Categorical`` of stripped strings: the distinct values and,
for each row, which one it holds. Published tables repeat a few hundred distinct values over
millions of rows, so later checks run once per distinct value, not once per row.

CSV files are parsed with pyarrow's multi-threaded reader, reading only the columns asked for.
Anything that reader does not take the way pandas did (short rows, a quoted header over two lines,
lines of spaces) is read again with pandas, so row numbers and messages never depend on which
reader ran. Spreadsheets are read with python-calamine.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError

KINDS = ("recorded_crime", "outcomes", "force_returns", "population")
TEXT_SUFFIXES = (".csv", ".csv.gz")
SPREADSHEET_SUFFIXES = (".ods", ".xlsx", ".xlsm", ".xls")
HEADER_SEARCH_ROWS = 30  # a published sheet may have title rows above its header
ROW = "_row"  # the column holding each row's spreadsheet row number
BOM = b"\xef\xbb\xbf"


@dataclass
class RawTable:
    """One table read from a file (one sheet of a workbook), every cell as a stripped string."""

    path: Path
    sheet: str | None
    frame: pd.DataFrame  # canonical column names (categorical strings), plus ROW
    header: list[str] | None = None  # every named column in the file, read or not

    @property
    def columns(self) -> list[str]:
        """The table's column names (all of them, also those not read), in file order."""
        if self.header is not None:
            return self.header
        return [c for c in self.frame.columns if c != ROW]

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


def _rename(columns: list[str], expected: Sequence[str]) -> dict[str, str]:
    """Map columns to the expected spellings, ignoring case and repeated spaces."""
    wanted = {_canonical(c): c for c in expected}
    return {c: wanted.get(_canonical(c), " ".join(str(c).split())) for c in columns}


def _names(header: list[object], expected: Sequence[str]) -> list[str]:
    """Header cells as column names: spaces tidied, expected spellings, repeats numbered."""
    names, seen = [], {}
    for cell in header:
        name = " ".join(str(cell).split())
        if name:
            name = _rename([name], expected)[name]
            if name in seen:  # as pandas numbers a repeated header: "X", "X.1"
                seen[name] += 1
                name = f"{name}.{seen[name]}"
            else:
                seen[name] = 0
        names.append(name)
    return names


def _wanted(name: str, columns: Sequence[str] | None) -> bool:
    """Whether a named column is kept: stray empty header columns never are."""
    if not name or name.startswith("Unnamed:"):
        return False
    return columns is None or _canonical(name) in {_canonical(c) for c in columns}


def _categorical(codes: np.ndarray, values: object) -> pd.Categorical:
    """A categorical of stripped strings from row ``codes`` into distinct ``values``.

    Values that are alike once stripped are merged, so the categories stay distinct.
    """
    stripped = pd.Series(values, dtype=object).fillna("").astype(str).str.strip()
    remap, uniques = pd.factorize(stripped)
    codes = np.asarray(codes)
    if len(uniques) < len(stripped):
        codes = remap[codes] if len(codes) else np.zeros(0, dtype=np.intp)
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object),
                                     validate=False)


def _blank(columns: dict[str, pd.Categorical], length: int) -> np.ndarray:
    """Rows where every column is empty."""
    blank = np.ones(length, dtype=bool)
    for column in columns.values():
        empty = np.asarray(column.categories == "", dtype=bool)
        if not empty.any():
            return np.zeros(length, dtype=bool)
        blank &= empty[column.codes]
    return blank


def _frame(columns: dict[str, pd.Categorical], first_row: int, length: int,
           blank: np.ndarray) -> pd.DataFrame:
    """A table of categorical columns with spreadsheet row numbers; blank rows dropped."""
    frame = pd.DataFrame(columns, index=pd.RangeIndex(length))
    frame[ROW] = np.arange(first_row, first_row + length, dtype=np.int64)
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
    return frame


# ---------------------------------------------------------------- CSV


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise InputError(path, "not a text CSV file (it contains binary data)")
    if data.startswith(BOM):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Files saved by Excel on Windows are often Windows-1252.
        return data.decode("cp1252", errors="replace")


HEAD = 1 << 20  # the first MB holds any blank lines and the header


def _csv_buffer(path: Path):
    """The file's bytes as a pyarrow buffer: memory-mapped, or decompressed for ``.gz``."""
    import pyarrow as pa

    try:
        if path.name.lower().endswith(".gz"):
            return pa.py_buffer(gzip.decompress(path.read_bytes()))
        if path.stat().st_size == 0:
            return pa.py_buffer(b"")
        with pa.memory_map(str(path)) as mapped:
            return mapped.read_buffer()
    except (OSError, EOFError, gzip.BadGzipFile, ValueError) as exc:
        raise InputError(path, f"cannot be read: {exc}") from None


class _SlowPath(Exception):
    """The fast CSV reader cannot take this file the way pandas does: read it with pandas."""


def _arrow_categorical(column) -> pd.Categorical:
    """A dictionary-encoded pyarrow column as a categorical of stripped strings."""
    column = column.unify_dictionaries()
    if column.num_chunks == 0:
        return _categorical(np.zeros(0, dtype=np.int32), [])
    indices = np.concatenate([chunk.indices.to_numpy(zero_copy_only=False)
                              for chunk in column.chunks])
    return _categorical(indices, column.chunk(0).dictionary.to_pandas())


def _read_csv_fast(path: Path, data, head: bytes, expected: Sequence[str],
                   columns: Sequence[str] | None) -> RawTable:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    offset = 3 if head.startswith(BOM) else 0
    lead = re.compile(rb"(?:[ \t]*\r?\n)*").match(head, offset).end()
    end = head.find(b"\n", lead)
    if end < 0 and data.size > len(head):
        raise _SlowPath  # a header over a megabyte long, or a megabyte of blank lines
    line = head[lead:] if end < 0 else head[lead:end]
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise _SlowPath from None
    if text.count('"') % 2:
        raise _SlowPath  # a quoted header cell over two lines
    header = next(csv.reader([text.rstrip("\r")], skipinitialspace=True), [])
    names = _names(header, [*expected, *(columns or ())])
    keep = [i for i, name in enumerate(names) if _wanted(name, columns)]
    raw = [f"c{i}" for i in range(len(header))]

    def parse(include: list[int], kind):
        try:
            return pacsv.read_csv(
                data.slice(lead),
                read_options=pacsv.ReadOptions(column_names=raw, skip_rows=1),
                parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(
                    column_types={raw[i]: kind for i in include},
                    include_columns=[raw[i] for i in include], strings_can_be_null=False),
            )
        except (pa.ArrowInvalid, pa.ArrowKeyError):
            raise _SlowPath from None  # short or long rows, bad UTF-8, ...

    table = parse(keep, pa.dictionary(pa.int32(), pa.string()))
    cells = {names[i]: _arrow_categorical(table.column(raw[i])) for i in keep}
    blank = _blank(cells, table.num_rows)
    others = [i for i, name in enumerate(names) if _wanted(name, None) and i not in keep]
    if blank.any() and others:
        # A row blank in the columns read may hold something in the others, and only a wholly
        # blank row is not data: look at the others too (this happens only in hand-made files).
        for column in parse(others, pa.string()).columns:
            blank &= pc.equal(pc.utf8_trim_whitespace(column), "").to_numpy(zero_copy_only=False)
    header_row = 1 + head.count(b"\n", 0, lead)
    return RawTable(path, None, _frame(cells, header_row + 1, table.num_rows, blank),
                    [name for name in names if _wanted(name, None)])


def _read_csv_slow(path: Path, data: bytes, expected: Sequence[str],
                   columns: Sequence[str] | None) -> RawTable:
    text = _decode(path, data)
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
    names = _names([c if not str(c).startswith("Unnamed:") else "" for c in frame.columns],
                   [*expected, *(columns or ())])
    blank_everywhere = (frame.fillna("").astype(str).apply(lambda s: s.str.strip()) == "")
    blank_everywhere = blank_everywhere.loc[:, [bool(n) for n in names]].all(axis=1).to_numpy()
    cells = {}
    for i, name in enumerate(names):
        if _wanted(name, columns):
            codes, uniques = pd.factorize(frame.iloc[:, i].fillna("").astype(str))
            cells[name] = _categorical(codes, pd.Series(uniques, dtype=object))
    header_row = 1 + lead.count("\n")
    table = pd.DataFrame(cells, index=pd.RangeIndex(len(frame)))
    table[ROW] = np.arange(header_row + 1, header_row + 1 + len(frame), dtype=np.int64)
    return RawTable(path, None, table.loc[~blank_everywhere].reset_index(drop=True),
                    [name for name in names if _wanted(name, None)])


def _read_csv(path: Path, expected: Sequence[str], columns: Sequence[str] | None) -> list[RawTable]:
    data = _csv_buffer(path)
    head = data.slice(0, min(HEAD, data.size)).to_pybytes()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text", say
        raise InputError(path, "is UTF-16 text, not UTF-8 or Windows-1252: save it as 'CSV UTF-8'")
    if b"\x00" in head[:65536]:
        raise InputError(path, "not a text CSV file (it contains binary data)")
    body = head[3:] if head.startswith(BOM) else head
    if re.search(rb"\S", body) is None and (
            data.size <= len(head) or re.search(rb"\S", data.to_pybytes()) is None):
        raise InputError(path, "the file is empty")
    try:
        return [_read_csv_fast(path, data, head, expected, columns)]
    except _SlowPath:
        return [_read_csv_slow(path, data.to_pybytes(), expected, columns)]


# ---------------------------------------------------------------- spreadsheets


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sheet_column(values: np.ndarray) -> pd.Categorical:
    """One spreadsheet column (cells as calamine gives them) as a categorical of strings."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return _categorical(codes, pd.Series([_cell(v) for v in uniques], dtype=object))


def _grid(rows: list[list], width: int) -> np.ndarray:
    """Rows of cells as a 2-D object array at least ``width`` wide (short rows padded)."""
    lengths = set(map(len, rows))
    if len(lengths) == 1 and lengths.pop() >= width:
        return np.array(rows, dtype=object)
    wide = max(width, *map(len, rows)) if rows else width
    grid = np.full((len(rows), wide), "", dtype=object)
    for i, row in enumerate(rows):  # ragged rows: not seen from calamine, kept for safety
        grid[i, :len(row)] = row
    return grid


def _read_workbook(path: Path, expected: Sequence[str],
                   columns: Sequence[str] | None) -> list[RawTable]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InputError(path, f"cannot be read as a spreadsheet: {exc}") from None
    tables, seen = [], []
    wanted = {_canonical(c) for c in expected}
    for sheet in book.sheet_names:
        try:
            rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except Exception as exc:
            raise InputError(path, f"cannot be read as a spreadsheet: {exc}", sheet=sheet) from None
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
        names = _names([_cell(v) for v in rows[header]], [*expected, *(columns or ())])
        grid = _grid(rows[header + 1:], len(names))
        del rows
        cells = {name: _sheet_column(grid[:, i]) for i, name in enumerate(names)
                 if _wanted(name, columns)}
        blank = _blank(cells, len(grid))
        if blank.any():  # only a row blank in every column is not data
            others = {name: _sheet_column(grid[:, i]) for i, name in enumerate(names)
                      if _wanted(name, None) and name not in cells}
            blank &= _blank(others, len(grid)) if others else True
        frame = _frame(cells, header + 2, len(grid), blank)
        tables.append(RawTable(path, sheet, frame, [n for n in names if _wanted(n, None)]))
    if not tables:
        raise InputError(
            path,
            f"no sheet has the columns {', '.join(expected)} (sheets: {', '.join(seen)})",
        )
    return tables


def read_tables(path: Path, expected: Sequence[str],
                columns: Sequence[str] | None = None) -> list[RawTable]:
    """Read every data table in ``path``, with columns renamed to the ``expected`` spellings.

    ``columns``, if given, are the only columns read (matched as the header is, ignoring case and
    spacing; absent ones are simply missing): the rest of the file is skipped, not parsed.
    """
    name = path.name.lower()
    reader = _read_csv if name.endswith(TEXT_SUFFIXES) else _read_workbook
    return reader(path, expected, columns)
