"""Calibration and power of vawgbook's change tests, by simulation through the real pipeline.

Run from the repository root (not a pytest test)::

    .venv/bin/python benchmarks/calibration.py            # default, ~10 minutes on 2 idle cores
    .venv/bin/python benchmarks/calibration.py --quick    # ~1-2 minutes
    .venv/bin/python benchmarks/calibration.py --seed 7 --workers 2

Each replicate writes a complete SYNTHETIC data folder in the published formats (recorded crime,
outcomes with the current header, force returns, population) for the 43 territorial forces over
22 quarters (2019/20 Q1 to 2024/25 Q2), runs ``vawgbook kpis --data DIR --period 2024-25-Q2`` as a
separate process and reads the ``kpi_results.csv`` it writes. Nothing in ``vawgbook`` is imported.
The pipeline runs as ``python -m vawgbook kpis`` (the same as the ``vawgbook`` command) from a copy of
the package taken when the benchmark starts (the working tree's ``vawgbook/``, or ``--code REV`` for a
commit), so that every replicate of one run uses the same code even if the files change meanwhile.

Two kinds of replicate:

* **no change** (the null figures): seasonality, force differences and extra-Poisson /
  extra-binomial noise, but no trend, no change and a flat population; every test is a true null.
* **step** (the power figures): the same, plus for each force and each of eleven target groups (with
  probability ``TARGET_PROB``) a step change in the last four quarters (2023/24 Q3 to 2024/25 Q2)
  of a known size: +5% .. +100% for counts and rates, +1 .. +5 percentage points for proportions.

``--rows FILE`` also writes every result row (scenario ``no_change`` / ``step``, role ``primary`` /
``secondary`` / ``unchanged``) for diagnostics.

The figures (false-positive rates, detection rates, minimum detectable change, realised FDR,
insufficient_data share, wall time) are printed and written to ``benchmarks/results/calibration.json``.
The same seed gives the same figures (wall times apart).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS_JSON = ROOT / "benchmarks" / "results" / "calibration.json"
DEFAULT_SEED = 20250601
PERIOD = "2024-25-Q2"
NATIONAL = "England and Wales"

# ------------------------------------------------------------------------------------------------
# Design of the simulation
# ------------------------------------------------------------------------------------------------
FIRST_YEAR, N_Q = 2019, 22  # 2019/20 Q1 .. 2024/25 Q2
RETURNS_FIRST, STREETSAFE_FIRST = 8, 10  # force returns from 2021/22 Q1, StreetSafe from 2021/22 Q3
STEP_FROM = N_Q - 4  # the step affects the last 12 months (2023/24 Q3 .. 2024/25 Q2)
SEASON = np.array([1.02, 1.08, 0.96, 0.94])  # Q1 (Apr-Jun) .. Q4; mean 1
PROP_SEASON = np.array([0.004, 0.0, -0.003, -0.001])  # additive seasonal wobble on proportions

COUNT_EFFECTS = (0.05, 0.10, 0.20, 0.50, 1.00)  # relative step, counts and rates
PROP_EFFECTS = (0.01, 0.02, 0.05)  # absolute step (proportion), i.e. +1, +2, +5 points
TARGET_PROB = 0.2  # chance a force gets a step in each target group (power replicates)

# Forces: resident population mid-2019 (millions, realistic scale; as in data/sample).
POPULATION_M = {
    "Avon and Somerset": 1.73, "Bedfordshire": 0.69, "Cambridgeshire": 0.86, "Cheshire": 1.07,
    "City of London": 0.0099, "Cleveland": 0.57, "Cumbria": 0.50, "Derbyshire": 1.06,
    "Devon and Cornwall": 1.78, "Dorset": 0.77, "Durham": 0.63, "Dyfed-Powys": 0.52, "Essex": 1.85,
    "Gloucestershire": 0.64, "Greater Manchester": 2.84, "Gwent": 0.59, "Hampshire": 2.01,
    "Hertfordshire": 1.19, "Humberside": 0.93, "Kent": 1.85, "Lancashire": 1.51,
    "Leicestershire": 1.10, "Lincolnshire": 0.76, "Merseyside": 1.43, "Metropolitan Police": 8.90,
    "Norfolk": 0.91, "North Wales": 0.70, "North Yorkshire": 0.83, "Northamptonshire": 0.75,
    "Northumbria": 1.46, "Nottinghamshire": 1.16, "South Wales": 1.33, "South Yorkshire": 1.41,
    "Staffordshire": 1.13, "Suffolk": 0.76, "Surrey": 1.20, "Sussex": 1.71, "Thames Valley": 2.42,
    "Warwickshire": 0.58, "West Mercia": 1.31, "West Midlands": 2.92, "West Yorkshire": 2.33,
    "Wiltshire": 0.72,
}  # fmt: skip
FORCES = tuple(POPULATION_M)
POP = np.array([POPULATION_M[f] for f in FORCES])
N_F = len(FORCES)
CITY = FORCES.index("City of London")
SMALL_BELOW, LARGE_FROM = 0.8, 1.7  # size bands by resident population (millions)


def band(force: str) -> str:
    if force == NATIONAL:
        return "national"
    pop = POPULATION_M[force]
    return "small" if pop < SMALL_BELOW else "large" if pop >= LARGE_FROM else "medium"


# Offence codes: code, description, group, subgroup, national annual count, outcome family.
OFFENCES = (
    ("19C", "Rape of a female aged 16 and over", "Sexual offences", "Rape", 40_000, "rape"),
    ("19D", "Rape of a female child under 16", "Sexual offences", "Rape", 13_500, "rape"),
    ("19E", "Rape of a female child under 13", "Sexual offences", "Rape", 6_500, "rape"),
    ("20A", "Sexual assault on a female aged 13 and over", "Sexual offences", "Other sexual offences",
     70_000, "sa"),
    ("20B", "Sexual assault on a female child under 13", "Sexual offences", "Other sexual offences",
     10_000, "sa"),
    ("88E", "Exposure and voyeurism", "Sexual offences", "Other sexual offences", 10_000, "exp"),
    ("8Q", "Stalking", "Violence against the person", "Stalking and harassment", 140_000, "stalk"),
    ("8L", "Harassment", "Violence against the person", "Stalking and harassment", 280_000, "har"),
    ("8U", "Controlling or coercive behaviour", "Violence against the person",
     "Stalking and harassment", 45_000, "ccb"),
    ("8N", "Assault with injury", "Violence against the person", "Violence with injury", 520_000, ""),
)
VAWG = [o[0] for o in OFFENCES if o[5]]
CODES = [o[0] for o in OFFENCES]
RAPE_IDX = [0, 1, 2]
SH_IDX = [6, 7, 8]
VAWG_IDX = list(range(9))

OUTCOME_TYPES = {
    0: ("Not yet assigned an outcome", "Not yet assigned an outcome"),
    1: ("Charged/Summonsed", "Charged/Summonsed"),
    2: ("Youth caution", "Out-of-court (formal)"),
    3: ("Adult caution", "Out-of-court (formal)"),
    5: ("Offender died", "Prosecution prevented or not in the public interest"),
    8: ("Community resolution", "Out-of-court (informal)"),
    9: ("Not in public interest (CPS)", "Prosecution prevented or not in the public interest"),
    10: ("Not in public interest (police)", "Prosecution prevented or not in the public interest"),
    11: ("Prosecution prevented - suspect under age", "Prosecution prevented or not in the public interest"),
    13: ("Prosecution prevented - victim or key witness dead or too ill",
         "Prosecution prevented or not in the public interest"),
    14: ("Evidential difficulties: suspect not identified; victim does not support further action",
         "Evidential difficulties"),
    15: ("Evidential difficulties: suspect identified; victim supports action", "Evidential difficulties"),
    16: ("Evidential difficulties: victim does not support action", "Evidential difficulties"),
    17: ("Prosecution time limit expired", "Prosecution time limit expired"),
    18: ("Investigation complete - no suspect identified", "Investigation complete - no suspect identified"),
    20: ("Responsibility for further investigation transferred to another body",
         "Action taken by another body/agency"),
    21: ("Further investigation not in the public interest (police decision)",
         "Further investigation not in the public interest"),
    22: ("Diversionary, educational or intervention activity",
         "Diversionary, educational or intervention activity"),
}  # fmt: skip
TYPES = sorted(OUTCOME_TYPES)  # the outcome types written (0 and the common assigned types)
TYPE_COL = {t: i for i, t in enumerate(TYPES)}
# Base "closed with" weights (per cent of assigned outcomes) by offence family, as in data/sample.
WEIGHTS = {
    "rape": {1: 2.5, 2: 0.1, 3: 0.1, 5: 0.2, 8: 0.1, 9: 0.3, 10: 0.2, 11: 0.8, 13: 0.5, 14: 2.0,
             15: 30.0, 16: 46.0, 17: 0.1, 18: 3.0, 20: 3.5, 21: 3.0, 22: 0.2},
    "sa": {1: 9.0, 2: 0.6, 3: 1.5, 5: 0.1, 8: 1.5, 9: 0.3, 10: 0.6, 11: 1.0, 13: 0.4, 14: 5.0,
           15: 20.0, 16: 37.0, 17: 0.2, 18: 13.0, 20: 2.5, 21: 3.0, 22: 0.5},
    "exp": {1: 9.0, 2: 0.5, 3: 2.0, 5: 0.1, 8: 3.0, 10: 0.8, 11: 0.5, 14: 7.0, 15: 12.0, 16: 22.0,
            17: 0.3, 18: 34.0, 20: 2.0, 21: 4.0, 22: 1.0},
    "stalk": {1: 6.5, 2: 0.3, 3: 1.5, 5: 0.1, 8: 1.5, 9: 0.3, 10: 0.8, 11: 0.3, 13: 0.2, 14: 1.5,
              15: 24.0, 16: 53.0, 17: 0.2, 18: 4.0, 20: 2.0, 21: 2.5, 22: 0.5},
    "har": {1: 4.8, 2: 0.6, 3: 1.5, 5: 0.1, 8: 4.0, 9: 0.2, 10: 1.2, 11: 0.3, 13: 0.2, 14: 4.0,
            15: 12.0, 16: 52.0, 17: 0.5, 18: 14.0, 20: 2.0, 21: 2.5, 22: 0.8},
    "ccb": {1: 5.5, 3: 0.5, 5: 0.1, 8: 0.3, 9: 0.3, 10: 0.4, 11: 0.1, 13: 0.2, 14: 0.5, 15: 25.0,
            16: 60.0, 17: 0.1, 18: 1.0, 20: 2.5, 21: 3.0, 22: 0.3},
}  # fmt: skip
PROTECTED = (1, 14, 16, 18)  # the KPI types; a step in one is taken pro rata from the others

# Power targets: (name, kind of effect, primary KPIs, secondary KPIs (changed by a smaller,
# mixed amount: excluded from the power and null tables, counted as real changes for the FDR).
# Targets in one tuple exclude each other (at most one per force).
TARGET_GROUPS = (
    (("recorded_all", "relative", ("vawg_recorded", "rape_recorded", "stalking_harassment_recorded",
                                   "vawg_rate_per_1000_female"), ()),
     ("recorded_rape", "relative", ("rape_recorded",), ("vawg_recorded", "vawg_rate_per_1000_female")),
     ("recorded_sh", "relative", ("stalking_harassment_recorded",),
      ("vawg_recorded", "vawg_rate_per_1000_female"))),
    (("police_perpetrated", "relative", ("police_perpetrated_cases",), ()),),
    (("streetsafe", "relative", ("streetsafe_reports",), ()),),
    (("dvpo", "relative", ("dvpo_rate",), ()),),
    (("charge_all", "points", ("vawg_charge_rate", "rape_charge_rate",
                               "stalking_harassment_charge_rate"), ()),
     ("charge_rape", "points", ("rape_charge_rate",), ("vawg_charge_rate",))),
    (("not_supporting", "points", ("vawg_victim_not_supporting_rate",), ()),),
    (("no_suspect", "points", ("vawg_no_suspect_rate",), ()),),
    (("da_arrest", "points", ("da_arrest_rate",), ()),),
    (("dvds_timeliness", "points", ("dvds_timeliness_rate",), ()),),
    (("satisfaction", "points", ("victim_satisfaction_rate",), ()),),
    (("pp_no_action", "points", ("police_perpetrated_no_action_rate",), ()),),
)  # fmt: skip

TARGET_ORDER = [t[0] for group in TARGET_GROUPS for t in group]


# ------------------------------------------------------------------------------------------------
# Random helpers
# ------------------------------------------------------------------------------------------------
def phi_for(mu) -> np.ndarray:
    """Target extra-Poisson dispersion for a series with typical quarterly count ``mu``.

    About 1.1 at 1 a quarter, 2 at 10, 4.6 at 100 (City of London VAWG), 10 at 1,600 (a medium
    force's VAWG), 22 at 24,000 (the Metropolitan Police's VAWG).
    """
    mu = np.asarray(mu, float)
    return 1.0 + mu**0.3 * mu / (mu + 10)


def gamma_factor(rng, cv2, shape) -> np.ndarray:
    """Multiplicative gamma noise, mean 1, squared coefficient of variation ``cv2``."""
    cv2 = np.broadcast_to(np.maximum(np.asarray(cv2, float), 1e-9), shape)
    return rng.gamma(1.0 / cv2, cv2)


def gamma_poisson(rng, lam, phi, level=None) -> np.ndarray:
    """Counts with mean ``lam`` and variance ``phi * lam`` at the series' typical level ``level``."""
    lam = np.asarray(lam, float)
    level = lam.mean(axis=0, keepdims=True) if level is None else level
    cv2 = (np.asarray(phi, float) - 1.0) / np.maximum(level, 1e-9)
    return rng.poisson(lam * gamma_factor(rng, cv2, lam.shape)).astype(np.int64)


