"""Generate the SYNTHETIC sample data set for vawgbook.

EVERY NUMBER THIS SCRIPT WRITES IS SYNTHETIC. The files copy the *layout* of the Home Office open data
tables (police recorded crime by police force area, crime outcomes by police force area) and of the
force returns described in the project contract, but no figure in them is real or claims to be. National
scales are set to be roughly the right order of magnitude for England and Wales so that the sample book
looks plausible; nothing more.

Run from the repository root::

    .venv/bin/python data/sample/make_sample.py

The script rewrites, beside itself, ``recorded_crime.csv.gz``, ``outcomes_YYYY-YY.csv.gz`` (one per
financial year), ``force_returns.csv.gz`` and ``population.csv``. It is seeded and writes gzip with a fixed
header (mtime 0, no file name), so every run gives the same bytes. ``README.md`` beside it lists the
quirks and the deliberate changes built in, so a reader of the sample book can check the tool finds them.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20250401
OUT_DIR = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------------
FIRST_YEAR = 2019  # financial year 2019/20
N_QUARTERS = 22  # 2019/20 Q1 .. 2024/25 Q2
ANCHOR_YEARS = 3.375  # national targets below are levels at the middle of 2022/23 (t in years)
SEASONALITY = np.array([1.02, 1.08, 0.96, 0.94])  # Q1 (Apr-Jun) .. Q4 (Jan-Mar); mean 1
OLD_HEADER_LAST_YEAR = 2021  # outcomes files up to 2021/22 use the older header


def fy_label(start_year: int, sep: str = "/") -> str:
    """Return the financial-year label, e.g. ``2019/20`` (or ``2019-20`` with ``sep='-'``)."""
    return f"{start_year}{sep}{(start_year + 1) % 100:02d}"


def qindex(start_year: int, quarter: int) -> int:
    """Return the 0-based index of a financial quarter in the sample series."""
    return (start_year - FIRST_YEAR) * 4 + quarter - 1


QUARTERS = [(FIRST_YEAR + k // 4, k % 4 + 1) for k in range(N_QUARTERS)]
T_YEARS = np.arange(N_QUARTERS) / 4.0  # years since 2019/20 Q1
SEASON = SEASONALITY[np.arange(N_QUARTERS) % 4]

RETURNS_FIRST = qindex(2021, 1)  # force returns start with the framework (2021/22 Q1)
STREETSAFE_FIRST = qindex(2021, 3)

# --------------------------------------------------------------------------------------------------
# Forces: name, resident population mid-2019 (millions, rounded, realistic), ethnic diversity index 0..1
# (0 = mostly White rural mix, 1 = London mix); used only to shape the synthetic breakdowns.
# --------------------------------------------------------------------------------------------------
FORCES = (
    ("Avon and Somerset", 1.73, 0.25),
    ("Bedfordshire", 0.69, 0.50),
    ("Cambridgeshire", 0.86, 0.25),
    ("Cheshire", 1.07, 0.05),
    ("City of London", 0.0099, 0.60),
    ("Cleveland", 0.57, 0.08),
    ("Cumbria", 0.50, 0.02),
    ("Derbyshire", 1.06, 0.12),
    ("Devon and Cornwall", 1.78, 0.03),
    ("Dorset", 0.77, 0.04),
    ("Durham", 0.63, 0.03),
    ("Dyfed-Powys", 0.52, 0.02),
    ("Essex", 1.85, 0.15),
    ("Gloucestershire", 0.64, 0.10),
    ("Greater Manchester", 2.84, 0.45),
    ("Gwent", 0.59, 0.08),
    ("Hampshire", 2.01, 0.12),
    ("Hertfordshire", 1.19, 0.35),
    ("Humberside", 0.93, 0.06),
    ("Kent", 1.85, 0.15),
    ("Lancashire", 1.51, 0.30),
    ("Leicestershire", 1.10, 0.50),
    ("Lincolnshire", 0.76, 0.04),
    ("Merseyside", 1.43, 0.12),
    ("Metropolitan Police", 8.90, 1.00),
    ("Norfolk", 0.91, 0.05),
    ("North Wales", 0.70, 0.03),
    ("North Yorkshire", 0.83, 0.04),
    ("Northamptonshire", 0.75, 0.25),
    ("Northumbria", 1.46, 0.08),
    ("Nottinghamshire", 1.16, 0.30),
    ("South Wales", 1.33, 0.15),
    ("South Yorkshire", 1.41, 0.20),
    ("Staffordshire", 1.13, 0.15),
    ("Suffolk", 0.76, 0.08),
    ("Surrey", 1.20, 0.25),
    ("Sussex", 1.71, 0.15),
    ("Thames Valley", 2.42, 0.35),
    ("Warwickshire", 0.58, 0.15),
    ("West Mercia", 1.31, 0.08),
    ("West Midlands", 2.92, 0.70),
    ("West Yorkshire", 2.33, 0.50),
    ("Wiltshire", 0.72, 0.08),
)
FORCE_NAMES = [f[0] for f in FORCES]
N_TERR = len(FORCES)
POP_M = np.array([f[1] for f in FORCES])
DIVERSITY = np.array([f[2] for f in FORCES])
BTP = "British Transport Police"
ACTION_FRAUD = "Action Fraud"
CITY_CRIME_MULTIPLIER = 4.0  # City of London: large daytime population against ~10k residents
FORCE_VARIATION_SD = 0.12  # log-scale sd of a force's recording level around population share
FORCE_CODE_VARIATION_SD = 0.08  # extra log-scale sd per force and offence family
FORCE_VARIATION_CLIP = (0.7, 1.3)  # +/-30%
RECORDED_NOISE_CV = 0.08  # gamma (extra-Poisson) noise on each force x quarter x code count

# Spellings used in particular files (the tool must normalise them)
DEVON_VARIANT = "Devon & Cornwall"  # recorded crime, 2019/20 and 2020/21
DEVON_VARIANT_YEARS = (2019, 2020)
CITY_VARIANT = "London, City of"  # outcomes files
DYFED_VARIANT = "Dyfed Powys"  # force returns


@dataclass(frozen=True)
class Offence:
    """One Home Office offence code with its synthetic national volume."""

    code: str
    description: str
    group: str
    subgroup: str
    annual: float  # synthetic national annual count at the 2022/23 level
    trend: float  # relative change per year
    btp_share: float  # British Transport Police volume as a share of the national volume
    family: str  # key into OUTCOME_WEIGHTS
    vawg: bool


OFFENCE_GROUPS = {
    "SEX": "Sexual offences",
    "VAP": "Violence against the person",
    "THEFT": "Theft offences",
    "CDA": "Criminal damage and arson",
    "FRAUD": "Fraud offences",
}
# Columns: code | description | offence group (key above) | offence subgroup | synthetic national annual
# count at the 2022/23 level, thousands | trend per year | British Transport Police volume as a share of
# the national volume | outcome family (key into OUTCOME_WEIGHTS) | VAWG code (y/n)
OFFENCE_TABLE = """
19C | Rape of a female aged 16 and over | SEX | Rape | 40 | 0.03 | 0.003 | rape | y
19D | Rape of a female child under 16 | SEX | Rape | 13.5 | 0.03 | 0.002 | rape | y
19E | Rape of a female child under 13 | SEX | Rape | 6.5 | 0.03 | 0.0005 | rape | y
19F | Rape of a male aged 16 and over | SEX | Rape | 3.5 | 0.03 | 0.002 | rape | n
19G | Rape of a male child under 16 | SEX | Rape | 1.2 | 0.03 | 0.001 | rape | n
19H | Rape of a male child under 13 | SEX | Rape | 1.8 | 0.03 | 0.0003 | rape | n
20A | Sexual assault on a female aged 13 and over | SEX | Other sexual offences | 70 | 0.03 | 0.012 | sa | y
20B | Sexual assault on a female child under 13 | SEX | Other sexual offences | 10 | 0.03 | 0.002 | sa | y
88E | Exposure and voyeurism | SEX | Other sexual offences | 10 | 0.03 | 0.02 | exp | y
8Q | Stalking | VAP | Stalking and harassment | 140 | 0.03 | 0.0005 | stalk | y
8L | Harassment | VAP | Stalking and harassment | 280 | 0.03 | 0.002 | har | y
8U | Controlling or coercive behaviour | VAP | Stalking and harassment | 45 | 0.03 | 0 | ccb | y
8N | Assault with injury | VAP | Violence with injury | 520 | 0.01 | 0.004 | asslt | n
105A | Assault without injury | VAP | Violence without injury | 700 | 0.01 | 0.006 | asslt | n
28E | Residential burglary of a home | THEFT | Residential burglary | 180 | 0 | 0 | burg | n
49 | Other theft | THEFT | All other theft offences | 420 | 0.01 | 0.01 | other | n
46 | Shoplifting | THEFT | Shoplifting | 380 | 0.04 | 0.001 | other | n
58A | Criminal damage to a dwelling | CDA | Criminal damage | 140 | 0 | 0.001 | other | n
53A | Fraud recorded by Action Fraud | FRAUD | Fraud offences | 320 | 0.02 | 0 | fraud | n
"""


def parse_offences(table: str) -> tuple[Offence, ...]:
    """Parse OFFENCE_TABLE into Offence records."""
    offences = []
    for line in table.strip().splitlines():
        code, desc, group, sub, annual, trend, btp, family, vawg = (x.strip() for x in line.split("|"))
        offences.append(
            Offence(
                code=code,
                description=desc,
                group=OFFENCE_GROUPS[group],
                subgroup=sub,
                annual=float(annual) * 1000,
                trend=float(trend),
                btp_share=float(btp),
                family=family,
                vawg=vawg == "y",
            )
        )
    return tuple(offences)


_ALL_OFFENCES = parse_offences(OFFENCE_TABLE)
# Fraud is recorded centrally (Action Fraud), not by forces: one code, in Action Fraud rows only.
FRAUD_OFFENCE = _ALL_OFFENCES[-1]
OFFENCES = _ALL_OFFENCES[:-1]
CODES = [o.code for o in OFFENCES]
OUTCOME_CODES = ["19C", "19D", "19E", "19F", "19G", "19H", "20A", "20B", "88E", "8Q", "8L", "8U", "8N", "28E"]

# --------------------------------------------------------------------------------------------------
# Outcomes
# --------------------------------------------------------------------------------------------------
OUTCOME_TYPES = {
    0: ("Not yet assigned an outcome", "Not yet assigned an outcome"),
    1: ("Charged/Summonsed", "Charged/Summonsed"),
    2: ("Youth caution", "Out-of-court (formal)"),
    3: ("Adult caution", "Out-of-court (formal)"),
    4: ("Taken into consideration", "Taken into consideration"),
    5: ("Offender died", "Prosecution prevented or not in the public interest"),
    6: ("Penalty notice for disorder", "Out-of-court (formal)"),
    7: ("Cannabis/khat warning", "Out-of-court (formal)"),
    8: ("Community resolution", "Out-of-court (informal)"),
    9: ("Not in public interest (CPS)", "Prosecution prevented or not in the public interest"),
    10: ("Not in public interest (police)", "Prosecution prevented or not in the public interest"),
    11: ("Prosecution prevented - suspect under age", "Prosecution prevented or not in the public interest"),
    12: ("Prosecution prevented - suspect too ill", "Prosecution prevented or not in the public interest"),
    13: (
        "Prosecution prevented - victim or key witness dead or too ill",
        "Prosecution prevented or not in the public interest",
    ),
    14: (
        "Evidential difficulties: suspect not identified; victim does not support further action",
        "Evidential difficulties",
    ),
    15: ("Evidential difficulties: suspect identified; victim supports action", "Evidential difficulties"),
    16: ("Evidential difficulties: victim does not support action", "Evidential difficulties"),
    17: ("Prosecution time limit expired", "Prosecution time limit expired"),
    18: ("Investigation complete - no suspect identified", "Investigation complete - no suspect identified"),
    19: ("National Fraud Intelligence Bureau filed (fraud only)", "Action taken by another body/agency"),
    20: (
        "Responsibility for further investigation transferred to another body",
        "Action taken by another body/agency",
    ),
    21: (
        "Further investigation not in the public interest (police decision)",
        "Further investigation not in the public interest",
    ),
    22: (
        "Diversionary, educational or intervention activity",
        "Diversionary, educational or intervention activity",
    ),
}
N_TYPES = 23  # 0..22

# Base "closed with" weights (per cent of types 1-22) by offence family; unlisted types are 0.
# Families: rape, sa = sexual assault, exp = exposure and voyeurism, stalk = stalking, har = harassment,
# ccb = controlling or coercive behaviour, asslt = assault, burg = burglary.
OUTCOME_WEIGHTS = {
    "rape": {1: 2.5, 2: 0.1, 3: 0.1, 5: 0.2, 8: 0.1, 9: 0.3, 10: 0.2, 11: 0.8, 12: 0.2, 13: 0.5, 14: 2.0,
             15: 30.0, 16: 46.0, 17: 0.1, 18: 3.0, 20: 3.5, 21: 3.0, 22: 0.2},
    "sa": {1: 9.0, 2: 0.6, 3: 1.5, 5: 0.1, 8: 1.5, 9: 0.3, 10: 0.6, 11: 1.0, 12: 0.2, 13: 0.4,
                       14: 5.0, 15: 20.0, 16: 37.0, 17: 0.2, 18: 13.0, 20: 2.5, 21: 3.0, 22: 0.5},
    "exp": {1: 9.0, 2: 0.5, 3: 2.0, 5: 0.1, 8: 3.0, 10: 0.8, 11: 0.5, 12: 0.3, 14: 7.0, 15: 12.0,
                 16: 22.0, 17: 0.3, 18: 34.0, 20: 2.0, 21: 4.0, 22: 1.0},
    "stalk": {1: 6.5, 2: 0.3, 3: 1.5, 5: 0.1, 8: 1.5, 9: 0.3, 10: 0.8, 11: 0.3, 12: 0.2, 13: 0.2, 14: 1.5,
                 15: 24.0, 16: 53.0, 17: 0.2, 18: 4.0, 20: 2.0, 21: 2.5, 22: 0.5},
    "har": {1: 4.8, 2: 0.6, 3: 1.5, 5: 0.1, 6: 0.1, 8: 4.0, 9: 0.2, 10: 1.2, 11: 0.3, 12: 0.2, 13: 0.2,
                   14: 4.0, 15: 12.0, 16: 52.0, 17: 0.5, 18: 14.0, 20: 2.0, 21: 2.5, 22: 0.8},
    "ccb": {1: 5.5, 3: 0.5, 5: 0.1, 8: 0.3, 9: 0.3, 10: 0.4, 11: 0.1, 12: 0.2, 13: 0.2, 14: 0.5,
                 15: 25.0, 16: 60.0, 17: 0.1, 18: 1.0, 20: 2.5, 21: 3.0, 22: 0.3},
    "asslt": {1: 12.0, 2: 1.0, 3: 2.5, 5: 0.1, 6: 0.1, 8: 6.0, 9: 0.3, 10: 1.0, 11: 0.3, 12: 0.2, 13: 0.2,
                14: 5.0, 15: 14.0, 16: 36.0, 17: 0.3, 18: 15.0, 20: 2.0, 21: 3.0, 22: 1.0},
    "burg": {1: 4.0, 2: 0.2, 3: 0.3, 4: 0.8, 8: 0.5, 10: 0.2, 14: 6.0, 15: 8.0, 16: 4.0, 18: 73.0,
                 20: 1.0, 21: 1.8, 22: 0.2},
}  # fmt: skip
# Share of a type's outcomes assigned in a quarter that belong to offences recorded in that quarter
# (quick outcomes such as "no suspect" are mostly same-quarter; charges mostly later).
SAME_QUARTER_SHARE = np.full(N_TYPES, 0.30)
SAME_QUARTER_SHARE[[1, 15, 17]] = [0.15, 0.25, 0.05]
SAME_QUARTER_SHARE[[14, 16, 18, 20]] = [0.50, 0.45, 0.55, 0.40]
RAPE_SPEED_FACTOR = 0.5  # rape investigations are slower
OUTCOME_VOLUME_CV = 0.06  # noise of all outcomes assigned around recorded volume
OUTCOME_CONCENTRATION = 1500.0  # Dirichlet concentration: smaller = more extra-binomial variation
FORCE_CHARGE_SD = 0.25  # log-scale force effect on type 1
FORCE_NO_SUSPECT_SD = 0.20  # log-scale force effect on type 18
FORCE_NOT_SUPPORT_SD = 0.10  # log-scale force effect on types 14 and 16
NO_SUSPECT_DRIFT_PER_YEAR = 0.095  # VAWG type-18 weight falls by this fraction of its start level a year

OLD_COUNT_COLUMNS = (
    "Force outcomes for offences recorded in quarter",
    "Force outcomes for offences recorded in previous quarters",
)
NEW_COUNT_COLUMNS = (
    "Outcomes for offences that were recorded in the quarter",
    "Outcomes for investigations closed in the quarter",
)
OLD_HEADER = [
    "Financial Year", "Financial Quarter", "Force Name", "Offence Description", "Offence Group",
    "Offence Subgroup", "Offence Code", "Offence code expired", "Outcome Description", "Outcome Group",
    "Outcome Type", *OLD_COUNT_COLUMNS,
]  # fmt: skip
NEW_HEADER = [
    "Financial Year", "Financial Quarter", "Force Name", "Offence Code", "Offence Description",
    "Offence Group", "Offence Subgroup", "Offence code expired", "Outcome Type", "Outcome Description",
    "Outcome Group",
    *NEW_COUNT_COLUMNS,
]  # fmt: skip
RECORDED_HEADER = [
    "Financial Year", "Financial Quarter", "Force Name", "Offence Description", "Offence Group",
    "Offence Subgroup", "Offence Code", "Number of Offences",
]  # fmt: skip

NA_TYPE0 = "N/A"
NA_NOT_PROVIDED = "N/A - data not provided"
GMP_MISSING = ("Greater Manchester", [qindex(2019, 3), qindex(2019, 4)])
# Small negative counts as seen in published outcomes files:
# (force, start year, quarter, code, outcome type, column 0 = first count column / 1 = second, value)
NEGATIVE_COUNTS = (
    ("Cumbria", 2019, 2, "20A", 12, 0, -1),
    ("Essex", 2020, 4, "8L", 5, 1, -1),
    ("Sussex", 2021, 1, "19C", 13, 0, -2),
    ("North Wales", 2021, 3, "8Q", 17, 1, -1),
    ("Hampshire", 2022, 2, "8L", 10, 0, -1),
    ("Merseyside", 2023, 1, "20A", 2, 1, -1),
    ("Dorset", 2023, 4, "8U", 12, 0, -2),
    ("South Wales", 2024, 1, "88E", 5, 1, -1),
)

# --------------------------------------------------------------------------------------------------
# Deliberate changes (documented in README.md)
# --------------------------------------------------------------------------------------------------
AVON_RAPE_CHARGE = ("Avon and Somerset", qindex(2023, 3), 2.0)  # type-1 weight of 19C-19E doubles
LANCS_STALKING = ("Lancashire", qindex(2023, 1), 1.4)  # 8Q recording +40%
KENT_DA_ARREST = ("Kent", qindex(2023, 3), 0.35, 0.25)  # arrest rate 35% -> 25%
WYP_SATISFACTION = ("West Yorkshire", qindex(2024, 1), -0.08)  # satisfaction -8 points
WARKS_STREETSAFE = ("Warwickshire", qindex(2024, 1), 2.0)  # StreetSafe reports double
# Domestic abuse arrest rate by victim ethnicity, in points below the force's rate, every force:
# Asian victims 5 points lower throughout; Black victims 2 points lower, widening to 7 points from
# 2023/24 Q3 (a gap that widened). Applied by thinning the arrests drawn before, so no other
# figure in the sample moves.
ARREST_GAP_ASIAN = 0.05
ARREST_GAP_BLACK = (qindex(2023, 3), 0.02, 0.07)

# --------------------------------------------------------------------------------------------------
# Force returns
# --------------------------------------------------------------------------------------------------
RETURNS_ABSENT_FORCE = "Cleveland"  # sends no force returns at all
RETURNS_MISSING_MEASURE = ("Norfolk", "dvpo_granted", 2022)  # no rows for this measure in 2022/23
MEASURES = (
    "da_flagged_crimes", "da_arrests", "dvpn_issued", "dvpo_granted", "dvds_applications", "dvds_disclosures",
    "dvds_disclosures_within_28_days", "victim_survey_respondents", "victim_survey_satisfied",
    "police_perpetrated_cases", "police_perpetrated_cases_finalised", "police_perpetrated_cases_no_action",
    "streetsafe_reports",
)  # fmt: skip
ETHNICITY = ("Asian", "Black", "Mixed", "White", "Other", "Not stated")
AGE_BANDS = ("under 18", "18-24", "25-34", "35-49", "50-64", "65 and over", "Not stated")
AGE_SHARES = np.array([0.06, 0.18, 0.30, 0.28, 0.12, 0.04, 0.02])
# Ethnic mix of victims (Asian, Black, Mixed, White, Other) at diversity 0 and 1
MIX_LOW = np.array([0.020, 0.007, 0.013, 0.950, 0.010])
MIX_HIGH = np.array([0.210, 0.135, 0.057, 0.540, 0.058])
COMPLETENESS_RANGE = (0.60, 0.98)  # share of records with the breakdown recorded, by force
BREAKDOWN_CONCENTRATION = 500.0
DA_FLAGGED_ANNUAL = 900_000
DA_TREND = 0.02
DA_ARREST_RATE = 0.35
DVPN_ANNUAL = 10_000
DVPO_PER_DVPN = 0.90
DVDS_APPLICATIONS_ANNUAL = 100_000
DVDS_DISCLOSURE_RATE = 0.40
DVDS_28_DAY_RATE = 0.60
SATISFACTION_RATE = 0.70
# Satisfaction offsets by ethnicity (Asian, Black, Mixed, White, Other, Not stated), White the reference:
# Black victims 8 points lower within a force.
SATISFACTION_OFFSET = np.array([-0.04, -0.08, -0.05, 0.0, -0.04, -0.03])
SATISFACTION_OFFSET_UNRECORDED = -0.02
POLICE_PERPETRATED_FINALISED = 0.75
POLICE_PERPETRATED_NO_ACTION = 0.45


# ==================================================================================================
# Random helpers
# ==================================================================================================
def gamma_noise(rng: np.random.Generator, cv: float, size) -> np.ndarray:
    """Multiplicative gamma noise with mean 1 and coefficient of variation ``cv``."""
    shape = 1.0 / cv**2
    return rng.gamma(shape, 1.0 / shape, size=size)


def noisy_poisson(rng: np.random.Generator, expected: np.ndarray, cv: float) -> np.ndarray:
    """Gamma-Poisson (negative binomial) counts around ``expected``: extra-Poisson variation ``cv``."""
    return rng.poisson(expected * gamma_noise(rng, cv, np.shape(expected))).astype(np.int64)


def beta_binomial(rng: np.random.Generator, n: np.ndarray, p: np.ndarray, concentration: float) -> np.ndarray:
    """Beta-binomial counts: ``Binomial(n, q)`` with ``q ~ Beta(p c, (1 - p) c)``."""
    n, p = np.broadcast_arrays(np.asarray(n), np.clip(p, 1e-6, 1 - 1e-6))
    q = rng.beta(p * concentration, (1 - p) * concentration)
    return rng.binomial(n, q).astype(np.int64)


def dirichlet_multinomial(rng: np.random.Generator, n: np.ndarray, shares: np.ndarray, concentration: float):
    """Split counts ``n`` (any shape) over the last axis of ``shares`` with extra-multinomial variation."""
    g = rng.gamma(shares * concentration)
    total = g.sum(axis=-1, keepdims=True)
    p = np.where(total > 0, g / np.where(total > 0, total, 1.0), shares)
    p = p / p.sum(axis=-1, keepdims=True)
    return rng.multinomial(n, p).astype(np.int64)


def force_variation(rng: np.random.Generator, size, sd: float) -> np.ndarray:
    """Log-normal force multipliers with median 1, clipped to +/-30%."""
    return np.clip(np.exp(rng.normal(0.0, sd, size=size)), *FORCE_VARIATION_CLIP)


# ==================================================================================================
# Writers
# ==================================================================================================
def write_csv_gz(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as UTF-8 CSV inside a gzip with a fixed header (same bytes every run)."""
    data = df.to_csv(index=False, lineterminator="\n").encode("utf-8")
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(data)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as plain UTF-8 CSV with Unix line endings."""
    path.write_bytes(df.to_csv(index=False, lineterminator="\n").encode("utf-8"))


# ==================================================================================================
# Population
# ==================================================================================================
def make_population(rng: np.random.Generator) -> pd.DataFrame:
    """Mid-year resident population by force area, calendar years 2019-2024 (synthetic, realistic scale)."""
    growth = rng.uniform(0.002, 0.010, N_TERR)
    female_share = np.clip(rng.normal(0.510, 0.003, N_TERR), 0.503, 0.517)
    female_share[FORCE_NAMES.index("City of London")] = 0.468
    rows = []
    for i, name in enumerate(FORCE_NAMES):
        for year in range(2019, 2025):
            total = POP_M[i] * 1e6 * (1 + growth[i]) ** (year - 2019) * (1 + rng.normal(0, 0.0005))
            total = int(round(total))
            rows.append((name, year, int(round(total * female_share[i])), total))
    return pd.DataFrame(rows, columns=["Force Name", "Year", "Female Population", "Total Population"])


# ==================================================================================================
# Recorded crime
# ==================================================================================================
def expected_recorded(rng: np.random.Generator) -> np.ndarray:
    """Expected counts, shape (quarter, force, code); force axis = 43 territorial forces then BTP."""
    families = sorted({o.family for o in OFFENCES})
    general = force_variation(rng, N_TERR, FORCE_VARIATION_SD)
    by_family = {fam: force_variation(rng, N_TERR, FORCE_CODE_VARIATION_SD) for fam in families}
    lam = np.zeros((N_QUARTERS, N_TERR + 1, len(OFFENCES)))
    city = FORCE_NAMES.index("City of London")
    for c, off in enumerate(OFFENCES):
        mult = np.clip(general * by_family[off.family], *FORCE_VARIATION_CLIP)
        mult[city] *= CITY_CRIME_MULTIPLIER
        weight = POP_M * mult
        share = weight / weight.sum()
        national = off.annual / 4 * SEASON * (1 + off.trend) ** (T_YEARS - ANCHOR_YEARS)
        lam[:, :N_TERR, c] = national[:, None] * share[None, :]
        lam[:, N_TERR, c] = national * off.btp_share
    force, start, factor = LANCS_STALKING
    lam[start:, FORCE_NAMES.index(force), CODES.index("8Q")] *= factor
    return lam


def make_recorded_crime(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Police recorded crime by force area; returns the table, expected and realised counts."""
    lam = expected_recorded(rng)
    counts = noisy_poisson(rng, lam, RECORDED_NOISE_CV)
    fraud = noisy_poisson(rng, FRAUD_OFFENCE.annual / 4 * SEASON * (1 + FRAUD_OFFENCE.trend) ** T_YEARS, 0.05)
    rows = []
    for k, (year, quarter) in enumerate(QUARTERS):
        for f in range(N_TERR + 1):
            name = FORCE_NAMES[f] if f < N_TERR else BTP
            if name == "Devon and Cornwall" and year in DEVON_VARIANT_YEARS:
                name = DEVON_VARIANT
            for c, off in enumerate(OFFENCES):
                if f == N_TERR and off.btp_share == 0:
                    continue
                rows.append(
                    (
                        fy_label(year),
                        quarter,
                        name,
                        off.description,
                        off.group,
                        off.subgroup,
                        off.code,
                        int(counts[k, f, c]),
                    )
                )
        off = FRAUD_OFFENCE
        rows.append(
            (
                fy_label(year),
                quarter,
                ACTION_FRAUD,
                off.description,
                off.group,
                off.subgroup,
                off.code,
                int(fraud[k]),
            )
        )
    df = pd.DataFrame(rows, columns=RECORDED_HEADER)
    df = df.sort_values(["Financial Year", "Financial Quarter", "Force Name", "Offence Code"], kind="stable")
    return df.reset_index(drop=True), lam, counts


