"""Calibration and power of vawgbook's change tests, by simulation through the real pipeline.

Run from the repository root (not a pytest test)::

    .venv/bin/python benchmarks/calibration.py               # default: 896 data sets, ~17 minutes on 2
                                                             # idle cores, ~37 on a shared machine
    .venv/bin/python benchmarks/calibration.py --quick       # 44 data sets, about a minute
    .venv/bin/python benchmarks/calibration.py --code 6a1bdf0 --rho 0 0.5 --scenarios no_change realistic

Each replicate writes a complete SYNTHETIC data folder in the published formats (recorded crime,
outcomes with the current header, force returns, population; plain CSV) for the 43 territorial
forces over 22 quarters (2019/20 Q1 to 2024/25 Q2; see ``calibration_sim.py``), runs
``python -m vawgbook kpis --data DIR --period 2024-25-Q2 --out FILE`` as a separate process and
reads the ``year_on_year`` and ``trend`` rows of the ``kpi_results.csv`` it writes. Nothing in
``vawgbook`` is imported: any version of the package that keeps the command line and the
results columns of the contract can be measured. The package is run from a copy taken when the
benchmark starts (the working tree's ``vawgbook/``, or ``--code REV`` for a git revision), so
every replicate of one run uses the same code even if the files change meanwhile.

Every scenario is run at each AR(1) coefficient ``rho`` of the extra variation (``--rho``,
default 0, 0.3, 0.5 and 0.7; ``rho = 0`` is independent noise, the data of the first version):

* ``no_change``: seasonality, force differences and extra variation, nothing else. Every row is a
  true null for both tests.
* ``step``: the power design of the first version: for each force and each of eleven target
  groups, with probability 0.2, a step in the last four quarters of +5% .. +100% (counts, rates)
  or +1 .. +5 points (proportions). Rows not moved are nulls (the FDR is measured here).
* ``realistic``: the same draw of forces and targets with real-world-sized changes, some of
  them falls (``calibration_sim.REALISTIC``): the headline "found / false positive" figures.
* ``drift``: for each force and target group, with probability 0.5, a linear drift over the whole
  series (+-2% or +-5% a year in counts and rates, +-0.25 or +-0.5 points a year in proportions).
  A drifting series is a real change for both tests (its 12-month totals differ, and it has a
  trend), so its rows are reported as what the tests say about drift, never as false positives;
  only the rows of series that do not drift are nulls in this scenario.
* ``break``: a recording-practice step of -25% or +25% in stalking and harassment (8Q, 8L, 8U)
  from 2023/24 Q1, in all forces or in 14 of them. Run twice on the same data: *unregistered*
  (the pipeline is not told) and *registered* (a copy of the code's own ``kpis.yaml`` with a
  ``breaks:`` block, passed with ``--registry``). Rows of the KPIs the break moves are neither
  null nor power rows: what counts is how often they are reported as a change (wanted: never,
  and ``not_comparable`` when registered). If the code rejects the registry, the registered
  variant is reported as not supported by this code.

The figures (false-positive rates at p<0.05 and q<0.05, replicates with any discovery, realised
FDR, power by effect size, force size and series volume, minimum detectable change coverage,
the scenario tables, wall time) are printed and written to ``benchmarks/results/calibration.json``
with 95% Wilson intervals. The keys read by the book's methods page (``config``, ``null``,
``power``) hold the ``rho = 0`` figures; everything else is under ``by_rho`` and ``scenarios``.
The same seed gives the same figures (wall times apart). ``--rows FILE`` also writes every result
row for diagnostics.
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
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import calibration_sim as sim  # noqa: E402  (the benchmark's own helper module, beside this file)
from calibration_sim import NATIONAL, PERIOD  # noqa: E402
from pipeline import snapshot, tidy, write_data  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS_JSON = ROOT / "benchmarks" / "results" / "calibration.json"
DEFAULT_SEED = 20250601
DEFAULT_RHOS = (0.0, 0.3, 0.5, 0.7)
HEADLINE_RHO = 0.5  # the realistic-steps headline
# Replicates per scenario and rho (default; --quick), chosen for ~30 minutes on 2 cores.
DEFAULT_REPS = {"no_change": 64, "step": 64, "realistic": 48, "drift": 24, "break": 24}
QUICK_REPS = {"no_change": 3, "step": 3, "realistic": 2, "drift": 1, "break": 2}
TESTS = ("year_on_year", "trend")
CHANGE_WORDS = ("improving", "deteriorating", "increase", "decrease")
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
PHI_RE = re.compile(r"phi=([0-9.]+)")
PHI_FLOORED_RE = re.compile(r"phi estimate [0-9.]+ floored")
VOLUME_BANDS = ((10, "under 10"), (100, "10-99"), (1000, "100-999"), (np.inf, "1,000 and over"))
BREAKS_BLOCK = """
# Added by benchmarks/calibration.py (registered-break scenario).
breaks:
  - id: sim_break
    first_quarter: {first}
    forces: {forces}
    offence_groups: [stalking_harassment]
    what: simulated recording-practice change
    source: benchmarks/calibration.py
