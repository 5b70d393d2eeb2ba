"""Size and power of vawgbook's tests of gaps between groups of victims, by simulation through the
real pipeline.

Run from the repository root (not a pytest test)::

    .venv/bin/python benchmarks/gaps.py              # default: 48 replicates, ~4 minutes on 2 cores
    .venv/bin/python benchmarks/gaps.py --quick      # 4 replicates
    .venv/bin/python benchmarks/gaps.py --seed 7 --workers 2 --code HEAD --rows rows.csv

Each replicate writes a SYNTHETIC data folder in the published formats (``recorded_crime.csv``
and ``force_returns.csv`` with ``Dimension`` and ``Category`` rows) for the 43 territorial forces
over 16 quarters (2020/21 Q3 to 2024/25 Q2), runs ``python -m vawgbook kpis --period 2024-25-Q2``
with the package's own registry as a separate process, and reads the ``kpi_results.csv`` it
writes. Nothing in ``vawgbook`` is imported; the package is copied once at the start
(``--code``), as in ``calibration.py``.

The forces of each replicate are dealt at random into five kinds (City of London, too small for
any gap, always has none):

``no_gap`` (15 forces)
    Ethnicity recorded for 88-97% of domestic abuse-flagged crimes (2-6% of them as 'Not stated',
    so 83-95% known), in both years; every group has the force's arrest rate.
``persistent`` (8)
    As ``no_gap``, but Black victims' arrest rate is 12-16 points lower throughout.
``widened`` (8)
    As ``no_gap``, but Black victims' arrest rate falls 12-16 points below the rest in the last
    four quarters only (a gap that appeared).
``incomplete`` (6)
    Ethnicity recorded for 55-75% of cases (52-74% known); no gap.
``incomplete_gap`` (6)
    Ethnicity recorded for 55-75% of cases; three with a persistent gap, three with one that
    appeared (as above).

Forces with a gap have 400-900 Black victims a year; elsewhere Black victims are 1-8% of the
force's victims. Arrests are beta-binomial twice over: a quarterly shock common to every group
of a force (concentration 400) and a quarterly wobble of each group's own (concentration 500),
so the gaps vary from quarter to quarter beyond binomial noise. Arrests by age band and victim
satisfaction by ethnicity (no gaps) are simulated too, so the false discovery rate families are
those of the real registry (arrests by ethnicity, arrests by age band, satisfaction by
ethnicity). Cases with no recorded ethnicity are missing at random.

Figures (printed, and written to ``benchmarks/results/gaps.json``, which the methods page reads):

* **power, persistent**: share of ``persistent`` forces whose Black victims' ``disparity`` row is
  ``lower`` (q < 0.05); target at least 90%.
* **power, widened**: share of ``widened`` forces whose Black victims' ``gap_change`` row is
  ``gap_widened``; target at least 75%.
* **false findings**: share of ``no_gap`` forces with any finding (a ``disparity`` or
  ``gap_change`` row not "no evidence") in any group, breakdown or indicator; target at most 5%.
  Also per test.
* **from incomplete recording**: findings in ``incomplete`` and ``incomplete_gap`` forces; target
  none.
* **completeness**: forces classified as their recording was simulated.
* **England and Wales**: the national gap within forces and across the country, and the
  minimum detectable change of the widened gaps against their true size.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration import rate  # noqa: E402  (the benchmarks' own modules, beside this file)
from calibration_sim import FORCES, N_F, NATIONAL, POP, fy  # noqa: E402
from pipeline import run_all, run_kpis, run_options, run_record, tidy, write_figures  # noqa: E402


def beta_binomial(rng, n, p, conc) -> np.ndarray:
    """``Binomial(n, q)``, ``q ~ Beta(p c, (1 - p) c)``: extra-binomial variation 1 + (n-1)/(c+1)."""
    n, p, conc = np.broadcast_arrays(np.asarray(n), np.clip(p, 1e-6, 1 - 1e-6), np.asarray(conc, float))
    return rng.binomial(n, rng.beta(p * conc, (1 - p) * conc)).astype(np.int64)

ROOT = Path(__file__).resolve().parents[1]
RESULTS_JSON = ROOT / "benchmarks" / "results" / "gaps.json"
DEFAULT_SEED = 20251112
PERIOD = "2024-25-Q2"
FIRST_YEAR, FIRST_QUARTER, N_Q = 2020, 3, 16  # 2020/21 Q3 .. 2024/25 Q2
APPEARS_FROM = N_Q - 4  # a gap that appeared: the last four quarters

KINDS = {"no_gap": 15, "persistent": 8, "widened": 8, "incomplete": 6, "incomplete_gap": 6}
GAP_POINTS = (0.12, 0.16)
BLACK_PER_YEAR = (400, 900)  # Black victims a year in a force with a gap
BLACK_SHARE = (0.01, 0.08)  # elsewhere
COMPLETE, INCOMPLETE = (0.88, 0.97), (0.55, 0.75)  # share of cases with ethnicity recorded
NOT_STATED = (0.02, 0.06)  # of the cases whose ethnicity was recorded
COMMON_CONC, GROUP_CONC = 400.0, 500.0
DA_ANNUAL = 900_000  # domestic abuse-flagged crimes a year, England and Wales
SEASON = np.array([1.02, 1.08, 0.96, 0.94])

ETHNICITY = ("Asian", "Black", "Mixed", "White", "Other", "Not stated")
AGE_BANDS = ("under 18", "18-24", "25-34", "35-49", "50-64", "65 and over", "Not stated")
AGE_SHARES = np.array([0.06, 0.18, 0.30, 0.28, 0.12, 0.06])
CITY = FORCES.index("City of London")
TESTS = ("disparity", "gap_change")
FOUND = ("higher", "lower", "gap_widened", "gap_narrowed", "gap_reversed")


def quarters():
    """(financial year label, quarter 1-4) of each simulated quarter, oldest first."""
    out = []
    year, q = FIRST_YEAR, FIRST_QUARTER
    for _ in range(N_Q):
        out.append((fy(year), q))
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    return out


def deal(rng, null: bool = False) -> tuple[list[str], dict]:
    """Each force's kind, and for forces with a gap its size, whether it appeared, Black victims.
    ``null``: no force has a gap (forces dealt a gap are complete or incomplete without one)."""
    order = [f for f in rng.permutation(N_F) if f != CITY]
    kinds = ["no_gap"] * N_F
    start = 0
    for kind, n in KINDS.items():
        take = n - (kind == "no_gap")
        for f in order[start:start + take]:
            kinds[f] = kind
        start += take
    appeared = {}
    gapped = [f for f in range(N_F) if kinds[f] in ("persistent", "widened", "incomplete_gap")]
    late = [f for f in gapped if kinds[f] == "incomplete_gap"]
    for k, f in enumerate(late):
        appeared[f] = k % 2 == 1
    for f in gapped:
        if kinds[f] != "incomplete_gap":
            appeared[f] = kinds[f] == "widened"
    gaps = {f: rng.uniform(*GAP_POINTS) for f in gapped}
    black = {f: rng.uniform(*BLACK_PER_YEAR) for f in gapped}
    if null:
        kinds = ["incomplete" if k.startswith("incomplete") else "no_gap" for k in kinds]
        gaps, appeared = {}, {}
    return kinds, {"appeared": appeared, "gap": gaps, "black": black}


def split(rng, total, completeness, shares):
    """``total`` (quarter, force) split into recorded categories (the last 'Not stated') and the
    unrecorded rest; ``shares`` (force, category) sum to 1."""
    recorded = rng.binomial(total, completeness[None, :])
    cats = np.stack([rng.multinomial(r, shares[f]) for r, f in
                     zip(recorded.reshape(-1), np.tile(np.arange(N_F), N_Q), strict=True)])
    return cats.reshape(N_Q, N_F, -1), total - recorded


def make_dataset(rng, kinds, design) -> dict[str, pd.DataFrame]:
    """The data folder of one replicate (keys are file names)."""
    labels = quarters()
    qoy = np.array([q - 1 for _, q in labels])
    annual = DA_ANNUAL * POP / POP.sum()
    complete = np.array([rng.uniform(*(INCOMPLETE if k.startswith("incomplete") else COMPLETE))
                         for k in kinds])
    flagged = rng.poisson(np.outer(SEASON[qoy], annual / 4))
    # Ethnic mix of victims: Asian, Black, Mixed, White, Other (then Not stated among recorded).
    mix = np.column_stack([rng.uniform(0.02, 0.12, N_F), rng.uniform(*BLACK_SHARE, N_F),
                           rng.uniform(0.01, 0.04, N_F), np.zeros(N_F), rng.uniform(0.01, 0.03, N_F)])
    not_stated = rng.uniform(*NOT_STATED, N_F)
    for f, per_year in design["black"].items():  # Black victims with their ethnicity recorded
        mix[f, 1] = min(per_year / (annual[f] * complete[f] * (1 - not_stated[f])), 0.3)
    mix[:, 3] = 1 - mix.sum(1)
    shares = np.column_stack([mix * (1 - not_stated)[:, None], not_stated])
    eth, eth_rest = split(rng, flagged, complete, shares)
    age_complete = np.clip(complete + rng.normal(0, 0.02, N_F), 0.5, 0.99)
    age_shares = np.column_stack([np.outer(1 - not_stated, AGE_SHARES), not_stated])
    age, age_rest = split(rng, flagged, age_complete, age_shares)

    base = rng.uniform(0.25, 0.45, N_F)
    common = rng.beta(base * COMMON_CONC, (1 - base) * COMMON_CONC, (N_Q, N_F))
    gap = np.zeros((N_Q, N_F, len(ETHNICITY)))
    for f, size in design["gap"].items():
        gap[APPEARS_FROM if design["appeared"][f] else 0:, f, 1] = -size
    arrests_eth = beta_binomial(rng, eth, np.clip(common[..., None] + gap, 0.01, 0.99), GROUP_CONC)
    arrests_rest = beta_binomial(rng, eth_rest, common, GROUP_CONC)
    arrests = arrests_eth.sum(-1) + arrests_rest
    # By age band: the same arrests, no gap (drawn afresh at the force's quarterly rate, capped so
    # the bands never add up to more than the total).
    arrests_age = beta_binomial(rng, age, common[..., None], GROUP_CONC)
    arrests_age = np.minimum(arrests_age, np.floor(arrests_age * arrests[..., None]
                                                   / np.maximum(arrests_age.sum(-1, keepdims=True), 1)))
    # Victim satisfaction by ethnicity: no gap.
    respondents = rng.poisson(np.broadcast_to(60 + 45 * POP, (N_Q, N_F)))
    resp, resp_rest = split(rng, respondents, complete, shares)
    sat_p = rng.uniform(0.62, 0.78, N_F)
    sat_common = rng.beta(sat_p * COMMON_CONC, (1 - sat_p) * COMMON_CONC, (N_Q, N_F))
    satisfied_eth = beta_binomial(rng, resp, sat_common[..., None], GROUP_CONC)
    satisfied = satisfied_eth.sum(-1) + beta_binomial(rng, resp_rest, sat_common, GROUP_CONC)

    rows = []
    series = [("da_flagged_crimes", "", flagged), ("da_arrests", "", arrests),
              ("victim_survey_respondents", "", respondents), ("victim_survey_satisfied", "", satisfied),
              ("da_flagged_crimes", "victim_ethnicity", eth), ("da_arrests", "victim_ethnicity", arrests_eth),
              ("da_flagged_crimes", "victim_age_band", age), ("da_arrests", "victim_age_band", arrests_age),
              ("victim_survey_respondents", "victim_ethnicity", resp),
              ("victim_survey_satisfied", "victim_ethnicity", satisfied_eth)]
    for measure, dim, values in series:
        cats = ("",) if not dim else ETHNICITY if dim == "victim_ethnicity" else AGE_BANDS
        for t, (year, q) in enumerate(labels):
            for f, force in enumerate(FORCES):
                cells = np.atleast_1d(values[t, f])
                rows += [(year, q, force, measure, int(v), dim, c) for c, v in zip(cats, cells, strict=True)]
    returns = pd.DataFrame(rows, columns=["Financial Year", "Financial Quarter", "Force Name", "Measure",
                                          "Value", "Dimension", "Category"])
    crime = pd.DataFrame([(year, q, force, "Rape of a female aged 16 and over", "Sexual offences", "Rape",
                           "19C", int(max(5, annual[f] / 40))) for year, q in labels
                          for f, force in enumerate(FORCES)],
                         columns=["Financial Year", "Financial Quarter", "Force Name", "Offence Description",
                                  "Offence Group", "Offence Subgroup", "Offence Code", "Number of Offences"])
    return {"recorded_crime.csv": crime, "force_returns.csv": returns}


def run_replicate(task: tuple[int, np.random.SeedSequence, str, bool]) -> pd.DataFrame:
    rep, seed, code, null = task
    rng = np.random.default_rng(seed)
    kinds, design = deal(rng, null)
    files = make_dataset(rng, kinds, design)
    res = run_kpis(files, f"gaps{rep}", code)
    res = res.loc[res["dimension"].notna()].copy()
    res["rep"], res["scenario"] = rep, "no_gap_anywhere" if null else "gaps"
    index = {f: i for i, f in enumerate(FORCES)}
    res["force_kind"] = [kinds[index[f]] if f in index else "national" for f in res["force"]]
    res["true_gap"] = [design["gap"].get(index.get(f), 0.0) for f in res["force"]]
    res["appeared"] = [design["appeared"].get(index.get(f), False) for f in res["force"]]
    keep = ["scenario", "rep", "force", "force_kind", "true_gap", "appeared", "kpi_id", "dimension",
            "category", "comparison", "value", "ci_lower", "ci_upper", "baseline_value", "change", "p_value",
            "q_value", "min_detectable_change", "assessment", "method"]
    return res[keep]


def figures(rows: pd.DataFrame) -> dict:
    """The size and power figures from every replicate's rows."""
    forces = rows.loc[rows["force"] != NATIONAL]
    black = forces.loc[(forces["kpi_id"] == "da_arrest_rate") & (forces["dimension"] == "victim_ethnicity")
                       & (forces["category"] == "Black")].set_index(["rep", "force", "comparison"])
    persistent = black.xs("disparity", level="comparison").query("force_kind == 'persistent'")
    widened = black.xs("gap_change", level="comparison").query("force_kind == 'widened'")
    tested = forces.loc[forces["comparison"].isin(TESTS)]
    finding = tested["assessment"].isin(FOUND)
    by_force = finding.groupby([tested["rep"], tested["force"], tested["force_kind"]]).any().reset_index()
    null_forces = by_force.loc[by_force["force_kind"] == "no_gap", "assessment"]
    null_tests = tested.loc[tested["force_kind"] == "no_gap"]
    incomplete = by_force.loc[by_force["force_kind"].str.startswith("incomplete"), "assessment"]
    completeness = forces.loc[(forces["comparison"] == "recording_completeness")
                              & (forces["kpi_id"] == "da_arrest_rate")
                              & (forces["dimension"] == "victim_ethnicity")]
    complete_kind = ~completeness["force_kind"].str.startswith("incomplete")
    right = np.where(complete_kind, completeness["assessment"] == "complete_enough",
                     completeness["assessment"] == "incomplete_recording")
    national = rows.loc[(rows["force"] == NATIONAL) & (rows["kpi_id"] == "da_arrest_rate")
                        & (rows["dimension"] == "victim_ethnicity") & (rows["category"] == "Black")]
    out = {
        "power_persistent": rate(persistent["assessment"] == "lower"),
        "power_widened": rate(widened["assessment"] == "gap_widened"),
        "widened_called": widened["assessment"].value_counts().to_dict(),
        "widened_p_below_05": rate(widened["p_value"] < 0.05),
        "persistent_p_below_05": rate(persistent["p_value"] < 0.05),
        "false_findings_forces": rate(null_forces),
        "false_findings_tests": rate(null_tests["assessment"].isin(FOUND)),
        "null_tests_p_below_05": rate(null_tests["p_value"] < 0.05),
        "findings_incomplete_forces": rate(incomplete),
        "incomplete_tested": int(forces.loc[forces["force_kind"].str.startswith("incomplete")
                                            & forces["comparison"].isin(TESTS), "p_value"].notna().sum()),
        "completeness_right": rate(pd.Series(right)),
        "widened_mdc_median_points": float(np.nanmedian(widened["min_detectable_change"]) * 100),
        "widened_true_median_points": float(widened["true_gap"].median() * 100),
        "widened_detected_when_mdc_below_truth": rate(
            (widened["assessment"] == "gap_widened")[widened["min_detectable_change"] < widened["true_gap"]]),
        "national": {comparison: national.loc[national["comparison"] == comparison, "assessment"]
                     .value_counts().to_dict()
                     for comparison in ("disparity", "disparity_within_forces", "gap_change",
                                        "gap_change_within_forces", "gap_bounds")},
        "national_within_gap_points": float(national.loc[national["comparison"] == "disparity_within_forces",
                                                         "value"].median() * 100),
        "national_crude_gap_points": float(national.loc[national["comparison"] == "disparity",
                                                        "change"].median() * 100),
    }
    by_size = persistent.assign(band=pd.cut(persistent["true_gap"] * 100, [12, 14, 16]))
    out["power_persistent_by_gap"] = {str(k): rate(g["assessment"] == "lower")
                                      for k, g in by_size.groupby("band", observed=True)}
    by_size = widened.assign(band=pd.cut(widened["true_gap"] * 100, [12, 14, 16]))
    out["power_widened_by_gap"] = {str(k): rate(g["assessment"] == "gap_widened")
                                   for k, g in by_size.groupby("band", observed=True)}
    return out


