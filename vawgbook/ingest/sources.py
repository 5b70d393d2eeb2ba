"""The four input tables, validated and made tidy.

Each reader checks columns, quarters, forces, counts and keys, and raises
:class:`~vawgbook.errors.InputError` naming the file, row and column of the first problem.
Force-name variants are normalised; non-territorial bodies are set aside and listed in the
data-quality record rather than dropped silently.

Checks run once per distinct value of a column (a published table repeats a few hundred values
over millions of rows) and are spread back to the rows with numpy, so no Python code runs per row.
Parsed tables are cached as Parquet (:mod:`vawgbook.ingest.cache`), keyed by each file's content.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import force_names, vocabulary
from ..errors import InputError
from ..periods import Quarter, parse_financial_year
from . import cache as store
from .readers import ROW, RawTable, find_files, read_tables

# Bump whenever what a file parses to changes (columns, checks, quality records): every cached
# table is then rebuilt. (The cache key also covers the reading code and the configuration it
# reads: see reader_fingerprint.)
READER_VERSION = 1
# What parsing a file depends on besides the file: hashed into every cache key.
_READER_FILES = ("ingest/readers.py", "ingest/sources.py", "periods.py", "config/forces.py",
                 "config/forces.yaml", "config/vocabulary.py", "config/vocabulary.yaml")

FY, FQ, FORCE = "Financial Year", "Financial Quarter", "Force Name"
CRIME_COLUMNS = [FY, FQ, FORCE, "Offence Description", "Offence Group", "Offence Subgroup",
                 "Offence Code", "Number of Offences"]
OUTCOME_KEY_COLUMNS = [FY, FQ, FORCE, "Offence Code", "Outcome Type"]
CLOSED_CURRENT = "Outcomes for investigations closed in the quarter"
RECORDED_CURRENT = "Outcomes for offences that were recorded in the quarter"
RECORDED_OLDER = "Force outcomes for offences recorded in quarter"
PREVIOUS_OLDER = "Force outcomes for offences recorded in previous quarters"
RETURN_COLUMNS = [FY, FQ, FORCE, "Measure", "Value"]
BREAKDOWN_COLUMNS = ["Dimension", "Category"]
POPULATION_COLUMNS = [FORCE, "Year", "Female Population", "Total Population"]
OUTCOME_TYPES = range(0, 23)
NOT_PROVIDED = "n/a - data not provided"

# The columns each kind reads; the rest of a file is skipped.
READ_COLUMNS = {
    "recorded_crime": [FY, FQ, FORCE, "Offence Code", "Number of Offences"],
    "outcomes": [*OUTCOME_KEY_COLUMNS, CLOSED_CURRENT, RECORDED_CURRENT, RECORDED_OLDER,
                 PREVIOUS_OLDER],
    "force_returns": [*RETURN_COLUMNS, *BREAKDOWN_COLUMNS],
    "population": POPULATION_COLUMNS,
}
# What each kind's table holds, column by column, once loaded.
OUTPUT_COLUMNS = {
    "recorded_crime": {"force": "str", "qidx": "int64", "offence_code": "str",
                       "offences": "float64"},
    "outcomes": {"force": "str", "qidx": "int64", "offence_code": "str", "outcome_type": "int64",
                 "closed": "float64"},
    "force_returns": {"force": "str", "qidx": "int64", "measure": "str", "dimension": "str",
                      "category": "str", "value": "float64"},
    "population": {"force": "str", "year": "int64", "female": "float64", "total": "float64"},
}


@dataclass
class Quality:
    """What the data-quality report needs to know about what was read."""

    files: list[dict] = field(default_factory=list)  # kind, file, rows
    set_aside: list[dict] = field(default_factory=list)  # file, body, rows
    negatives: list[dict] = field(default_factory=list)  # file, row, column, value
    not_provided: list[dict] = field(default_factory=list)  # kind, force, quarter
    unknown_measures: list[dict] = field(default_factory=list)  # file, measure, rows
    # Breakdowns sent for a measure without its total: reported, never used to guess a total.
    breakdowns_without_total: list[dict] = field(default_factory=list)  # file, measure, dimension, ...

    def frame(self, name: str) -> pd.DataFrame:
        return pd.DataFrame(getattr(self, name))

    def to_record(self) -> dict:
        """Every list of records, JSON-able (for the cache)."""
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_record(cls, record: dict) -> Quality:
        return cls(**{f.name: list(record.get(f.name, [])) for f in fields(cls)})


@dataclass
class Dataset:
    """Tidy inputs. Quarters are stored as ``qidx`` (:attr:`Quarter.index`).

    Loaded with a code filter (``load(..., codes=...)``), ``outcomes`` holds the rows of those
    offence codes only; a force-quarter whose outcomes rows were all of other codes keeps one
    row with a blank ``offence_code`` and no ``closed`` count, so that it still counts as a
    quarter the force sent outcomes for (as it did before the filter).
    """

    crime: pd.DataFrame | None  # force, qidx, offence_code, offences
    outcomes: pd.DataFrame | None  # force, qidx, offence_code, outcome_type, closed
    returns: pd.DataFrame | None  # force, qidx, measure, dimension, category, value
    population: pd.DataFrame | None  # force, year, female, total
    quality: Quality
    rows_read: dict[str, int] = field(default_factory=dict)  # data rows of each file, by name

    def quarters(self) -> list[Quarter]:
        """Every quarter with recorded crime, oldest first."""
        if self.crime is None or self.crime.empty:
            return []
        return [Quarter.from_index(int(i)) for i in sorted(self.crime["qidx"].unique())]


def registry_codes(registry) -> tuple[str, ...]:
    """Every offence code a KPI registry's offence groups name: what ``load(codes=...)`` keeps."""
    return tuple(sorted({code for codes in registry.offence_groups.values() for code in codes}))