"""


# ------------------------------------------------------------------------------------------------
# One replicate: write, run the pipeline, read and label the results
# ------------------------------------------------------------------------------------------------
def run_pipeline(code: str, data: Path, out: Path, registry: Path | None = None):
    cmd = [sys.executable, "-m", "vawgbook", "kpis", "--data", str(data), "--period", PERIOD,
           "--out", str(out)] + (["--registry", str(registry)] if registry else [])
    # A private cache folder (removed with the replicate), and no cache where the code allows it:
    # each data folder is read once, and nothing is left in the user's cache.
    env = {**os.environ, **ONE_THREAD, "PYTHONPATH": code, "VAWGBOOK_NO_CACHE": "1",
           "VAWGBOOK_CACHE_DIR": str(out.parent / "cache")}
    return subprocess.run(cmd, capture_output=True, text=True, cwd=out.parent, env=env)


def read_results(path: Path) -> pd.DataFrame:
    """The year-on-year and trend rows of the totals (not the breakdown rows) of one results file."""
    res = pd.read_csv(path, dtype={"period": str}, keep_default_na=True)
    res = res.loc[res["comparison"].isin(TESTS)]
    if "dimension" in res:
        res = res.loc[res["dimension"].isna() | (res["dimension"].astype(str) == "")]
    return res.reset_index(drop=True)


def volume_band(events: float) -> str:
    if not events == events:  # NaN: withheld or not computed
        return "not known"
    return next(label for top, label in VOLUME_BANDS if events < top)


def label_rows(res: pd.DataFrame, targets: list[dict], meta: dict) -> pd.DataFrame:
    """Add the truth (role, target, effect) and the groupings the tables use to the result rows."""
    res = res.copy()
    method = res["method"].astype(str) if "method" in res else pd.Series("", index=res.index)
    phi = method.str.extract(PHI_RE, expand=False).astype(float)
    res["phi"] = phi.where(phi.notna(), np.where(method.str.contains("plain"), 1.0, np.nan))
    # How phi was obtained (from the code's own "method" column, where it has one).
    res["dispersion"] = np.select(
        [phi.notna(), method.str.contains(PHI_FLOORED_RE), method.str.contains("plain")],
        ["estimated > 1", "estimate <= 1, floored", "not estimated"], "none")
    for key, value in meta.items():
        res[key] = value
    res["band"] = res["force"].map(sim.band)
    # Series volume: events a quarter in the current 12 months (trials for a proportion).
    yoy = res.loc[res["comparison"] == "year_on_year"]
    events = np.where(yoy["kind"] == "proportion", yoy["denominator"], yoy["numerator"]) / 4
    volume = dict(zip(zip(yoy["force"], yoy["kpi_id"], strict=True), map(volume_band, events),
                      strict=True))
    res["volume"] = [volume.get(k, "not known") for k in zip(res["force"], res["kpi_id"], strict=True)]
    truth = sim.truth(targets)
    cells = [truth.get(k, ("unchanged", "", "", np.nan, ""))
             for k in zip(res["force"], res["kpi_id"], strict=True)]
    for i, col in enumerate(("role", "target", "effect_kind", "effect", "shape")):
        res[col] = [c[i] for c in cells]
    keep = ["scenario", "rho", "rep", "variant", "force", "band", "volume", "kpi_id", "kind",
            "comparison", "value", "baseline_value", "change", "p_value", "q_value",
            "min_detectable_change", "assessment", "phi", "dispersion", "role", "target",
            "effect_kind", "effect", "shape", "break_size", "break_forces"]
    for col in keep:
        if col not in res:
            res[col] = np.nan
    return res[keep]


def without_breaks(template: str) -> str:
    """The code's registry with the changes in counting it ships (real ones, such as the May 2023
    rule for conduct crimes) taken out: the simulated data have none unless a scenario adds one."""
    import yaml

    data = yaml.safe_load(template)
    if not isinstance(data, dict) or "breaks" not in data:
        return template
    data.pop("breaks")
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def registry_text(template: str, forces: list[str]) -> str:
    names = "all" if len(forces) == sim.N_F else "[" + ", ".join(json.dumps(f) for f in forces) + "]"
    return (without_breaks(template).rstrip("\n") + "\n"
            + BREAKS_BLOCK.format(first=sim.BREAK_FIRST_QUARTER, forces=names))


def run_replicate(task: dict) -> dict:
    """Simulate one data set, run the pipeline on it (twice for a break), return the labelled rows."""
    scenario, rho, rep = task["scenario"], task["rho"], task["rep"]
    rng = np.random.default_rng(task["seed"])
    targets, info = sim.draw_targets(rng, scenario, rep)
    files = sim.make_dataset(rng, sim.Noise(rng, rho), targets)
    meta = {"scenario": scenario, "rho": rho, "rep": rep, "variant": "",
            "break_size": info.get("break_size", np.nan), "break_forces": info.get("break_forces", "")}
    work = Path(tempfile.mkdtemp(prefix=f"vawg_cal_{scenario}{rep}_"))
    registered = None
    try:
        data = write_data(files, work / "data")
        out = work / "kpi_results.csv"
        plain = None
        if task["registry_template"] is not None:
            plain = work / "kpis.yaml"
            plain.write_text(without_breaks(task["registry_template"]), encoding="utf-8")
        proc = run_pipeline(task["code"], data, out, registry=plain)
        if proc.returncode != 0:
            raise RuntimeError(f"vawgbook kpis failed on {scenario} replicate {rep} (rho {rho}): "
                               f"{proc.stderr.strip()[-2000:]}")
        frames = [label_rows(read_results(out), targets,
                             {**meta, "variant": "unregistered" if scenario == "break" else ""})]
        if scenario == "break":
            registered = {"status": "no registry file in the code under test", "message": ""}
            if task["registry_template"] is not None:
                reg = work / "kpis_with_break.yaml"
                reg.write_text(registry_text(task["registry_template"], info["forces"]), encoding="utf-8")
                out2 = work / "kpi_results_registered.csv"
                proc = run_pipeline(task["code"], data, out2, registry=reg)
                if proc.returncode != 0:
                    lines = proc.stderr.strip().splitlines()
                    registered = {"status": "rejected", "message": lines[-1] if lines else ""}
                else:
                    rows2 = label_rows(read_results(out2), targets, {**meta, "variant": "registered"})
                    same = rows2[["p_value", "assessment"]].equals(frames[0][["p_value", "assessment"]])
                    marked = int((rows2["assessment"] == "not_comparable").sum())
                    registered = {"status": "supported" if marked else "ignored",
                                  "message": "", "not_comparable_rows": marked, "identical": bool(same)}
                    frames.append(rows2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"index": task["index"], "rows": pd.concat(frames, ignore_index=True), "registered": registered,
            "scenario": scenario, "rho": rho, "rep": rep}


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


def rate(flags) -> dict:
    flags = np.asarray(flags, bool)
    n, k = int(flags.size), int(flags.sum())
    lo, hi = wilson(k, n)
    return {"n": n, "k": k, "rate": k / n if n else np.nan, "ci95": [lo, hi]}


def tested(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.loc[rows["assessment"] != "insufficient_data"]


def right_direction(rows: pd.DataFrame) -> pd.Series:
    return np.sign(rows["change"]) == np.sign(rows["effect"])


def fdr(rows: pd.DataFrame) -> dict:
    """Realised false discovery rate: the mean over replicates of the share of discoveries (q<0.05)
    that are false (an unchanged row, or a changed one reported in the wrong direction); a replicate
    without discoveries counts 0. Also the share of replicates with any false discovery."""
    fdp, any_false = [], []
    for _, rep in rows.groupby(["rep", "variant"]):
        disc = rep["q_value"] < 0.05
        wrong = (rep["role"] == "primary") & ~right_direction(rep)
        false = disc & ((rep["role"] == "unchanged") | wrong)
        fdp.append(false.sum() / disc.sum() if disc.sum() else 0.0)
        any_false.append(bool(false.any()))
    return {"mean_fdp": float(np.mean(fdp)) if fdp else np.nan, "replicates": len(fdp),
            "discoveries": int((rows["q_value"] < 0.05).sum()), "any_false_discovery": rate(any_false)}


def null_tables(null: pd.DataFrame) -> dict:
    """False-positive rates on the no-change replicates (every row is a true null)."""
    ok = tested(null)
    out: dict = {"by_kind": {}, "by_band": {}, "by_volume": {}, "by_kpi": {}, "by_dispersion": {},
                 "overall": {}, "national": {}, "any_discovery": {}, "any_discovery_forces": {},
                 "median_phi": {}, "phi_deciles": {}}
    for comp, rows in ok.groupby("comparison"):
        forces = rows["force"] != NATIONAL
        out["overall"][comp] = {level: rate((rows["p_value"] < float(level[2:]))[forces])
                                for level in ("p<0.05", "p<0.01", "p<0.001", "p<0.10")}
        out["overall"][comp]["q<0.05"] = rate((rows["q_value"] < 0.05)[forces])
        nat = rows.loc[~forces]
        out["national"][comp] = {"p<0.05": rate(nat["p_value"] < 0.05), "q<0.05": rate(nat["q_value"] < 0.05)}
        for col, name in (("kind", "by_kind"), ("band", "by_band"), ("volume", "by_volume"),
                          ("kpi_id", "by_kpi"), ("dispersion", "by_dispersion")):
            out[name][comp] = {}
            # Only the size bands include the national rows (as their own band).
            for level, part in (rows if col == "band" else rows.loc[forces]).groupby(col):
                out[name][comp][level] = {"p<0.05": rate(part["p_value"] < 0.05),
                                          "p<0.001": rate(part["p_value"] < 0.001),
                                          "q<0.05": rate(part["q_value"] < 0.05)}
        out["any_discovery"][comp] = rate(rows.groupby("rep")["q_value"].min() < 0.05)
        out["any_discovery_forces"][comp] = rate(rows.loc[forces].groupby("rep")["q_value"].min() < 0.05)
        phis = rows.loc[forces]
        out["median_phi"][comp] = {f"{kind}/{b}": float(part["phi"].median())
                                   for (kind, b), part in phis.groupby(["kind", "band"])}
        out["phi_deciles"][comp] = {kpi: [float(x) for x in part["phi"].quantile([0.1, 0.5, 0.9])]
                                    for kpi, part in phis.groupby("kpi_id")}
    out["insufficient_data"] = rate(null["assessment"] == "insufficient_data")
    out["insufficient_data_by_kpi"] = {
        f"{kpi}/{comp}": rate(part["assessment"] == "insufficient_data")
        for (kpi, comp), part in null.groupby(["kpi_id", "comparison"])
        if (part["assessment"] == "insufficient_data").any()
    }
    return out


def effect_label(effect_kind: str, size: float, per_year: bool = False) -> str:
    if effect_kind == "points":
        label = f"{size * 100:+.2g} pts"
    else:
        label = f"{size:+.0%}" + (" (relative)" if effect_kind == "ratio" else "")
    return label + ("/yr" if per_year else "")


def detection(part: pd.DataFrame) -> dict:
    """Detected = q<0.05 with a change in the true direction (also at p<0.05, and wrong-way flags)."""
    found = (part["q_value"] < 0.05) & right_direction(part)
    found_p = (part["p_value"] < 0.05) & right_direction(part)
    wrong = (part["q_value"] < 0.05) & ~right_direction(part)
    testable = (part["assessment"] != "insufficient_data").to_numpy()
    return {**rate(found), "p<0.05": rate(found_p)["rate"], "wrong_direction": rate(wrong)["rate"],
            # the same among rows that could be tested (not insufficient_data)
            "tested": rate(found.to_numpy()[testable])}


def detection_tables(prim: pd.DataFrame, per_year: bool = False) -> dict:
    """Detection by effect size x force-size band, by target x effect size, by volume band."""
    out: dict = {"detection": {}, "detection_by_target": {}, "detection_by_volume": {}}
    for comp, rows in prim.groupby("comparison"):
        table = {}
        for (ek, size), part in rows.groupby(["effect_kind", "effect"]):
            cell = {"all": detection(part)}
            for b, bp in part.groupby("band"):
                cell[b] = detection(bp)
            table[effect_label(ek, size, per_year)] = cell
        out["detection"][comp] = table
        out["detection_by_target"][comp] = {
            target: {effect_label(ek, size, per_year): detection(tp)
                     for (ek, size), tp in part.groupby(["effect_kind", "effect"])}
            for target, part in sorted(rows.groupby("target"), key=lambda tp: sim.TARGET_ORDER.index(tp[0]))
        }
        out["detection_by_volume"][comp] = {v: detection(part) for v, part in rows.groupby("volume")}
    return out


def mdc_tables(prim: pd.DataFrame) -> dict:
    """Is the reported minimum detectable change (year on year) consistent with what is detected?
    The true step in the KPI's units: |size| x baseline for relative changes (the MDC is compared
    as MDC / baseline), |size| for points, |size| x baseline value for a ratio of a proportion."""
    out = {}
    yoy = prim.loc[(prim["comparison"] == "year_on_year") & prim["min_detectable_change"].notna()].copy()
    if yoy.empty:
        return out
    size = yoy["effect"].abs()
    base = yoy["baseline_value"]
    mdc = yoy["min_detectable_change"]
    true_step = np.where(yoy["effect_kind"] == "points", size, size * base)
    yoy["mdc_below_true"] = mdc < true_step
    yoy["detected"] = (yoy["q_value"] < 0.05) & right_direction(yoy)
    yoy["detected_p"] = (yoy["p_value"] < 0.05) & right_direction(yoy)
    for ek, part in yoy.groupby("effect_kind"):
        det, nodet = part.loc[part["detected"]], part.loc[~part["detected"]]
        below, above = part.loc[part["mdc_below_true"]], part.loc[~part["mdc_below_true"]]
        out[ek] = {
            "mdc_below_true_when_detected": rate(det["mdc_below_true"]),
            "mdc_below_true_when_not_detected": rate(nodet["mdc_below_true"]),
            "detected_when_mdc_below_true": rate(below["detected"]),
            "detected_when_mdc_above_true": rate(above["detected"]),
            "detected_p_when_mdc_below_true": rate(below["detected_p"]),
            "detected_p_when_mdc_above_true": rate(above["detected_p"]),
        }
    return out


def unchanged_rows(rows: pd.DataFrame) -> dict:
    """False positives among the unchanged force rows of a scenario with changes (tested rows)."""
    nulls = tested(rows.loc[(rows["role"] == "unchanged") & (rows["force"] != NATIONAL)])
    return {"p<0.05": rate(nulls["p_value"] < 0.05), "q<0.05": rate(nulls["q_value"] < 0.05)}


def power_tables(power: pd.DataFrame) -> dict:
    """The step design: detection of the known steps (primary rows), realised FDR, MDC coverage."""
    prim = power.loc[power["role"] == "primary"]
    out = detection_tables(prim)
    out["fdr"], out["null_rows"] = {}, {}
    for comp, rows in power.groupby("comparison"):
        out["fdr"][comp] = fdr(rows)
        out["null_rows"][comp] = unchanged_rows(rows)
    out["mdc"] = mdc_tables(prim)
    # The two figures quoted in the statistics issue: all VAWG offences recorded +20% (the four
    # recorded-crime KPIs, and vawg_recorded alone) and the charge rates +2 points.
    out["headline"] = {}
    for label, mask in (
        ("vawg_recorded_all_kpis_+20%", (prim["target"] == "recorded_all") & np.isclose(prim["effect"], 0.2)),
        ("vawg_recorded_+20%", (prim["target"] == "recorded_all") & np.isclose(prim["effect"], 0.2)
         & (prim["kpi_id"] == "vawg_recorded")),
        ("charge_rates_+2pts", (prim["target"] == "charge_all") & np.isclose(prim["effect"], 0.02)),
        ("vawg_charge_rate_+2pts", (prim["target"] == "charge_all") & np.isclose(prim["effect"], 0.02)
         & (prim["kpi_id"] == "vawg_charge_rate")),
    ):
        out["headline"][label] = {comp: detection(part)
                                  for comp, part in prim.loc[mask].groupby("comparison")}
    return out


def either_test(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (replicate, force, KPI): flagged by either test (the smaller q and its change)."""
    keys = ["rep", "variant", "force", "kpi_id"]
    q = rows.assign(q_value=rows["q_value"].fillna(np.inf)).sort_values("q_value", kind="stable")
    first = q.drop_duplicates(keys).copy()
    first["q_value"] = first["q_value"].replace(np.inf, np.nan)
    first["comparison"] = "either"
    return first


