"""Synthetic police data for the calibration benchmark (``benchmarks/calibration.py``).

One call of :func:`make_dataset` gives every input table of one replicate, in the published
formats, for the 43 territorial forces over 22 quarters (2019/20 Q1 to 2024/25 Q2). What is in
the data is decided by the *targets* of the replicate (:func:`draw_targets`): none in the
no-change scenario; step changes, linear drifts or a recording-practice break in the others.

Extra variation and serial correlation
--------------------------------------
Every source of extra-Poisson or extra-binomial variation (a force's quarterly "recording"
factor, each offence code's own factor, the volume of outcomes, the Dirichlet outcome shares,
every force-return series) is a gamma or beta draw, as in the first version of the benchmark,
with the same marginal distribution (so the same dispersion: ``phi_for``). What is new is that
the draws are made by a Gaussian copula: a latent standard normal score ``z_t`` that is AR(1)
across quarters, ``z_t = rho z_{t-1} + sqrt(1 - rho^2) e_t`` (stationary, unit variance), turned
into the gamma or beta quantile of ``Phi(z_t)``. So the extra variation of a quarter is as large
as before, whatever ``rho``, but it persists: with ``rho = 0`` the draws are independent (the data
of the first version, in distribution), with ``rho = 0.7`` a high quarter is usually followed by
another. The correlation of the gamma factors themselves is ``rho`` to within a few per cent for
the small coefficients of variation used here (lower for the most skewed Dirichlet shares).
Poisson, binomial and multinomial sampling noise stays independent.

The random numbers are drawn in the same order whatever ``rho``, so replicate ``i`` of a scenario
at ``rho = 0.3`` has the same targets, force levels and innovations ``e_t`` as replicate ``i`` at
``rho = 0``: differences between values of ``rho`` are not blurred by different draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from generate_full import OUTCOME_TYPES as PUBLISHED_OUTCOME_TYPES
from scipy import special

# ------------------------------------------------------------------------------------------------
# Design of the simulation
# ------------------------------------------------------------------------------------------------
PERIOD = "2024-25-Q2"
NATIONAL = "England and Wales"
FIRST_YEAR, N_Q = 2019, 22  # 2019/20 Q1 .. 2024/25 Q2
RETURNS_FIRST, STREETSAFE_FIRST = 8, 10  # force returns from 2021/22 Q1, StreetSafe from 2021/22 Q3
STEP_FROM = N_Q - 4  # a step affects the last 12 months (2023/24 Q3 .. 2024/25 Q2)
BREAK_FROM = 16  # a recording break from 2023/24 Q1 (inside both compared 12-month windows' span)
BREAK_FIRST_QUARTER = "2023-24-Q1"
DRIFT_CENTRE = (N_Q - 1) / 2  # a linear drift is centred on the middle of the series
SEASON = np.array([1.02, 1.08, 0.96, 0.94])  # Q1 (Apr-Jun) .. Q4; mean 1
PROP_SEASON = np.array([0.004, 0.0, -0.003, -0.001])  # additive seasonal wobble on proportions

COUNT_EFFECTS = (0.05, 0.10, 0.20, 0.50, 1.00)  # relative step, counts and rates
PROP_EFFECTS = (0.01, 0.02, 0.05)  # absolute step (proportion), i.e. +1, +2, +5 points
TARGET_PROB = 0.2  # chance a force gets a change in each target group (step and realistic scenarios)
DRIFT_PROB = 0.5  # chance a force's series of a target group drifts (drift scenario)
DRIFT_COUNT = (0.02, 0.05)  # relative drift a year (counts and rates), either sign
DRIFT_POINTS = (0.0025, 0.005)  # drift a year in proportions (0.25 and 0.5 points), either sign
BREAK_SIZES = (-0.25, 0.25)  # recording-practice step in stalking and harassment (8Q, 8L, 8U)
BREAK_SUBSET = 14  # forces with the break in the "some forces" variant (a third of the 43)

# The realistic-steps scenario: one real-world-sized change per target, in the last 12 months.
# kind "relative": counts and rates times (1 + size); "ratio": a proportion times (1 + size);
# "points": a proportion plus size. The sign is the direction of the change.
REALISTIC = {
    "recorded_all": ("relative", 0.15),  # VAWG offences +15% (the 2021/22 rise in many forces)
    "recorded_rape": ("relative", 0.20),  # rape recorded +20% (2021/22 nationally about +20%)
    "recorded_sh": ("relative", 0.35),  # stalking and harassment +35%
    "police_perpetrated": ("relative", 0.50),  # police-perpetrated cases +50% (after 2021 cases)
    "streetsafe": ("relative", -0.30),  # StreetSafe reports -30% (after launch publicity fades)
    "dvpo": ("relative", 0.40),  # DVPOs per 100 DA crimes +40% (a force's push on orders)
    "charge_all": ("ratio", 0.30),  # VAWG charge rates +30% (about 5.5% -> 7.2%)
    "charge_rape": ("ratio", 1.00),  # rape charge rate doubling (Operation Soteria scale)
    "not_supporting": ("points", -0.05),  # victim does not support: -5 points (about 53% -> 48%)
    "no_suspect": ("points", -0.02),  # no suspect identified: -2 points (about 10% -> 8%)
    "da_arrest": ("points", 0.05),  # DA arrest rate +5 points (about 35% -> 40%)
    "dvds_timeliness": ("points", 0.10),  # DVDS disclosures within 28 days +10 points
    "satisfaction": ("ratio", -0.20),  # victim satisfaction -20% relative (about 70% -> 56%)
    "pp_no_action": ("points", -0.10),  # police-perpetrated cases with no action -10 points
}

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
    """Force-size band: small (< 0.8M residents, 15 forces), medium (17), large (>= 1.7M, 11)."""
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

# The outcome types written (0 and the common assigned types), described as published.
TYPES = [0, 1, 2, 3, 5, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 20, 21, 22]
OUTCOME_TYPES = {t: PUBLISHED_OUTCOME_TYPES[t] for t in TYPES}
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
PROTECTED = (1, 14, 16, 18)  # the KPI types; a change in one is taken pro rata from the others

# Targets: (name, kind of effect in the step design, primary KPIs, secondary KPIs (changed by a
# smaller, mixed amount: excluded from the power and null tables, counted as real changes for the
# FDR). Targets in one tuple exclude each other (at most one per force).
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
# The break: stalking and harassment recorded (primary); all VAWG offences move by the share of
# stalking and harassment in them (about three quarters of the break), so they are secondary.
BREAK_TARGET = ("break_sh", "relative", ("stalking_harassment_recorded",),
                ("vawg_recorded", "vawg_rate_per_1000_female"))

SCENARIOS = ("no_change", "step", "realistic", "drift", "break")


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


class Noise:
    """Gamma and beta draws whose latent normal scores are AR(1) along axis 0 (the quarters).

    ``rho = 0`` gives independent draws with the same distribution as ``rng.gamma`` /
    ``rng.beta``; any ``rho`` keeps that marginal distribution (Gaussian copula).
    """

    def __init__(self, rng: np.random.Generator, rho: float):
        if not 0 <= rho < 1:
            raise ValueError(f"rho must be in [0, 1), got {rho}")
        self.rng, self.rho = rng, float(rho)

    def scores(self, shape) -> np.ndarray:
        """Stationary AR(1) standard normal scores along axis 0."""
        z = self.rng.standard_normal(shape)
        if self.rho:
            keep = np.sqrt(1.0 - self.rho**2)
            for t in range(1, z.shape[0]):
                z[t] = self.rho * z[t - 1] + keep * z[t]
        return z

    def uniforms(self, shape) -> np.ndarray:
        return np.clip(special.ndtr(self.scores(shape)), 1e-12, 1 - 1e-12)

    def gamma(self, shape_param, shape) -> np.ndarray:
        """Gamma(shape_param, 1) draws of the given array shape."""
        a = np.broadcast_to(np.asarray(shape_param, float), shape)
        return special.gammaincinv(a, self.uniforms(shape))

    def gamma_factor(self, cv2, shape) -> np.ndarray:
        """Multiplicative gamma noise, mean 1, squared coefficient of variation ``cv2``."""
        cv2 = np.broadcast_to(np.maximum(np.asarray(cv2, float), 1e-9), shape)
        return self.gamma(1.0 / cv2, shape) * cv2

    def beta(self, a, b) -> np.ndarray:
        a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
        return special.betaincinv(a, b, self.uniforms(a.shape))


def gamma_poisson(rng, noise: Noise, lam, phi, level=None) -> np.ndarray:
    """Counts with mean ``lam`` and variance ``phi * lam`` at the series' typical level ``level``."""
    lam = np.asarray(lam, float)
    level = lam.mean(axis=0, keepdims=True) if level is None else level
    cv2 = (np.asarray(phi, float) - 1.0) / np.maximum(level, 1e-9)
    return rng.poisson(lam * noise.gamma_factor(cv2, lam.shape)).astype(np.int64)


