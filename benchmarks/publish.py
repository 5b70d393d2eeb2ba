"""Benchmark: `make book` on a fresh clone (after the install step), and re-publishing it unchanged.

Run on demand: ``.venv/bin/python benchmarks/publish.py [--repeat N] [--baseline [REV]]``.
Each round copies the files git tracks (as a fresh clone would have them, with this working
tree's changes) into a new folder and runs ``python -m vawgbook publish --data data/sample``
there with an empty cache of parsed inputs (a new machine), which is what ``make book`` runs once
installed; then runs it again with nothing changed; then ``vawgbook build`` alone (the Sphinx
build of the whole book). ``--baseline`` also times the fresh publish of an earlier revision
(default: the revision before warm kernels) in each round: 7 to 11 minutes a round.
Prints medians over the rounds, where the time of a fresh publish goes (computing and notebooks
per period, the book build), and the peak memory of the process tree.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import (  # noqa: E402
    before_warm_kernels,
    check,
    environment,
    export,
    machine,
    run,
    working_tree,
)

PERIOD_LINE = re.compile(r"^(\d{4}-\d\d-Q\d): .*?(\d+) pages in (\d+) s \(computing (\d+) s, "
                         r"notebooks (\d+) s\)")


def publish(project: Path, code: Path, cache: Path, *extra: str):
    command = [sys.executable, "-m", "vawgbook", "publish", "--data", "data/sample", *extra]
    return check(run(command, project, environment(code, cache)), "vawgbook publish")


def split(result) -> dict[str, float]:
    """Seconds spent computing periods, executing notebooks and building the book (from the
    lines printed and when they arrived)."""
    computing = notebooks = 0.0
    building = None
    for at, line in result.lines:
        match = PERIOD_LINE.match(line)
        if match:
            computing += float(match.group(4))
            notebooks += float(match.group(5))
        if line.startswith("building the book"):
            building = at
    book = result.seconds - building if building is not None else 0.0
    return {"computing": computing, "notebooks": notebooks, "book": book}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", nargs="?", const="default", default=None,
                        help="also time a fresh publish of this revision (default: before warm kernels)")
    args = parser.parse_args()
    baseline = before_warm_kernels() if args.baseline == "default" else args.baseline
    print(f"vawgbook publish --data data/sample on a fresh copy; {machine()} at the start")
    fresh, again, build, old = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for index in range(args.repeat):
            project = working_tree(tmp / f"clone-{index}")
            first = publish(project, project, tmp / f"cache-{index}")
            second = publish(project, project, tmp / f"cache-{index}")
            book = check(run([sys.executable, "-m", "vawgbook", "build"], project,
                             environment(project, tmp / f"cache-{index}")), "vawgbook build")
            fresh.append(first)
            again.append(second)
            build.append(book)
            note = ""
            if baseline:
                old_project = working_tree(tmp / f"old-clone-{index}")
                shutil.rmtree(old_project / "vawgbook")
                shutil.rmtree(old_project / "notebooks")
                export(baseline, old_project)
                old.append(publish(old_project, old_project, tmp / f"old-cache-{index}"))
                note = f", {baseline[:7]} fresh {old[-1].seconds:.0f} s"
            print(f"  round {index + 1}: fresh {first.seconds:.0f} s, unchanged {second.seconds:.1f} s, "
                  f"build alone {book.seconds:.0f} s{note}; {machine()}")
            shutil.rmtree(project, ignore_errors=True)
    median = statistics.median
    parts = [split(r) for r in fresh]
    print(f"\nmedian of {args.repeat} rounds")
    print(f"  fresh publish (make book)   {median(r.seconds for r in fresh):6.1f} s   "
          f"(goal: at most 180 s); peak {max(r.peak_mb for r in fresh):,.0f} MB; CPU "
          f"{median(r.cpu for r in fresh):.0f} s")
    print(f"    computing the periods     {median(p['computing'] for p in parts):6.1f} s   (sum of lines)")
    print(f"    executing the notebooks   {median(p['notebooks'] for p in parts):6.1f} s")
    print(f"    building the book         {median(p['book'] for p in parts):6.1f} s")
    print(f"  re-publish, nothing changed {median(r.seconds for r in again):6.1f} s   (goal: at most 10 s)")
    print(f"  vawgbook build alone        {median(r.seconds for r in build):6.1f} s   "
          f"(CPU {median(r.cpu for r in build):.0f} s)")
    if old:
        ratios = [o.seconds / n.seconds for o, n in zip(old, fresh, strict=True)]
        print(f"  fresh publish at {baseline[:7]}   {median(r.seconds for r in old):6.1f} s; "
              f"ratio to this code, paired by round: median {median(ratios):.2f}; peak "
              f"{max(r.peak_mb for r in old):,.0f} MB; CPU {median(r.cpu for r in old):.0f} s")


if __name__ == "__main__":
    main()