def realistic_tables(rows: pd.DataFrame) -> dict:
    """Headline: share of injected real-world-sized changes found, false-positive rate, FDR."""
    out: dict = {"found": {}, "found_by_target": {}, "found_by_band": {}, "found_by_volume": {},
                 "false_positive": {}, "false_positive_p": {}, "fdr": {}, "national_false_positive": {},
                 "meets_target": {}}
    both = pd.concat([rows, either_test(rows)], ignore_index=True)
    for comp, part in both.groupby("comparison"):
        prim = part.loc[part["role"] == "primary"]
        out["found"][comp] = detection(prim)
        out["found_by_target"][comp] = {
            f"{target} {effect_label(*sim.REALISTIC[target])}": detection(tp)
            for target, tp in sorted(prim.groupby("target"), key=lambda tp: sim.TARGET_ORDER.index(tp[0]))}
        out["found_by_band"][comp] = {b: detection(bp) for b, bp in prim.groupby("band")}
        out["found_by_volume"][comp] = {v: detection(vp) for v, vp in prim.groupby("volume")}
        un = unchanged_rows(part)
        out["false_positive"][comp], out["false_positive_p"][comp] = un["q<0.05"], un["p<0.05"]
        out["fdr"][comp] = fdr(part)
        nat = tested(part.loc[(part["force"] == NATIONAL) & (part["role"] == "unchanged")])
        out["national_false_positive"][comp] = rate(nat["q_value"] < 0.05)
        out["meets_target"][comp] = bool(out["found"][comp]["rate"] >= 0.8
                                         and out["false_positive"][comp]["rate"] <= 0.05)
    out["mdc"] = mdc_tables(rows.loc[rows["role"] == "primary"])
    return out


