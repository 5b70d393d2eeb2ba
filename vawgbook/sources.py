"""The four input tables, validated and made tidy.

Each reader checks columns, quarters, forces, counts and keys, and raises
:class:`~vawgbook.errors.InputError` naming the file, row and column of the first problem.
Force-name variants are normalised; non-territorial bodies are set aside and listed in the
data-quality record rather than dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .forces import force_names
from .periods import Quarter, parse_financial_year
from .readers import ROW, RawTable, find_files, read_tables

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
KNOWN_MEASURES = (
    "da_flagged_crimes", "da_arrests", "dvpn_issued", "dvpo_granted", "dvds_applications",
    "dvds_disclosures", "dvds_disclosures_within_28_days", "victim_survey_respondents",
    "victim_survey_satisfied", "police_perpetrated_cases", "police_perpetrated_cases_finalised",
    "police_perpetrated_cases_no_action", "streetsafe_reports",
)
BREAKDOWNS = {
    "victim_ethnicity": ("Asian", "Black", "Mixed", "White", "Other", "Not stated"),
    "victim_age_band": ("under 18", "18-24", "25-34", "35-49", "50-64", "65 and over", "Not stated"),
    "victim_sex": ("Female", "Male", "Not stated"),
}
NOT_PROVIDED = "n/a - data not provided"


@dataclass
class Quality:
    """What the data-quality report needs to know about what was read."""

    files: list[dict] = field(default_factory=list)  # kind, file, rows
    set_aside: list[dict] = field(default_factory=list)  # file, body, rows
    negatives: list[dict] = field(default_factory=list)  # file, row, column, value
    not_provided: list[dict] = field(default_factory=list)  # kind, force, quarter
    unknown_measures: list[dict] = field(default_factory=list)  # file, measure, rows

    def frame(self, name: str) -> pd.DataFrame:
        return pd.DataFrame(getattr(self, name))


@dataclass
class Dataset:
    """Tidy inputs. Quarters are stored as ``qidx`` (:attr:`Quarter.index`)."""

    crime: pd.DataFrame | None  # force, qidx, offence_code, offences
    outcomes: pd.DataFrame | None  # force, qidx, offence_code, outcome_type, closed
    returns: pd.DataFrame | None  # force, qidx, measure, dimension, category, value
    population: pd.DataFrame | None  # force, year, female, total
    quality: Quality

    def quarters(self) -> list[Quarter]:
        """Every quarter with recorded crime, oldest first."""
        if self.crime is None or self.crime.empty:
            return []
        return [Quarter.from_index(int(i)) for i in sorted(self.crime["qidx"].unique())]


# ---------------------------------------------------------------- field checks (vectorised)

def _first(table: RawTable, mask: pd.Series, column: str, message: str) -> None:
    """Raise for the first row where ``mask`` is true."""
    if mask.any():
        i = int(np.flatnonzero(mask.to_numpy())[0])
        value = table.frame[column].iloc[i] if column in table.frame else ""
        raise table.error(message.format(value=value), int(table.frame[ROW].iloc[i]), column)


def _require(table: RawTable, columns: list[str]) -> None:
    missing = [c for c in columns if c not in table.frame.columns]
    if missing:
        raise table.error(
            f"missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"found {', '.join(repr(c) for c in table.frame.columns if c != ROW)}",
            row=1,
        )
    if table.frame.empty:
        raise table.error("has a header but no data rows")


def _quarters(table: RawTable) -> pd.Series:
    years = table.frame[FY]
    start = years.map({y: parse_financial_year(y) for y in years.unique()})
    _first(table, start.isna(), FY, "financial year {value!r} is not like '2024/25'")
    quarter = pd.to_numeric(table.frame[FQ].str.upper().str.removeprefix("Q"), errors="coerce")
    _first(table, ~quarter.isin([1, 2, 3, 4]), FQ, "financial quarter {value!r} is not 1-4")
    return (start.astype(int) * 4 + quarter.astype(int) - 1).astype("int64")


def _numbers(table: RawTable, column: str, integer: bool = True) -> tuple[pd.Series, pd.Series]:
    """Parse counts: ``N/A...`` and ``..`` become NaN; anything else non-numeric is an error.

    Returns the values and a mask of cells marked ``N/A - data not provided``.
    """
    text = table.frame[column]
    lowered = text.str.lower()
    marked = lowered.str.startswith("n/a") | (lowered == "..")
    values = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    _first(table, ~marked & values.isna(), column, "{value!r} is not a number")
    if integer:
        _first(table, values.notna() & (values % 1 != 0), column, "{value!r} is not a whole number")
    return values.where(~marked).astype("float64"), lowered.eq(NOT_PROVIDED)


def _forces(table: RawTable, quality: Quality) -> pd.Series:
    """Territorial force names; rows of non-territorial bodies are NA and recorded as set aside."""
    territorial, body = force_names().classify(table.frame[FORCE])
    _first(table, territorial.isna() & body.isna(), FORCE,
           "{value!r} is not one of the 43 territorial forces or a known non-territorial body")
    for name, rows in body.dropna().value_counts().sort_index().items():
        quality.set_aside.append({"file": table.name, "body": name, "rows": int(rows)})
    return territorial


def _negatives(table: RawTable, values: pd.Series, column: str, quality: Quality) -> None:
    for i in np.flatnonzero((values < 0).to_numpy()):
        quality.negatives.append({"file": table.name, "row": int(table.frame[ROW].iloc[i]),
                                  "column": column, "value": float(values.iloc[i])})


def _no_duplicates(frame: pd.DataFrame, key: list[str], describe) -> None:
    """The same key twice, in one file or two, is an error naming both places."""
    dup = frame.duplicated(key, keep=False)
    if dup.any():
        first, second = frame.loc[dup].sort_values([*key, "_order"]).iloc[:2].to_dict("records")
        raise InputError(
            second["_file"],
            f"duplicate of {first['_file']} row {first[ROW]} ({describe(second)})",
            row=second[ROW],
        )


def _combine(parts: list[pd.DataFrame], key: list[str], describe) -> pd.DataFrame:
    frame = pd.concat(parts, ignore_index=True)
    frame["_order"] = range(len(frame))
    _no_duplicates(frame, key, describe)
    return frame.drop(columns=["_file", ROW, "_order"])


def _where(row: dict) -> str:
    return f"{row['force']}, {Quarter.from_index(int(row['qidx'])).label}"


# ---------------------------------------------------------------- the four tables

def _crime(table: RawTable, quality: Quality) -> pd.DataFrame:
    _require(table, CRIME_COLUMNS)
    force = _forces(table, quality)
    qidx = _quarters(table)
    code = table.frame["Offence Code"].str.upper()
    _first(table, code == "", "Offence Code", "blank offence code")
    offences, not_provided = _numbers(table, "Number of Offences")
    _negatives(table, offences, "Number of Offences", quality)
    return pd.DataFrame({"force": force, "qidx": qidx, "offence_code": code,
                         "offences": offences, "not_provided": not_provided,
                         "_file": table.label, ROW: table.frame[ROW]}).dropna(subset=["force"])


def _outcomes(table: RawTable, quality: Quality) -> pd.DataFrame:
    columns = set(table.frame.columns)
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
    code = table.frame["Offence Code"].str.upper()
    _first(table, code == "", "Offence Code", "blank offence code")
    otype = pd.to_numeric(table.frame["Outcome Type"], errors="coerce")
    _first(table, ~otype.isin(OUTCOME_TYPES), "Outcome Type",
           "outcome type {value!r} is not one of 0-22")
    closed = pd.Series(0.0, index=table.frame.index)
    not_provided = pd.Series(False, index=table.frame.index)
    all_na = pd.Series(True, index=table.frame.index)
    for column in count_columns:
        values, marked = _numbers(table, column)
        _negatives(table, values, column, quality)
        closed = closed + values.fillna(0.0)
        all_na &= values.isna()
        not_provided |= marked
    if RECORDED_CURRENT in columns:  # not used by any KPI, but its negatives are reported
        values, _ = _numbers(table, RECORDED_CURRENT)
        _negatives(table, values, RECORDED_CURRENT, quality)
    # Type 0 (not yet assigned) has no closed count in either header (the older header's first
    # column counts offences still open, not outcomes); a row with no numbers at all carries none.
    closed = closed.where(~all_na & (otype != 0))
    return pd.DataFrame({"force": force, "qidx": qidx, "offence_code": code,
                         "outcome_type": otype.astype("int64"), "closed": closed,
                         "not_provided": not_provided, "_file": table.label,
                         ROW: table.frame[ROW]}).dropna(subset=["force"])


def _returns(table: RawTable, quality: Quality) -> pd.DataFrame:
    _require(table, RETURN_COLUMNS)
    force = _forces(table, quality)
    qidx = _quarters(table)
    measure = table.frame["Measure"].str.lower()
    _first(table, measure == "", "Measure", "blank measure")
    for name, rows in measure[~measure.isin(KNOWN_MEASURES)].value_counts().sort_index().items():
        quality.unknown_measures.append({"file": table.name, "measure": name, "rows": int(rows)})
    dimension = table.frame.get("Dimension", pd.Series("", index=table.frame.index)).str.lower()
    category = table.frame.get("Category", pd.Series("", index=table.frame.index))
    _first(table, (dimension == "") != (category == ""), "Category",
           "Dimension and Category must both be given or both be blank")
    for dim, allowed in BREAKDOWNS.items():
        lookup = {c.lower(): c for c in allowed}
        rows = dimension == dim
        canonical = category.str.lower().map(lookup)
        _first(table, rows & canonical.isna(), "Category",
               f"{{value!r}} is not a {dim} category ({', '.join(allowed)})")
        category = category.where(~rows, canonical)
    _first(table, ~dimension.isin(["", *BREAKDOWNS]), "Dimension",
           f"dimension {{value!r}} is not one of {', '.join(BREAKDOWNS)}")
    value, not_provided = _numbers(table, "Value", integer=False)
    return pd.DataFrame({"force": force, "qidx": qidx, "measure": measure,
                         "dimension": dimension, "category": category, "value": value,
                         "not_provided": not_provided, "_file": table.label,
                         ROW: table.frame[ROW]}).dropna(subset=["force"])


def _population(table: RawTable, quality: Quality) -> pd.DataFrame:
    _require(table, POPULATION_COLUMNS)
    force = _forces(table, quality)
    year = pd.to_numeric(table.frame["Year"], errors="coerce")
    _first(table, ~year.between(1990, 2100) | (year % 1 != 0), "Year",
           "year {value!r} is not a calendar year")
    female, _ = _numbers(table, "Female Population", integer=False)
    total, _ = _numbers(table, "Total Population", integer=False)
    _first(table, ~(female > 0), "Female Population", "population {value!r} is not positive")
    _first(table, ~(total >= female), "Total Population",
           "total population {value!r} is smaller than the female population")
    return pd.DataFrame({"force": force, "year": year.astype("int64"), "female": female,
                         "total": total, "_file": table.label,
                         ROW: table.frame[ROW]}).dropna(subset=["force"])


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


def _gaps(frame: pd.DataFrame, kind: str, quality: Quality) -> pd.DataFrame:
    """Record force-quarters marked 'data not provided' and drop those rows."""
    marked = frame.loc[frame["not_provided"], ["force", "qidx"]].drop_duplicates()
    for row in marked.sort_values(["force", "qidx"]).itertuples():
        quality.not_provided.append(
            {"kind": kind, "force": row.force, "quarter": str(Quarter.from_index(row.qidx))})
    return frame.loc[~frame["not_provided"]].drop(columns="not_provided").reset_index(drop=True)


def load(data_dir: Path) -> Dataset:
    """Read and validate every input file in ``data_dir``."""
    files = find_files(Path(data_dir))
    if not files["recorded_crime"]:
        raise InputError(data_dir, "no recorded_crime file (CSV, ODS or XLSX) in the data folder")
    quality = Quality()
    tables: dict[str, pd.DataFrame | None] = {}
    for kind, (expected, parse, key, describe) in _KINDS.items():
        parts = []
        for path in files[kind]:
            for table in read_tables(path, expected):
                parts.append(parse(table, quality))
                quality.files.append({"kind": kind, "file": table.name, "rows": len(table.frame)})
        if not parts:
            tables[kind] = None
            continue
        frame = _combine(parts, key, describe)
        tables[kind] = _gaps(frame, kind, quality) if "not_provided" in frame else frame
    return Dataset(tables["recorded_crime"], tables["outcomes"], tables["force_returns"],
                   tables["population"], quality)
