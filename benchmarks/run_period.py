"""Benchmark: `vawgbook run` for one period of the sample data, with all 50 pages.

Run on demand: ``.venv/bin/python benchmarks/run_period.py [--repeat N]``. Prints the wall time
of whole `vawgbook run` processes (median of N), where the time goes (computing the results,
executing notebooks), and the cost of starting one kernel with an empty notebook, which bounds
what executing 50 separate notebooks can cost.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PERIOD = "2024-25-Q2"


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stderr


def empty_notebook_seconds(workdir: Path) -> float:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    path = workdir / "empty.ipynb"
    nb = new_notebook(cells=[new_code_cell("1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    seconds, _ = timed([sys.executable, "-m", "papermill", str(path), str(path), "-k", "python3",
                        "--no-progress-bar"], workdir)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copytree(ROOT / "notebooks", project / "notebooks")
        command = [sys.executable, "-m", "vawgbook", "run", "--data", str(ROOT / "data" / "sample"),
                   "--period", PERIOD, "--root", str(project)]
        walls, computes, notebooks = [], [], []
        for _ in range(args.repeat):
            wall, log = timed(command, ROOT)
            match = re.search(r"(\d+) pages in \d+ s \(computing (\d+) s, notebooks (\d+) s\)", log)
            pages = int(match.group(1))
            walls.append(wall)
            computes.append(float(match.group(2)))
            notebooks.append(float(match.group(3)))
        kernel = statistics.median(empty_notebook_seconds(project) for _ in range(3))
    wall = statistics.median(walls)
    cores = os.cpu_count()
    print(f"vawgbook run, {PERIOD}, sample data, {pages} pages, {cores} cores, median of {args.repeat}")
    print(f"  wall time              {wall:6.1f} s   (goal: at most 180 s)")
    print(f"  computing results      {statistics.median(computes):6.1f} s   (once per period)")
    print(f"  executing notebooks    {statistics.median(notebooks):6.1f} s   "
          f"({statistics.median(notebooks) * cores / pages:.1f} s per page per core)")
    print(f"  one empty notebook     {kernel:6.1f} s   (papermill + kernel start, the floor per page)")
    print(f"  kernel floor share     {kernel * pages / cores / wall:6.0%}   of the wall time")


if __name__ == "__main__":
    main()