def drift_tables(rows: pd.DataFrame) -> dict:
    """What each test says about drifting series (real changes, not nulls), and the null rows."""
    prim = rows.loc[rows["role"] == "primary"]
    out = detection_tables(prim, per_year=True)
    out["flagged"] = {comp: detection(part) for comp, part in prim.groupby("comparison")}
    out["null_rows"] = {comp: unchanged_rows(part) for comp, part in rows.groupby("comparison")}
    out["fdr"] = {comp: fdr(part) for comp, part in rows.groupby("comparison")}
    return out


def assessment_shares(part: pd.DataFrame) -> dict:
    a = part["assessment"]
    change = a.isin(CHANGE_WORDS)
    break_way = np.sign(part["change"]) == np.sign(part["break_size"])
    return {"reported_as_change": rate(change),
            "change_in_break_direction": rate(change & break_way),
            "not_comparable": rate(a == "not_comparable"),
            "no_significant_change": rate(a == "no_significant_change"),
            "insufficient_data": rate(a == "insufficient_data")}


def break_tables(rows: pd.DataFrame, statuses: list[dict]) -> dict:
    """How often a recording break is reported as a change, unregistered and registered."""
    out: dict = {"registered_status": {}, "variants": {}}
    counts: dict = {}
    for s in statuses:
        counts[s["status"]] = counts.get(s["status"], 0) + 1
    messages = sorted({s["message"] for s in statuses if s.get("message")})
    identical = sum(bool(s.get("identical")) for s in statuses)
    if counts.get("supported"):
        verdict = "supported: rows inside a registered break are marked not_comparable"
    elif counts.get("rejected"):
        verdict = f"not supported by this code: the registry was rejected ({messages[0] if messages else ''})"
    elif counts.get("ignored"):
        verdict = ("not supported by this code: the breaks block was accepted but ignored (no row "
                   f"not_comparable; results identical to the unregistered run in {identical} of "
                   f"{len(statuses)} data sets)")
    else:
        verdict = "not supported by this code: no KPI registry found in the code under test"
    out["registered_status"] = {
        "verdict": verdict, "replicates": counts, "messages": messages,
        "identical_to_unregistered": identical, "supported": bool(counts.get("supported")),
    }
    for variant, vrows in rows.groupby("variant"):
        v: dict = {}
        for comp, part in vrows.groupby("comparison"):
            forces = part["force"] != NATIONAL
            prim = part.loc[(part["role"] == "primary") & forces]
            sec = part.loc[(part["role"] == "secondary") & forces]
            nat = part.loc[~forces & (part["role"] != "unchanged")]
            cell = {"stalking_harassment_recorded (break forces)": assessment_shares(prim),
                    "vawg_recorded and vawg_rate (break forces)": assessment_shares(sec),
                    "national, KPIs the break moves": assessment_shares(nat)}
            for (size, which), sp in prim.groupby(["break_size", "break_forces"]):
                label = f"stalking_harassment_recorded, break {size:+.0%}, {which} forces"
                cell[label] = assessment_shares(sp)
            un = part.loc[(part["role"] == "unchanged") & forces]
            cell["unchanged force rows"] = {**unchanged_rows(part),
                                            "not_comparable": rate(un["assessment"] == "not_comparable")}
            v[comp] = cell
        out["variants"][variant] = v
    return out