# ==================================================================================================
# Outcomes
# ==================================================================================================
def outcome_shares(rng: np.random.Generator) -> np.ndarray:
    """Expected 'closed with' shares, shape (quarter, force, outcome code, type 0..22), type 0 zero."""
    offences = [OFFENCES[CODES.index(c)] for c in OUTCOME_CODES]
    base = np.zeros((len(OUTCOME_CODES), N_TYPES))
    for j, off in enumerate(offences):
        for t, w in OUTCOME_WEIGHTS[off.family].items():
            base[j, t] = w
    base /= base.sum(axis=1, keepdims=True)
    n_forces = N_TERR + 1
    w = np.broadcast_to(base, (N_QUARTERS, n_forces, *base.shape)).copy()
    w[..., 1] *= np.exp(rng.normal(0, FORCE_CHARGE_SD, n_forces))[None, :, None]
    w[..., 18] *= np.exp(rng.normal(0, FORCE_NO_SUSPECT_SD, n_forces))[None, :, None]
    w[..., [14, 16]] *= np.exp(rng.normal(0, FORCE_NOT_SUPPORT_SD, n_forces))[None, :, None, None]
    w /= w.sum(axis=-1, keepdims=True)
    # National drift: the VAWG no-suspect share falls; the freed share goes to type 15 (suspect
    # identified, victim supports), so charge and victim-not-supporting shares stay stable.
    vawg = np.array([o.vawg for o in offences])
    drift = np.clip(1 - NO_SUSPECT_DRIFT_PER_YEAR * T_YEARS, 0.1, 1)[:, None, None]
    moved = w[:, :, vawg, 18] * (1 - drift)
    w[:, :, vawg, 18] -= moved
    w[:, :, vawg, 15] += moved
    # Avon and Somerset: the charge share of female rape doubles, taken from type 15.
    force, start, factor = AVON_RAPE_CHARGE
    f, rape = FORCE_NAMES.index(force), [OUTCOME_CODES.index(c) for c in ("19C", "19D", "19E")]
    extra = w[start:, f, rape, 1] * (factor - 1)
    w[start:, f, rape, 1] += extra
    w[start:, f, rape, 15] -= extra
    return w


