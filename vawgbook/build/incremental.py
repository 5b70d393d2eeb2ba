"""Incremental publishing: re-run a period only when its published pages would change.

A period's pages are a function of what they read and what reads it. The pages read only the
period folder's files (``kpi_results.csv``, the findings register and the other tables a period is
computed into once and shared by its notebooks) and the registry; they
are made by the templates, with the parameters papermill injects, by this package's code and the
installed packages (pandas, altair, IPython, nbformat, ... and Python itself). Each run writes a
record of all that, ``.fingerprint.json``, into the period folder (hidden: not part of the book),
with the sha256 of every file it published. ``vawgbook publish`` then decides per period, in two
steps:

1. **Unchanged inputs** (cheap, before anything is computed): the sha256 of every input file (as
   in ``manifest.json``), the registry, the previous period's published results, quarterly
   figures and findings (which ``revisions.csv`` and the register's new/continuing/resolved
   compare against), the templates, the pages and their parameters,
   the code and the installed packages are what the record says, and the published files are
   intact: the period is skipped.
2. **Unchanged figures** (computing a period takes about a second, the inputs are cached): when
   an input changed, the period is computed into its staging folder and the files the pages read
   are compared with the record. Appending a quarter to an input file changes every file's
   checksum but usually not an earlier period's figures: the pages would come out byte for byte
   the same, so they are not executed; ``manifest.json`` (which names the new inputs) and the
   record are updated in place. Otherwise the period is re-run, and the line says why: figures
   revised, findings, the data-quality record or revisions changed, templates, registry, pages,
   code or packages changed, or the period is new.

A period skipped is therefore byte for byte what re-running it would publish. ``--force``
re-runs every period.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import sys
from pathlib import Path

from ..files import (
    FINDINGS_FILE,
    MANIFEST_FILE,
    PAGES_FILE,
    QUALITY_FILE,
    QUARTERLY_FILE,
    RESOLVED_FILE,
    RESULTS_FILE,
    REVISIONS_FILE,
    write_bytes,
)

RECORD = ".fingerprint.json"
SCHEMA = 2
PACKAGE = Path(__file__).resolve().parents[1]
# Why a period is re-run, by the file (written before its pages run) that changed.
CHANGED = {RESULTS_FILE: "figures revised", QUARTERLY_FILE: "figures revised",
           FINDINGS_FILE: "findings changed", RESOLVED_FILE: "findings changed",
           QUALITY_FILE: "data-quality record changed", REVISIONS_FILE: "revisions changed"}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _digest(value) -> str:
    return _sha256(json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode())


def _file(path: Path) -> str | None:
    try:
        return _sha256(Path(path).read_bytes())
    except FileNotFoundError:
        return None


@functools.cache
def code() -> str:
    """The package's own files (code, configuration, the book's HTML templates): what computes
    and lays out the pages. Every file but compiled bytecode, so that a new kind of file cannot
    be forgotten."""
    files = sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and p.suffix not in (".pyc", ".pyo"))
    return _digest([[p.relative_to(PACKAGE).as_posix(), _file(p)] for p in files])


@functools.cache
def environment() -> str:
    """Python and every installed distribution with its version (any upgrade re-runs)."""
    from importlib import metadata

    dists = sorted({(d.metadata["Name"] or "", d.version) for d in metadata.distributions()})
    return _digest([sys.version, platform.system(), dists])


def published_files(folder: Path) -> dict[str, str]:
    """sha256 of every file of a period folder but the record."""
    return {p.relative_to(folder).as_posix(): _file(p)
            for p in sorted(Path(folder).rglob("*")) if p.is_file() and p.name != RECORD}


def read_record(folder: Path) -> dict | None:
    try:
        record = json.loads((Path(folder) / RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("schema") == SCHEMA else None


class Plan:
    """What a period's pages depend on, to decide whether they must be executed again."""

    def __init__(self, final: Path, inputs: list[dict], registry: Path | None,
                 previous: Path, templates: list[Path], pages: list, parameters: dict) -> None:
        self.final = Path(final)
        self.recorded = read_record(self.final) if (self.final / PAGES_FILE).exists() else None
        self.parts = {
            "code": code(),
            "environment": environment(),
            "registry": _file(registry) if registry else "vawgbook default",
            "templates": _digest({t.name: _file(t) for t in templates}),
            "pages": _digest([[p.template, p.name, p.title, p.heading,
                               {**parameters, **dict(p.parameters)}] for p in pages]),
        }
        self.input_parts = {"inputs": _digest(inputs), "previous period": _digest(
            {name: _file(Path(previous) / name) for name in (RESULTS_FILE, QUARTERLY_FILE, FINDINGS_FILE)})}
        self.figure_parts: dict[str, str | None] = {}

    def _recorded(self, name: str):
        return (self.recorded or {}).get("parts", {}).get(name)

    @functools.cached_property
    def _intact(self) -> bool:
        """The published files are those the record lists (none lost or edited since)."""
        return self.recorded is not None and published_files(self.final) == self.recorded.get("files")

    def inputs_unchanged(self) -> bool:
        """Step 1: same inputs, code, templates, registry and pages as the published period."""
        return (self._intact and all(self._recorded(k) == v for k, v in self.parts.items())
                and all(self._recorded(k) == v for k, v in self.input_parts.items()))

    def read_figures(self, staging: Path) -> None:
        """Every file the period's pages can read (all written before they run but the
        manifest, which no page reads and which names the inputs)."""
        self.figure_parts = {name: digest for name, digest in published_files(staging).items()
                             if name != MANIFEST_FILE}

    def figures_unchanged(self) -> bool:
        """Step 2 (after :meth:`read_figures`): the pages would read the same files."""
        return (self._intact and all(self._recorded(k) == v for k, v in self.parts.items())
                and self._recorded("figures") == self.figure_parts)

    def reason(self) -> str:
        """Why the period's pages are executed again (for the one line per period)."""
        if self.recorded is None:
            return ("new period" if not (self.final / PAGES_FILE).exists()
                    else "no record of what it was made from")
        changed = [k for k, v in self.parts.items() if self._recorded(k) != v]
        if changed:
            words = {"code": "vawgbook's code", "environment": "installed packages",
                     "registry": "registry", "templates": "templates", "pages": "pages or parameters"}
            return ", ".join(words[k] for k in changed) + " changed"
        if not self._intact:
            return "published files changed or missing"
        recorded = self._recorded("figures") or {}
        figures = sorted(set(recorded) | set(self.figure_parts))
        changed = [k for k in figures if recorded.get(k) != self.figure_parts.get(k)]
        reasons = list(dict.fromkeys(CHANGED.get(k, f"{k} changed") for k in changed))
        if "figures revised" in reasons:
            return "figures revised"
        return ", ".join(reasons) if reasons else "inputs changed"

    def record(self, folder: Path) -> None:
        """Write the record for ``folder`` (the staging folder before the swap, or the published
        one when only its manifest was updated)."""
        body = {"schema": SCHEMA, "parts": {**self.parts, **self.input_parts,
                                            "figures": self.figure_parts},
                "files": published_files(folder)}
        write_bytes(Path(folder) / RECORD, (json.dumps(body, indent=1, sort_keys=True) + "\n").encode())

    def update_published(self, staging: Path, names: tuple[str, ...]) -> None:
        """The figures are unchanged: bring the published period's ``names`` (its manifest) up
        to date from ``staging``, then its record."""
        for name in names:
            source = Path(staging) / name
            if source.exists() and _file(source) != _file(self.final / name):
                write_bytes(self.final / name, source.read_bytes())
        self.record(self.final)


BOOK_RECORD = ".html-fingerprint.json"  # in _build, beside the html folder it describes


def book_fingerprint(root: Path) -> str:
    """Everything the HTML book is built from: the configuration, the table of contents, every
    file under ``book/`` (the periods' pages, and the data files they offer for download), the
    code and the installed packages."""
    root = Path(root)
    files = [root / "_config.yml", root / "_toc.yml"]
    for path in sorted((root / "book").rglob("*")):
        parts = path.relative_to(root / "book").parts
        if not path.is_file() or any(part.startswith(".") for part in parts):
            continue
        files.append(path)
    return _digest([code(), environment(), [[p.relative_to(root).as_posix(), _file(p)] for p in files]])


def book_unchanged(root: Path, html: Path) -> bool:
    try:
        recorded = json.loads((Path(root) / "_build" / BOOK_RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return (Path(html) / "index.html").exists() and recorded.get("book") == book_fingerprint(root)


def record_book(root: Path) -> None:
    write_bytes(Path(root) / "_build" / BOOK_RECORD,
                   (json.dumps({"schema": SCHEMA, "book": book_fingerprint(root)}) + "\n").encode())