def beta_binomial(rng, n, p, conc) -> np.ndarray:
    """``Binomial(n, q)``, ``q ~ Beta(p c, (1 - p) c)``: extra-binomial variation 1 + (n-1)/(c+1)."""
    n, p, conc = np.broadcast_arrays(np.asarray(n), np.clip(p, 1e-6, 1 - 1e-6), np.asarray(conc, float))
    return rng.binomial(n, rng.beta(p * conc, (1 - p) * conc)).astype(np.int64)


def force_factor(rng, sd=0.12) -> np.ndarray:
    return np.clip(np.exp(rng.normal(0.0, sd, N_F)), 0.7, 1.3)


# ------------------------------------------------------------------------------------------------
# One synthetic data set
# ------------------------------------------------------------------------------------------------
def draw_targets(rng, power: bool) -> list[dict]:
    """The step changes of one replicate: force, target, effect kind and size, KPIs."""
    targets = []
    if not power:
        return targets
    for f, force in enumerate(FORCES):
        for group in TARGET_GROUPS:
            if rng.random() >= TARGET_PROB:
                continue
            name, effect_kind, primary, secondary = group[rng.integers(len(group))]
            sizes = COUNT_EFFECTS if effect_kind == "relative" else PROP_EFFECTS
            targets.append({"f": f, "force": force, "target": name, "effect_kind": effect_kind,
                            "size": float(sizes[rng.integers(len(sizes))]),
                            "primary": primary, "secondary": secondary})
    return targets