def beta_binomial(rng, noise: Noise, n, p, conc) -> np.ndarray:
    """``Binomial(n, q)``, ``q ~ Beta(p c, (1 - p) c)``: extra-binomial variation 1 + (n-1)/(c+1)."""
    n, p, conc = np.broadcast_arrays(np.asarray(n), np.clip(p, 1e-6, 1 - 1e-6), np.asarray(conc, float))
    return rng.binomial(n, noise.beta(p * conc, (1 - p) * conc)).astype(np.int64)


def force_factor(rng, sd=0.12) -> np.ndarray:
    return np.clip(np.exp(rng.normal(0.0, sd, N_F)), 0.7, 1.3)


# ------------------------------------------------------------------------------------------------
# Targets: what changes in one replicate
# ------------------------------------------------------------------------------------------------
def _target(f, spec, effect_kind, size, shape) -> dict:
    name, _, primary, secondary = spec
    return {"f": f, "force": FORCES[f], "target": name, "effect_kind": effect_kind, "size": float(size),
            "shape": shape, "primary": primary, "secondary": secondary}


def draw_targets(rng, scenario: str, rep: int) -> tuple[list[dict], dict]:
    """The changes of one replicate, and a description of the replicate (for the break variant).

    * ``no_change``: none.
    * ``step``: for each force and target group, with probability ``TARGET_PROB``, one target of
      the group with a step in the last 12 months of a size drawn from ``COUNT_EFFECTS`` (relative)
      or ``PROP_EFFECTS`` (points).
    * ``realistic``: the same draw of forces and targets, with the sizes in ``REALISTIC``.
    * ``drift``: for each force and target group, with probability ``DRIFT_PROB``, a linear drift
      over the whole series of ``DRIFT_COUNT`` a year (relative) or ``DRIFT_POINTS`` a year, with
      a random sign.
    * ``break``: stalking and harassment (8Q, 8L, 8U) recorded times ``1 + size`` from 2023/24 Q1 on,
      in every force (even replicates) or in ``BREAK_SUBSET`` forces drawn at random (odd ones);
      ``size`` is -25% in replicates 0, 1 (mod 4) and +25% in replicates 2, 3.
    """
    targets: list[dict] = []
    info: dict = {}
    if scenario in ("step", "realistic"):
        for f in range(N_F):
            for group in TARGET_GROUPS:
                if rng.random() >= TARGET_PROB:
                    continue
                spec = group[rng.integers(len(group))]
                effect_kind = spec[1]
                sizes = COUNT_EFFECTS if effect_kind == "relative" else PROP_EFFECTS
                size = sizes[rng.integers(len(sizes))]
                if scenario == "realistic":
                    effect_kind, size = REALISTIC[spec[0]]
                targets.append(_target(f, spec, effect_kind, size, "step"))
    elif scenario == "drift":
        for f in range(N_F):
            for group in TARGET_GROUPS:
                if rng.random() >= DRIFT_PROB:
                    continue
                spec = group[rng.integers(len(group))]
                effect_kind = spec[1]
                sizes = DRIFT_COUNT if effect_kind == "relative" else DRIFT_POINTS
                size = sizes[rng.integers(len(sizes))] * (1 if rng.random() < 0.5 else -1)
                targets.append(_target(f, spec, effect_kind, size, "drift"))
    elif scenario == "break":
        size = BREAK_SIZES[(rep // 2) % 2]
        subset = rep % 2 == 1
        forces = (np.sort(rng.choice(N_F, BREAK_SUBSET, replace=False)) if subset else np.arange(N_F))
        targets = [_target(int(f), BREAK_TARGET, "relative", size, "break") for f in forces]
        info = {"break_size": size, "break_forces": "some" if subset else "all",
                "forces": [FORCES[f] for f in forces]}
    elif scenario != "no_change":
        raise ValueError(f"unknown scenario {scenario!r}")
    return targets, info


def effect_arrays(targets, name: str, shape=(N_Q, N_F)) -> tuple[np.ndarray, np.ndarray]:
    """How target ``name`` moves each quarter and force: ``(mult, add)``; the new value is
    ``old * mult + add`` (``add`` only for proportions in points; 1 and 0 where nothing changes)."""
    mult, add = np.ones(shape), np.zeros(shape)
    q = np.arange(shape[0])
    for t in targets:
        if t["target"] != name:
            continue
        size, f = t["size"], t["f"]
        if t["shape"] == "step":
            on = q >= STEP_FROM
        elif t["shape"] == "break":
            on = q >= BREAK_FROM
        else:
            on = np.ones(shape[0], bool)
        if t["shape"] == "drift":
            years = (q - DRIFT_CENTRE) / 4
            effect = (1 + size) ** years - 1 if t["effect_kind"] != "points" else size * years
        else:
            effect = np.where(on, size, 0.0)
        if t["effect_kind"] == "points":
            add[:, f] += effect
        else:
            mult[:, f] *= 1 + effect
    return mult, add


def quarter_labels():
    years = FIRST_YEAR + np.arange(N_Q) // 4
    return years, np.arange(N_Q) % 4 + 1


def fy(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


# ------------------------------------------------------------------------------------------------
# One synthetic data set
# ------------------------------------------------------------------------------------------------
def make_dataset(rng, noise: Noise, targets) -> dict[str, pd.DataFrame]:
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

    # Recorded crime: national volume x population share x force level x season x change, with a
    # common force-quarter "recording" factor and a code-level factor (gamma), then Poisson.
    general = force_factor(rng)
    mult = np.stack([np.clip(general * force_factor(rng, 0.08), 0.7, 1.3) for _ in CODES], axis=1)
    mult[CITY] *= 4.0  # City of London: large daytime population against ~10k residents
    weight = POP[:, None] * mult
    share = weight / weight.sum(axis=0)
    annual = np.array([o[4] for o in OFFENCES], float)
    lam = annual / 4 * share[None] * season_f[:, :, None]  # (Q, F, C)
    change = np.ones_like(lam)
    for name, idx in (("recorded_all", VAWG_IDX), ("recorded_rape", RAPE_IDX), ("recorded_sh", SH_IDX),
                      ("break_sh", SH_IDX)):
        change[:, :, idx] *= effect_arrays(targets, name)[0][:, :, None]
    lam = lam * change
    base_level = (annual / 4 * share)  # (F, C) typical quarterly level
    vawg_level = base_level[:, VAWG_IDX].sum(axis=1)
    common_cv2 = 0.7 * (phi_for(vawg_level) - 1) / vawg_level
    code_cv2 = 0.3 * (phi_for(base_level) - 1) / base_level
    common = noise.gamma_factor(np.broadcast_to(common_cv2[None, :, None], (N_Q, N_F, 1)), (N_Q, N_F, 1))
    counts = rng.poisson(lam * common * noise.gamma_factor(
        np.broadcast_to(code_cv2[None], lam.shape), lam.shape)).astype(np.int64)
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
        mult_t, add_t = effect_arrays(targets, name)
        for f in sorted({t["f"] for t in targets if t["target"] == name}):
            move_shares(shares, f, codes, types, mult_t[:, f], add_t[:, f])
    assigned = rng.poisson(0.9 * lam[:, :, VAWG_IDX] * noise.gamma_factor(0.05**2, (N_Q, N_F, n_c)))
    conc = 1500 * np.exp(rng.normal(0, 0.4, N_F))[None, :, None, None]
    g = noise.gamma(np.maximum(shares * conc, 1e-12), shares.shape)
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
    def moved(p, name):
        m, a = effect_arrays(targets, name)
        return p * m + a

    level = POP * force_factor(rng)
    da_lam = 900_000 / 4 * (level / level.sum())[None, :] * season_f
    flagged = gamma_poisson(rng, noise, da_lam, phi_for(da_lam.mean(axis=0)))
    conc_arrest = 1500 * np.exp(rng.normal(0, 0.4, N_F))
    p_arrest = np.clip(rng.normal(0.35, 0.04, N_F), 0.25, 0.45)[None, :] + PROP_SEASON[qoy][:, None]
    arrests = beta_binomial(rng, noise, flagged, moved(p_arrest, "da_arrest"), conc_arrest)
    dvpn_rate = 10_000 / 900_000 * np.exp(rng.normal(-0.08, 0.4, N_F))[None, :]
    dvpn_lam = moved(flagged * dvpn_rate, "dvpo")  # orders follow the crimes
    dvpn_level = (da_lam * dvpn_rate)[:STEP_FROM].mean(axis=0, keepdims=True)
    dvpn = gamma_poisson(rng, noise, dvpn_lam, phi_for(dvpn_level), level=dvpn_level)
    dvpo = beta_binomial(rng, noise, dvpn, 0.9, 60)
    apps_lam = da_lam * 0.11 * np.exp(rng.normal(-0.03, 0.25, N_F))[None, :]
    apps = gamma_poisson(rng, noise, apps_lam, phi_for(apps_lam.mean(axis=0)))
    disclosures = beta_binomial(rng, noise, apps, np.clip(rng.normal(0.40, 0.06, N_F), 0.2, 0.6), 200)
    p_timely = np.clip(rng.normal(0.60, 0.10, N_F), 0.35, 0.85)[None, :] + PROP_SEASON[qoy][:, None]
    timely = beta_binomial(rng, noise, disclosures, moved(p_timely, "dvds_timeliness"),
                           1500 * np.exp(rng.normal(0, 0.4, N_F)))
    resp_lam = np.clip((100 + 55 * POP) * rng.uniform(0.9, 1.15, N_F), 110, 380) * np.ones((N_Q, 1))
    respondents = gamma_poisson(rng, noise, resp_lam, 1 + 0.01 * resp_lam[0])
    p_sat = np.clip(rng.normal(0.70, 0.04, N_F), 0.6, 0.8)[None, :] + PROP_SEASON[qoy][:, None]
    satisfied = beta_binomial(rng, noise, respondents, moved(p_sat, "satisfaction"), 400)
    pp_lam = moved((0.5 + 1.2 * POP) * np.ones((N_Q, 1)), "police_perpetrated")
    pp_level = (0.5 + 1.2 * POP)[None, :]
    cases = gamma_poisson(rng, noise, pp_lam, phi_for(pp_level), level=pp_level)
    finalised = beta_binomial(rng, noise, cases, 0.75, 20)
    no_action = beta_binomial(rng, noise, finalised, moved(np.full((N_Q, N_F), 0.45), "pp_no_action"), 20)
    ss_base = (8 + 12 * POP) * rng.uniform(0.8, 1.2, N_F) * season_f
    ss_lam = moved(ss_base, "streetsafe")
    ss_level = ss_base[:STEP_FROM].mean(axis=0, keepdims=True)
    streetsafe = gamma_poisson(rng, noise, ss_lam, phi_for(ss_level), level=ss_level)
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


def move_shares(shares, f, codes, types, mult, add) -> None:
    """Move the outcome share of ``types`` for force ``f`` each quarter: times ``mult`` (Q,) and
    plus ``add`` (Q,) points split pro rata over ``types``, the difference taken pro rata from the
    outcome types that no KPI counts (so the shares stay a distribution)."""
    cols = [TYPE_COL[t] for t in types]
    prot = [TYPE_COL[t] for t in PROTECTED]
    others = [i for i in range(len(TYPES)) if i not in prot and TYPES[i] != 0]
    for c in codes:
        s = shares[:, f, c, :]
        target = s[:, cols]
        new = target * mult[:, None] + add[:, None] * target / target.sum(axis=1, keepdims=True)
        s[:, cols] = np.maximum(new, 0.2 * target)  # a drift never takes a share below a fifth
        room = 1 - s[:, prot].sum(axis=1, keepdims=True)
        if np.any(room <= 0):
            raise ValueError("change too large for the outcome shares")
        s[:, others] *= room / s[:, others].sum(axis=1, keepdims=True)


def truth(targets) -> dict[tuple[str, str], tuple]:
    """Role of each (force, KPI) that moves: ``(role, target, effect_kind, size, shape)``, with role
    ``primary`` (the target's own KPIs) or ``secondary``; England and Wales is secondary for every
    KPI that moves in any force. Everything else is ``unchanged``."""
    out: dict[tuple[str, str], tuple] = {}
    for t in targets:
        for kpi in t["secondary"]:
            out.setdefault((t["force"], kpi), ("secondary", t["target"], "", np.nan, t["shape"]))
            out[NATIONAL, kpi] = ("secondary", "", "", np.nan, t["shape"])
        for kpi in t["primary"]:
            out[t["force"], kpi] = ("primary", t["target"], t["effect_kind"], t["size"], t["shape"])
            out[NATIONAL, kpi] = ("secondary", "", "", np.nan, t["shape"])
    return out
