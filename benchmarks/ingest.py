"""Benchmark: ingesting full-size Home Office files, against DuckDB as the near-limit reference.

    .venv/bin/pip install duckdb     # for the reference only; not a vawgbook dependency
    .venv/bin/python benchmarks/ingest.py [--data-root /tmp/vawgbook-full] [--repeat 5]

Generates what is missing under ``--data-root`` (benchmarks/generate_full.py: ``x1`` with XLSX and
ODS, ``x2`` and ``x4`` CSV only), then times whole processes, in ``--repeat`` rounds that each run
every case once (so that other work on the machine slows all cases alike), reporting the median:

- ``vawgbook kpis`` on the scale-1 CSV: cold (empty cache) and warm (cache filled); the same for
  ``vawgbook validate`` (reading, checking and the data-quality summary, no statistical tests);
- ingestion alone, ``vawgbook.ingest.load`` in a fresh process (import included), cold and warm, and
  where one ``kpis`` run spends its time (import, load, compute, write);
- a DuckDB query computing just the VAWG aggregates (recorded VAWG, rape, stalking and
  harassment offences; outcomes of types 1-22, 1, 14 and 16, 18 by group) from the same CSV;
- 1x, 2x and 4x the rows: cold ingestion, cold ``kpis`` and DuckDB;
- the XLSX and ODS folders (recorded crime workbook plus one year of outcomes), cold.

Each vawgbook run is followed at once by a DuckDB run on the same data, and the ratios to DuckDB
are medians of these pairs: other work on a shared machine then slows both sides of a ratio alike.
Peak memory is the largest resident set of the process (``ru_maxrss`` from ``wait4``); CPU time is
user + system time of the process. Prints a table and the ratios against the goals (cold <= 3x
DuckDB, warm <= 1.5x, peak < 2 GB, linear growth, workbooks < 30 s); ``--json FILE`` also saves
the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PERIOD = "2024-25-Q2"
VAWG = ("19C", "19D", "19E", "20A", "20B", "88E", "8Q", "8L", "8U")
GROUPS = {"vawg": VAWG, "rape": ("19C", "19D", "19E"), "stalking_harassment": ("8Q", "8L", "8U")}

LOAD = """
import sys, time
start = time.perf_counter()
from vawgbook.config import load_registry
from vawgbook.ingest import load, registry_codes
imported = time.perf_counter()
ds = load(sys.argv[1], codes=registry_codes(load_registry()))
print(f"import {imported - start:.3f} load {time.perf_counter() - imported:.3f}", file=sys.stderr)
"""

PHASES = """
import sys, time
t0 = time.perf_counter()
from vawgbook.periods import Quarter
from vawgbook.config import load_registry
from vawgbook.compute import compute
from vawgbook.ingest import load, registry_codes
from vawgbook.files import write_csv
t1 = time.perf_counter()
reg = load_registry()
ds = load(sys.argv[1], codes=registry_codes(reg))
t2 = time.perf_counter()
result = compute(ds, reg, Quarter.parse(sys.argv[2]))
t3 = time.perf_counter()
write_csv(result.results, sys.argv[3])
t4 = time.perf_counter()
print(f"import {t1 - t0:.3f} load {t2 - t1:.3f} compute {t3 - t2:.3f} write {t4 - t3:.3f}",
      file=sys.stderr)
"""


DUCKDB = r"""
import sys, duckdb
data, out = sys.argv[1], sys.argv[2]


def number(column):
    return "TRY_CAST(replace(\"" + column + "\", ',', '') AS DOUBLE)"


closed = number("Outcomes for investigations closed in the quarter")
older = ("coalesce(" + number("Force outcomes for offences recorded in quarter") + ", 0) + "
         "coalesce(" + number("Force outcomes for offences recorded in previous quarters") + ", 0)")