def rho_key(rho: float) -> str:
    return f"{rho:g}"


def headline(by: dict) -> dict:
    """The key figures of one rho, for the summary table."""
    h: dict = {}
    n = by.get("no_change")
    if n:
        h["null"] = {c: {"p<0.05": n["overall"][c]["p<0.05"], "q<0.05": n["overall"][c]["q<0.05"],
                         "any_discovery": n["any_discovery"][c]} for c in n["overall"]}
    p = by.get("step")
    if p:
        h["step_fdr"] = {c: p["fdr"][c]["mean_fdp"] for c in p["fdr"]}
        h["power"] = p["headline"]
    r = by.get("realistic")
    if r:
        h["realistic"] = {c: {"found": r["found"][c], "false_positive": r["false_positive"][c],
                              "fdr": r["fdr"][c]["mean_fdp"], "meets_target": r["meets_target"][c]}
                          for c in r["found"]}
    d = by.get("drift")
    if d:
        h["drift_flagged"] = d["flagged"]
    b = by.get("break")
    if b:
        h["break"] = {variant: {c: cells["stalking_harassment_recorded (break forces)"]
                                for c, cells in v.items()} for variant, v in b["variants"].items()}
        h["break_registered_status"] = b["registered_status"]
    return h


# ------------------------------------------------------------------------------------------------
# Printing
# ------------------------------------------------------------------------------------------------
def pct(x) -> str:
    return "    –" if x is None or x != x else f"{100 * x:5.1f}"


def r_(cell) -> str:
    return pct(cell["rate"]) if cell else "    –"


def print_summary(fig: dict) -> None:
    print("\n== Summary by rho (AR(1) coefficient of the extra variation); %, force rows ==")
    rhos = list(fig["by_rho"])
    head = "".join(f"{'rho ' + k:>10}" for k in rhos)
    print(f"{'':<58}{head}")

    def line(label, getter):
        vals = []
        for k in rhos:
            try:
                vals.append(getter(fig["headline"][k]))
            except (KeyError, TypeError):
                vals.append(None)
        print(f"{label:<58}" + "".join(f"{pct(v):>10}" for v in vals))

    for c in TESTS:
        w = c.replace("_", " ")
        line(f"no change, {w}: p<0.05 (nominal 5)", lambda h, c=c: h["null"][c]["p<0.05"]["rate"])
        line(f"no change, {w}: q<0.05", lambda h, c=c: h["null"][c]["q<0.05"]["rate"])
        line(f"no change, {w}: data sets with any q<0.05",
             lambda h, c=c: h["null"][c]["any_discovery"]["rate"])
        line(f"step design, {w}: realised FDR", lambda h, c=c: h["step_fdr"][c])
        line(f"step design, {w}: VAWG offences +20% found (4 KPIs)",
             lambda h, c=c: h["power"]["vawg_recorded_all_kpis_+20%"][c]["rate"])
        line(f"step design, {w}: charge rates +2 pts found (3 KPIs)",
             lambda h, c=c: h["power"]["charge_rates_+2pts"][c]["rate"])
    for c in (*TESTS, "either"):
        w = c.replace("_", " ")
        line(f"realistic steps, {w}: found (target >= 80)", lambda h, c=c: h["realistic"][c]["found"]["rate"])
        line(f"realistic steps, {w}: false positive (target <= 5)",
             lambda h, c=c: h["realistic"][c]["false_positive"]["rate"])
        line(f"realistic steps, {w}: realised FDR", lambda h, c=c: h["realistic"][c]["fdr"])
    for c in TESTS:
        w = c.replace("_", " ")
        line(f"drift, {w}: drifting series flagged (right way)", lambda h, c=c: h["drift_flagged"][c]["rate"])
        line(f"break unregistered, {w}: S&H reported as change",
             lambda h, c=c: h["break"]["unregistered"][c]["reported_as_change"]["rate"])
        line(f"break registered, {w}: S&H reported as change",
             lambda h, c=c: h["break"]["registered"][c]["reported_as_change"]["rate"])
        line(f"break registered, {w}: S&H not_comparable",
             lambda h, c=c: h["break"]["registered"][c]["not_comparable"]["rate"])


