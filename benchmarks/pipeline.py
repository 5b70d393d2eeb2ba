"""What the benchmarks that run the real pipeline share: a copy of the package under test, the
``vawgbook kpis`` command run on a data folder in a separate process, the run's record and the
figures file. Used by ``calibration.py`` and ``gaps.py`` (run from the repository root)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PERIOD = "2024-25-Q2"
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


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
    if isinstance(obj, np.bool_):
        return bool(obj)
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


def write_data(files: dict[str, pd.DataFrame], folder: Path) -> Path:
    """A data folder of ``files`` (name -> table, written as CSV) at ``folder``."""
    folder.mkdir()
    for name, frame in files.items():
        frame.to_csv(folder / name, index=False, lineterminator="\n")
    return folder


def run_kpis(files: dict[str, pd.DataFrame], label: str, code: str) -> pd.DataFrame:
    """Write a data folder of ``files``, run ``vawgbook kpis`` on it from the package in ``code``
    as a separate process, and return the ``kpi_results.csv`` it writes."""
    work = Path(tempfile.mkdtemp(prefix=f"vawg_{label}_"))
    try:
        data = write_data(files, work / "data")
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