def extraction_lag(k: int) -> int:
    """Quarters of follow-up for offences of quarter ``k`` in its annual file (extracted a quarter after)."""
    year, quarter = QUARTERS[k]
    last_quarter = 4 if year < QUARTERS[-1][0] else QUARTERS[-1][1]
    return last_quarter - quarter + 1


def make_outcome_counts(rng: np.random.Generator, lam: np.ndarray, counts: np.ndarray):
    """Dense outcome counts: two arrays (quarter, force, code, type) for the two count columns.

    Column 0 is the 'offences recorded in the quarter' column of either header; column 1 is, for the
    older header, outcomes in the quarter for offences recorded earlier, and for the current header all
    outcomes for investigations closed in the quarter. Type 0 lives in column 0 only.
    """
    idx = [CODES.index(c) for c in OUTCOME_CODES]
    lam_o, rec = lam[..., idx], counts[..., idx]
    shares = outcome_shares(rng)
    assigned = rng.poisson(0.5 * rec + 0.5 * lam_o * gamma_noise(rng, OUTCOME_VOLUME_CV, lam_o.shape))
    closed = dirichlet_multinomial(rng, assigned, shares, OUTCOME_CONCENTRATION)  # all assigned, by type

    is_rape = np.array([OFFENCES[CODES.index(c)].family == "rape" for c in OUTCOME_CODES])
    speed = np.where(is_rape[:, None], SAME_QUARTER_SHARE * RAPE_SPEED_FACTOR, SAME_QUARTER_SHARE)
    speed[:, 0] = 0.0
    col0 = np.zeros_like(closed)
    col1 = np.zeros_like(closed)
    for k, (year, _) in enumerate(QUARTERS):
        if year <= OLD_HEADER_LAST_YEAR:
            same = rng.binomial(closed[k], speed[None, :, :])
            col0[k], col1[k] = same, closed[k] - same
        else:
            m = extraction_lag(k)
            resolved_p = np.where(is_rape, 1 - 0.85 * 0.8 ** (m - 1), 1 - 0.65 * 0.7 ** (m - 1))
            resolved = rng.binomial(rec[k], resolved_p[None, :])
            p = shares[k] * speed[None, :, :]
            p = p / p.sum(axis=-1, keepdims=True)
            col0[k] = rng.multinomial(resolved, p)
            col1[k] = closed[k]
        col0[k, ..., 0] = np.maximum(rec[k] - col0[k, ..., 1:].sum(axis=-1), 0)
    for force, year, quarter, code, otype, column, value in NEGATIVE_COUNTS:
        target = col0 if column == 0 else col1
        target[qindex(year, quarter), FORCE_NAMES.index(force), OUTCOME_CODES.index(code), otype] = value
    return col0, col1