def print_null(nt: dict, n_rep: int) -> None:
    print(f"-- no change: {n_rep} replicates (share of rows flagged, %) --")
    print(f"{'group':<30}{'n':>7} | {'yoy p<.05':>9} {'q<.05':>6} | {'trend p<.05':>11} {'q<.05':>6}")

    def line(label, a, b):
        print(f"{label:<30}{a['p<0.05']['n']:>7} | {r_(a['p<0.05']):>9} {r_(a['q<0.05']):>6} | "
              f"{r_(b['p<0.05']):>11} {r_(b['q<0.05']):>6}")

    if not all(c in nt["overall"] for c in TESTS):
        return
    line("all forces", *(nt["overall"][c] for c in TESTS))
    line("England and Wales", *(nt["national"][c] for c in TESTS))
    for name, title in (("by_kind", "kind"), ("by_band", "band"), ("by_volume", "events/qtr"),
                        ("by_dispersion", "phi")):
        for level in nt[name]["year_on_year"]:
            if level in nt[name]["trend"]:
                line(f"{title}: {level}", *(nt[name][c][level] for c in TESTS))
    for c in TESTS:
        o = nt["overall"][c]
        print(f"{c + ', other levels:':<30}" + "  ".join(
            f"{lvl} {r_(o[lvl]).strip()}" for lvl in ("p<0.001", "p<0.01", "p<0.10")))
    print("data sets with any q<.05:     "
          f"yoy {r_(nt['any_discovery']['year_on_year'])} | trend {r_(nt['any_discovery']['trend'])}"
          f"   (n = {nt['any_discovery']['year_on_year']['n']}; forces only: yoy "
          f"{r_(nt['any_discovery_forces']['year_on_year']).strip()}, trend "
          f"{r_(nt['any_discovery_forces']['trend']).strip()})")
    ins = nt["insufficient_data"]
    print(f"rows insufficient_data:       {r_(ins)}  ({ins['k']} of {ins['n']}, all rows incl. national)")
    print(f"{'kpi_id':<36}{'n':>6} {'yoy':>6} {'trend':>6}   phi (yoy; 10th/50th/90th centile)")
    for kpi in nt["by_kpi"]["year_on_year"]:
        a, b = nt["by_kpi"]["year_on_year"][kpi], nt["by_kpi"]["trend"].get(kpi)
        deciles = "/".join(f"{x:.1f}" for x in nt["phi_deciles"]["year_on_year"].get(kpi, []))
        print(f"{kpi:<36}{a['p<0.05']['n']:>6} {r_(a['p<0.05']):>6} "
              f"{r_(b['p<0.05']) if b else '–':>6}   {deciles}")


def print_detection(tables: dict, title: str) -> None:
    for comp in TESTS:
        if comp not in tables["detection"]:
            continue
        print(f"-- {title}, {comp}: detected (q<0.05, right direction, %; n) --")
        print(f"{'change':<14}{'all':>13}{'small':>13}{'medium':>13}{'large':>13}{'all, p<.05':>11}")
        for label, cell in tables["detection"][comp].items():
            cols = [f"{r_(cell[b])} ({cell[b]['n']:>4})" if b in cell else "–"
                    for b in ("all", "small", "medium", "large")]
            print(f"{label:<14}" + "".join(f"{c:>13}" for c in cols) + f"{pct(cell['all']['p<0.05']):>11}")


def print_power(pt: dict) -> None:
    print_detection(pt, "step design")
    print("-- step design, year on year: detected (%) by target and step --")
    for kind, sizes in (("relative", sim.COUNT_EFFECTS), ("points", sim.PROP_EFFECTS)):
        labels = [effect_label(kind, x) for x in sizes]
        print(f"{'target':<20}" + "".join(f"{lab:>10}" for lab in labels))
        for target, cells in pt["detection_by_target"]["year_on_year"].items():
            if labels[0] in cells or labels[-1] in cells:
                print(f"{target:<20}" + "".join(
                    f"{r_(cells[lab]) if lab in cells else '–':>10}" for lab in labels))
    for comp in TESTS:
        f, nr = pt["fdr"][comp], pt["null_rows"][comp]
        print(f"{comp:<14} realised FDR {pct(f['mean_fdp'])} ({f['discoveries']} discoveries; any false "
              f"in {r_(f['any_false_discovery']).strip()}% of data sets)   unchanged force rows: p<.05 "
              f"{r_(nr['p<0.05'])}, q<.05 {r_(nr['q<0.05'])} (n = {nr['p<0.05']['n']})")
    print_mdc(pt["mdc"])


