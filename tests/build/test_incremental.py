"""Incremental publishing: a period is skipped only when its published pages would not change,
the line printed says why it was re-run, and a skipped period equals a re-run one, byte for byte."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import nbformat
import pytest
from tiny_project import PERIOD, make_project, snapshot

from vawgbook import cli
from vawgbook.build.notebooks import pages, run_period
from vawgbook.config import load_registry

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
PILLARS = load_registry().pillars
PERIOD_PAGES = len(pages(PILLARS, with_forces=False))  # an earlier period's
ALL_PAGES = len(pages(PILLARS, with_forces=True))  # the latest period's, with the force pages


@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    return folder


def book_project(root: Path) -> Path:
    """Templates that only print their parameters, with a heading (a page of the book needs a
    title), and the book's configuration."""
    make_project(root)
    for path in (root / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"# {path.stem}"))
        nbformat.write(nb, path)
    shutil.copy2(REPO / "_config.yml", root / "_config.yml")
    (root / "book").mkdir()
    shutil.copy2(REPO / "book" / "about.md", root / "book" / "about.md")
    return root


def regzip(path: Path) -> None:
    """The same table in different bytes (as a file published again would be)."""
    text = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(text, compresslevel=1, mtime=1))


def test_publish_skips_what_did_not_change_and_a_skipped_period_equals_a_rerun(
        tmp_path, data, monkeypatch):
    project = book_project(tmp_path / "project")
    lines: list[str] = []
    monkeypatch.setattr(cli, "_say", lines.append)

    def publish(*options: str) -> list[str]:
        lines.clear()
        cli.publish(data=data, root=project, registry=None, periods=2, force_pages="latest",
                    workers=2, force="--force" in options)
        return [line for line in lines if line.startswith(("2024", "book"))]

    first = publish()
    assert first[0].startswith(f"2024-25-Q1: re-run (new period): {PERIOD_PAGES} pages")
    assert first[1].startswith(f"2024-25-Q2: re-run (new period): {ALL_PAGES} pages")
    index = project / "_build" / "html" / "index.html"
    built = index.stat().st_mtime_ns

    assert publish() == ["2024-25-Q1: unchanged, skipped", "2024-25-Q2: unchanged, skipped",
                         "book unchanged (2 periods), not rebuilt", f"book built: {index}"]
    assert index.stat().st_mtime_ns == built

    regzip(data / "recorded_crime.csv.gz")  # every checksum-based test says "changed"
    periods = project / "book" / "periods"
    manifest = (periods / "2024-25-Q2" / "manifest.json").read_text()
    assert publish() == [
        "2024-25-Q1: figures unchanged, skipped (inputs changed; manifest updated)",
        "2024-25-Q2: figures unchanged, skipped (inputs changed; manifest updated)",
        f"book built: {index}"]
    assert (periods / "2024-25-Q2" / "manifest.json").read_text() != manifest
    # The book offers each period's manifest for download: it is built again with the new one.
    assert index.stat().st_mtime_ns != built
    built = index.stat().st_mtime_ns
    skipped = {p: snapshot(periods / p) for p in ("2024-25-Q1", "2024-25-Q2")}
    assert publish()[:3] == ["2024-25-Q1: unchanged, skipped", "2024-25-Q2: unchanged, skipped",
                             "book unchanged (2 periods), not rebuilt"]

    forced = publish("--force")
    assert forced[0].startswith(f"2024-25-Q1: re-run (--force): {PERIOD_PAGES} pages")
    assert forced[1].startswith(f"2024-25-Q2: re-run (--force): {ALL_PAGES} pages")
    assert index.stat().st_mtime_ns != built  # --force rebuilds the book too
    for period, files in skipped.items():
        assert snapshot(periods / period) == files  # what the skip left is what a re-run makes


def test_run_period_says_why_a_period_is_run_again(tmp_path, data, kernel_pool):
    project = make_project(tmp_path / "project")
    lines: list[str] = []

    def run() -> str:
        lines.clear()
        run_period(data, PERIOD, root=project, echo=lines.append, with_forces=False,
                   pool=kernel_pool, skip_unchanged=True)
        return lines[-1].split(f": {PERIOD_PAGES} pages")[0]

    folder = project / "book" / "periods" / "2024-25-Q2"
    assert run() == "2024-25-Q2: re-run (new period)"
    assert run() == "2024-25-Q2: unchanged, skipped"

    template = project / "notebooks" / "pillar.ipynb"
    nb = nbformat.read(template, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("One more sentence."))
    nbformat.write(nb, template)
    assert run() == "2024-25-Q2: re-run (templates changed)"

    population = data / "population.csv"
    rows = population.read_text().splitlines()
    kent = next(i for i, row in enumerate(rows) if row.startswith("Kent,2024,"))
    name, year, female, total = rows[kent].split(",")
    rows[kent] = ",".join([name, year, str(int(female) + 50_000), total])
    population.write_text("\n".join(rows) + "\n")
    assert run() == "2024-25-Q2: re-run (figures revised)"

    (folder / "data_quality.ipynb").unlink()  # a published page lost
    assert run() == "2024-25-Q2: re-run (published files changed or missing)"
    assert (folder / "data_quality.ipynb").exists()
    assert run() == "2024-25-Q2: unchanged, skipped"


def test_the_code_fingerprint_covers_every_file_of_the_package_but_bytecode(tmp_path, monkeypatch):
    from vawgbook.build import incremental

    package = tmp_path / "vawgbook"
    shutil.copytree(Path(incremental.__file__).parents[1], package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(incremental, "PACKAGE", package)

    def fingerprint() -> str:
        incremental.code.cache_clear()
        return incremental.code()

    try:
        before = fingerprint()
        (package / "build" / "__pycache__").mkdir()
        (package / "build" / "__pycache__" / "book.cpython-311.pyc").write_bytes(b"\0")
        assert fingerprint() == before
        layout = package / "build" / "templates" / "layout.html"  # the book's page template
        layout.write_text(layout.read_text("utf-8") + "<!-- changed -->\n", "utf-8")
        assert fingerprint() != before
    finally:
        incremental.code.cache_clear()