def outcome_tables(col0: np.ndarray, col1: np.ndarray) -> dict[int, pd.DataFrame]:
    """Long outcomes tables, one per financial year, with published layout and quirks."""
    n_forces, n_codes = N_TERR + 1, len(OUTCOME_CODES)
    names = [CITY_VARIANT if n == "City of London" else n for n in FORCE_NAMES] + [BTP]
    shape = (N_QUARTERS, n_forces, n_codes, N_TYPES)
    k_i, f_i, c_i, t_i = (a.ravel() for a in np.indices(shape))
    c0, c1 = col0.ravel(), col1.ravel()
    keep = (c0 != 0) | ((c1 != 0) & (t_i > 0))
    gmp = FORCE_NAMES.index(GMP_MISSING[0])
    gmp_rows = (f_i == gmp) & np.isin(k_i, GMP_MISSING[1])
    keep = (keep & ~gmp_rows) | gmp_rows
    k_i, f_i, c_i, t_i, c0, c1, gmp_rows = (a[keep] for a in (k_i, f_i, c_i, t_i, c0, c1, gmp_rows))

    s0 = np.where(gmp_rows, NA_NOT_PROVIDED, c0.astype(str))
    s1 = np.where(gmp_rows, NA_NOT_PROVIDED, np.where(t_i == 0, NA_TYPE0, c1.astype(str)))
    offs = [OFFENCES[CODES.index(c)] for c in OUTCOME_CODES]
    years = np.array([QUARTERS[k][0] for k in range(N_QUARTERS)])[k_i]
    df = pd.DataFrame(
        {
            "Financial Year": [fy_label(y) for y in years],
            "Financial Quarter": np.array([q for _, q in QUARTERS])[k_i],
            "Force Name": np.array(names)[f_i],
            "Offence Code": np.array(OUTCOME_CODES)[c_i],
            "Offence Description": np.array([o.description for o in offs])[c_i],
            "Offence Group": np.array([o.group for o in offs])[c_i],
            "Offence Subgroup": np.array([o.subgroup for o in offs])[c_i],
            "Offence code expired": "",
            "Outcome Type": t_i,
            "Outcome Description": np.array([OUTCOME_TYPES[t][0] for t in range(N_TYPES)])[t_i],
            "Outcome Group": np.array([OUTCOME_TYPES[t][1] for t in range(N_TYPES)])[t_i],
            "_c0": s0,
            "_c1": s1,
            "_year": years,
        }
    )
    df = df.sort_values(
        ["Financial Year", "Financial Quarter", "Force Name", "Offence Code", "Outcome Type"], kind="stable"
    )
    tables = {}
    for year, part in df.groupby("_year", sort=True):
        old = year <= OLD_HEADER_LAST_YEAR
        cols = OLD_COUNT_COLUMNS if old else NEW_COUNT_COLUMNS
        part = part.rename(columns={"_c0": cols[0], "_c1": cols[1]})
        tables[int(year)] = part[OLD_HEADER if old else NEW_HEADER].reset_index(drop=True)
    return tables