def print_mdc(mdc: dict) -> None:
    for ek, m in mdc.items():
        below, above = m["detected_when_mdc_below_true"], m["detected_when_mdc_above_true"]
        print(f"MDC ({ek:<8}): MDC < true step in {r_(m['mdc_below_true_when_detected']).strip()}% of "
              f"detected, {r_(m['mdc_below_true_when_not_detected']).strip()}% of missed; detected (q / p) "
              f"when MDC < true {r_(below).strip()} / {r_(m['detected_p_when_mdc_below_true']).strip()} "
              f"(n {below['n']}), when MDC >= true {r_(above).strip()} / "
              f"{r_(m['detected_p_when_mdc_above_true']).strip()} (n {above['n']})")


def print_realistic(rt: dict) -> None:
    comps = [c for c in (*TESTS, "either") if c in rt["found"]]
    print(f"{'':<44}" + "".join(f"{c:>14}" for c in comps))
    print(f"{'found, all (target >= 80)':<44}" + "".join(f"{r_(rt['found'][c]):>14}" for c in comps))
    print(f"{'  among rows that could be tested':<44}" + "".join(
        f"{r_(rt['found'][c]['tested']):>14}" for c in comps))
    for key in rt["found_by_target"]["year_on_year"]:
        print(f"{'  ' + key:<44}" + "".join(
            f"{r_(rt['found_by_target'][c].get(key)):>14}" for c in comps))
    for b in ("small", "medium", "large"):
        print(f"{'  force size ' + b:<44}" + "".join(
            f"{r_(rt['found_by_band'][c].get(b)):>14}" for c in comps))
    for v in rt["found_by_volume"]["year_on_year"]:
        print(f"{'  events a quarter ' + v:<44}" + "".join(
            f"{r_(rt['found_by_volume'][c].get(v)):>14}" for c in comps))
    print(f"{'false positive, unchanged rows (<= 5)':<44}" + "".join(
        f"{r_(rt['false_positive'][c]):>14}" for c in comps))
    print(f"{'  same at p<0.05':<44}" + "".join(f"{r_(rt['false_positive_p'][c]):>14}" for c in comps))
    print(f"{'realised FDR':<44}" + "".join(f"{pct(rt['fdr'][c]['mean_fdp']):>14}" for c in comps))
    print(f"{'data sets with any false discovery':<44}" + "".join(
        f"{r_(rt['fdr'][c]['any_false_discovery']):>14}" for c in comps))
    print_mdc(rt["mdc"])


def print_drift(dt: dict) -> None:
    for comp in TESTS:
        if comp not in dt["flagged"]:
            continue
        f, nr = dt["flagged"][comp], dt["null_rows"][comp]
        print(f"{comp:<14} drifting series flagged q<.05 right way {r_(f)} (wrong way "
              f"{pct(f['wrong_direction'])}; n {f['n']})   series without drift: p<.05 {r_(nr['p<0.05'])},"
              f" q<.05 {r_(nr['q<0.05'])}")
        for label, cell in dt["detection"][comp].items():
            print(f"    {label:<16} {r_(cell['all'])} (n {cell['all']['n']})")


def print_break(bt: dict) -> None:
    st = bt["registered_status"]
    print(f"registered variant: {st['verdict']}")
    for variant, v in bt["variants"].items():
        for comp, cells in v.items():
            print(f"-- {variant}, {comp} --")
            for label, c in cells.items():
                if "reported_as_change" in c:
                    print(f"    {label:<62} change {r_(c['reported_as_change'])} (break way "
                          f"{r_(c['change_in_break_direction']).strip()}), not_comparable "
                          f"{r_(c['not_comparable']).strip()}, n {c['reported_as_change']['n']}")
                else:
                    print(f"    {label:<62} q<.05 {r_(c['q<0.05'])}, not_comparable "
                          f"{r_(c['not_comparable']).strip()}, n {c['q<0.05']['n']}")


def print_tables(fig: dict) -> None:
    cfg = fig["config"]["replicates"]
    for k, by in fig["by_rho"].items():
        print(f"\n==================== rho = {k} ====================")
        if "no_change" in by:
            print_null(by["no_change"], cfg["no_change"])
        if "step" in by:
            print(f"-- step design: {cfg['step']} replicates --")
            print_power(by["step"])
        if "realistic" in by:
            print(f"-- realistic steps: {cfg['realistic']} replicates --")
            print_realistic(by["realistic"])
        if "drift" in by:
            print(f"-- drift: {cfg['drift']} replicates --")
            print_drift(by["drift"])
        if "break" in by:
            print(f"-- recording break in stalking and harassment: {cfg['break']} replicates --")
            print_break(by["break"])
    print_summary(fig)
    t = fig["timing"]
    print(f"\n== Wall time {t['wall_seconds']:.0f} s for {t['pipeline_runs']} pipeline runs on "
          f"{t['replicates']} data sets ({t['workers']} workers) ==")


# ------------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------------
def registry_template(code_dir: Path) -> str | None:
    """The KPI registry shipped with the code under test (``vawgbook/config/kpis.yaml``, or the one
    ``kpis.yaml`` in the package if it has moved), as text; None if there is none."""
    default = code_dir / "vawgbook" / "config" / "kpis.yaml"
    found = [default] if default.exists() else sorted((code_dir / "vawgbook").rglob("kpis.yaml"))
    return found[0].read_text("utf-8") if found else None


