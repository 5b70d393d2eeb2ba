"""Generate full-size SYNTHETIC inputs for the ingestion benchmark (benchmarks/ingest.py).

EVERY NUMBER THIS SCRIPT WRITES IS SYNTHETIC, and so are most offence codes and all descriptions
beyond the VAWG ones: the files copy the *layout and size* of the Home Office open data tables
(police recorded crime and crime outcomes by police force area), not their contents.

    .venv/bin/python benchmarks/generate_full.py --scale 1 --out /tmp/vawgbook-full/x1

writes into OUT:

- ``csv/``: ``recorded_crime.csv``, ``outcomes_YYYY-YY.csv`` (one per financial year; the older
  outcomes header up to 2021-22, the current one after), plus ``force_returns.csv.gz`` and
  ``population.csv`` (the sample's, extended back in time). At scale 1: 43 forces (and British
  Transport Police), 150 offence codes, outcome types 0-22, 22 quarters (2019/20 Q1 to 2024/25 Q2):
  about 3 million outcome rows, about 350 MB of CSV.
- ``xlsx/`` and ``ods/`` (unless ``--csv-only``): the recorded crime as a workbook with a cover
  sheet, a notes sheet and one sheet per financial year (title rows above each header), one year
  of outcomes (2023-24, about 590,000 rows) as a workbook, and the same two small files.

``--scale k`` multiplies the rows by k by going further back in time: 22·k quarters, all ending
with 2024/25 Q2 (scale 2: from 2013/14 Q3; scale 4: from 2002/03 Q3), one outcomes file per
financial year, so the files keep their published size and there are k times as many. The
output is seeded: the same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SEED = 20250917
LAST_YEAR, LAST_QUARTER = 2024, 2  # 2024/25 Q2
QUARTERS_AT_SCALE_1 = 22
OLD_HEADER_LAST_YEAR = 2021
WORKBOOK_OUTCOMES_YEAR = 2023

# Names as published (the outcomes files spell City of London "London, City of").
FORCES = {  # name: resident population, millions (rounded; only shapes the volumes)
    "Avon and Somerset": 1.73, "Bedfordshire": 0.69, "Cambridgeshire": 0.86, "Cheshire": 1.07,
    "City of London": 0.04, "Cleveland": 0.57, "Cumbria": 0.50, "Derbyshire": 1.06,
    "Devon and Cornwall": 1.78, "Dorset": 0.77, "Durham": 0.63, "Dyfed-Powys": 0.52,
    "Essex": 1.85, "Gloucestershire": 0.64, "Greater Manchester": 2.84, "Gwent": 0.59,
    "Hampshire": 2.01, "Hertfordshire": 1.19, "Humberside": 0.93, "Kent": 1.85,
    "Lancashire": 1.51, "Leicestershire": 1.10, "Lincolnshire": 0.76, "Merseyside": 1.43,
    "Metropolitan Police": 8.90, "Norfolk": 0.91, "North Wales": 0.70, "North Yorkshire": 0.83,
    "Northamptonshire": 0.75, "Northumbria": 1.46, "Nottinghamshire": 1.16, "South Wales": 1.33,
    "South Yorkshire": 1.41, "Staffordshire": 1.13, "Suffolk": 0.76, "Surrey": 1.20,
    "Sussex": 1.71, "Thames Valley": 2.42, "Warwickshire": 0.58, "West Mercia": 1.31,
    "West Midlands": 2.92, "West Yorkshire": 2.33, "Wiltshire": 0.72,
}
BTP = "British Transport Police"
BTP_SHARE = 0.004
OUTCOMES_CITY = "London, City of"

# The VAWG codes (national annual volume) as in data/sample; the other codes are invented in the
# Home Office style (a number, a number and a letter) with plausible groups.
VAWG = {
    "19C": ("Rape of a female aged 16 and over", "Sexual offences", "Rape", 40_000),
    "19D": ("Rape of a female child under 16", "Sexual offences", "Rape", 13_500),
    "19E": ("Rape of a female child under 13", "Sexual offences", "Rape", 6_500),
    "20A": ("Sexual assault on a female aged 13 and over", "Sexual offences",
            "Other sexual offences", 70_000),
    "20B": ("Sexual assault on a female child under 13", "Sexual offences",
            "Other sexual offences", 10_000),
    "88E": ("Exposure and voyeurism", "Sexual offences", "Other sexual offences", 10_000),
    "8Q": ("Stalking", "Violence against the person", "Stalking and harassment", 140_000),
    "8L": ("Harassment", "Violence against the person", "Stalking and harassment", 280_000),
    "8U": ("Controlling or coercive behaviour", "Violence against the person",
           "Stalking and harassment", 45_000),
}
N_CODES = 150
GROUPS = [
    ("Violence against the person", ["Homicide", "Violence with injury", "Violence without injury",
                                     "Death or serious injury caused by unlawful driving"]),
    ("Sexual offences", ["Rape", "Other sexual offences"]),
    ("Robbery", ["Robbery of business property", "Robbery of personal property"]),
    ("Theft offences", ["Burglary", "Vehicle offences", "Theft from the person",
                        "Bicycle theft", "Shoplifting", "All other theft offences"]),
    ("Criminal damage and arson", ["Arson", "Criminal damage"]),
    ("Drug offences", ["Trafficking of drugs", "Possession of drugs"]),
    ("Possession of weapons offences", ["Possession of weapons offences"]),
    ("Public order offences", ["Public order offences"]),
    ("Miscellaneous crimes against society", ["Miscellaneous crimes against society"]),
]
OUTCOME_TYPES = {
    0: ("Not yet assigned an outcome", "Not yet assigned an outcome"),
    1: ("Charged/Summonsed", "Charged/Summonsed"), 2: ("Youth caution", "Out-of-court (formal)"),
    3: ("Adult caution", "Out-of-court (formal)"),
    4: ("Taken into consideration", "Taken into consideration"),
    5: ("Offender died", "Prosecution prevented or not in the public interest"),
    6: ("Penalty notice for disorder", "Out-of-court (formal)"),
    7: ("Cannabis/khat warning", "Out-of-court (formal)"),
    8: ("Community resolution", "Out-of-court (informal)"),
    9: ("Not in public interest (CPS)", "Prosecution prevented or not in the public interest"),
    10: ("Not in public interest (police)", "Prosecution prevented or not in the public interest"),
    11: ("Prosecution prevented - suspect under age",
         "Prosecution prevented or not in the public interest"),
    12: ("Prosecution prevented - suspect too ill",
         "Prosecution prevented or not in the public interest"),
    13: ("Prosecution prevented - victim or key witness dead or too ill",
         "Prosecution prevented or not in the public interest"),
    14: ("Evidential difficulties: suspect not identified; victim does not support further action",
         "Evidential difficulties"),
    15: ("Evidential difficulties: suspect identified; victim supports action",
         "Evidential difficulties"),
    16: ("Evidential difficulties: victim does not support action", "Evidential difficulties"),
    17: ("Prosecution time limit expired", "Prosecution time limit expired"),
    18: ("Investigation complete - no suspect identified",
         "Investigation complete - no suspect identified"),
    19: ("National Fraud Intelligence Bureau filed (fraud only)",
         "Action taken by another body/agency"),
    20: ("Responsibility for further investigation transferred to another body",
         "Action taken by another body/agency"),
    21: ("Further investigation not in the public interest (police decision)",
         "Further investigation not in the public interest"),
    22: ("Diversionary, educational or intervention activity",
         "Diversionary, educational or intervention activity"),
}
# "Closed with" shares of types 1-22 (per cent), before per-code variation.
TYPE_SHARES = np.array([7, 0.6, 1.5, 0.3, 0.2, 0.3, 0.2, 3, 0.3, 0.8, 0.4, 0.3, 0.3, 4, 20, 40,
                        0.3, 12, 0.2, 2, 3, 0.8], dtype=float)
MIN_EXPECTED = 2.5  # floor of a row's expected count: most rows are non-zero, as at full size
OPEN_SHARE = 0.3  # type 0 (not yet assigned) against a quarter's volume
SAME_QUARTER_SHARE = 0.35  # outcomes for offences recorded in the quarter itself

CRIME_HEADER = ["Financial Year", "Financial Quarter", "Force Name", "Offence Description",
                "Offence Group", "Offence Subgroup", "Offence Code", "Number of Offences"]
OLD_HEADER = ["Financial Year", "Financial Quarter", "Force Name", "Offence Description",
              "Offence Group", "Offence Subgroup", "Offence Code", "Offence code expired",
              "Outcome Description", "Outcome Group", "Outcome Type",
              "Force outcomes for offences recorded in quarter",
              "Force outcomes for offences recorded in previous quarters"]
NEW_HEADER = ["Financial Year", "Financial Quarter", "Force Name", "Offence Code",
              "Offence Description", "Offence Group", "Offence Subgroup", "Offence code expired",
              "Outcome Type", "Outcome Description", "Outcome Group",
              "Outcomes for offences that were recorded in the quarter",
              "Outcomes for investigations closed in the quarter"]


def fy_label(year: int, sep: str = "/") -> str:
    return f"{year}{sep}{(year + 1) % 100:02d}"


def offence_codes(rng: np.random.Generator) -> pd.DataFrame:
    """150 codes: the VAWG ones and invented ones, with descriptions, groups and volumes."""
    rows = [(code, *spec) for code, spec in VAWG.items()]
    taken = set(VAWG)
    numbers = rng.permutation(np.arange(1, 126))
    letters = "ABCDEFGHJ"
    i = 0
    while len(rows) < N_CODES:
        number = int(numbers[i % len(numbers)])
        code = str(number) if i < len(numbers) else f"{number}{letters[(i // len(numbers)) - 1]}"
        i += 1
        if code in taken:
            continue
        taken.add(code)
        group, subgroups = GROUPS[int(rng.integers(len(GROUPS)))]
        subgroup = subgroups[int(rng.integers(len(subgroups)))]
        description = f"{subgroup} ({code})"
        annual = float(np.exp(rng.uniform(np.log(300), np.log(400_000))))
        rows.append((code, description, group, subgroup, annual))
    return pd.DataFrame(rows, columns=["code", "description", "group", "subgroup", "annual"])


def quarters(scale: float) -> list[tuple[int, int]]:
    count = round(QUARTERS_AT_SCALE_1 * scale)
    last = LAST_YEAR * 4 + LAST_QUARTER - 1
    return [(i // 4, i % 4 + 1) for i in range(last - count + 1, last + 1)]


# ---------------------------------------------------------------- text files


def _string(values) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object).astype(str), pa.string())


def _take(labels: list[str], index: np.ndarray) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(index, pa.int32()),
                                          pa.array(labels, pa.string())).cast(pa.string())


def _csv_field(value: str) -> str:
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_csv(table: pa.Table, path: Path) -> None:
    """Write as published: quoted only where a value needs it, LF line ends."""
    with open(path, "wb") as handle:
        handle.write((",".join(_csv_field(c) for c in table.column_names) + "\n").encode())
        for start in range(0, table.num_rows, 500_000):
            chunk = table.slice(start, 500_000)
            columns = []
            for name in chunk.column_names:
                encoded = pc.dictionary_encode(chunk.column(name).combine_chunks())
                fields = pa.array([_csv_field(v) for v in encoded.dictionary.to_pylist()],
                                  pa.string())
                columns.append(pc.take(fields, encoded.indices))
            lines = pc.binary_join_element_wise(*columns, ",")
            _write_text(handle, pc.binary_join_element_wise(lines, pa.scalar("\n"), ""))


class Volumes:
    """Expected quarterly volumes by force and code, with a trend and seasonality."""

    def __init__(self, rng: np.random.Generator, codes: pd.DataFrame):
        population = np.array(list(FORCES.values()))
        share = population / population.sum()
        self.force_share = np.append(share * np.exp(rng.normal(0, 0.12, len(share))), BTP_SHARE)
        self.annual = codes["annual"].to_numpy()
        self.type_shares = rng.dirichlet(TYPE_SHARES * 3, size=len(codes)) * 100

    def quarter(self, year: int, quarter: int) -> np.ndarray:
        season = [1.02, 1.08, 0.96, 0.94][quarter - 1]
        trend = 1.03 ** (year - LAST_YEAR)
        return np.outer(self.force_share, self.annual) / 4 * season * trend  # forces x codes


def recorded_crime(rng, codes: pd.DataFrame, volumes: Volumes, periods) -> pa.Table:
    forces = [*FORCES, BTP]
    nf, nc = len(forces), len(codes)
    parts = []
    for year, quarter in periods:
        counts = rng.poisson(volumes.quarter(year, quarter))
        force, code = np.meshgrid(np.arange(nf), np.arange(nc), indexing="ij")
        keep = (force.ravel() < len(FORCES)) | (counts.ravel() > 0)  # BTP omits zero rows
        parts.append(pd.DataFrame({"year": year, "quarter": quarter, "force": force.ravel()[keep],
                                   "code": code.ravel()[keep], "n": counts.ravel()[keep]}))
    rows = pd.concat(parts, ignore_index=True)
    # Action Fraud: one fraud code, set aside by the reader.
    fraud = pd.DataFrame({"year": [y for y, _ in periods], "quarter": [q for _, q in periods]})
    years = sorted({y for y, _ in periods})
    year_index = {y: i for i, y in enumerate(years)}
    columns = {
        "Financial Year": _take([fy_label(y) for y in years],
                                rows["year"].map(year_index).to_numpy()),
        "Financial Quarter": _string(rows["quarter"]),
        "Force Name": _take(forces, rows["force"].to_numpy()),
        "Offence Description": _take(list(codes["description"]), rows["code"].to_numpy()),
        "Offence Group": _take(list(codes["group"]), rows["code"].to_numpy()),
        "Offence Subgroup": _take(list(codes["subgroup"]), rows["code"].to_numpy()),
        "Offence Code": _take(list(codes["code"]), rows["code"].to_numpy()),
        "Number of Offences": _string(rows["n"]),
    }
    table = pa.table(columns)
    extra = pa.table({
        "Financial Year": _string([fy_label(y) for y in fraud["year"]]),
        "Financial Quarter": _string(fraud["quarter"]),
        "Force Name": _string(["Action Fraud"] * len(fraud)),
        "Offence Description": _string(["Fraud recorded by Action Fraud"] * len(fraud)),
        "Offence Group": _string(["Fraud offences"] * len(fraud)),
        "Offence Subgroup": _string(["Fraud offences"] * len(fraud)),
        "Offence Code": _string(["53A"] * len(fraud)),
        "Number of Offences": _string(rng.poisson(80_000, len(fraud))),
    })
    return pa.concat_tables([table, extra])


def outcomes_year(rng, codes: pd.DataFrame, volumes: Volumes, year: int, periods) -> pa.Table:
    """One financial year of outcomes rows, in the header of its year."""
    forces = [*[OUTCOMES_CITY if f == "City of London" else f for f in FORCES], BTP]
    nf, nc, nt = len(forces), len(codes), 23
    parts = []
    for _, quarter in [p for p in periods if p[0] == year]:
        volume = volumes.quarter(year, quarter)  # forces x codes
        expected = np.empty((nf, nc, nt))
        expected[:, :, 0] = volume * OPEN_SHARE
        expected[:, :, 1:] = volume[:, :, None] * volumes.type_shares[None, :, :] / 100
        expected = np.maximum(expected, MIN_EXPECTED)
        closed = rng.poisson(expected)
        same = rng.binomial(closed, SAME_QUARTER_SHARE)
        force, code, otype = (a.ravel() for a in np.meshgrid(np.arange(nf), np.arange(nc),
                                                             np.arange(nt), indexing="ij"))
        closed, same = closed.ravel(), same.ravel()
        keep = closed > 0  # rows with all counts zero are omitted, as published
        parts.append(pd.DataFrame({"quarter": quarter, "force": force[keep], "code": code[keep],
                                   "type": otype[keep], "closed": closed[keep],
                                   "same": same[keep]}))
    rows = pd.concat(parts, ignore_index=True)
    n = len(rows)
    is_open = rows["type"].to_numpy() == 0
    closed = rows["closed"].to_numpy()
    same = rows["same"].to_numpy().copy()
    # A few small negative counts, as seen in published files.
    negative = rng.choice(n, size=min(5, n), replace=False)
    same[negative] = -1
    descriptions = [OUTCOME_TYPES[t][0] for t in range(nt)]
    groups = [OUTCOME_TYPES[t][1] for t in range(nt)]
    code_index = rows["code"].to_numpy()
    type_index = rows["type"].to_numpy()
    common = {
        "Financial Year": pa.array([fy_label(year)] * n, pa.string()),
        "Financial Quarter": _string(rows["quarter"]),
        "Force Name": _take(forces, rows["force"].to_numpy()),
        "Offence Description": _take(list(codes["description"]), code_index),
        "Offence Group": _take(list(codes["group"]), code_index),
        "Offence Subgroup": _take(list(codes["subgroup"]), code_index),
        "Offence Code": _take(list(codes["code"]), code_index),
        "Offence code expired": pa.array([""] * n, pa.string()),
        "Outcome Description": _take(descriptions, type_index),
        "Outcome Group": _take(groups, type_index),
        "Outcome Type": _string(type_index),
    }
    if year <= OLD_HEADER_LAST_YEAR:
        # Older header: outcomes in the quarter for offences recorded in it, and earlier.
        first = np.where(is_open, closed, same)
        second = np.where(is_open, 0, closed - np.maximum(same, 0)).astype(object).astype(str)
        second[is_open] = "N/A"
        common[OLD_HEADER[-2]] = _string(first)
        common[OLD_HEADER[-1]] = pa.array(second, pa.string())
        header = OLD_HEADER
    else:
        recorded = np.where(is_open, closed, same)
        total = closed.astype(object).astype(str)
        total[is_open] = "N/A"
        common[NEW_HEADER[-2]] = _string(recorded)
        common[NEW_HEADER[-1]] = pa.array(total, pa.string())
        header = NEW_HEADER
    return pa.table({name: common[name] for name in header})


def small_files(folder: Path, periods) -> None:
    """Force returns (the sample's) and population (the sample's, extended back in time)."""
    shutil.copyfile(SAMPLE / "force_returns.csv.gz", folder / "force_returns.csv.gz")
    population = pd.read_csv(SAMPLE / "population.csv")
    first = min(population["Year"])
    earlier = [population.loc[population["Year"] == first].assign(Year=y)
               for y in range(min(y for y, _ in periods), first)]
    pd.concat([*earlier, population], ignore_index=True).sort_values(
        ["Year", "Force Name"], kind="stable").to_csv(folder / "population.csv", index=False)


# ---------------------------------------------------------------- workbooks (written directly)


def _column_letters(count: int) -> list[str]:
    letters = []
    for i in range(count):
        name, i = "", i + 1
        while i:
            i, r = divmod(i - 1, 26)
            name = chr(65 + r) + name
        letters.append(name)
    return letters


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _numeric(column: pa.Array) -> np.ndarray:
    return pc.match_substring_regex(column, r"^-?[0-9]+$").to_numpy(zero_copy_only=False)


def _write_text(handle, array: pa.Array) -> None:
    """Write the concatenated strings of a (non-null) string array."""
    array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset:array.offset + len(array) + 1]
    handle.write(memoryview(array.buffers()[2])[offsets[0]:offsets[-1]])


def _sheet_rows_xlsx(table: pa.Table, first_row: int, strings: dict[str, int]) -> pa.Array:
    """Each row of ``table`` as a spreadsheetML <row> (strings as shared-string references)."""
    n = table.num_rows
    row_numbers = pc.cast(pa.array(np.arange(first_row, first_row + n)), pa.string())
    cells = [pa.array(["<row r=\""] * n), row_numbers, pa.array(["\">"] * n)]
    for letter, name in zip(_column_letters(table.num_columns), table.column_names, strict=True):
        column = table.column(name).combine_chunks()
        encoded = pc.dictionary_encode(column)
        ids = np.array([strings.setdefault(v, len(strings))
                        for v in encoded.dictionary.to_pylist()], dtype=np.int64)
        reference = pc.cast(pa.array(ids[encoded.indices.to_numpy()]), pa.string())
        numeric = _numeric(column)
        start = _join(pa.scalar(f"<c r=\"{letter}"), row_numbers)
        as_string = _join(start, pa.scalar("\" t=\"s\"><v>"), reference, pa.scalar("</v></c>"))
        as_number = _join(start, pa.scalar("\"><v>"), column, pa.scalar("</v></c>"))
        cells.append(pc.if_else(pa.array(numeric), as_number, as_string))
    cells.append(pa.array(["</row>"] * n))
    return _join(*cells)


def write_xlsx(path: Path, sheets: dict[str, tuple[list[str], pa.Table | None]]) -> None:
    """A minimal XLSX: per sheet, title lines then (if any) a table with its header row."""
    strings: dict[str, int] = {}
    names = list(sheets)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for number, name in enumerate(names, start=1):
            titles, table = sheets[name]
            with z.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as handle:
                handle.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                             b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                             b'2006/main"><sheetData>')
                for r, title in enumerate(titles, start=1):
                    ref = strings.setdefault(title, len(strings))
                    handle.write(f'<row r="{r}"><c r="A{r}" t="s"><v>{ref}</v></c></row>'.encode())
                if table is not None:
                    header_row = len(titles) + (2 if titles else 1)
                    head = "".join(
                        f'<c r="{letter}{header_row}" t="s"><v>{strings.setdefault(c, len(strings))}'
                        f"</v></c>" for letter, c in zip(_column_letters(len(table.column_names)),
                                                         table.column_names, strict=True))
                    handle.write(f'<row r="{header_row}">{head}</row>'.encode())
                    for start in range(0, table.num_rows, 200_000):
                        chunk = table.slice(start, 200_000)
                        _write_text(handle, _sheet_rows_xlsx(chunk, header_row + 1 + start, strings))
                handle.write(b"</sheetData></worksheet>")
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as handle:
            handle.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns='
                         f'"http://schemas.openxmlformats.org/spreadsheetml/2006/main" count='
                         f'"{len(strings)}" uniqueCount="{len(strings)}">'.encode())
            handle.write("".join(f"<si><t>{escape(s)}</t></si>" for s in strings).encode())
            handle.write(b"</sst>")
        sheet_list = "".join(f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>'
                             for i, n in enumerate(names, start=1))
        z.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://'
            'schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{sheet_list}</sheets></workbook>"))
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(names) + 1))
        rels += (f'<Relationship Id="rId{len(names) + 1}" Type="http://schemas.openxmlformats.org/'
                 'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>')
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://'
            f'schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>'))
        z.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://'
            'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type='
            '"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'))
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(names) + 1))
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.'
            'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType='
            '"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            f"{overrides}</Types>"))


ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"')


def _text_cell(text: str) -> str:
    return f'<table:table-cell office:value-type="string"><text:p>{escape(text)}</text:p></table:table-cell>'


def _sheet_rows_ods(table: pa.Table) -> pa.Array:
    n = table.num_rows
    cells = [pa.array(["<table:table-row>"] * n)]
    for name in table.column_names:
        column = table.column(name).combine_chunks()
        encoded = pc.dictionary_encode(column)
        as_text = pa.array([_text_cell(v) for v in encoded.dictionary.to_pylist()], pa.string())
        as_string = pc.take(as_text, encoded.indices)
        as_number = _join(pa.scalar('<table:table-cell office:value-type="float" office:value="'),
                          column, pa.scalar('"><text:p>'), column,
                          pa.scalar("</text:p></table:table-cell>"))
        cells.append(pc.if_else(pa.array(_numeric(column)), as_number, as_string))
    cells.append(pa.array(["</table:table-row>"] * n))
    return _join(*cells)


def write_ods(path: Path, sheets: dict[str, tuple[list[str], pa.Table | None]]) -> None:
    """A minimal ODS spreadsheet: per sheet, title lines then (if any) a table with its header."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:'
            'names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
            'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
            'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-'
            'type="text/xml"/></manifest:manifest>'))
        with z.open("content.xml", "w", force_zip64=True) as handle:
            handle.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
                         f'{ODS_NS}><office:body><office:spreadsheet>'.encode())
            for name, (titles, table) in sheets.items():
                handle.write(f'<table:table table:name="{escape(name)}">'.encode())
                for title in titles:
                    handle.write(f"<table:table-row>{_text_cell(title)}</table:table-row>".encode())
                if table is not None:
                    if titles:
                        handle.write(b"<table:table-row><table:table-cell/></table:table-row>")
                    head = "".join(_text_cell(c) for c in table.column_names)
                    handle.write(f"<table:table-row>{head}</table:table-row>".encode())
                    for start in range(0, table.num_rows, 200_000):
                        _write_text(handle, _sheet_rows_ods(table.slice(start, 200_000)))
                handle.write(b"</table:table>")
            handle.write(b"</office:spreadsheet></office:body></office:document-content>")