# ==================================================================================================
# Force returns
# ==================================================================================================
def ethnic_mix(diversity: np.ndarray) -> np.ndarray:
    """Victim ethnic mix (Asian, Black, Mixed, White, Other) for a diversity index in 0..1."""
    return (1 - diversity)[:, None] * MIX_LOW + diversity[:, None] * MIX_HIGH


def split_breakdown(
    rng: np.random.Generator, total: np.ndarray, completeness: np.ndarray, shares: np.ndarray
):
    """Split ``total`` (quarter, force) into recorded categories and an unrecorded remainder.

    ``completeness`` is per force; ``shares`` is (force, category). Returns (categories, remainder).
    """
    recorded = beta_binomial(rng, total, completeness[None, :], BREAKDOWN_CONCENTRATION)
    cats = dirichlet_multinomial(
        rng, recorded, np.broadcast_to(shares, (*total.shape, shares.shape[1])), BREAKDOWN_CONCENTRATION
    )
    return cats, total - recorded


def category_shares(rng: np.random.Generator, mix: np.ndarray) -> np.ndarray:
    """Ethnicity category shares including a force-varying 'Not stated' share among recorded records."""
    not_stated = rng.uniform(0.03, 0.12, len(mix))
    return np.column_stack([mix * (1 - not_stated)[:, None], not_stated])