def tasks(seed: int, rhos, reps: dict, code: str, template: str | None) -> list[dict]:
    """Every replicate to run. The seed of replicate ``i`` of a scenario does not depend on rho
    (common random numbers: the same targets and innovations at every rho) nor on which other
    scenarios or rhos are run."""
    out = []
    for rho in rhos:
        for scenario, n in reps.items():
            for rep in range(n):
                ss = np.random.SeedSequence(seed, spawn_key=(sim.SCENARIOS.index(scenario), rep))
                out.append({"index": len(out), "scenario": scenario, "rho": float(rho), "rep": rep,
                            "seed": ss, "code": code, "registry_template": template})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few replicates (a few minutes)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rho", type=float, nargs="+", default=list(DEFAULT_RHOS),
                        help="AR(1) coefficients of the extra variation (default 0 0.3 0.5 0.7)")
    parser.add_argument("--scenarios", nargs="+", choices=sim.SCENARIOS, default=list(sim.SCENARIOS))
    for name, flag in (("no_change", "--null"), ("step", "--power"), ("realistic", "--realistic"),
                       ("drift", "--drift"), ("break", "--breaks")):
        parser.add_argument(flag, type=int, dest=name,
                            help=f"{name} replicates per rho (default {DEFAULT_REPS[name]}, "
                                 f"quick {QUICK_REPS[name]})")
    parser.add_argument("--json", type=Path, default=RESULTS_JSON, help="where to write the figures")
    parser.add_argument("--code", default="worktree",
                        help="pipeline code: 'worktree' (vawgbook/ as it is now) or a git revision")
    parser.add_argument("--rows", type=Path, help="also write every result row (CSV) for diagnostics")
    args = parser.parse_args(argv)
    base = QUICK_REPS if args.quick else DEFAULT_REPS
    reps = {s: (getattr(args, s) if getattr(args, s) is not None else base[s]) for s in sim.SCENARIOS
            if s in args.scenarios}
    reps = {s: n for s, n in reps.items() if n > 0}
    rhos = sorted(set(args.rho))

    code_dir = Path(tempfile.mkdtemp(prefix="vawg_cal_code_"))
    statuses: dict[float, list[dict]] = {rho: [] for rho in rhos}
    try:
        version = snapshot(args.code, code_dir)
        template = registry_template(code_dir)
        jobs = tasks(args.seed, rhos, reps, str(code_dir), template)
        started = time.perf_counter()
        results = [None] * len(jobs)
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            futures = [pool.submit(run_replicate, job) for job in jobs]
            for done, future in enumerate(as_completed(futures), 1):
                res = future.result()
                results[res["index"]] = res
                if done % 10 == 0 or done == len(jobs):
                    print(f"[{done}/{len(jobs)} data sets, {time.perf_counter() - started:.0f} s]",
                          file=sys.stderr, flush=True)
        wall = time.perf_counter() - started
    finally:
        shutil.rmtree(code_dir, ignore_errors=True)
    for res in results:
        if res["registered"] is not None:
            statuses[res["rho"]].append(res["registered"])
    rows = pd.concat([r["rows"] for r in results], ignore_index=True)
    if args.rows:
        rows.to_csv(args.rows, index=False)

    by_rho: dict = {}
    for rho in rhos:
        at = rows.loc[rows["rho"] == rho]
        by: dict = {}
        for scenario, summarise in (("no_change", null_tables), ("step", power_tables),
                                    ("realistic", realistic_tables), ("drift", drift_tables)):
            part = at.loc[at["scenario"] == scenario]
            if not part.empty:
                by[scenario] = summarise(part)
        part = at.loc[at["scenario"] == "break"]
        if not part.empty:
            by["break"] = break_tables(part, statuses[rho])
        by_rho[rho_key(rho)] = by
    top = rho_key(0.0) if 0.0 in rhos else rho_key(rhos[0])
    pipeline_runs = len(jobs) + sum(s["status"] in ("supported", "ignored") for v in statuses.values()
                                    for s in v)
    fig = {
        "config": {
            "seed": args.seed, "quick": args.quick,
            # the methods page reads these two (the rho = 0 no-change and step replicates)
            "null_replicates": reps.get("no_change", 0), "power_replicates": reps.get("step", 0),
            "replicates": reps, "rho": rhos, "top_level_rho": float(top),
            "period": PERIOD, "quarters": sim.N_Q, "forces": sim.N_F,
            "count_effects": sim.COUNT_EFFECTS,
            "proportion_effects_points": [e * 100 for e in sim.PROP_EFFECTS], "target_prob": sim.TARGET_PROB,
            "size_bands": {"small": f"population < {sim.SMALL_BELOW}M", "medium": "in between",
                           "large": f"population >= {sim.LARGE_FROM}M"},
            "volume_bands": "events a quarter in the current 12 months (trials for a proportion)",
        },
        "scenarios": {
            "no_change": "nothing changes; every row is a true null for both tests",
            "step": "steps in the last 4 quarters for a random 20% of force x target; nulls = unchanged rows",
            "realistic": {"description": "real-world-sized steps in the last 4 quarters for a random 20% of "
                                         "force x target; nulls = unchanged rows",
                          "changes": {k: {"kind": v[0], "size": v[1]} for k, v in sim.REALISTIC.items()},
                          "headline_rho": HEADLINE_RHO,
                          "target": {"found": ">= 0.80", "false_positive": "<= 0.05"}},
            "drift": {"description": "linear drift over the whole series for a random 50% of force x "
                                     "target; a drifting series is a real change for both tests (not a "
                                     "null); nulls = series without drift",
                      "count_per_year": sim.DRIFT_COUNT, "proportion_points_per_year":
                          [x * 100 for x in sim.DRIFT_POINTS]},
            "break": {"description": "stalking and harassment (8Q, 8L, 8U) recorded x (1 + size) from "
                                     f"{sim.BREAK_FIRST_QUARTER}; all forces (even replicates) or "
                                     f"{sim.BREAK_SUBSET} (odd); unregistered and registered on the same "
                                     "data",
                      "sizes": sim.BREAK_SIZES, "registry_block": BREAKS_BLOCK.strip()},
        },
        "null": by_rho[top].get("no_change", {}),
        "power": by_rho[top].get("step", {}),
        "headline": {k: headline(by) for k, by in by_rho.items()},
        "by_rho": by_rho,
        "timing": {"wall_seconds": wall, "replicates": len(jobs), "pipeline_runs": pipeline_runs,
                   "workers": args.workers,
                   "seconds_per_replicate": wall * args.workers / max(len(jobs), 1)},
        "run": {"date": datetime.now(UTC).strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
                "python": platform.python_version(), "vawgbook": version,
                "command": " ".join([".venv/bin/python", "benchmarks/calibration.py",
                                     *(sys.argv[1:] if argv is None else argv)])},
    }
    fig = tidy(fig)
    print_tables(fig)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(fig, indent=1) + "\n", encoding="utf-8")
    print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
