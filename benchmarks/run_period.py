"""Benchmark: `vawgbook run` for the latest sample period (all its pages), warm kernels against
the cold runner (one new kernel per page), and where the time goes.

Run on demand: ``.venv/bin/python benchmarks/run_period.py [--repeat N] [--baseline REV]
[--no-baseline] [--profile]``. Each round runs the cold runner (the code of ``--baseline``,
default: the revision before warm kernels) and then the current code, as whole ``vawgbook run``
processes on the same machine, so the ratio of a round is measured under the same load; the
figures printed are medians over the rounds. The pages of the two are compared byte for byte.
Peak memory is the largest sum of the resident memory of the run and its kernels. ``--profile``
then runs the period once in this process with the phases timed: kernel start, each template's
cells (in the kernel), the reset between pages, papermill's and the tidy step's work here.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import ROOT, before_warm_kernels, check, environment, export, machine, run  # noqa: E402

PERIOD = "2024-25-Q2"
SAMPLE = ROOT / "data" / "sample"
LINE = re.compile(r"(\d+) pages in \d+ s \(computing (\d+) s, notebooks (\d+) s\)")


def vawgbook_run(code: Path, project: Path, cache: Path):
    shutil.rmtree(project / "book", ignore_errors=True)
    command = [sys.executable, "-m", "vawgbook", "run", "--data", str(SAMPLE), "--period", PERIOD,
               "--root", str(project)]
    return check(run(command, project, environment(code, cache)), "vawgbook run")


def pages(project: Path) -> dict[str, bytes]:
    folder = project / "book" / "periods" / PERIOD
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.ipynb"))}


def profile(project: Path) -> None:
    """One run in this process, its phases timed."""
    import os

    sys.path.insert(0, str(ROOT))  # this code, in this process and in its kernels
    os.environ["PYTHONPATH"] = str(ROOT)
    import papermill
    import psutil

    from vawgbook.build import kernels, notebooks
    from vawgbook.periods import Quarter

    spent: dict[str, list[float]] = defaultdict(list)
    cells: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)

    def timed(name, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name].append(time.perf_counter() - start)
        return wrapper

    execute = papermill.execute_notebook

    def papermill_timed(template, *args, **kwargs):
        start = time.perf_counter()
        nb = execute(template, *args, **kwargs)
        spent["papermill (all)"].append(time.perf_counter() - start)
        inside = sum(c.metadata.get("papermill", {}).get("duration") or 0 for c in nb.cells)
        cells[Path(template).stem] += inside
        counts[Path(template).stem] += 1
        spent["cells, in the kernel"].append(inside)
        return nb

    papermill.execute_notebook = papermill_timed
    kernels.WarmKernel.prepare = timed("reset between pages", kernels.WarmKernel.prepare)
    kernels.WarmKernel.release = timed("leave the folder", kernels.WarmKernel.release)
    kernels.WarmKernel._start_once = timed("kernel start + imports", kernels.WarmKernel._start_once)
    notebooks._tidy_for_book = timed("tidy step", notebooks._tidy_for_book)
    shutil.rmtree(project / "book", ignore_errors=True)
    wall, cpu = time.perf_counter(), time.process_time()
    with kernels.KernelPool() as pool:
        notebooks.run_period(SAMPLE, Quarter.parse(PERIOD), root=project, echo=print, pool=pool)
        kernel_cpu = 0.0
        for kernel in pool.kernels:
            times = psutil.Process(kernel.process.pid).cpu_times()
            kernel_cpu += times.user + times.system
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"\nprofile (one run in this process, {machine()}):")
    print(f"  wall {wall:.1f} s; CPU: this process {cpu:.1f} s, kernels {kernel_cpu:.1f} s")
    for name, values in spent.items():
        print(f"  {name:24s} {sum(values):6.1f} s  ({len(values)} x {statistics.mean(values):.3f} s)")
    print("  kernel time by template (cells, wall):")
    for name, seconds in sorted(cells.items(), key=lambda kv: -kv[1]):
        print(f"    {name:22s} {seconds:6.1f} s  ({counts[name]} pages, {seconds / counts[name]:.2f} s each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", default=None, help="revision of the cold runner")
    parser.add_argument("--no-baseline", action="store_true", help="time the current code only")
    parser.add_argument("--profile", action="store_true", help="also time the phases of one run")
    args = parser.parse_args()
    baseline = None if args.no_baseline else (args.baseline or before_warm_kernels())
    print(f"vawgbook run --period {PERIOD}, sample data; {machine()} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cache = tmp / "cache"
        warm_project = tmp / "warm"
        shutil.copytree(ROOT / "notebooks", warm_project / "notebooks")
        if baseline:
            old_code = export(baseline, tmp / "old")
            old_project = tmp / "old-project"
            shutil.copytree(old_code / "notebooks", old_project / "notebooks")
        vawgbook_run(ROOT, warm_project, cache)  # fills the parsed-input cache for both
        rounds = []
        for index in range(args.repeat):
            old = vawgbook_run(old_code, old_project, cache) if baseline else None
            new = vawgbook_run(ROOT, warm_project, cache)
            rounds.append((old, new))
            ratio = f", cold {old.seconds:.1f} s, ratio {old.seconds / new.seconds:.2f}" if old else ""
            print(f"  round {index + 1}: warm {new.seconds:.1f} s{ratio}; {machine()}")
        same = pages(old_project) == pages(warm_project) if baseline else None
        number = int(LINE.search(rounds[0][1].text()).group(1))

        def summary(label: str, results) -> None:
            parsed = [LINE.search(r.text()) for r in results]
            print(f"  {label:26s} wall {statistics.median(r.seconds for r in results):6.1f} s "
                  f"(min {min(r.seconds for r in results):.1f}), computing "
                  f"{statistics.median(float(m.group(2)) for m in parsed):.0f} s, notebooks "
                  f"{statistics.median(float(m.group(3)) for m in parsed):.0f} s, peak "
                  f"{max(r.peak_mb for r in results):,.0f} MB, CPU "
                  f"{statistics.median(r.cpu for r in results):.0f} s")

        print(f"\n{number} pages, median of {args.repeat} rounds (goal: warm at most 45 s, "
              "peak under 2 GB)")
        summary("warm kernels (this code)", [new for _, new in rounds])
        if baseline:
            summary(f"cold runner ({baseline[:7]})", [old for old, _ in rounds])
            ratios = [old.seconds / new.seconds for old, new in rounds]
            print(f"  cold / warm, paired by round: median {statistics.median(ratios):.2f} "
                  f"(min {min(ratios):.2f}, max {max(ratios):.2f})")
            print(f"  pages byte-identical between the two: {same}")
        if args.profile:
            profile(warm_project)


if __name__ == "__main__":
    main()