def pct(cell: dict) -> str:
    if not cell["n"]:
        return "  –    (none)"
    lo, hi = cell["ci95"]
    return f"{cell['rate']:6.1%} ({cell['k']} of {cell['n']}; 95% {lo:.1%} to {hi:.1%})"


def null_figures(rows: pd.DataFrame) -> dict:
    """Replicates with no gap anywhere: every finding is false, nationally and in forces."""
    national = rows.loc[rows["force"] == NATIONAL]
    out = {}
    for comparison in (*TESTS, "disparity_within_forces", "gap_change_within_forces"):
        here = national.loc[(national["comparison"] == comparison) & national["p_value"].notna()]
        out[comparison] = {"p_below_05": rate(here["p_value"] < 0.05),
                           "found": rate(here["assessment"].isin(FOUND))}
    forces = rows.loc[(rows["force"] != NATIONAL) & rows["comparison"].isin(TESTS)]
    found = forces["assessment"].isin(FOUND).groupby([forces["rep"], forces["force"]]).any()
    out["forces_with_any_finding"] = rate(found)
    out["force_tests_p_below_05"] = rate(forces.loc[forces["p_value"].notna(), "p_value"] < 0.05)
    return out


def print_figures(fig: dict) -> None:
    f = fig["figures"]
    config = fig["config"]
    print(f"== Gaps between groups: {config['replicates']} replicates, seed {config['seed']} ==")
    lines = [("persistent gaps found (disparity 'lower', q<0.05)", "power_persistent", "target >= 90%"),
             ("widened gaps found ('gap_widened', q<0.05)", "power_widened", "target >= 75%"),
             ("no-gap forces with any finding", "false_findings_forces", "target <= 5%"),
             ("findings in forces with incomplete recording", "findings_incomplete_forces", "target 0"),
             ("completeness classified as simulated", "completeness_right", "")]
    for label, key, target in lines:
        print(f"{label:54s} {pct(f[key])}   {target}")
    print(f"no-gap tests with a finding                            {pct(f['false_findings_tests'])}")
    print(f"no-gap tests with p < 0.05 (before FDR)                {pct(f['null_tests_p_below_05'])}")
    print(f"persistent, p < 0.05 before FDR                        {pct(f['persistent_p_below_05'])}")
    print(f"widened, p < 0.05 before FDR                           {pct(f['widened_p_below_05'])}")
    print(f"widened gaps called                                    {f['widened_called']}")
    print(f"tests run in forces with incomplete recording          {f['incomplete_tested']}")
    print(f"widened: median MDC {f['widened_mdc_median_points']:.1f} points, median true change "
          f"{f['widened_true_median_points']:.1f}; found when MDC < true change "
          f"{pct(f['widened_detected_when_mdc_below_truth'])}")
    for name in ("power_persistent_by_gap", "power_widened_by_gap"):
        print(f"{name}: " + "; ".join(f"{k} points {pct(v)}" for k, v in f[name].items()))
    within, crude = (f[k] if f[k] is not None else float("nan")
                     for k in ("national_within_gap_points", "national_crude_gap_points"))
    print(f"England and Wales, Black victims' arrests: median gap within forces {within:+.1f}, "
          f"across the country {crude:+.1f}")
    for comparison, counts in f["national"].items():
        print(f"    {comparison:26s} {counts}")
    null = fig.get("no_gap_anywhere")
    if null:
        print(f"-- {config['null_replicates']} replicates with no gap anywhere (every finding false) --")
        for comparison in (*TESTS, "disparity_within_forces", "gap_change_within_forces"):
            cells = null[comparison]
            print(f"England and Wales {comparison:26s} p<0.05 {pct(cells['p_below_05'])}; "
                  f"found {pct(cells['found'])}")
        for label, key in (("forces with any finding", "forces_with_any_finding"),
                           ("force tests with p < 0.05", "force_tests_p_below_05")):
            print(f"{label:54s} {pct(null[key])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 replicates")
    parser.add_argument("--replicates", type=int, help="replicates (default 48, quick 4)")
    parser.add_argument("--null", type=int, help="replicates with no gap anywhere (default 16, quick 1)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--workers", type=int, default=2)
    run_options(parser, RESULTS_JSON, "also write every breakdown row (CSV) for diagnostics")
    args = parser.parse_args(argv)
    n = args.replicates if args.replicates is not None else (4 if args.quick else 48)

    n_null = args.null if args.null is not None else (1 if args.quick else 16)
    gapped, null = np.random.SeedSequence(args.seed).spawn(2)
    seeds = [(s, False) for s in gapped.spawn(n)] + [(s, True) for s in null.spawn(n_null)]
    frames, version, wall, _ = run_all(args.code, args.workers, run_replicate,
                                       lambda code: [(i, s, code, z) for i, (s, z) in enumerate(seeds)])
    every = pd.concat(frames, ignore_index=True)
    rows = every.loc[every["scenario"] == "gaps"]
    if args.rows:
        every.to_csv(args.rows, index=False)
    fig = tidy({
        "config": {"seed": args.seed, "replicates": n, "null_replicates": n_null, "period": PERIOD,
                   "quarters": N_Q, "kinds": KINDS,
                   "gap_points": [g * 100 for g in GAP_POINTS], "black_per_year": BLACK_PER_YEAR,
                   "completeness": {"complete": COMPLETE, "incomplete": INCOMPLETE},
                   "concentration": {"common": COMMON_CONC, "group": GROUP_CONC}},
        "figures": figures(rows),
        "no_gap_anywhere": null_figures(every.loc[every["scenario"] == "no_gap_anywhere"]) if n_null else {},
        "timing": {"wall_seconds": wall, "workers": args.workers},
        "run": run_record(version, "benchmarks/gaps.py", argv),
    })
    print_figures(fig)
    write_figures(args.json, fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