# ---------------------------------------------------------------- columns as distinct values


class _Values:
    """A column as its distinct values and, for each row, which of them it holds."""

    def __init__(self, series: pd.Series):
        if not isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(str).astype("category")
        self.codes = np.asarray(series.array.codes)
        self.distinct = pd.Series(np.asarray(series.array.categories, dtype=object), dtype=object)

    def rows(self, per_value) -> np.ndarray:
        """A per-value result, one entry per row."""
        return np.asarray(per_value)[self.codes]


def _column(table: RawTable, name: str) -> _Values:
    if name in table.frame:
        return _Values(table.frame[name])
    return _Values(pd.Series(pd.Categorical.from_codes(np.zeros(len(table.frame), dtype=np.int8),
                                                       categories=pd.Index([""], dtype=object))))


def _first(table: RawTable, mask: np.ndarray, column: str, message: str) -> None:
    """Raise for the first row where ``mask`` is true."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        i = int(np.flatnonzero(mask)[0])
        value = table.frame[column].iloc[i] if column in table.frame else ""
        raise table.error(message.format(value=value), int(table.frame[ROW].iloc[i]), column)


def _first_value(table: RawTable, values: _Values, bad, column: str, message: str) -> None:
    """Raise for the first row holding a value for which ``bad`` (one entry per value) is true."""
    bad = np.asarray(bad, dtype=bool)
    if bad.any():
        _first(table, bad[values.codes], column, message)


def _require(table: RawTable, columns: list[str]) -> None:
    found = table.columns
    missing = [c for c in columns if c not in found]
    if missing:
        raise table.error(
            f"missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"found {', '.join(repr(c) for c in found)}",
            row=1,
        )
    if table.frame.empty:
        raise table.error("has a header but no data rows")


def _quarters(table: RawTable) -> np.ndarray:
    years = _column(table, FY)
    start = years.distinct.map(parse_financial_year)
    _first_value(table, years, start.isna(), FY, "financial year {value!r} is not like '2024/25'")
    quarters = _column(table, FQ)
    quarter = pd.to_numeric(quarters.distinct.str.upper().str.removeprefix("Q"), errors="coerce")
    _first_value(table, quarters, ~quarter.isin([1, 2, 3, 4]), FQ,
                 "financial quarter {value!r} is not 1-4")
    start = years.rows(start.fillna(0).astype("int64"))
    return start * 4 + quarters.rows(quarter.fillna(1).astype("int64")) - 1


def _numbers(table: RawTable, column: str, integer: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Parse counts: ``N/A...`` and ``..`` become NaN; anything else non-numeric is an error.

    Returns the values and a mask of cells marked ``N/A - data not provided``.
    """
    cells = _column(table, column)
    text = cells.distinct
    lowered = text.str.lower()
    marked = lowered.str.startswith("n/a") | (lowered == "..")
    values = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    _first_value(table, cells, ~marked & values.isna(), column, "{value!r} is not a number")
    if integer:
        _first_value(table, cells, values.notna() & (values % 1 != 0), column,
                     "{value!r} is not a whole number")
    values = values.where(~marked).astype("float64")
    return cells.rows(values), cells.rows(lowered.eq(NOT_PROVIDED))