def make_force_returns(rng: np.random.Generator, rng_more: np.random.Generator) -> pd.DataFrame:
    """Force returns (long: force x quarter x measure, with ethnicity and age breakdowns).

    ``rng_more`` draws the breakdowns added later (arrests by age band, police-perpetrated cases by
    ethnicity) from its own stream, so that every figure drawn before keeps its value.
    """
    forces = [i for i, n in enumerate(FORCE_NAMES) if n != RETURNS_ABSENT_FORCE]
    pop = POP_M[forces]
    n_f, ks = len(forces), np.arange(RETURNS_FIRST, N_QUARTERS)
    n_q = len(ks)
    t, season = T_YEARS[ks][:, None], SEASON[ks][:, None]
    col = {FORCE_NAMES[i]: j for j, i in enumerate(forces)}
    mix = ethnic_mix(DIVERSITY[forces])
    out: dict[tuple[str, str], np.ndarray] = {}  # (measure, dimension) -> (quarter, force[, category])

    # Domestic abuse crimes and arrests, with ethnicity and age breakdowns
    level = pop * force_variation(rng, n_f, FORCE_VARIATION_SD)
    da_exp = DA_FLAGGED_ANNUAL / 4 * level / level.sum() * season * (1 + DA_TREND) ** (t - ANCHOR_YEARS)
    flagged = noisy_poisson(rng, da_exp, 0.05)
    eth_cat, eth_rest = split_breakdown(
        rng, flagged, rng.uniform(*COMPLETENESS_RANGE, n_f), category_shares(rng, mix)
    )
    age_cat, _ = split_breakdown(
        rng,
        flagged,
        rng.uniform(*COMPLETENESS_RANGE, n_f),
        np.broadcast_to(AGE_SHARES, (n_f, len(AGE_SHARES))),
    )
    arrest_p = np.broadcast_to(np.clip(rng.normal(DA_ARREST_RATE, 0.04, n_f), 0.25, 0.45), (n_q, n_f)).copy()
    force, start, before, after = KENT_DA_ARREST
    arrest_p[:, col[force]] = np.where(ks >= start, after, before)
    arrest_q = rng.beta(arrest_p * 600, (1 - arrest_p) * 600)
    arrest_cat = rng.binomial(eth_cat, arrest_q[..., None])
    arrests = arrest_cat.sum(axis=-1) + rng.binomial(eth_rest, arrest_q)
    start, before, after = ARREST_GAP_BLACK
    gap = np.zeros(arrest_cat.shape)
    gap[..., ETHNICITY.index("Asian")] = ARREST_GAP_ASIAN
    gap[..., ETHNICITY.index("Black")] = np.where(ks >= start, after, before)[:, None]
    thinned = rng_more.binomial(arrest_cat, np.clip(1 - gap / arrest_q[..., None], 0, 1))
    arrests -= (arrest_cat - thinned).sum(axis=-1)
    arrest_cat = thinned
    out["da_flagged_crimes", ""] = flagged
    out["da_flagged_crimes", "victim_ethnicity"] = eth_cat
    out["da_flagged_crimes", "victim_age_band"] = age_cat
    out["da_arrests", ""] = arrests
    out["da_arrests", "victim_ethnicity"] = arrest_cat
    # Arrests by age band: the force's quarterly arrest rate applied to each band, capped so the
    # bands never add up to more than the total (as real returns must not).
    arrest_age = rng_more.binomial(age_cat, arrest_q[..., None])
    over = arrest_age.sum(axis=-1, keepdims=True)
    arrest_age = np.where(over > arrests[..., None], arrest_age * arrests[..., None] // np.maximum(over, 1),
                          arrest_age)
    out["da_arrests", "victim_age_band"] = arrest_age

    # Protective orders and the disclosure scheme
    dvpn_rate = DVPN_ANNUAL / DA_FLAGGED_ANNUAL * np.exp(rng.normal(-0.08, 0.4, n_f))
    out["dvpn_issued", ""] = dvpn = noisy_poisson(rng, flagged * dvpn_rate, 0.15)
    out["dvpo_granted", ""] = beta_binomial(rng, dvpn, DVPO_PER_DVPN, 60)
    dvds_rate = DVDS_APPLICATIONS_ANNUAL / DA_FLAGGED_ANNUAL * np.exp(rng.normal(-0.03, 0.25, n_f))
    out["dvds_applications", ""] = apps = noisy_poisson(rng, flagged * dvds_rate, 0.08)
    disclosure_p = np.clip(rng.normal(DVDS_DISCLOSURE_RATE, 0.06, n_f), 0.2, 0.6)
    out["dvds_disclosures", ""] = disc = beta_binomial(rng, apps, disclosure_p, 200)
    timely_p = np.clip(rng.normal(DVDS_28_DAY_RATE, 0.10, n_f), 0.35, 0.85)
    out["dvds_disclosures_within_28_days", ""] = beta_binomial(rng, disc, timely_p, 100)

    # Victim satisfaction survey, with ethnicity breakdown
    resp_base = np.clip((100 + 55 * pop) * rng.uniform(0.9, 1.15, n_f), 110, 380)
    respondents = noisy_poisson(rng, np.broadcast_to(resp_base, (n_q, n_f)), 0.10)
    resp_cat, resp_rest = split_breakdown(
        rng, respondents, rng.uniform(*COMPLETENESS_RANGE, n_f), category_shares(rng, mix)
    )
    sat_p = np.broadcast_to(
        np.clip(rng.normal(SATISFACTION_RATE + 0.01, 0.04, n_f), 0.6, 0.8), (n_q, n_f)
    ).copy()
    force, start, shift = WYP_SATISFACTION
    sat_p[ks >= start, col[force]] += shift
    sat_q = rng.beta(sat_p * 400, (1 - sat_p) * 400)
    sat_cat = rng.binomial(resp_cat, np.clip(sat_q[..., None] + SATISFACTION_OFFSET, 0.01, 0.99))
    satisfied = sat_cat.sum(axis=-1) + rng.binomial(
        resp_rest, np.clip(sat_q + SATISFACTION_OFFSET_UNRECORDED, 0, 1)
    )
    out["victim_survey_respondents", ""] = respondents
    out["victim_survey_respondents", "victim_ethnicity"] = resp_cat
    out["victim_survey_satisfied", ""] = satisfied
    out["victim_survey_satisfied", "victim_ethnicity"] = sat_cat

    # Police-perpetrated VAWG (small numbers) and StreetSafe
    cases = noisy_poisson(rng, np.broadcast_to(0.5 + 1.2 * pop, (n_q, n_f)), 0.2)
    finalised = beta_binomial(rng, cases, POLICE_PERPETRATED_FINALISED, 20)
    out["police_perpetrated_cases", ""] = cases
    out["police_perpetrated_cases", "victim_ethnicity"], _ = split_breakdown(
        rng_more, cases, rng_more.uniform(*COMPLETENESS_RANGE, n_f), category_shares(rng_more, mix)
    )
    out["police_perpetrated_cases_finalised", ""] = finalised
    out["police_perpetrated_cases_no_action", ""] = beta_binomial(
        rng, finalised, POLICE_PERPETRATED_NO_ACTION, 20
    )
    street = (8 + 12 * pop) * season * rng.uniform(0.8, 1.2, n_f)
    force, start, factor = WARKS_STREETSAFE
    street[ks >= start, col[force]] *= factor
    out["streetsafe_reports", ""] = noisy_poisson(rng, street, 0.15)

    return force_returns_table(out, forces, ks)


