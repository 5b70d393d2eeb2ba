"""Shared helpers of the run and publish benchmarks: whole processes timed with the peak memory
of their process tree (kernels included), and the code of an earlier revision to compare with."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Timed:
    seconds: float
    peak_mb: float
    lines: list[tuple[float, str]] = field(default_factory=list)  # (seconds since start, line)
    returncode: int = 0
    cpu: float = float("nan")  # user + system seconds of the process and what it waited for

    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)


def run(command: list[str], cwd: Path, env: dict | None = None) -> Timed:
    """Run ``command``; its stderr lines with the time each arrived, and the largest sum of the
    resident memory of the process and all its descendants (sampled every 0.1 s)."""
    import psutil

    try:
        import resource

        def used() -> float:
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            return usage.ru_utime + usage.ru_stime
    except ImportError:  # Windows
        def used() -> float:
            return float("nan")

    cpu = used()
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, bufsize=1)
    lines: list[tuple[float, str]] = []

    def read() -> None:
        for line in process.stderr:
            lines.append((time.perf_counter() - start, line.rstrip("\n")))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    peak = 0
    root = psutil.Process(process.pid)
    while process.poll() is None:
        total = 0
        try:
            for proc in [root, *root.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    reader.join(timeout=10)
    return Timed(seconds, peak / 1e6, lines, process.returncode, used() - cpu)


def check(result: Timed, what: str) -> Timed:
    if result.returncode != 0:
        raise SystemExit(f"{what} failed (exit {result.returncode}):\n{result.text()[-3000:]}")
    return result


def before_warm_kernels() -> str:
    """The revision just before the warm-kernel runner (the parent of the commit adding
    vawgbook/build/kernels.py): the cold runner, one new kernel per page."""
    added = subprocess.run(["git", "-C", str(ROOT), "log", "--diff-filter=A", "--format=%H", "--",
                            "vawgbook/build/kernels.py"], capture_output=True, text=True, check=True)
    first = added.stdout.split()[-1]
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", f"{first}^"], capture_output=True,
                          text=True, check=True).stdout.strip()


def export(revision: str, folder: Path, paths: tuple[str, ...] = ("vawgbook", "notebooks")) -> Path:
    """The files of ``revision`` under ``paths``, written into ``folder``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", revision, *paths],
                             capture_output=True, check=True).stdout
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def working_tree(folder: Path) -> Path:
    """A copy of the files git tracks, as they are in the working tree (a fresh clone of it)."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source, target = ROOT / name, folder / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            target.chmod(source.stat().st_mode)
    return folder


def environment(code: Path, cache: Path) -> dict:
    """The environment for a vawgbook process (and its kernels) using the package in ``code``
    and the parsed-input cache in ``cache``."""
    return {**os.environ, "PYTHONPATH": str(code), "VAWGBOOK_CACHE_DIR": str(cache)}


def machine() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    return f"{os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