def _forces(table: RawTable, quality: Quality) -> np.ndarray:
    """Each row's force as its position in the territorial forces; -1 for non-territorial bodies,
    which are recorded as set aside."""
    names = force_names()
    cells = _column(table, FORCE)
    territorial, body = names.classify(cells.distinct)
    _first_value(table, cells, territorial.isna() & body.isna(), FORCE,
                 "{value!r} is not one of the 43 territorial forces or a known non-territorial body")
    counts = np.bincount(cells.codes, minlength=len(cells.distinct))
    bodies = pd.Series(counts, index=body.to_numpy(dtype=object))
    for name, rows in bodies.loc[body.notna().to_numpy()].groupby(level=0).sum().sort_index().items():
        quality.set_aside.append({"file": table.name, "body": name, "rows": int(rows)})
    position = {name: i for i, name in enumerate(names.territorial)}
    return cells.rows(territorial.map(position).fillna(-1).astype("int64"))


def _negatives(table: RawTable, values: np.ndarray, column: str, quality: Quality) -> None:
    rows = table.frame[ROW].to_numpy()
    for i in np.flatnonzero(values < 0):
        quality.negatives.append({"file": table.name, "row": int(rows[i]), "column": column,
                                  "value": float(values[i])})


def _force_column(positions: np.ndarray) -> pd.Categorical:
    return pd.Categorical.from_codes(positions, categories=pd.Index(force_names().territorial,
                                                                    dtype=object))


def _text_column(cells: _Values, per_value: pd.Series, keep: np.ndarray) -> pd.Categorical:
    """Values (one per distinct cell) for the rows kept, as a categorical."""
    codes, uniques = pd.factorize(per_value.fillna("").astype(str))
    return pd.Categorical.from_codes(codes[cells.codes[keep]],
                                     categories=pd.Index(uniques, dtype=object))


def _unique_rows(*columns: np.ndarray) -> bool:
    """Whether no combination of the integer ``columns`` occurs twice."""
    n = len(columns[0]) if columns else 0
    if n < 2:
        return True
    key, span = np.zeros(n, dtype=np.int64), 1
    for column in columns:
        column = np.asarray(column, dtype=np.int64)
        low, size = int(column.min()), int(column.max() - column.min()) + 1
        span *= size
        if span > 1 << 62:
            return not pd.DataFrame(dict(enumerate(columns))).duplicated().any()
        key = key * size + (column - low)
    if span <= 8 * n + (1 << 20):
        return int(np.bincount(key, minlength=span).max()) <= 1
    return not pd.Series(key).duplicated().any()