def workbook_sheets(crime: pa.Table) -> dict[str, tuple[list[str], pa.Table | None]]:
    sheets = {
        "Cover": (["Police recorded crime by police force area (SYNTHETIC benchmark data)",
                   "Every figure in this workbook is synthetic."], None),
        "Notes": (["Notes", "1. Synthetic data made by benchmarks/generate_full.py.",
                   "2. Q1 is April to June."], None),
    }
    years = crime.column("Financial Year")
    for label in sorted(set(years.to_pylist())):
        rows = crime.filter(pc.equal(years, label))
        sheets[label.replace("/", "-")] = ([f"Recorded crime, {label} (synthetic)"], rows)
    return sheets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="rows relative to full size (22 x scale quarters); 1, 2 or 4")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--csv-only", action="store_true", help="skip the XLSX and ODS files")
    args = parser.parse_args()
    periods = quarters(args.scale)
    if len(periods) < 12:
        parser.error("at least 12 quarters are needed (scale >= 0.55)")
    rng = np.random.default_rng(SEED)
    codes = offence_codes(rng)
    volumes = Volumes(rng, codes)
    csv_dir = args.out / "csv"
    csv_dir.mkdir(parents=True, exist_ok=True)
    small_files(csv_dir, periods)
    crime = recorded_crime(rng, codes, volumes, periods)
    write_csv(crime, csv_dir / "recorded_crime.csv")
    total = 0
    workbook_year = None
    for year in sorted({y for y, _ in periods}):
        table = outcomes_year(rng, codes, volumes, year, periods)
        total += table.num_rows
        write_csv(table, csv_dir / f"outcomes_{fy_label(year, '-')}.csv")
        if year == WORKBOOK_OUTCOMES_YEAR:
            workbook_year = table
    size = sum(p.stat().st_size for p in csv_dir.glob("*.csv"))
    print(f"{csv_dir}: {len(periods)} quarters, {crime.num_rows:,} recorded crime rows, "
          f"{total:,} outcome rows, {size / 1e6:,.0f} MB of CSV")
    if args.csv_only or workbook_year is None:
        return
    for ext, writer in (("xlsx", write_xlsx), ("ods", write_ods)):
        folder = args.out / ext
        folder.mkdir(parents=True, exist_ok=True)
        small_files(folder, periods)
        writer(folder / f"recorded_crime.{ext}", workbook_sheets(crime))
        label = fy_label(WORKBOOK_OUTCOMES_YEAR)
        writer(folder / f"outcomes_{fy_label(WORKBOOK_OUTCOMES_YEAR, '-')}.{ext}", {
            "Cover": ([f"Crime outcomes by police force area, {label} (SYNTHETIC)"], None),
            "Outcomes open data": ([], workbook_year)})
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.0f} MB"
                          for p in sorted(folder.glob(f"*.{ext}")))
        print(f"{folder}: {sizes}")


if __name__ == "__main__":
    main()