def force_returns_table(out: dict, forces: list[int], ks: np.ndarray) -> pd.DataFrame:
    """Lay the force-return arrays out as long rows, dropping the deliberately missing ones."""
    categories = {"": ("",), "victim_ethnicity": ETHNICITY, "victim_age_band": AGE_BANDS}
    dim_order = ("", "victim_age_band", "victim_ethnicity")
    miss_force, miss_measure, miss_year = RETURNS_MISSING_MEASURE
    rows = []
    for qi, k in enumerate(ks):
        year, quarter = QUARTERS[k]
        for fj, i in enumerate(forces):
            name = DYFED_VARIANT if FORCE_NAMES[i] == "Dyfed-Powys" else FORCE_NAMES[i]
            for measure in MEASURES:
                if measure == "streetsafe_reports" and k < STREETSAFE_FIRST:
                    continue
                if (FORCE_NAMES[i], measure, year) == (miss_force, miss_measure, miss_year):
                    continue
                for dim in dim_order:
                    if (measure, dim) not in out:
                        continue
                    values = np.atleast_1d(out[measure, dim][qi, fj])
                    for cat, value in zip(categories[dim], values, strict=True):
                        rows.append((fy_label(year), quarter, name, measure, int(value), dim, cat))
    columns = [
        "Financial Year",
        "Financial Quarter",
        "Force Name",
        "Measure",
        "Value",
        "Dimension",
        "Category",
    ]
    df = pd.DataFrame(rows, columns=columns)
    return df.sort_values(["Financial Year", "Financial Quarter", "Force Name"], kind="stable").reset_index(
        drop=True
    )


# ==================================================================================================
# Main
# ==================================================================================================
def main() -> None:
    """Generate every sample file beside this script."""
    seeds = np.random.SeedSequence(SEED).spawn(5)
    rng_pop, rng_crime, rng_out, rng_ret, rng_more = (np.random.default_rng(s) for s in seeds)

    write_csv(make_population(rng_pop), OUT_DIR / "population.csv")
    recorded, lam, counts = make_recorded_crime(rng_crime)
    write_csv_gz(recorded, OUT_DIR / "recorded_crime.csv.gz")
    for year, table in outcome_tables(*make_outcome_counts(rng_out, lam, counts)).items():
        write_csv_gz(table, OUT_DIR / f"outcomes_{fy_label(year, '-')}.csv.gz")
    write_csv_gz(make_force_returns(rng_ret, rng_more), OUT_DIR / "force_returns.csv.gz")


if __name__ == "__main__":
    main()