def _pairs(force: np.ndarray, qidx: np.ndarray) -> list[tuple[int, int]]:
    """The distinct (force position, quarter) pairs, in order."""
    if not len(force):
        return []
    low = int(qidx.min())
    width = int(qidx.max()) - low + 1
    seen = np.flatnonzero(np.bincount(force * width + (qidx - low), minlength=1))
    return [(int(k // width), int(k % width + low)) for k in seen]


# ---------------------------------------------------------------- the four tables


@dataclass
class Part:
    """One table (a file, or one sheet of a workbook) parsed: what the cache stores for it."""

    sheet: str | None
    rows: int  # data rows in the table
    frame: pd.DataFrame  # the rows kept, tidy, with ROW and (most kinds) not_provided
    quality: Quality  # set_aside, negatives and unknown_measures of this table
    # With a code filter (outcomes), over every territorial row, kept or not: the force-quarters
    # (force position, qidx) with rows, with rows marked 'not provided' and with other rows, and
    # whether no key repeats.
    spans: list[tuple[int, int]] = field(default_factory=list)
    marked: list[tuple[int, int]] = field(default_factory=list)
    present: list[tuple[int, int]] = field(default_factory=list)
    keys_unique: bool = True

    def to_record(self) -> dict:
        """Everything but the frame, JSON-able (the cache stores the frame beside it)."""
        return {"sheet": self.sheet, "rows": self.rows, "quality": self.quality.to_record(),
                "spans": self.spans, "marked": self.marked, "present": self.present,
                "keys_unique": self.keys_unique}

    @classmethod
    def from_record(cls, record: dict, frame: pd.DataFrame) -> Part:
        pairs = {name: [tuple(p) for p in record[name]] for name in ("spans", "marked", "present")}
        return cls(record["sheet"], record["rows"], frame, Quality.from_record(record["quality"]),
                   keys_unique=record["keys_unique"], **pairs)


@functools.cache
def reader_fingerprint() -> str:
    """What a parsed file depends on besides its content: the reader's version and code, the
    configuration it reads, and the pandas and pyarrow versions (part of every cache key)."""
    import pyarrow as pa

    digest = hashlib.sha256(f"{READER_VERSION}|{pd.__version__}|{pa.__version__}".encode())
    package = Path(__file__).resolve().parents[1]
    for name in _READER_FILES:
        try:
            digest.update((package / name).read_bytes())
        except OSError:
            digest.update(name.encode())
    return digest.hexdigest()


def _crime(table: RawTable, quality: Quality, codes) -> pd.DataFrame:
    _require(table, CRIME_COLUMNS)
    force = _forces(table, quality)
    qidx = _quarters(table)
    code = _column(table, "Offence Code")
    upper = code.distinct.str.upper()
    _first_value(table, code, upper == "", "Offence Code", "blank offence code")
    offences, not_provided = _numbers(table, "Number of Offences")
    _negatives(table, offences, "Number of Offences", quality)
    keep = force >= 0
    return pd.DataFrame({"force": _force_column(force[keep]), "qidx": qidx[keep],
                         "offence_code": _text_column(code, upper, keep),
                         "offences": offences[keep], "not_provided": not_provided[keep],
                         ROW: table.frame[ROW].to_numpy()[keep]})


def _outcomes(table: RawTable, quality: Quality, codes, part: Part) -> pd.DataFrame:
    columns = set(table.columns)
    if CLOSED_CURRENT in columns:
        count_columns = [CLOSED_CURRENT]
    elif RECORDED_OLDER in columns and PREVIOUS_OLDER in columns:
        count_columns = [RECORDED_OLDER, PREVIOUS_OLDER]  # together: all outcomes assigned
    else:
        raise table.error(
            f"has neither outcomes header: expected {CLOSED_CURRENT!r} (current) or "
            f"{RECORDED_OLDER!r} and {PREVIOUS_OLDER!r} (older)", row=1)
    _require(table, OUTCOME_KEY_COLUMNS + count_columns)
    force = _forces(table, quality)
    qidx = _quarters(table)
    code = _column(table, "Offence Code")
    upper = code.distinct.str.upper()
    _first_value(table, code, upper == "", "Offence Code", "blank offence code")
    types = _column(table, "Outcome Type")
    otype = pd.to_numeric(types.distinct, errors="coerce")
    _first_value(table, types, ~otype.isin(OUTCOME_TYPES), "Outcome Type",
                 "outcome type {value!r} is not one of 0-22")
    otype = types.rows(otype.astype("int64"))
    n = len(table.frame)
    closed = np.zeros(n)
    not_provided = np.zeros(n, dtype=bool)
    all_na = np.ones(n, dtype=bool)
    for column in count_columns:
        values, marked = _numbers(table, column)
        _negatives(table, values, column, quality)
        missing = np.isnan(values)
        closed = closed + np.where(missing, 0.0, values)
        all_na &= missing
        not_provided |= marked
    if RECORDED_CURRENT in columns:  # not used by any KPI, but its negatives are reported
        values, _ = _numbers(table, RECORDED_CURRENT)
        _negatives(table, values, RECORDED_CURRENT, quality)
    # Type 0 (not yet assigned) has no closed count in either header (the older header's first
    # column counts offences still open, not outcomes); a row with no numbers at all carries none.
    closed = np.where(~all_na & (otype != 0), closed, np.nan)
    keep = force >= 0
    if codes is not None:
        territorial = keep
        keep = territorial & code.rows(upper.isin(codes))
        ids, _ = pd.factorize(upper)
        part.keys_unique = _unique_rows(force[territorial], qidx[territorial],
                                        code.rows(ids)[territorial], otype[territorial])
        part.spans = _pairs(force[territorial], qidx[territorial])
        part.marked = _pairs(force[territorial & not_provided], qidx[territorial & not_provided])
        given = territorial & ~not_provided
        part.present = _pairs(force[given], qidx[given])
    return pd.DataFrame({"force": _force_column(force[keep]), "qidx": qidx[keep],
                         "offence_code": _text_column(code, upper, keep),
                         "outcome_type": otype[keep], "closed": closed[keep],
                         "not_provided": not_provided[keep], ROW: table.frame[ROW].to_numpy()[keep]})


def _returns(table: RawTable, quality: Quality, codes) -> pd.DataFrame:
    _require(table, RETURN_COLUMNS)
    force = _forces(table, quality)
    qidx = _quarters(table)
    measures = _column(table, "Measure")
    measure = measures.distinct.str.lower()
    _first_value(table, measures, measure == "", "Measure", "blank measure")
    counts = pd.Series(np.bincount(measures.codes, minlength=len(measure)))
    unknown = counts[~measure.isin(vocabulary().measures)].groupby(measure).sum()
    for name, rows in unknown.loc[unknown > 0].sort_index().items():
        quality.unknown_measures.append({"file": table.name, "measure": name, "rows": int(rows)})
    dimensions, categories = _column(table, "Dimension"), _column(table, "Category")
    dimension = dimensions.distinct.str.lower()
    dimension_rows = dimensions.rows(dimension.to_numpy(dtype=object))
    category_blank = categories.rows(categories.distinct == "")
    _first(table, dimensions.rows(dimension == "") != category_blank, "Category",
           "Dimension and Category must both be given or both be blank")
    category_rows = categories.rows(categories.distinct.to_numpy(dtype=object))
    for dim, allowed in vocabulary().breakdowns.items():
        lookup = {c.lower(): c for c in allowed}
        canonical = categories.distinct.str.lower().map(lookup)
        rows = dimension_rows == dim
        _first(table, rows & categories.rows(canonical.isna()), "Category",
               f"{{value!r}} is not a {dim} category ({', '.join(allowed)})")
        category_rows = np.where(rows, categories.rows(canonical.to_numpy(dtype=object)),
                                 category_rows)
    _first_value(table, dimensions, ~dimension.isin(["", *vocabulary().breakdowns]), "Dimension",
                 f"dimension {{value!r}} is not one of {', '.join(vocabulary().breakdowns)}")
    value, not_provided = _numbers(table, "Value", integer=False)
    keep = force >= 0
    return pd.DataFrame({"force": _force_column(force[keep]), "qidx": qidx[keep],
                         "measure": _text_column(measures, measure, keep),
                         "dimension": _text_column(dimensions, dimension, keep),
                         "category": pd.Categorical(category_rows[keep].astype(str)),
                         "value": value[keep], "not_provided": not_provided[keep],
                         ROW: table.frame[ROW].to_numpy()[keep]})


def _population(table: RawTable, quality: Quality, codes) -> pd.DataFrame:
    _require(table, POPULATION_COLUMNS)
    force = _forces(table, quality)
    years = _column(table, "Year")
    year = pd.to_numeric(years.distinct, errors="coerce")
    _first_value(table, years, ~year.between(1990, 2100) | (year % 1 != 0), "Year",
                 "year {value!r} is not a calendar year")
    female, _ = _numbers(table, "Female Population", integer=False)
    total, _ = _numbers(table, "Total Population", integer=False)
    _first(table, ~(female > 0), "Female Population", "population {value!r} is not positive")
    _first(table, ~(total >= female), "Total Population",
           "total population {value!r} is smaller than the female population")
    keep = force >= 0
    return pd.DataFrame({"force": _force_column(force[keep]),
                         "year": years.rows(year.fillna(0).astype("int64"))[keep],
                         "female": female[keep], "total": total[keep],
                         ROW: table.frame[ROW].to_numpy()[keep]})


def _where(row: dict) -> str:
    return f"{row['force']}, {Quarter.from_index(int(row['qidx'])).label}"


_KINDS = {
    # kind: (columns a sheet must have, parser, key, describe a key for an error)
    "recorded_crime": (CRIME_COLUMNS, _crime, ["force", "qidx", "offence_code"],
                       lambda r: f"{_where(r)}, offence {r['offence_code']}"),
    "outcomes": (OUTCOME_KEY_COLUMNS, _outcomes,
                 ["force", "qidx", "offence_code", "outcome_type"],
                 lambda r: f"{_where(r)}, offence {r['offence_code']}, "
                           f"outcome type {r['outcome_type']}"),
    "force_returns": (RETURN_COLUMNS, _returns,
                      ["force", "qidx", "measure", "dimension", "category"],
                      lambda r: f"{_where(r)}, {r['measure']}"
                                + (f", {r['dimension']} {r['category']}" if r["dimension"] else "")),
    "population": (POPULATION_COLUMNS, _population, ["force", "year"],
                   lambda r: f"{r['force']}, {r['year']}"),
}


def parse_file(path: Path, kind: str, codes: frozenset[str] | None = None) -> list[Part]:
    """Read and check one file of ``kind``: one :class:`Part` per table in it.

    ``codes`` (outcomes only) keeps the rows of those offence codes; every row is still checked
    and counted in the quality records.
    """
    expected, parse, _, _ = _KINDS[kind]
    parts = []
    for table in read_tables(path, expected, READ_COLUMNS[kind]):
        quality = Quality()
        part = Part(table.sheet, len(table.frame), pd.DataFrame(), quality)
        if kind == "outcomes":
            part.frame = parse(table, quality, codes, part)
        else:
            part.frame = parse(table, quality, codes)
        parts.append(part)
    return parts


# ---------------------------------------------------------------- combining files


def _no_duplicates(frame: pd.DataFrame, key: list[str], labels: list[str], describe) -> None:
    """The same key twice, in one file or two, is an error naming both places."""
    dup = frame.duplicated(key, keep=False)
    if dup.any():
        rows = frame.loc[dup]
        rows = rows.astype({c: "str" for c in key if not pd.api.types.is_numeric_dtype(rows[c])})
        first, second = rows.sort_values([*key, "_order"]).iloc[:2].to_dict("records")
        raise InputError(
            labels[second["_part"]],
            f"duplicate of {labels[first['_part']]} row {first[ROW]} ({describe(second)})",
            row=int(second[ROW]),
        )


def _combine(parts: list[Part], labels: list[str], key: list[str], describe,
             check=None) -> pd.DataFrame:
    frame = pd.concat([p.frame.assign(_part=i) for i, p in enumerate(parts)], ignore_index=True)
    frame["_order"] = np.arange(len(frame))
    _no_duplicates(frame, key, labels, describe)
    if check is not None:
        check(frame, labels)
    return frame.drop(columns=[ROW, "_order", "_part"])


def _breakdown_check(quality: Quality):
    """Categories of a breakdown may add up to less than the total (the rest was not recorded),
    never to more; a breakdown with no total beside it is reported, not used."""

    def check(frame: pd.DataFrame, labels: list[str]) -> None:
        split = frame["dimension"].astype(str) != ""
        if not split.any():
            return
        key = ["force", "qidx", "measure"]
        totals = frame.loc[~split & frame["value"].notna()]
        totals = totals.assign(**{c: totals[c].astype(str) for c in ("force", "measure")})
        cats = frame.loc[split].astype({"force": str, "measure": str, "dimension": str})
        sums = cats.groupby([*key, "dimension"], observed=True).agg(
            categories=("value", "sum"), given=("value", "count"),
            _part=("_part", "first")).reset_index()
        sums = sums.loc[sums["given"] > 0]
        joined = sums.merge(totals[[*key, "value", ROW, "_part"]], on=key, how="left",
                            suffixes=("", "_total"))
        over = joined.loc[joined["categories"] > joined["value"] * (1 + 1e-9) + 1e-9]
        if not over.empty:
            r = over.sort_values(["_part_total", ROW]).iloc[0]
            where = f"{r['force']}, {Quarter.from_index(int(r['qidx'])).label}"
            raise InputError(
                labels[int(r["_part_total"])],
                f"the {r['dimension']} categories of {r['measure']} add up to {r['categories']:,.0f}, "
                f"more than the total {r['value']:,.0f} ({where})",
                row=int(r[ROW]), column="Value")
        orphans = joined.loc[joined["value"].isna()]
        for (part, measure, dim), rows in orphans.groupby(["_part", "measure", "dimension"]):
            first = rows.sort_values(["qidx", "force"]).iloc[0]
            quality.breakdowns_without_total.append({
                "file": Path(labels[int(part)]).name, "measure": measure, "dimension": dim,
                "force_quarters": len(rows),
                "first": f"{first['force']}, {Quarter.from_index(int(first['qidx'])).label}"})

    return check


def _hidden_duplicates(parts: list[Part]) -> bool:
    """Whether rows filtered out might repeat a key: within a table, or across tables that share
    a force-quarter."""
    if not all(p.keys_unique for p in parts):
        return True
    spans = [set(p.spans) for p in parts]
    return any(a & b for a, b in itertools.combinations(spans, 2))


def _gaps(frame: pd.DataFrame, kind: str, quality: Quality,
          marked: Iterable[tuple[str, int]] | None = None) -> pd.DataFrame:
    """Record force-quarters marked 'data not provided' and drop those rows.

    ``marked``: the force-quarters marked, when some of the rows were filtered out before.
    """
    if marked is None:
        rows = frame.loc[frame["not_provided"], ["force", "qidx"]].drop_duplicates()
        marked = zip(rows["force"].astype(str), rows["qidx"], strict=True)
    for force, qidx in sorted(set(marked)):
        quality.not_provided.append(
            {"kind": kind, "force": force, "quarter": str(Quarter.from_index(int(qidx)))})
    return frame.loc[~frame["not_provided"]].drop(columns="not_provided").reset_index(drop=True)


def _placeholders(frame: pd.DataFrame, parts: list[Part]) -> pd.DataFrame:
    """One row (blank code, no count) for each force-quarter with outcomes of other codes only."""
    present = set().union(*(p.present for p in parts))
    forces = force_names().territorial
    have = frame[["force", "qidx"]].drop_duplicates()
    have = set(zip(have["force"].astype(str), have["qidx"], strict=True))
    missing = sorted((forces[f], q) for f, q in present if (forces[f], q) not in have)
    if not missing:
        return frame
    extra = pd.DataFrame({"force": [f for f, _ in missing], "qidx": [q for _, q in missing],
                          "offence_code": "", "outcome_type": 0, "closed": np.nan})
    return pd.concat([frame.astype({"force": "str", "offence_code": "str"}), extra],
                     ignore_index=True)


def _finish(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    dtypes = OUTPUT_COLUMNS[kind]
    return frame.loc[:, list(dtypes)].astype(dtypes).reset_index(drop=True)


def load(data_dir: Path, codes: Iterable[str] | None = None, *, cache: bool | None = None) -> Dataset:
    """Read and validate every input file in ``data_dir``.

    ``codes``: keep only the outcomes rows of these offence codes (see :func:`registry_codes`);
    every row is still checked, and the quality records are those of a full read. None keeps
    everything. ``cache``: reuse tables parsed before (default: on unless ``VAWGBOOK_NO_CACHE``
    is set; see :mod:`vawgbook.ingest.cache`).
    """
    files = find_files(Path(data_dir))
    if not files["recorded_crime"]:
        raise InputError(data_dir, "no recorded_crime file (CSV, ODS or XLSX) in the data folder")
    codes = None if codes is None else frozenset(str(c).strip().upper() for c in codes)
    use_cache = store.enabled() if cache is None else cache
    digests = store.digests([p for paths in files.values() for p in paths]) if use_cache else {}
    written: list[str] = []

    def parts_of(path: Path, kind: str, wanted) -> list[Part]:
        wanted = wanted if kind == "outcomes" else None
        if not use_cache or digests.get(path) is None:
            return parse_file(path, kind, wanted)
        key = store.entry_key(digests[path], kind, wanted, reader_fingerprint())
        stored = store.get(key)
        if stored is not None:
            return [Part.from_record(record, frame) for frame, record in zip(*stored, strict=True)]
        parts = parse_file(path, kind, wanted)
        if store.put(key, [p.frame for p in parts], [p.to_record() for p in parts]):
            written.append(key)
        return parts

    quality = Quality()
    rows_read: dict[str, int] = {}
    tables: dict[str, pd.DataFrame | None] = {}
    for kind, (_, _, key, describe) in _KINDS.items():
        parts, labels = [], []
        for path in files[kind]:
            for part in parts_of(path, kind, codes):
                name = path.name if part.sheet is None else f"{path.name} [{part.sheet}]"
                for records in ("set_aside", "negatives", "unknown_measures"):
                    getattr(quality, records).extend(
                        {**r, "file": name} for r in getattr(part.quality, records))
                quality.files.append({"kind": kind, "file": name, "rows": part.rows})
                rows_read[path.name] = rows_read.get(path.name, 0) + part.rows
                parts.append(part)
                labels.append(str(path) if part.sheet is None else f"{path} [{part.sheet}]")
        if not parts:
            tables[kind] = None
            continue
        filtered = codes is not None and kind == "outcomes"
        if filtered and _hidden_duplicates(parts):
            # A key may repeat among the rows filtered out: check every row, as a full read would.
            full = [p for path in files[kind] for p in parts_of(path, kind, None)]
            _combine(full, labels, key, describe)
        check = _breakdown_check(quality) if kind == "force_returns" else None
        frame = _combine(parts, labels, key, describe, check)
        if "not_provided" in frame:
            forces = force_names().territorial
            marked = ({(forces[f], q) for p in parts for f, q in p.marked} if filtered else None)
            frame = _gaps(frame, kind, quality, marked)
        if filtered:
            frame = _placeholders(frame, parts)
        tables[kind] = _finish(frame, kind)
    if written:
        store.prune()  # new entries in: drop those unused for long or over the size cap
    return Dataset(tables["recorded_crime"], tables["outcomes"], tables["force_returns"],
                   tables["population"], quality, rows_read)
