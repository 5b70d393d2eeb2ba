"""What readers need from the built book, checked in a real browser (see conftest.py):

- every kind of page passes an accessibility audit (axe-core, run offline) at 1280 and 390 px
  with no serious or critical violation, has one h1, captions on its tables, and shows where the
  keyboard is;
- on a phone (390 px) the assessment of every indicator can be read without scrolling sideways;
- the summary, what is and isn't working, what changed, visible in the data and every force
  page show exactly the findings of the period's register (``findings.csv``) and its counts;
- earlier periods say so, and link to the latest;
- every force's scorecard prints on one A4 page.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser.test_book import SUMMARY_URL, drawn_charts, open_front_page
from register_marks import Marks

from vawgbook.config import force_names
from vawgbook.files import FINDINGS_FILE, PAGES_FILE, RESOLVED_FILE
from vawgbook.periods import Quarter
from vawgbook.publish.report import read_table
from vawgbook.words import ASSESSMENT_LABELS

try:
    from playwright.sync_api import expect
except ImportError:  # every test then fails (or skips) in the chromium_executable fixture, with why
    expect = None

NATIONAL = force_names().national
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# One page of every kind: the latest period's pages, a pillar, a force, an earlier period's
# summary, and the book's own pages.
KINDS = {
    "summary": "{latest}/index.html",
    "what is working": "{latest}/what_is_working.html",
    "what changed": "{latest}/what_changed.html",
    "visible in the data": "{latest}/visible_in_the_data.html",
    "national overview": "{latest}/national_overview.html",
    "forces at a glance": "{latest}/overview.html",
    "forces compared": "{latest}/force_comparison.html",
    "data quality": "{latest}/data_quality.html",
    "pillar": "{latest}/pillar-build-trust-and-confidence.html",
    "force": "{latest}/force-kent.html",
    "earlier summary": "{earlier}/index.html",
    "methods": "/book/methods.html",
    "glossary": "/book/glossary.html",
    "about": "/book/about.html",
    "search": "/search.html?q=Kent",
}
SERIOUS = ("serious", "critical")


def periods(book_html: Path) -> tuple[str, str]:
    """The latest period and an earlier one of the built book."""
    found = sorted((Quarter.parse(p.name) for p in (book_html / "book" / "periods").iterdir()
                    if p.is_dir() and (p / "index.html").exists()), reverse=True)
    assert len(found) >= 2, "the browser tests need two periods"
    return str(found[0]), str(found[1])


def url(server: str, book_html: Path, kind: str) -> str:
    latest, earlier = periods(book_html)
    path = KINDS[kind].format(latest=latest, earlier=earlier)
    return server + (path.lstrip("/") if path.startswith("/") else f"book/periods/{path}")


def project(book_html: Path) -> Path:
    """The project folder the book was built from (its periods' results are there)."""
    return book_html.parent.parent


def register(book_html: Path, period: str):
    folder = project(book_html) / "book" / "periods" / period
    return read_table(folder / FINDINGS_FILE), read_table(folder / RESOLVED_FILE)


@pytest.fixture
def reader(browser, server):
    """Open a first-time reader's browser at a given size; every request that would leave the
    machine is aborted and recorded. Yields a function (viewport) -> (page, watch)."""
    from browser.conftest import TIMEOUT_MS, Watch

    contexts = []

    def open_at(viewport: dict):
        watch = Watch(host=urlsplit(server).netloc)
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", watch.route)
        context.on("weberror", lambda error: watch.page_errors.append(str(error.error)))
        contexts.append(context)
        return context.new_page(), watch

    yield open_at
    for context in contexts:
        context.close()


def settle(page) -> None:
    page.wait_for_load_state("load")
    if page.locator(".vawg-chart-view").count():
        drawn_charts(page)


# ---------------------------------------------------------------- accessibility


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_every_kind_of_page_passes_the_accessibility_audit(reader, server, book_html, axe, viewport):
    """axe-core (WCAG 2.2 A and AA rules and best practices) on every kind of page: no serious or
    critical violation; one h1; every table captioned; no sideways scrolling of the page."""
    page, watch = reader(viewport)
    problems = []
    for kind in KINDS:
        page.goto(url(server, book_html, kind))
        settle(page)
        result = axe.run(page, options={"resultTypes": ["violations"]})
        for violation in result.response["violations"]:
            if violation["impact"] in SERIOUS:
                targets = [node["target"] for node in violation["nodes"][:3]]
                problems.append(f"{kind}: {violation['id']} ({violation['impact']}): "
                                f"{violation['help']} at {targets}")
        h1 = page.locator("h1").count()
        if h1 != 1:
            problems.append(f"{kind}: {h1} h1 elements")
        uncaptioned = page.locator("main table").evaluate_all(
            "tables => tables.filter(t => !(t.caption && t.caption.textContent.trim())).length")
        if uncaptioned:
            problems.append(f"{kind}: {uncaptioned} tables without a caption")
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > viewport["width"]:
            problems.append(f"{kind}: the page is {wide}px wide in a {viewport['width']}px window")
    assert not problems, "\n".join(problems)
    assert not watch.external and not watch.page_errors, watch.problems()


def test_the_audit_sees_a_violation_when_there_is_one(reader, server, book_html, axe):
    """The audit can fail: an image without a text alternative, put into a page, is reported as
    a critical violation."""
    page, _ = reader(DESKTOP)
    page.goto(url(server, book_html, "summary"))
    settle(page)
    page.evaluate("""() => {
        const img = document.createElement('img'); img.src = 'data:,';
        document.querySelector('main').prepend(img);
    }""")
    found = {v["id"]: v["impact"] for v in axe.run(page).response["violations"]}
    assert found.get("image-alt") == "critical", found


def test_the_keyboard_focus_is_visible(reader, server, book_html):
    """Tabbing from the top of a page reaches the search box, the menu and the links, and the
    focused element always has a visible outline."""
    page, _ = reader(DESKTOP)
    page.goto(url(server, book_html, "summary"))
    settle(page)
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => {
            const el = document.activeElement, style = getComputedStyle(el);
            return {tag: el.tagName, cls: el.className || '',
                    text: (el.textContent || '').trim().slice(0, 30), outline: style.outlineStyle,
                    width: parseFloat(style.outlineWidth) || 0,
                    shadow: style.boxShadow};
        }""")
        seen.append(focused)
        if focused["tag"] == "BODY":
            continue
        visible = (focused["outline"] not in ("none", "") and focused["width"] >= 2) or \
            focused["shadow"] not in ("none", "")
        assert visible, f"focus not visible on {focused}"
    assert any("search" in str(f["cls"]).lower() for f in seen), f"the search box was not reached: {seen}"


def test_funnel_data_is_reachable_by_keyboard(reader, server, book_html):
    """A funnel plot's figures are in a table behind a summary that the keyboard opens."""
    page, _ = reader(DESKTOP)
    page.goto(url(server, book_html, "force"))
    settle(page)
    summary = page.locator("summary", has_text="Data behind the funnel plot").first
    summary.focus()
    page.keyboard.press("Enter")
    table = summary.locator("xpath=..").locator("table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr").first).to_contain_text("Kent")


