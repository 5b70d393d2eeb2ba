"""Building the HTML book with Jupyter Book 1.x from the periods already run.

Notebooks are not re-executed by the book (``execute_notebooks: "off"`` in ``_config.yml``).
The table of contents is written from the periods present, newest first. The book is built in
a staging folder and swapped into ``_build/html`` only when the build succeeded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from ..errors import BuildError, InputError
from ..files import PAGES_FILE, recover_folder, replace_folder, write_text
from ..periods import Quarter
from . import incremental
from .notebooks import periods_dir


def published_periods(root: Path) -> list[Quarter]:
    """Periods with a complete folder under ``book/periods``, newest first."""
    folder = periods_dir(root)
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_dir() and not path.name.startswith(".") and (path / PAGES_FILE).exists():
                try:
                    found.append(Quarter.parse(path.name))
                except InputError:
                    continue
    return sorted(found, reverse=True)


def _chapter(root: Path, period: Quarter) -> dict:
    """A period's entry: its index page, then its pages in the order they were run."""
    base = f"book/periods/{period}"
    listed = json.loads((periods_dir(root) / str(period) / PAGES_FILE).read_text("utf-8"))
    sections = [{"file": f"{base}/{p['name']}", "title": p["title"]}
                for p in listed if p["template"] not in ("force_profile", "front_page")]
    forces = [{"file": f"{base}/{p['name']}", "title": p["title"]}
              for p in listed if p["template"] == "force_profile"]
    if forces:
        sections.append({"file": f"{base}/forces", "title": "Forces", "sections": forces})
    return {"file": f"{base}/index", "title": period.label, "sections": sections}


def table_of_contents(root: Path, periods: list[Quarter]) -> dict:
    """The ``_toc.yml`` structure: the latest period's summary is the front page and its pages
    come first; then earlier periods, each under its own summary; then the methods."""
    latest = _chapter(root, periods[0])
    parts = [{"caption": f"{periods[0].label} (latest)", "chapters": latest["sections"]}]
    if len(periods) > 1:
        parts.append({"caption": "Earlier periods",
                      "chapters": [_chapter(root, p) for p in periods[1:]]})
    parts.append({"caption": "About", "chapters": [{"file": "book/about"}, {"file": "book/methods"},
                                                   {"file": "book/glossary"}]})
    return {"format": "jb-book", "root": latest["file"], "parts": parts}


def build_book(root: Path = Path("."), echo: Callable[[str], None] = print,
               registry: Path | None = None, pdf: bool = False, skip_unchanged: bool = False) -> Path:
    """Build the book; returns the path of its front page. ``skip_unchanged`` (publish): keep
    the last book when nothing it is built from changed (see :mod:`.incremental`)."""
    root = Path(root).resolve()
    if not (root / "_config.yml").exists():
        raise InputError(root / "_config.yml", "not found: run from the project folder or give --root")
    periods = published_periods(root)
    if not periods:
        raise InputError(periods_dir(root), "no periods to publish: run `vawgbook run` first")
    from ..config import load_registry
    from ..publish.methods import glossary_markdown, load_calibration, load_gaps, methods_markdown

    write_text(root / "book" / "methods.md",
               methods_markdown(load_registry(registry), load_calibration(root), load_gaps(root)))
    write_text(root / "book" / "glossary.md", glossary_markdown())
    toc = root / "_toc.yml"
    write_text(toc, "# Written by `vawgbook build` from book/periods; do not edit.\n"
               + yaml.safe_dump(table_of_contents(root, periods), sort_keys=False))
    build_dir = root / "_build"
    html = build_dir / "html"
    recover_folder(html)  # a build killed mid-swap
    if skip_unchanged and not pdf and incremental.book_unchanged(root, html):
        echo(f"book unchanged ({len(periods)} periods), not rebuilt")
        return html / "index.html"
    (build_dir / incremental.BOOK_RECORD).unlink(missing_ok=True)
    for stale in build_dir.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    staging = build_dir / f".staging-{os.getpid()}"
    echo(f"building the book ({len(periods)} periods)")
    # Jupyter Book's command line has no -j: Sphinx is given one process per core through it
    # (reading and writing the pages in parallel; the same HTML, byte for byte; Sphinx builds
    # serially on Windows, where it cannot fork).
    jobs = (os.cpu_count() or 1) if os.name == "posix" else 1
    start = ("import functools, jupyter_book.sphinx as s; "
             f"s.build_sphinx = functools.partial(s.build_sphinx, jobs={jobs}); "
             "from jupyter_book.cli.main import main; main()")
    command = [sys.executable, "-c", start, "build",
               str(root), "--path-output", str(staging), "--toc", str(toc),
               "--config", str(root / "_config.yml"), "-W", "--keep-going", "--all", "-q"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        problems = [line for line in (done.stdout + done.stderr).splitlines()
                    if "WARNING" in line or "ERROR" in line or "Error" in line]
        detail = problems[0] if problems else (done.stderr.strip().splitlines() or ["unknown"])[-1]
        raise BuildError(root / "_config.yml",
                         f"the book did not build; the last good book was kept: {detail}")
    replace_folder(staging / "_build" / "html", html)
    shutil.rmtree(staging, ignore_errors=True)
    incremental.record_book(root)
    if pdf:
        from .pdf import print_edition

        for period in periods:
            made = print_edition(root, str(period), periods_dir(root) / str(period) / PAGES_FILE)
            echo(f"print edition: {made}")
    return html / "index.html"