def step_array(targets, name: str, shape=(N_Q, N_F)) -> np.ndarray:
    """Size of the step of target ``name`` in each quarter and force (0 where none)."""
    out = np.zeros(shape)
    for t in targets:
        if t["target"] == name:
            out[STEP_FROM:, t["f"]] = t["size"]
    return out


def quarter_labels():
    years = FIRST_YEAR + np.arange(N_Q) // 4
    return years, np.arange(N_Q) % 4 + 1


def fy(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def make_dataset(rng, targets) -> dict[str, pd.DataFrame]:
    """Every input table of one replicate (keys are file names)."""
    years, quarters = quarter_labels()
    qoy = np.arange(N_Q) % 4
    profile = SEASON[:, None] * np.exp(rng.normal(0, 0.02, (4, N_F)))  # each force's own season
    season_f = (profile / profile.mean(axis=0))[qoy]  # (Q, F)
    files = {}

    # Population: resident estimates for calendar years 2019-2024, held flat so that a rate per
    # population has exactly no change when its count has none (growth would be a real change).
    female_share = np.clip(rng.normal(0.510, 0.003, N_F), 0.503, 0.517)
    female_share[CITY] = 0.468
    pop_rows = []
    for f, force in enumerate(FORCES):
        for year in range(FIRST_YEAR, FIRST_YEAR + 6):
            total = int(round(POP[f] * 1e6))
            pop_rows.append((force, year, int(round(total * female_share[f])), total))
    files["population.csv"] = pd.DataFrame(
        pop_rows, columns=["Force Name", "Year", "Female Population", "Total Population"])

    # Recorded crime: national volume x population share x force level x season x step, with a
    # common force-quarter "recording" factor and a code-level factor (gamma), then Poisson.
    general = force_factor(rng)
    mult = np.stack([np.clip(general * force_factor(rng, 0.08), 0.7, 1.3) for _ in CODES], axis=1)
    mult[CITY] *= 4.0  # City of London: large daytime population against ~10k residents
    weight = POP[:, None] * mult
    share = weight / weight.sum(axis=0)
    annual = np.array([o[4] for o in OFFENCES], float)
    lam = annual / 4 * share[None] * season_f[:, :, None]  # (Q, F, C)
    step = np.ones_like(lam)
    for name, idx in (("recorded_all", VAWG_IDX), ("recorded_rape", RAPE_IDX), ("recorded_sh", SH_IDX)):
        step[:, :, idx] *= (1 + step_array(targets, name))[:, :, None]
    lam = lam * step
    base_level = (annual / 4 * share)  # (F, C) typical quarterly level
    vawg_level = base_level[:, VAWG_IDX].sum(axis=1)
    common_cv2 = 0.7 * (phi_for(vawg_level) - 1) / vawg_level
    code_cv2 = 0.3 * (phi_for(base_level) - 1) / base_level
    common = gamma_factor(rng, common_cv2[None, :, None], (N_Q, N_F, 1))
    counts = rng.poisson(lam * common * gamma_factor(rng, code_cv2[None], lam.shape)).astype(np.int64)
    k_i, f_i, c_i = (a.ravel() for a in np.indices(counts.shape))
    files["recorded_crime.csv"] = pd.DataFrame({
        "Financial Year": [fy(y) for y in years[k_i]],
        "Financial Quarter": quarters[k_i],
        "Force Name": np.array(FORCES)[f_i],
        "Offence Description": np.array([o[1] for o in OFFENCES])[c_i],
        "Offence Group": np.array([o[2] for o in OFFENCES])[c_i],
        "Offence Subgroup": np.array([o[3] for o in OFFENCES])[c_i],
        "Offence Code": np.array(CODES)[c_i],
        "Number of Offences": counts.ravel(),
    })

    # Outcomes (current header): all outcomes assigned ~ 0.9 x expected recorded, split over the
    # types by a Dirichlet-multinomial around force-specific shares (extra-binomial variation).
    n_c, n_t = len(VAWG_IDX), len(TYPES)
    w = np.zeros((n_c, n_t))
    for c in VAWG_IDX:
        for t, pct in WEIGHTS[OFFENCES[c][5]].items():
            w[c, TYPE_COL[t]] = pct
    eff = np.ones((N_F, n_t))
    eff[:, TYPE_COL[1]] = np.exp(rng.normal(0, 0.25, N_F))
    eff[:, TYPE_COL[18]] = np.exp(rng.normal(0, 0.20, N_F))
    eff[:, [TYPE_COL[14], TYPE_COL[16]]] = np.exp(rng.normal(0, 0.10, N_F))[:, None]
    shares = w[None, None] * eff[None, :, None, :] * np.ones((N_Q, 1, 1, 1))  # (Q, F, C, T)
    shares[..., TYPE_COL[1]] *= (1 + 10 * PROP_SEASON[qoy])[:, None, None]
    shares /= shares.sum(axis=-1, keepdims=True)
    for name, codes, types in (("charge_all", VAWG_IDX, (1,)), ("charge_rape", RAPE_IDX, (1,)),
                               ("not_supporting", VAWG_IDX, (14, 16)), ("no_suspect", VAWG_IDX, (18,))):
        for t in targets:
            if t["target"] == name:
                add_points(shares, t["f"], codes, types, t["size"])
    assigned = rng.poisson(0.9 * lam[:, :, VAWG_IDX] * gamma_factor(rng, 0.05**2, (N_Q, N_F, n_c)))
    conc = 1500 * np.exp(rng.normal(0, 0.4, N_F))[None, :, None, None]
    g = rng.gamma(np.maximum(shares * conc, 1e-12))
    p = g / g.sum(axis=-1, keepdims=True)
    closed = rng.multinomial(assigned, p).astype(np.int64)  # (Q, F, C, T); type 0 column is 0
    same_quarter = rng.binomial(closed, 0.3)
    same_quarter[..., 0] = np.maximum(counts[:, :, VAWG_IDX] - same_quarter.sum(axis=-1), 0)
    k_i, f_i, c_i, t_i = (a.ravel() for a in np.indices(closed.shape))
    c0, c1 = same_quarter.ravel(), closed.ravel()
    keep = (c0 != 0) | (c1 != 0)
    k_i, f_i, c_i, t_i, c0, c1 = (a[keep] for a in (k_i, f_i, c_i, t_i, c0, c1))
    otype = np.array(TYPES)[t_i]
    outcomes = pd.DataFrame({
        "Financial Year": [fy(y) for y in years[k_i]],
        "Financial Quarter": quarters[k_i],
        "Force Name": np.array(FORCES)[f_i],
        "Offence Code": np.array(VAWG)[c_i],
        "Offence Description": np.array([o[1] for o in OFFENCES])[c_i],
        "Offence Group": np.array([o[2] for o in OFFENCES])[c_i],
        "Offence Subgroup": np.array([o[3] for o in OFFENCES])[c_i],
        "Offence code expired": "",
        "Outcome Type": otype,
        "Outcome Description": [OUTCOME_TYPES[t][0] for t in otype],
        "Outcome Group": [OUTCOME_TYPES[t][1] for t in otype],
        "Outcomes for offences that were recorded in the quarter": c0,
        "Outcomes for investigations closed in the quarter": np.where(otype == 0, "N/A", c1.astype(str)),
    })
    for year, part in outcomes.groupby(years[k_i], sort=True):
        files[f"outcomes_{year}-{(year + 1) % 100:02d}.csv"] = part.reset_index(drop=True)

    # Force returns (from 2021/22 Q1).
    level = POP * force_factor(rng)
    da_lam = 900_000 / 4 * (level / level.sum())[None, :] * season_f
    flagged = gamma_poisson(rng, da_lam, phi_for(da_lam.mean(axis=0)))
    conc_arrest = 1500 * np.exp(rng.normal(0, 0.4, N_F))
    p_arrest = np.clip(rng.normal(0.35, 0.04, N_F), 0.25, 0.45)[None, :] + PROP_SEASON[qoy][:, None]
    arrests = beta_binomial(rng, flagged, p_arrest + step_array(targets, "da_arrest"), conc_arrest)
    dvpn_rate = 10_000 / 900_000 * np.exp(rng.normal(-0.08, 0.4, N_F))[None, :]
    dvpn_lam = flagged * dvpn_rate * (1 + step_array(targets, "dvpo"))  # orders follow the crimes
    dvpn_level = (da_lam * dvpn_rate)[:STEP_FROM].mean(axis=0, keepdims=True)
    dvpn = gamma_poisson(rng, dvpn_lam, phi_for(dvpn_level), level=dvpn_level)
    dvpo = beta_binomial(rng, dvpn, 0.9, 60)
    apps_lam = da_lam * 0.11 * np.exp(rng.normal(-0.03, 0.25, N_F))[None, :]
    apps = gamma_poisson(rng, apps_lam, phi_for(apps_lam.mean(axis=0)))
    disclosures = beta_binomial(rng, apps, np.clip(rng.normal(0.40, 0.06, N_F), 0.2, 0.6), 200)
    p_timely = np.clip(rng.normal(0.60, 0.10, N_F), 0.35, 0.85)[None, :] + PROP_SEASON[qoy][:, None]
    timely = beta_binomial(rng, disclosures, p_timely + step_array(targets, "dvds_timeliness"),
                           1500 * np.exp(rng.normal(0, 0.4, N_F)))
    resp_lam = np.clip((100 + 55 * POP) * rng.uniform(0.9, 1.15, N_F), 110, 380) * np.ones((N_Q, 1))
    respondents = gamma_poisson(rng, resp_lam, 1 + 0.01 * resp_lam[0])
    p_sat = np.clip(rng.normal(0.70, 0.04, N_F), 0.6, 0.8)[None, :] + PROP_SEASON[qoy][:, None]
    satisfied = beta_binomial(rng, respondents, p_sat + step_array(targets, "satisfaction"), 400)
    pp_lam = (0.5 + 1.2 * POP) * np.ones((N_Q, 1)) * (1 + step_array(targets, "police_perpetrated"))
    pp_level = pp_lam[:STEP_FROM].mean(axis=0, keepdims=True)
    cases = gamma_poisson(rng, pp_lam, phi_for(pp_level), level=pp_level)
    finalised = beta_binomial(rng, cases, 0.75, 20)
    no_action = beta_binomial(rng, finalised, 0.45 + step_array(targets, "pp_no_action"), 20)
    ss_lam = (8 + 12 * POP) * rng.uniform(0.8, 1.2, N_F) * season_f * (1 + step_array(targets, "streetsafe"))
    ss_level = ss_lam[:STEP_FROM].mean(axis=0, keepdims=True)
    streetsafe = gamma_poisson(rng, ss_lam, phi_for(ss_level), level=ss_level)
    measures = {
        "da_flagged_crimes": flagged, "da_arrests": arrests, "dvpn_issued": dvpn, "dvpo_granted": dvpo,
        "dvds_applications": apps, "dvds_disclosures": disclosures,
        "dvds_disclosures_within_28_days": timely, "victim_survey_respondents": respondents,
        "victim_survey_satisfied": satisfied, "police_perpetrated_cases": cases,
        "police_perpetrated_cases_finalised": finalised,
        "police_perpetrated_cases_no_action": no_action, "streetsafe_reports": streetsafe,
    }  # fmt: skip
    parts = []
    for measure, values in measures.items():
        first = STREETSAFE_FIRST if measure == "streetsafe_reports" else RETURNS_FIRST
        k_i, f_i = (a.ravel() for a in np.indices((N_Q - first, N_F)))
        k_i = k_i + first
        parts.append(pd.DataFrame({
            "k": k_i, "f": f_i, "Measure": measure, "Value": values[first:].ravel(),
        }))
    returns = pd.concat(parts, ignore_index=True).sort_values(["k", "f"], kind="stable")
    files["force_returns.csv"] = pd.DataFrame({
        "Financial Year": [fy(y) for y in years[returns["k"]]],
        "Financial Quarter": quarters[returns["k"]],
        "Force Name": np.array(FORCES)[returns["f"]],
        "Measure": returns["Measure"].to_numpy(),
        "Value": returns["Value"].to_numpy(),
        "Dimension": "",
        "Category": "",
    })
    return files


def add_points(shares, f, codes, types, points) -> None:
    """Raise the share of ``types`` by ``points`` (absolute) in the last 12 months for force ``f``,
    taking it pro rata from the outcome types that no KPI counts (shares stay a distribution)."""
    cols = [TYPE_COL[t] for t in types]
    prot = [TYPE_COL[t] for t in PROTECTED]
    others = [i for i in range(len(TYPES)) if i not in prot and TYPES[i] != 0]
    for c in codes:
        s = shares[STEP_FROM:, f, c, :]
        target = s[:, cols]
        s[:, cols] = target + points * target / target.sum(axis=1, keepdims=True)
        room = 1 - s[:, prot].sum(axis=1, keepdims=True)
        if np.any(room <= 0):
            raise ValueError("step too large for the outcome shares")
        s[:, others] *= room / s[:, others].sum(axis=1, keepdims=True)


# ------------------------------------------------------------------------------------------------
# One replicate: write, run the pipeline, read the results
# ------------------------------------------------------------------------------------------------
PHI_RE = re.compile(r"phi=([0-9.]+)")
PHI_FLOORED_RE = re.compile(r"phi estimate [0-9.]+ floored")
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def run_kpis(files: dict[str, pd.DataFrame], label: str, code: str) -> pd.DataFrame:
    """Write a data folder of ``files``, run ``vawgbook kpis`` on it from the package in ``code``
    as a separate process, and return the ``kpi_results.csv`` it writes."""
    work = Path(tempfile.mkdtemp(prefix=f"vawg_{label}_"))
    try:
        data = work / "data"
        data.mkdir()
        for name, frame in files.items():
            frame.to_csv(data / name, index=False, lineterminator="\n")
        out = work / "kpi_results.csv"
        proc = subprocess.run(
            [sys.executable, "-m", "vawgbook", "kpis", "--data", str(data), "--period", PERIOD,
             "--out", str(out)],
            capture_output=True, text=True, cwd=work, env={**os.environ, **ONE_THREAD, "PYTHONPATH": code},
        )
        if proc.returncode != 0:
            raise RuntimeError(f"vawgbook kpis failed on {label}: {proc.stderr.strip()}")
        return pd.read_csv(out, dtype={"period": str})
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_replicate(task: tuple[str, int, np.random.SeedSequence, str]) -> pd.DataFrame:
    scenario, rep, seed, code = task
    rng = np.random.default_rng(seed)
    targets = draw_targets(rng, scenario == "step")
    res = run_kpis(make_dataset(rng, targets), f"cal_{scenario}{rep}", code)

    phi = res["method"].str.extract(PHI_RE, expand=False).astype(float)
    res["phi"] = phi.where(phi.notna(), np.where(res["method"].str.contains("plain"), 1.0, np.nan))
    # How phi was obtained: estimated above 1, estimated at or below 1 and floored, or not estimated.
    res["dispersion"] = np.select(
        [phi.notna(), res["method"].str.contains(PHI_FLOORED_RE), res["method"].str.contains("plain")],
        ["estimated > 1", "estimate <= 1, floored", "not estimated"], "none")
    res["scenario"], res["rep"] = scenario, rep
    res["band"] = res["force"].map(band)
    truth: dict[tuple[str, str], tuple] = {}
    for t in targets:
        for kpi in t["secondary"]:
            truth.setdefault((t["force"], kpi), ("secondary", t["target"], "", np.nan))
            truth[NATIONAL, kpi] = ("secondary", "", "", np.nan)  # the national total moves too
        for kpi in t["primary"]:
            truth[t["force"], kpi] = ("primary", t["target"], t["effect_kind"], t["size"])
            truth[NATIONAL, kpi] = ("secondary", "", "", np.nan)
    keys = zip(res["force"], res["kpi_id"], strict=True)
    cells = [truth.get(k, ("unchanged", "", "", np.nan)) for k in keys]
    for i, col in enumerate(("role", "target", "effect_kind", "effect")):
        res[col] = [c[i] for c in cells]
    keep = ["scenario", "rep", "force", "band", "kpi_id", "kind", "comparison", "value",
            "baseline_value", "change", "p_value", "q_value", "min_detectable_change", "assessment",
            "phi", "dispersion", "role", "target", "effect_kind", "effect"]
    return res[keep]


# ------------------------------------------------------------------------------------------------
# Summaries
# ------------------------------------------------------------------------------------------------
def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    if n == 0:
        return (np.nan, np.nan)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate(flags: pd.Series) -> dict:
    n, k = int(flags.size), int(flags.sum())
    lo, hi = wilson(k, n)
    return {"n": n, "k": k, "rate": k / n if n else np.nan, "ci95": [lo, hi]}


def null_tables(null: pd.DataFrame) -> dict:
    """False-positive rates on the null replicates (all rows are true nulls)."""
    tested = null.loc[null["assessment"] != "insufficient_data"]
    out: dict = {"by_kind": {}, "by_band": {}, "by_kpi": {}, "by_dispersion": {}, "overall": {},
                 "any_discovery": {}, "median_phi": {}}
    for comp, rows in tested.groupby("comparison"):
        sig_p, sig_q = rows["p_value"] < 0.05, rows["q_value"] < 0.05
        forces = rows["force"] != NATIONAL
        out["overall"][comp] = {"p<0.05": rate(sig_p[forces]), "q<0.05": rate(sig_q[forces]),
                                "p<0.01": rate((rows["p_value"] < 0.01)[forces]),
                                "p<0.001": rate((rows["p_value"] < 0.001)[forces]),
                                "p<0.10": rate((rows["p_value"] < 0.10)[forces])}
        for col, name in (("kind", "by_kind"), ("band", "by_band"), ("kpi_id", "by_kpi"),
                          ("dispersion", "by_dispersion")):
            out[name][comp] = {}
            # Only the size bands include the national rows (as their own band).
            for level, part in (rows if col == "band" else rows.loc[forces]).groupby(col):
                out[name][comp][level] = {"p<0.05": rate(part["p_value"] < 0.05),
                                          "p<0.001": rate(part["p_value"] < 0.001),
                                          "q<0.05": rate(part["q_value"] < 0.05)}
        any_q = rows.groupby("rep")["q_value"].min() < 0.05
        out["any_discovery"][comp] = rate(any_q)
        phis = rows.loc[forces]
        out["median_phi"][comp] = {
            f"{kind}/{b}": float(part["phi"].median())
            for (kind, b), part in phis.groupby(["kind", "band"])
        }
        out["phi_deciles"] = out.get("phi_deciles", {})
        out["phi_deciles"][comp] = {
            kpi: [float(x) for x in part["phi"].quantile([0.1, 0.5, 0.9])]
            for kpi, part in phis.groupby("kpi_id")
        }
    out["insufficient_data"] = rate(null["assessment"] == "insufficient_data")
    out["insufficient_data_by_kpi"] = {
        f"{kpi}/{comp}": rate(part["assessment"] == "insufficient_data")
        for (kpi, comp), part in null.groupby(["kpi_id", "comparison"])
        if (part["assessment"] == "insufficient_data").any()
    }
    return out


def effect_label(effect_kind: str, size: float) -> str:
    return f"+{size:.0%}" if effect_kind == "relative" else f"+{size * 100:.0f} pts"


def power_tables(power: pd.DataFrame) -> dict:
    """Detection rates of the known steps (primary rows), realised FDR, minimum detectable change."""
    out: dict = {"detection": {}, "detection_by_target": {}, "fdr": {}, "mdc": {}, "null_rows": {}}
    prim = power.loc[power["role"] == "primary"].copy()
    prim["detected"] = (prim["q_value"] < 0.05) & (prim["change"] > 0)
    prim["detected_p"] = (prim["p_value"] < 0.05) & (prim["change"] > 0)
    for comp, rows in prim.groupby("comparison"):
        table = {}
        for (ek, size), part in rows.groupby(["effect_kind", "effect"]):
            label = effect_label(ek, size)
            cell = {"all": {**rate(part["detected"]), "p<0.05": rate(part["detected_p"])["rate"]}}
            for b, bp in part.groupby("band"):
                cell[b] = {**rate(bp["detected"]), "p<0.05": rate(bp["detected_p"])["rate"]}
            table[label] = cell
        out["detection"][comp] = table
        out["detection_by_target"][comp] = {
            target: {effect_label(ek, size): rate(tp["detected"]) for (ek, size), tp in part.groupby(
                ["effect_kind", "effect"])}
            for target, part in sorted(rows.groupby("target"), key=lambda tp: TARGET_ORDER.index(tp[0]))
        }
    # Realised false discovery proportion per replicate: discoveries among true nulls (or in the
    # wrong direction for a real step) over all discoveries; averaged over replicates = FDR.
    for comp, rows in power.groupby("comparison"):
        fdp = []
        for _, rep in rows.groupby("rep"):
            disc = rep["q_value"] < 0.05
            false = disc & ((rep["role"] == "unchanged") | ((rep["role"] == "primary") & (rep["change"] < 0)))
            fdp.append(false.sum() / disc.sum() if disc.sum() else 0.0)
        nulls = rows.loc[(rows["role"] == "unchanged") & (rows["force"] != NATIONAL)]
        out["fdr"][comp] = {"mean_fdp": float(np.mean(fdp)), "replicates": len(fdp),
                            "discoveries": int((rows["q_value"] < 0.05).sum())}
        out["null_rows"][comp] = {"p<0.05": rate(nulls["p_value"] < 0.05),
                                  "q<0.05": rate(nulls["q_value"] < 0.05)}
    # Minimum detectable change (year on year): is the reported MDC below the true step?
    yoy = prim.loc[(prim["comparison"] == "year_on_year") & prim["min_detectable_change"].notna()].copy()
    rel = yoy["effect_kind"] == "relative"
    mdc_scale = np.where(rel, yoy["min_detectable_change"] / yoy["baseline_value"],
                         yoy["min_detectable_change"])
    yoy["mdc_below_true"] = mdc_scale < yoy["effect"]
    for ek, part in yoy.groupby("effect_kind"):
        det, nodet = part.loc[part["detected"]], part.loc[~part["detected"]]
        below, above = part.loc[part["mdc_below_true"]], part.loc[~part["mdc_below_true"]]
        out["mdc"][ek] = {
            "mdc_below_true_when_detected": rate(det["mdc_below_true"]),
            "mdc_below_true_when_not_detected": rate(nodet["mdc_below_true"]),
            "detected_when_mdc_below_true": rate(below["detected"]),
            "detected_when_mdc_above_true": rate(above["detected"]),
        }
    return out


# ------------------------------------------------------------------------------------------------
# Printing
# ------------------------------------------------------------------------------------------------
def pct(x: float) -> str:
    return "    –" if x != x else f"{100 * x:5.1f}"


def print_tables(fig: dict) -> None:
    nt, pt = fig["null"], fig["power"]
    comps = ("year_on_year", "trend")
    print(f"\n== 1. Null calibration: {fig['config']['null_replicates']} replicates, no change, no trend "
          "(share of force rows flagged, %) ==")
    print(f"{'group':<28}{'n':>7} | {'yoy p<.05':>9} {'q<.05':>6} | {'trend p<.05':>11} {'q<.05':>6}")

    def line(label, a, b):
        print(f"{label:<28}{a['p<0.05']['n']:>7} | {pct(a['p<0.05']['rate']):>9}"
              f" {pct(a['q<0.05']['rate']):>6} | {pct(b['p<0.05']['rate']):>11}"
              f" {pct(b['q<0.05']['rate']):>6}")

    line("all forces", *(nt["overall"][c] for c in comps))
    for name, title in (("by_kind", "kind"), ("by_band", "band"), ("by_dispersion", "phi")):
        for level in nt[name]["year_on_year"]:
            if level in nt[name]["trend"]:
                line(f"{title}: {level}", *(nt[name][c][level] for c in comps))
    o = nt["overall"]
    for c in comps:
        print(f"{c + ', other levels:':<28}" + "  ".join(
            f"p<{lvl[2:]} {pct(o[c][lvl]['rate']).strip()}" for lvl in ("p<0.001", "p<0.01", "p<0.10")))
    for c in comps:
        d = nt["by_dispersion"][c]
        print(f"{c + ', p<.001 by phi:':<28}" + "  ".join(
            f"{k} {pct(v['p<0.001']['rate']).strip()} (n {v['p<0.001']['n']})" for k, v in d.items()))
    print("replicates with any q<.05:  "
          f"yoy {pct(nt['any_discovery']['year_on_year']['rate'])}"
          f" | trend {pct(nt['any_discovery']['trend']['rate'])}"
          f"   (n = {nt['any_discovery']['year_on_year']['n']})")
    print(f"rows insufficient_data:     {pct(nt['insufficient_data']['rate'])}"
          f"  ({nt['insufficient_data']['k']} of {nt['insufficient_data']['n']}, all rows incl. national)")
    for key, v in nt["insufficient_data_by_kpi"].items():
        print(f"    {key:<46} {pct(v['rate'])}  ({v['k']} of {v['n']})")

    print("\n-- null false-positive rate by KPI (p<0.05, %; forces)"
          " and estimated phi (yoy; 10th/50th/90th centile) --")
    print(f"{'kpi_id':<36}{'n':>6} {'yoy':>6} {'trend':>6}   phi")
    for kpi in nt["by_kpi"]["year_on_year"]:
        a, b = nt["by_kpi"]["year_on_year"][kpi], nt["by_kpi"]["trend"][kpi]
        deciles = "/".join(f"{x:.1f}" for x in nt["phi_deciles"]["year_on_year"][kpi])
        print(f"{kpi:<36}{a['p<0.05']['n']:>6} {pct(a['p<0.05']['rate']):>6} {pct(b['p<0.05']['rate']):>6}"
              f"   {deciles}")
    print("\n-- median estimated phi (year on year, null forces) --")
    print("  ".join(f"{k} {v:.1f}" for k, v in nt["median_phi"]["year_on_year"].items()))

    print(f"\n== 2. Power: {fig['config']['power_replicates']} replicates, steps in the last 12 months "
          "(detected = q<0.05 and right direction, %; n in brackets) ==")
    for comp in comps:
        print(f"-- {comp} --")
        print(f"{'step':<10}{'all':>14}{'small':>14}{'medium':>14}{'large':>14}{'all, p<.05':>12}")
        for label, cell in pt["detection"][comp].items():
            cols = [f"{pct(cell[b]['rate'])} ({cell[b]['n']:>4})" if b in cell else "–"
                    for b in ("all", "small", "medium", "large")]
            print(f"{label:<10}" + "".join(f"{c:>14}" for c in cols) + f"{pct(cell['all']['p<0.05']):>12}")
    print("\n-- year on year: detected (q<0.05, right direction, %) by target KPI(s) and step --")
    for kind, sizes in (("relative", COUNT_EFFECTS), ("points", PROP_EFFECTS)):
        labels = [effect_label(kind, x) for x in sizes]
        print(f"{'target':<20}" + "".join(f"{lab:>10}" for lab in labels))
        for target, cells in pt["detection_by_target"]["year_on_year"].items():
            if labels[0] in cells or labels[-1] in cells:
                print(f"{target:<20}" + "".join(
                    f"{pct(cells[lab]['rate']) if lab in cells else '–':>10}" for lab in labels))
    print("\n-- realised false discovery rate in the power replicates (mean FDP, %) and null rows there --")
    for comp in comps:
        f, nr = pt["fdr"][comp], pt["null_rows"][comp]
        print(f"{comp:<14} FDR {pct(f['mean_fdp'])}  ({f['discoveries']} discoveries)"
              f"   null force rows: p<.05 {pct(nr['p<0.05']['rate'])}, q<.05 {pct(nr['q<0.05']['rate'])}"
              f" (n = {nr['p<0.05']['n']})")
    print("\n-- minimum detectable change (year on year, primary rows) --")
    for ek, m in pt["mdc"].items():
        det, nodet = m["mdc_below_true_when_detected"], m["mdc_below_true_when_not_detected"]
        print(f"{ek:<9} MDC < true step: when detected {pct(det['rate'])} (n {det['n']}),"
              f" when not {pct(nodet['rate'])} (n {nodet['n']});"
              f"  detected when MDC < true {pct(m['detected_when_mdc_below_true']['rate'])},"
              f" when MDC >= true {pct(m['detected_when_mdc_above_true']['rate'])}")
    t = fig["timing"]
    print(f"\n== 3. Wall time {t['wall_seconds']:.0f} s for {t['replicates']} replicates "
          f"({t['seconds_per_replicate']:.1f} s each, {t['workers']} workers) ==")


# ------------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------------
def tidy(obj):
    """JSON-safe, rounded copy of the figures."""
    if isinstance(obj, dict):
        return {str(k): tidy(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [tidy(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return None if obj != obj else round(float(obj), 5)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT, check=True).stdout


def snapshot(code: str, into: Path) -> str:
    """Copy the package to ``into`` (the working tree, or a git revision); return its version label."""
    if code == "worktree":
        shutil.copytree(ROOT / "vawgbook", into / "vawgbook", ignore=shutil.ignore_patterns("__pycache__"))
        try:
            dirty = git("status", "--porcelain", "--", "vawgbook").strip()
            return git("rev-parse", "--short", "HEAD").strip() + ("+modified" if dirty else "")
        except (OSError, subprocess.CalledProcessError):
            return "unknown"
    archive = subprocess.run(["git", "archive", code, "vawgbook"], capture_output=True, cwd=ROOT, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return git("rev-parse", "--short", code).strip()


def tasks(seed: int, n_null: int, n_power: int, code: str) -> Iterable[tuple]:
    root = np.random.SeedSequence(seed)
    null_ss, power_ss = root.spawn(2)
    yield from (("no_change", i, s, code) for i, s in enumerate(null_ss.spawn(n_null)))
    yield from (("step", i, s, code) for i, s in enumerate(power_ss.spawn(n_power)))


def run_record(version: str, script: str, argv: list[str] | None) -> dict:
    """What ran, where and when (no local paths)."""
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
            "python": platform.python_version(), "vawgbook": version,
            "command": " ".join([".venv/bin/python", script, *(sys.argv[1:] if argv is None else argv)])}


def write_figures(path: Path, fig: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fig, indent=1) + "\n", encoding="utf-8")
    print(f"\nfigures written to {path}")


def run_options(parser: argparse.ArgumentParser, json_default: Path, rows_help: str) -> None:
    """The options every benchmark that runs the pipeline shares."""
    parser.add_argument("--json", type=Path, default=json_default, help="where to write the figures")
    parser.add_argument("--code", default="worktree",
                        help="pipeline code: 'worktree' (vawgbook/ as it is now) or a git revision")
    parser.add_argument("--rows", type=Path, help=rows_help)


def run_all(code: str, workers: int, replicate, make_jobs) -> tuple[list, str, float, list]:
    """Copy the package once (``code``), run ``replicate`` on each of ``make_jobs(copy)`` in
    ``workers`` processes; returns the frames, the code's version, the wall time and the jobs."""
    code_dir = Path(tempfile.mkdtemp(prefix="vawg_bench_code_"))
    try:
        version = snapshot(code, code_dir)
        started = time.perf_counter()
        jobs = make_jobs(str(code_dir))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            frames = list(pool.map(replicate, jobs))
        return frames, version, time.perf_counter() - started, jobs
    finally:
        shutil.rmtree(code_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few replicates (~2 minutes)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--null", type=int, help="null replicates (default 32, quick 5)")
    parser.add_argument("--power", type=int, help="power replicates (default 32, quick 5)")
    run_options(parser, RESULTS_JSON, "also write every result row (CSV) for diagnostics")
    args = parser.parse_args(argv)
    n_null = args.null if args.null is not None else (5 if args.quick else 32)
    n_power = args.power if args.power is not None else (5 if args.quick else 32)

    frames, version, wall, jobs = run_all(
        args.code, args.workers, run_replicate, lambda code: list(tasks(args.seed, n_null, n_power, code)))
    rows = pd.concat(frames, ignore_index=True)
    if args.rows:
        rows.to_csv(args.rows, index=False)

    fig = {
        "config": {
            "seed": args.seed, "quick": args.quick, "null_replicates": n_null, "power_replicates": n_power,
            "period": PERIOD, "quarters": N_Q, "forces": N_F, "count_effects": COUNT_EFFECTS,
            "proportion_effects_points": [e * 100 for e in PROP_EFFECTS], "target_prob": TARGET_PROB,
            "size_bands": {"small": f"population < {SMALL_BELOW}M", "medium": "in between",
                           "large": f"population >= {LARGE_FROM}M"},
        },
        "null": null_tables(rows.loc[rows["scenario"] == "no_change"]) if n_null else {},
        "power": power_tables(rows.loc[rows["scenario"] == "step"]) if n_power else {},
        "timing": {"wall_seconds": wall, "replicates": len(jobs), "workers": args.workers,
                   "seconds_per_replicate": wall * args.workers / max(len(jobs), 1)},
        "run": run_record(version, "benchmarks/calibration.py", argv),
    }
    fig = tidy(fig)
    if n_null and n_power:
        print_tables(fig)
    write_figures(args.json, fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