offences = number("Number of Offences")
con = duckdb.connect()
con.execute("CREATE TEMP TABLE groups AS SELECT * FROM (VALUES GROUPS) AS t(grp, code)")
con.execute(f'''COPY (
  WITH o AS (
    SELECT "Force Name" AS force, "Financial Year" AS fy, "Financial Quarter" AS fq,
           upper(trim("Offence Code")) AS code, TRY_CAST("Outcome Type" AS INTEGER) AS otype,
           coalesce({closed}, {older}) AS closed
    FROM read_csv('{data}/outcomes_*.csv', union_by_name = true, all_varchar = true)
    WHERE upper(trim("Offence Code")) IN (CODES))
  SELECT force, fy, fq, grp,
         sum(closed) FILTER (WHERE otype BETWEEN 1 AND 22) AS assigned,
         sum(closed) FILTER (WHERE otype = 1) AS charged,
         sum(closed) FILTER (WHERE otype IN (14, 16)) AS victim_not_supporting,
         sum(closed) FILTER (WHERE otype = 18) AS no_suspect
  FROM o JOIN groups USING (code) GROUP BY ALL ORDER BY ALL
) TO '{out}/outcomes.csv' (HEADER)''')
con.execute(f'''COPY (
  SELECT "Force Name" AS force, "Financial Year" AS fy, "Financial Quarter" AS fq, grp,
         sum({offences}) AS offences
  FROM read_csv('{data}/recorded_crime*.csv', all_varchar = true) AS r
  JOIN groups ON upper(trim(r."Offence Code")) = groups.code
  GROUP BY ALL ORDER BY ALL
) TO '{out}/recorded.csv' (HEADER)''')
"""


def duckdb_script() -> str:
    """The reference: the VAWG aggregates of recorded crime and outcomes, straight from CSV."""
    groups = ", ".join(f"('{g}', '{c}')" for g, codes in GROUPS.items() for c in codes)
    return DUCKDB.replace("GROUPS", groups).replace("CODES", ", ".join(f"'{c}'" for c in VAWG))


def run(command: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak resident MB and stderr of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(command)}\n{stderr}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stderr


class Bench:
    """Cases timed in rounds: each round runs every case once, and right after each vawgbook run
    the DuckDB reference of the same scale, so that a ratio compares two runs made under the same
    load from other work on the machine. Figures are medians over the rounds."""

    def __init__(self, work: Path):
        self.work, self.cases, self.count = work, [], 0

    def env(self, cache: Path | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "VAWGBOOK_NO_CACHE"}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        if cache is None:
            env["VAWGBOOK_NO_CACHE"] = "1"
        else:
            env["VAWGBOOK_CACHE_DIR"] = str(cache)
        return env

    def fresh_cache(self) -> Path:
        self.count += 1
        path = self.work / f"cache-{self.count}"
        shutil.rmtree(path, ignore_errors=True)
        return path

    def add(self, name: str, command: list[str], cache: str = "cold",
            reference: list[str] | None = None) -> None:
        """A case; cache "cold" (empty for every run), "warm" (filled first) or "off"; each run
        is followed by one of ``reference`` (the DuckDB query), if given."""
        self.cases.append({"name": name, "cache": cache, "command": command,
                           "reference": reference, "walls": [], "cpus": [], "peaks": [],
                           "logs": [], "ratios": [], "refs": [], "warm": None})

    def run(self, repeat: int) -> list[dict]:
        for case in self.cases:
            if case["cache"] == "warm":
                case["warm"] = self.fresh_cache()
                run(case["command"], self.env(case["warm"]))  # fill it
        for round_ in range(repeat):
            print(f"round {round_ + 1} of {repeat} (load average {os.getloadavg()[0]:.1f})",
                  flush=True)
            for case in self.cases:
                where = {"cold": self.fresh_cache, "warm": lambda c=case: c["warm"],
                         "off": lambda: None}[case["cache"]]()
                wall, cpu, peak, log = run(case["command"], self.env(where))
                case["walls"].append(wall)
                case["cpus"].append(cpu)
                case["peaks"].append(peak)
                case["logs"].append(log)
                if case["cache"] == "cold":
                    shutil.rmtree(where, ignore_errors=True)
                if case["reference"]:
                    ref, _, _, _ = run(case["reference"], self.env(None))
                    case["refs"].append(ref)
                    case["ratios"].append(wall / ref)
        rows = []
        for case in self.cases:
            walls = case["walls"]
            row = {"name": case["name"], "cache": case["cache"],
                   "median_s": statistics.median(walls), "min_s": min(walls),
                   "max_s": max(walls), "cpu_s": statistics.median(case["cpus"]),
                   "peak_mb": max(case["peaks"]), "runs": [round(w, 2) for w in walls],
                   "ratio": statistics.median(case["ratios"]) if case["ratios"] else None,
                   "reference_s": statistics.median(case["refs"]) if case["refs"] else None,
                   "log": case["logs"][walls.index(sorted(walls)[len(walls) // 2])]}
            rows.append(row)
            ratio = (f"  x DuckDB {row['ratio']:.2f} (paired)" if row["ratio"] is not None
                     else "")
            print(f"  {row['name']:<40} {row['cache']:<5} median {row['median_s']:6.2f} s "
                  f"(min {row['min_s']:.2f}, max {row['max_s']:.2f}), CPU {row['cpu_s']:6.2f} s, "
                  f"peak {row['peak_mb']:5.0f} MB{ratio}")
        return rows


def ensure_data(root: Path, scale: int, workbooks: bool) -> Path:
    folder = root / f"x{scale}"
    if not (folder / "csv" / "recorded_crime.csv").exists() or (
            workbooks and not (folder / "ods").exists()):
        command = [sys.executable, str(ROOT / "benchmarks" / "generate_full.py"),
                   "--scale", str(scale), "--out", str(folder)]
        if not workbooks:
            command.append("--csv-only")
        print(f"generating {folder} ...", flush=True)
        subprocess.run(command, check=True)
    return folder


def csv_size(folder: Path) -> tuple[int, float]:
    files = sorted(folder.glob("outcomes_*.csv"))
    rows = sum(sum(1 for _ in open(f, "rb")) - 1 for f in files)
    return rows, sum(f.stat().st_size for f in folder.glob("*.csv")) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=Path(tempfile.gettempdir()) / "vawgbook-full")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    try:
        import duckdb
    except ImportError:
        raise SystemExit("the reference needs DuckDB: .venv/bin/pip install duckdb") from None

    py = sys.executable
    vawgbook = [py, "-m", "vawgbook"]
    print(f"{date.today()}  {platform.node()}  {os.cpu_count()} cores  Python {platform.python_version()}"
          f"  duckdb {duckdb.__version__}  load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="vawgbook-bench-") as tmp:
        work = Path(tmp)
        bench = Bench(work)
        script = work / "duck.py"
        script.write_text(duckdb_script(), encoding="utf-8")
        sizes = {}
        for scale in args.scales:
            data = ensure_data(args.data_root, scale, workbooks=scale == 1) / "csv"
            sizes[scale] = csv_size(data)
            rows, mb = sizes[scale]
            print(f"scale {scale}: {data} ({rows:,} outcome rows, {mb:,.0f} MB of CSV)")
            out = work / f"out{scale}"
            out.mkdir()
            duck = [py, str(script), str(data), str(out)]
            load = [py, "-c", LOAD, str(data)]
            kpis = [*vawgbook, "kpis", "--data", str(data), "--period", PERIOD,
                    "--out", str(out / "kpi_results.csv")]
            phases = [py, "-c", PHASES, str(data), PERIOD, str(out / "phases.csv")]
            bench.add(f"duckdb reference x{scale}", duck, "off")
            bench.add(f"load x{scale}", load, "cold", duck)
            bench.add(f"vawgbook kpis x{scale}", kpis, "cold", duck)
            bench.add(f"kpis phases x{scale}", phases, "cold")
            if scale == 1:
                bench.add("load x1", load, "warm", duck)
                bench.add("vawgbook kpis x1", kpis, "warm", duck)
                bench.add("kpis phases x1", phases, "warm")
                validate = [*vawgbook, "validate", "--data", str(data)]
                bench.add("vawgbook validate x1", validate, "cold", duck)
                bench.add("vawgbook validate x1", validate, "warm", duck)
                for ext in ("xlsx", "ods"):
                    bench.add(f"load {ext} (crime + 1 year of outcomes)",
                              [py, "-c", LOAD, str(data.parent / ext)], "cold")
        started = time.perf_counter()
        rows = bench.run(args.repeat)
        print(f"{time.perf_counter() - started:.0f} s in all; load average now "
              f"{os.getloadavg()[0]:.1f}")
        report(rows, sizes, args)


def report(rows: list[dict], sizes: dict, args) -> None:
    def find(name, cache):
        return next((r for r in rows if r["name"] == name and r["cache"] == cache), None)

    print("\nratios to DuckDB (median over rounds of each run / the DuckDB run right after it):")
    lines = []
    for name, cache, goal in (("vawgbook kpis x1", "cold", 3.0), ("vawgbook kpis x1", "warm", 1.5),
                              ("load x1", "cold", 3.0), ("load x1", "warm", 1.5),
                              ("vawgbook validate x1", "cold", 3.0),
                              ("vawgbook validate x1", "warm", 1.5)):
        row = find(name, cache)
        if row and row["ratio"] is not None:
            lines.append(f"  {name} {cache}: {row['ratio']:.2f} (goal <= {goal})")
    for scale in args.scales:
        for cache in ("cold", "warm"):
            row = find(f"kpis phases x{scale}", cache)
            if row:
                lines.append(f"  kpis phases x{scale}, {cache} cache: {row['log'].strip()}")
    lines.append("growth with rows (median, and min over rounds, against x1):")
    for scale in args.scales[1:]:
        for name, cache in (("load", "cold"), ("vawgbook kpis", "cold"), ("duckdb reference", "off")):
            row, first = find(f"{name} x{scale}", cache), find(f"{name} x1", cache)
            if row and first:
                lines.append(f"  {name} x{scale}: {row['median_s'] / first['median_s']:.2f} "
                             f"(min {row['min_s'] / first['min_s']:.2f}); "
                             f"rows x{sizes[scale][0] / sizes[1][0]:.2f}")
    peak = max(r["peak_mb"] for r in rows if not r["name"].startswith("duckdb"))
    lines.append(f"largest vawgbook peak memory: {peak:,.0f} MB (goal < 2,048)")
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"date": str(date.today()), "cores": os.cpu_count(),
                                         "sizes": sizes, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
