"""Text from the data reaches readers as text: escaped in the built book, one line in an error.

Input files carry free text that a careless or hostile file could fill with markup. What of it can
reach a page: force-return measures not in the framework (kept and listed on the data-quality
page) and the names of the files and workbook sheets they came from (listed there too, in the files,
negatives, bodies set aside and unknown measures tables). What cannot: offence descriptions and the
other descriptive columns (never read), force and body names (normalised to the names in
config/forces.yaml; anything else stops the run).
"""

from __future__ import annotations

import os
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import (
    CRIME_HEADER,
    REPO,
    RETURNS_HEADER,
    SAMPLE,
    crime_folder,
    crime_row,
    returns_row,
    sheet,
    vawgbook,
    write_csv,
    write_workbook,
)

from vawgbook.errors import InputError
from vawgbook.ingest.sources import load
from vawgbook.periods import Quarter

MARKUP = "<script>window.__x=1</script><b>bold</b>"
IMG = "<img src=x onerror=alert(1)>"  # 28 characters: a sheet name may have 31
# How the data-quality tables name that sheet: under 50 characters, as pandas shows longer text cut.
SHEET_FILE = f"recorded_crime.ods [{IMG}]"
# Windows forbids < and > in file names; elsewhere a file name is one more way in.
RETURNS_FILE = "force_returns_extra.csv" if os.name == "nt" else f"force_returns_{IMG}.csv"


class Page(HTMLParser):
    """A page as a browser's parser reads it: table cells' text, and what would run or show."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []  # the text of each <td>, entities decoded
        self.injected: list[str] = []
        self._open: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self._open = tag
        if tag == "td":
            self.cells.append("")
        if tag == "img" and ("src", "x") in attrs or any(
                name.startswith("on") and "alert(" in (value or "") for name, value in attrs):
            self.injected.append(f"<{tag}> element: {attrs}")

    def handle_endtag(self, tag):
        self._open = None

    def handle_data(self, data):
        if self._open == "td":
            self.cells[-1] += data
        elif self._open == "script" and "window.__x" in data:
            self.injected.append(f"script element: {data!r}")
        elif self._open == "b" and data == "bold":
            self.injected.append("<b> element holding 'bold'")


@pytest.fixture(scope="module")
def book(tmp_path_factory, kernel_pool) -> Path:
    """The sample with markup in its free text, run for 2024-25 Q2 (no force pages) and built.

    Returns the built book's HTML folder.
    """
    root = tmp_path_factory.mktemp("escaping")
    data = root / "data"
    shutil.copytree(SAMPLE, data)
    rows = [crime_row("Kent", "2024/25", 2, "ZZ1", 4), crime_row("Kent", "2024/25", 2, "ZZ2", -1),
            crime_row("British Transport Police", "2024/25", 2, "ZZ1", 3)]
    for row in rows:
        row[3:6] = [MARKUP, IMG, MARKUP]  # Offence Description, Group and Subgroup
    # A sheet named with markup: listed in the files, negatives and set-aside tables.
    write_workbook(data / "recorded_crime.ods", {IMG: sheet(CRIME_HEADER, rows)})
    write_csv(data / RETURNS_FILE, RETURNS_HEADER, [returns_row("Kent", "2024/25", 2, MARKUP, 1),
                                                    returns_row("Kent", "2024/25", 2, IMG, 2)])
    project = root / "project"
    shutil.copytree(REPO / "notebooks", project / "notebooks")
    shutil.copy2(REPO / "_config.yml", project / "_config.yml")
    (project / "book").mkdir()
    shutil.copy2(REPO / "book" / "about.md", project / "book" / "about.md")

    from vawgbook.build.book import build_book
    from vawgbook.build.notebooks import run_period

    run_period(data, Quarter(2024, 2), root=project, echo=lambda _: None, with_forces=False,
               pool=kernel_pool)
    return build_book(project, echo=lambda _: None).parent


def test_the_data_quality_page_shows_markup_from_the_data_as_text(book):
    page = Page((book / "book" / "periods" / "2024-25-Q2" / "data_quality.html").read_text("utf-8"))
    # Each appears in a table cell exactly as written in the file: escaped once, not dropped,
    # not escaped twice.
    assert MARKUP in page.cells and IMG in page.cells  # unknown measures
    assert page.cells.count(SHEET_FILE) == 3  # files read, negative counts, bodies set aside
    assert page.cells.count(RETURNS_FILE) == 3  # files read, unknown measures (two rows)
    assert page.injected == []


def test_no_page_of_the_book_holds_an_injected_element(book):
    pages = sorted(book.rglob("*.html"))
    assert len(pages) > 10
    for path in pages:
        text = path.read_text("utf-8")
        assert Page(text).injected == [], path
        for raw in (MARKUP, IMG, "<b>bold</b>", "<script>window.__x", "<img src=x"):
            assert raw not in text, (path, raw)


FORCE = "<script>window.__x=1</script>\n<b>bold</b> Constabulary"  # a new line inside a cell


@pytest.fixture
def marked_up_force(tmp_path) -> tuple[Path, Path]:
    """A data folder whose third row's force name is markup (a quoted cell over two lines)."""
    data = crime_folder(tmp_path / "data", [crime_row("Kent"), crime_row(FORCE)])
    return data, data / "recorded_crime.csv"


def test_a_force_name_with_markup_stops_every_command_with_one_line(tmp_path, marked_up_force):
    data, file = marked_up_force
    project = tmp_path / "project"
    shutil.copytree(REPO / "notebooks", project / "notebooks")
    shutil.copy2(REPO / "_config.yml", project / "_config.yml")
    out = tmp_path / "out" / "kpi_results.csv"
    before = sorted(tmp_path.rglob("*"))
    for args in (["validate"], ["kpis", "--period", "2024-25-Q1", "--out", str(out)],
                 ["run", "--period", "2024-25-Q1", "--root", str(project)]):
        result = vawgbook(*args, "--data", str(data))
        assert result.returncode == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr and result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"error: {file}: ")
        assert line.endswith(" (row 3, column 'Force Name')")
        assert repr(FORCE) in line  # the name as written, its new line shown as \n
        assert "not one of the 43 territorial forces" in line
        assert sorted(tmp_path.rglob("*")) == before, args  # nothing written, nothing built


@pytest.mark.parametrize("kind", ["recorded_crime", "force_returns"])
def test_a_line_break_in_data_text_does_not_break_the_error_line(tmp_path, kind):
    # The same key twice: the error describes it with the offence code or measure as written.
    if kind == "recorded_crime":
        crime_folder(tmp_path, [crime_row(code="19C\nX"), crime_row(code="19C\nX")])
        shown = "offence 19C\\nX"
    else:
        crime_folder(tmp_path)
        write_csv(tmp_path / "force_returns.csv", RETURNS_HEADER,
                  [returns_row(measure="arrests\u2028made"), returns_row(measure="arrests\u2028made")])
        shown = "arrests\\u2028made"
    with pytest.raises(InputError) as info:
        load(tmp_path)
    line = str(info.value)
    assert line.splitlines() == [line]
    assert shown in line and line.endswith("(row 3)")