# ---------------------------------------------------------------- phones


def _assessments_in_view(page, selector: str) -> list[str]:
    """Every assessment cell under ``selector``: its text, after checking that it is visible
    and wholly inside the window's width."""
    cells = page.locator(f"{selector} td.vawg-assessment")
    assert cells.count() > 0, f"no assessment cells in {selector} on {page.url}"
    width = page.viewport_size["width"]
    texts = []
    for index in range(cells.count()):
        cell = cells.nth(index)
        cell.scroll_into_view_if_needed()
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, \
            f"assessment {index} of {selector} is outside the {width}px window: {box}"
        texts.append(cell.inner_text())
    return texts


def test_on_a_phone_every_indicators_assessment_is_readable_without_scrolling_sideways(
        reader, server, book_html):
    page, watch = reader(PHONE)
    latest, _ = periods(book_html)
    kpis = read_table(project(book_html) / "book" / "periods" / latest / "scope.csv")
    indicators = kpis.loc[kpis["dimension"] == "", "kpi_id"].nunique()
    labels = {v.split(" ", 1)[1] for v in ASSESSMENT_LABELS.values()} | {"Not published (small numbers)"}
    for kind, selector in (("summary", "table.vawg-table"), ("force", "table.vawg-scorecard")):
        page.goto(url(server, book_html, kind))
        settle(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        texts = _assessments_in_view(page, selector)
        assert len(texts) == indicators, f"{kind}: {len(texts)} assessments for {indicators} indicators"
        unknown = [t for t in texts if not any(label in t for label in labels)]
        assert not unknown, f"{kind}: assessments not in words: {unknown}"
        # Charts fill the phone's width and no more.
        for right in page.locator(".vawg-chart-view svg").evaluate_all(
                "svgs => svgs.map(s => s.getBoundingClientRect().right)"):
            assert right <= PHONE["width"] + 0.5
    assert not watch.external and not watch.page_errors, watch.problems()


def test_tables_fit_the_page_at_1280px(reader, server, book_html):
    """No table is wider than its page at 1280 px (a gap column was cut off on visible in the
    data), except the forces grid, which scrolls in its own region."""
    page, _ = reader(DESKTOP)
    for kind in ("visible in the data", "what is working", "force", "forces compared", "summary"):
        page.goto(url(server, book_html, kind))
        settle(page)
        overflowing = page.locator("main table.vawg-stack").evaluate_all(
            "ts => ts.filter(t => t.getBoundingClientRect().right > "
            "t.closest('article').getBoundingClientRect().right + 1).map(t => t.caption.textContent)")
        assert not overflowing, f"{kind}: tables wider than the page: {overflowing}"


# ---------------------------------------------------------------- the findings register


def _expected_counts(found) -> dict[tuple[str, str], int]:
    counted = found.loc[found["counted"]]
    national = counted["force"] == NATIONAL
    out = {}
    for reading in ("better", "worse", "neutral", "not_comparable"):
        mine = counted["reading"] == reading
        out[(reading, "all")] = int(mine.sum())
        out[(reading, "national")] = int((mine & national).sum())
        out[(reading, "forces")] = int((mine & ~national).sum())
    return out


def _rendered(page, address: str) -> Marks:
    page.goto(address)
    settle(page)
    return Marks(page.locator("main").inner_html())


def test_pages_show_exactly_the_findings_of_the_register(reader, server, book_html):
    page, watch = reader(DESKTOP)
    latest, _ = periods(book_html)
    found, _ = register(book_html, latest)
    assert len(found) > 0
    everything = set(found["key"])
    counts = _expected_counts(found)

    summary = _rendered(page, url(server, book_html, "summary"))
    assert set(summary.keys) == set(found.loc[found["force"] == NATIONAL, "key"])
    assert summary.counts == counts

    working = _rendered(page, url(server, book_html, "what is working"))
    assert set(working.keys) == everything
    assert working.counts == counts

    visible = _rendered(page, url(server, book_html, "visible in the data"))
    assert set(visible.keys) == set(found.loc[found["kind"].isin(["gap", "gap_change"]), "key"])

    # Every force's page, read as served (the browser renders the same HTML).
    listed = [p for p in json.loads(
        (project(book_html) / "book" / "periods" / latest / PAGES_FILE).read_text("utf-8"))
        if p["template"] == "force_profile"]
    assert len(listed) == len(force_names().territorial)
    wrong = []
    for entry in listed:
        served = page.request.get(f"{server}book/periods/{latest}/{entry['name']}.html")
        assert served.ok, served.url
        shown = set(Marks(served.text()).keys)
        expected = set(found.loc[found["force"] == entry["title"], "key"])
        if shown != expected:
            wrong.append(f"{entry['title']}: shows {sorted(shown ^ expected)} unlike the register")
    assert not wrong, "\n".join(wrong)
    assert not watch.external and not watch.page_errors, watch.problems()


def test_what_changed_lists_new_continuing_and_resolved_findings(reader, server, book_html):
    """Two periods whose findings differ: the latest's page lists those new, those found again
    and those no longer found, matching the registers; the earlier one has nothing to compare."""
    page, watch = reader(DESKTOP)
    latest, earlier = periods(book_html)
    now, resolved = register(book_html, latest)
    before, _ = register(book_html, earlier)
    assert set(now["key"]) != set(before["key"]), "the two periods' findings should differ"
    assert set(resolved["key"]) == set(before["key"]) - set(now["key"])
    assert (now["status"] == "new").any() and len(resolved) > 0

    page.goto(url(server, book_html, "what changed"))
    settle(page)
    for status, expected in (("new", now.loc[now["status"] == "new", "key"]),
                             ("continuing", now.loc[now["status"] == "continuing", "key"]),
                             ("resolved", resolved["key"])):
        section = page.locator(f'.vawg-changed[data-status="{status}"]')
        assert set(Marks(section.inner_html()).keys) == set(expected), status
    # The panel counts each finding once, as the summary's counts do.
    counted, gone = now.loc[now["counted"]], resolved.loc[resolved["counted"]]
    panel = page.locator(".vawg-panel[data-changed]")
    expect(panel).to_contain_text(f"{(counted['status'] == 'new').sum():,} new finding")
    expect(panel).to_contain_text(f"{(counted['status'] == 'continuing').sum():,} also found last period")
    expect(panel).to_contain_text(f"{len(gone):,} no longer found")

    # The summary's panel says the same, and links to the page.
    page.goto(url(server, book_html, "summary"))
    expect(page.locator(".vawg-panel[data-changed]")).to_contain_text(f"{len(gone):,} no longer found")
    page.locator(".vawg-panel a", has_text="what changed").click()
    page.wait_for_url(re.compile(r"/what_changed\.html$"))

    # The earlier period had no period before it in this book.
    page.goto(server + f"book/periods/{earlier}/what_changed.html")
    expect(page.locator("main")).to_contain_text("no earlier period's findings to compare with")
    assert not watch.external and not watch.page_errors, watch.problems()


def test_earlier_periods_carry_a_banner_to_the_latest(reader, server, book_html):
    page, watch = reader(DESKTOP)
    latest, earlier = periods(book_html)
    for name in ("index", "what_is_working"):
        page.goto(server + f"book/periods/{earlier}/{name}.html")
        banner = page.locator(".vawg-banner")
        expect(banner).to_contain_text(f"You are reading {Quarter.parse(earlier).label}")
        expect(banner).to_contain_text(Quarter.parse(latest).label)
        banner.get_by_role("link").click()
        page.wait_for_url(re.compile(rf"/book/periods/{re.escape(latest)}/{name}\.html$"))
        expect(page.locator(".vawg-banner")).to_have_count(0)
    open_front_page(page, server)
    assert SUMMARY_URL.search(page.url)["period"] == latest
    expect(page.locator(".vawg-banner")).to_have_count(0)
    assert not watch.external and not watch.page_errors, watch.problems()


# ---------------------------------------------------------------- the print edition


def test_every_forces_scorecard_prints_on_one_a4_page(book_html, chromium_executable, monkeypatch):
    """The print edition's per-force PDF: printed by Chromium as ``vawgbook build --pdf`` does,
    one A4 page for every force."""
    import time

    from vawgbook.build.pdf import force_scorecards, pdf_pages

    monkeypatch.setenv("PATH", str(Path(chromium_executable).parent) + os.pathsep + os.environ["PATH"])
    latest, _ = periods(book_html)
    pages_file = project(book_html) / "book" / "periods" / latest / PAGES_FILE
    started = time.perf_counter()
    pdfs = force_scorecards(project(book_html), latest, pages_file)
    took = time.perf_counter() - started
    assert len(pdfs) == len(force_names().territorial)
    counts = {pdf.name: pdf_pages(pdf) for pdf in pdfs}
    assert all(n >= 1 for n in counts.values()), counts
    over = {name: n for name, n in counts.items() if n != 1}
    assert not over, f"scorecards longer than one A4 page: {over}"
    leftovers = list(pdfs[0].parent.glob(".scorecard-*.html"))
    assert not leftovers
    print(f"printed {len(pdfs)} scorecards in {took:.0f} s")
