"""Markdown tables of a calibration run, for ``benchmarks/README.md``.

    .venv/bin/python benchmarks/calibration_report.py [benchmarks/results/calibration.json]

Reads the figures written by ``benchmarks/calibration.py`` and prints the tables of the README's
calibration section (percentages; every rate's 95% Wilson interval is in the JSON).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TESTS = ("year_on_year", "trend")
VOLUMES = ("under 10", "10-99", "100-999", "1,000 and over", "not known")
WORDS = {"year_on_year": "year on year", "trend": "trend", "either": "either test"}


def pct(cell, key: str = "rate") -> str:
    if cell is None:
        return "–"
    x = cell.get(key) if isinstance(cell, dict) else cell
    return "–" if x is None else f"{100 * x:.1f}"


def both(cell, first: str, second: str) -> str:
    return f"{pct(cell, first)} ({pct(cell, second)})" if cell else "–"


def get(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def report(fig: dict) -> str:
    by, rhos = fig["by_rho"], list(fig["by_rho"])
    rho_head = [f"rho {k}" for k in rhos]
    out = []

    # Summary
    rows = []
    for c in TESTS:
        w = WORDS[c]
        rows += [
            [f"no change, {w}: p<0.05 (nominal 5)"] + [pct(get(by[k], "no_change", "overall", c, "p<0.05"))
                                                       for k in rhos],
            [f"no change, {w}: q<0.05"]
            + [pct(get(by[k], "no_change", "overall", c, "q<0.05")) for k in rhos],
            [f"no change, {w}: data sets with any q<0.05 (≤ 5)"]
            + [pct(get(by[k], "no_change", "any_discovery", c)) for k in rhos],
            [f"step design, {w}: realised FDR (≤ 5)"] + [pct(get(by[k], "step", "fdr", c), "mean_fdp")
                                                        for k in rhos],
            [f"step design, {w}: VAWG offences +20% found (4 KPIs)"]
            + [pct(get(by[k], "step", "headline", "vawg_recorded_all_kpis_+20%", c)) for k in rhos],
            [f"step design, {w}: `vawg_recorded` +20% found"]
            + [pct(get(by[k], "step", "headline", "vawg_recorded_+20%", c)) for k in rhos],
            [f"step design, {w}: charge rates +2 pts found (3 KPIs)"]
            + [pct(get(by[k], "step", "headline", "charge_rates_+2pts", c)) for k in rhos],
        ]
    for c in (*TESTS, "either"):
        w = WORDS[c]
        rows += [
            [f"**realistic steps, {w}: found (≥ 80)**"]
            + [pct(get(by[k], "realistic", "found", c)) for k in rhos],
            [f"**realistic steps, {w}: false positive (≤ 5)**"]
            + [pct(get(by[k], "realistic", "false_positive", c)) for k in rhos],
            [f"realistic steps, {w}: realised FDR"] + [pct(get(by[k], "realistic", "fdr", c), "mean_fdp")
                                                       for k in rhos],
        ]
    for c in TESTS:
        w = WORDS[c]
        rows += [
            [f"drift, {w}: drifting series flagged q<0.05 (p<0.05)"]
            + [both(get(by[k], "drift", "flagged", c), "rate", "p<0.05") for k in rhos],
            [f"unregistered break, {w}: S&H reported as a change"]
            + [pct(get(by[k], "break", "variants", "unregistered", c,
                       "stalking_harassment_recorded (break forces)", "reported_as_change")) for k in rhos],
        ]
    out.append("**Summary** (% of force rows; targets in brackets)\n\n" + table(["", *rho_head], rows))

    # No change by group
    groups = [("all forces", ("overall",)), ("England and Wales", ("national",))]
    groups += [(f"kind: {x}", ("by_kind", x)) for x in ("count", "rate", "proportion")]
    groups += [(f"force size: {x}", ("by_band", x)) for x in ("small", "medium", "large")]
    groups += [(f"events a quarter: {x}", ("by_volume", x)) for x in VOLUMES[:4]]
    groups += [(f"phi: {x}", ("by_dispersion", x)) for x in ("estimated > 1", "estimate <= 1, floored")]
    rows = []
    for label, path in groups:
        cells = []
        for c in TESTS:
            for k in rhos:
                nt = get(by[k], "no_change")
                cell = get(nt, path[0], c, *path[1:]) if nt else None
                cells.append(f"{pct(get(cell, 'p<0.05'))} ({pct(get(cell, 'q<0.05'))})" if cell else "–")
        rows.append([label] + cells)
    n = get(by[rhos[0]], "no_change", "overall", "year_on_year", "p<0.05", "n")
    out.append(f"**No change: share of rows with p<0.05 (q<0.05)**, % (n ≈ {n} force rows a test and rho)\n\n"
               + table(["", *[f"yoy {h}" for h in rho_head], *[f"trend {h}" for h in rho_head]], rows))

    # No change by KPI
    kpis = list(get(by[rhos[0]], "no_change", "by_kpi", "year_on_year") or {})
    rows = []
    for kpi in kpis:
        cells = [pct(get(by[k], "no_change", "by_kpi", c, kpi, "p<0.05")) for c in TESTS for k in rhos]
        phis = [get(by[k], "no_change", "phi_deciles", "year_on_year", kpi) for k in rhos]
        cells.append(" / ".join(f"{p[1]:.1f}" if p else "–" for p in phis))
        rows.append([f"`{kpi}`"] + cells)
    out.append("**No change by KPI: p<0.05**, % of force rows; median phi estimated by the year-on-year test "
               "at each rho\n\n" + table(["KPI", *[f"yoy {h}" for h in rho_head],
                                           *[f"trend {h}" for h in rho_head], "median phi (yoy)"], rows))

    # Step design
    labels = list(get(by[rhos[0]], "step", "detection", "year_on_year") or {})
    rows = []
    for label in labels:
        cells = [pct(get(by[k], "step", "detection", c, label, "all")) for c in TESTS for k in rhos]
        rows.append([label] + cells)
    out.append("**Step design: steps found** (q<0.05, right direction; % of changed force rows)\n\n"
               + table(["step", *[f"yoy {h}" for h in rho_head], *[f"trend {h}" for h in rho_head]], rows))
    rows = []
    for target, cells in (get(by[rhos[0]], "step", "detection_by_target", "year_on_year") or {}).items():
        for label in cells:
            rows.append([f"{target} {label}"] + [pct(get(by[k], "step", "detection_by_target", "year_on_year",
                                                          target, label)) for k in rhos])
    out.append("**Step design, year on year, by target** (% found)\n\n"
               + table(["target and step", *rho_head], rows))

    # Realistic steps
    keys = list(get(by[rhos[0]], "realistic", "found_by_target", "year_on_year") or {})
    rows = [["**all injected changes**"] + [pct(get(by[k], "realistic", "found", c)) for c in ("year_on_year",
                                                                                                 "either")
                                               for k in rhos]]
    rows += [["  among rows that could be tested"] + [pct(get(by[k], "realistic", "found", c, "tested"))
                                                       for c in ("year_on_year", "either") for k in rhos]]
    for key in keys:
        rows.append([key] + [pct(get(by[k], "realistic", "found_by_target", c, key))
                             for c in ("year_on_year", "either") for k in rhos])
    for b in ("small", "medium", "large"):
        rows.append([f"force size {b}"] + [pct(get(by[k], "realistic", "found_by_band", c, b))
                                          for c in ("year_on_year", "either") for k in rhos])
    for v in VOLUMES:
        rows.append([f"events a quarter {v}"] + [pct(get(by[k], "realistic", "found_by_volume", c, v))
                                                 for c in ("year_on_year", "either") for k in rhos])
    rows.append(["**false positive** (unchanged force rows, q<0.05)"]
                + [pct(get(by[k], "realistic", "false_positive", c)) for c in ("year_on_year", "either")
                   for k in rhos])
    rows.append(["unchanged force rows, p<0.05"] + [pct(get(by[k], "realistic", "false_positive_p", c))
                                                   for c in ("year_on_year", "either") for k in rhos])
    rows.append(["**realised FDR**"] + [pct(get(by[k], "realistic", "fdr", c), "mean_fdp")
                                        for c in ("year_on_year", "either") for k in rhos])
    rows.append(["data sets with any false discovery"] + [
        pct(get(by[k], "realistic", "fdr", c, "any_false_discovery")) for c in ("year_on_year", "either")
        for k in rhos])
    out.append("**Realistic steps: changes found** (q<0.05, right direction, %) **and false positives**\n\n"
               + table(["", *[f"yoy {h}" for h in rho_head], *[f"either {h}" for h in rho_head]], rows))

    # Drift
    labels = list(get(by[rhos[0]], "drift", "detection", "trend") or {})
    rows = []
    for label in labels:
        rows.append([label] + [f"{pct(get(by[k], 'drift', 'detection', c, label, 'all'))} "
                               f"({pct(get(by[k], 'drift', 'detection', c, label, 'all'), 'p<0.05')})"
                               for c in TESTS for k in rhos])
    rows.append(["series without drift: q<0.05 (p<0.05)"] + [
        f"{pct(get(by[k], 'drift', 'null_rows', c, 'q<0.05'))} "
        f"({pct(get(by[k], 'drift', 'null_rows', c, 'p<0.05'))})" for c in TESTS for k in rhos])
    out.append("**Drift: drifting series flagged** q<0.05 in the drift's direction (p<0.05), %\n\n"
               + table(["drift", *[f"yoy {h}" for h in rho_head], *[f"trend {h}" for h in rho_head]], rows))

    # Break
    labels = list(get(by[rhos[0]], "break", "variants", "unregistered", "trend") or {})
    rows = []
    for label in labels:
        cells = []
        for c in TESTS:
            for k in rhos:
                cell = get(by[k], "break", "variants", "unregistered", c, label)
                cells.append(pct(get(cell, "reported_as_change") or get(cell, "q<0.05")))
        rows.append([label] + cells)
    verdicts = sorted({get(by[k], "break", "registered_status", "verdict") or "" for k in rhos})
    out.append("**Recording break, unregistered: rows reported as a change** (improving, deteriorating, "
               "increase or decrease), %\n\n"
               + table(["rows", *[f"yoy {h}" for h in rho_head], *[f"trend {h}" for h in rho_head]], rows)
               + "\n\nRegistered variant: " + "; ".join(verdicts))

    # MDC
    rows = []
    for scen in ("step", "realistic"):
        kinds = list(get(by[rhos[0]], scen, "mdc") or {})
        for ek in kinds:
            cells = []
            for which in ("below", "above"):
                for k in rhos:
                    m = get(by[k], scen, "mdc", ek) or {}
                    cells.append(f"{pct(get(m, f'detected_when_mdc_{which}_true'))} / "
                                 f"{pct(get(m, f'detected_p_when_mdc_{which}_true'))}")
            rows.append([f"{scen}, {ek}"] + cells)
    out.append("**Minimum detectable change (year on year)**: changes found at q<0.05 / at p<0.05, % (the "
               "MDC is for 80% power at p<0.05)\n\n"
               + table(["", *[f"MDC < true, {h}" for h in rho_head], *[f"MDC ≥ true, {h}" for h in rho_head]],
                       rows))
    return "\n\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else Path(__file__).resolve().parent / "results" / "calibration.json"
    print(report(json.loads(path.read_text("utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
