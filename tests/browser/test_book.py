"""The built book read in a real browser (Debian's Chromium, driven by Playwright).

Every test starts a new browser context, as a first-time reader would, in which any request to a
host other than the local server is aborted and recorded; each test ends by checking that no
request left the machine, none failed, no local file was missing, and the pages logged no error
and threw no exception. See conftest.py for how the book is built and served.
"""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.request
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urlsplit

from vawgbook.periods import Quarter
from vawgbook.words import ASSESSMENT_LABELS

try:
    from playwright.sync_api import expect
except ImportError:  # every test then fails (or skips) in the chromium_executable fixture, with why
    expect = None
if TYPE_CHECKING:
    from playwright.sync_api import Page

SUMMARY_URL = re.compile(r"/book/periods/(?P<period>[^/]+)/index\.html$")
FORCE = "Kent"
TITLE = re.compile(r"<title>(.*?)</title>", re.S)

# Each chart view is settled once Vega-Embed has drawn its SVG or the book's script has written
# why it could not.
CHARTS_SETTLED = """() => [...document.querySelectorAll('.vawg-chart-view')]
    .every(view => view.querySelector('svg') || view.textContent.trim())"""
DESCRIBE_CHARTS = """views => views.map(view => ({
    id: view.id,
    svg: view.querySelector('svg') !== null,
    text: view.querySelector('svg') ? '' : view.textContent.trim(),
    marks: [...view.querySelectorAll('svg .mark-line path, svg .mark-symbol path')]
        .filter(path => (path.getAttribute('d') || '').length > 1).length,
}))"""
DESCRIBE_FIGURES = """figures => figures.map(figure => {
    const view = figure.querySelector('.vawg-chart-view');
    const caption = figure.querySelector('figcaption');
    return {
        label: (figure.getAttribute('aria-label') || '').trim(),
        caption: caption ? caption.textContent.trim() : '',
        viewRole: view ? view.getAttribute('role') : null,
        viewLabel: view ? (view.getAttribute('aria-label') || '').trim() : null,
    };
})"""


def sidebar(page: Page):
    return page.get_by_role("navigation", name="Main")


def heading(page: Page, name: str):
    return page.get_by_role("heading", level=1, name=name)


def open_front_page(page: Page, server: str) -> str:
    """Open the book's root (which redirects to the latest summary); returns that period."""
    page.goto(server)
    page.wait_for_url(SUMMARY_URL)
    expect(heading(page, "Summary")).to_be_visible()
    return SUMMARY_URL.search(page.url)["period"]


def drawn_charts(page: Page) -> list[dict]:
    """Wait until every chart on the page has been drawn (or has failed) and describe each."""
    views = page.locator(".vawg-chart-view")
    expect(views.first).to_be_attached()
    page.wait_for_function(CHARTS_SETTLED)
    return views.evaluate_all(DESCRIBE_CHARTS)


def assert_charts_drawn(page: Page) -> list[dict]:
    charts = drawn_charts(page)
    specs = page.locator('script[type="application/json"][id$="-spec"]').count()
    assert len(charts) == specs > 0, f"{len(charts)} chart views for {specs} chart specs on {page.url}"
    not_drawn = [c for c in charts if not c["svg"]]
    assert not not_drawn, f"charts not drawn on {page.url}: {not_drawn}"
    empty = [c["id"] for c in charts if c["marks"] == 0]
    assert not empty, f"charts drawn with no line or points on {page.url}: {empty}"
    return charts


def test_front_page_is_the_latest_summary(watched, server):
    page, watch = watched
    period = open_front_page(page, server)
    label = Quarter.parse(period).label
    main = page.locator("main")
    expect(main).to_contain_text(f"Period: {label}")
    expect(page.get_by_role("heading", name="At a glance")).to_be_visible()
    expect(main).to_contain_text("What is working")
    expect(sidebar(page)).to_contain_text(f"{label} (latest)")

    table = page.locator("table", has=page.locator("th", has_text="Assessment"))
    expect(table).to_have_count(1)
    column = table.locator("thead tr").first.locator("th").all_inner_texts().index("Assessment")
    rows = table.locator("tbody tr")
    assert rows.count() >= 10
    indicators = rows.evaluate_all("rows => rows.map(row => row.cells[0].textContent.trim())")
    assert all(indicators), f"rows without an indicator name: {indicators}"
    assessments = rows.evaluate_all(
        f"rows => rows.map(row => row.cells[{column}].textContent.trim())")
    unknown = set(assessments) - set(ASSESSMENT_LABELS.values())
    assert not unknown, f"assessments not in words and symbols: {unknown}"
    watch.assert_clean()


def test_national_overview_draws_every_chart(watched, server):
    page, watch = watched
    open_front_page(page, server)
    sidebar(page).get_by_role("link", name="National overview", exact=True).click()
    page.wait_for_url(re.compile(r"/national_overview\.html$"))
    expect(heading(page, "National overview")).to_be_visible()
    assert len(assert_charts_drawn(page)) >= 10
    watch.assert_clean()


def test_force_page_is_reached_from_the_menu(watched, server):
    page, watch = watched
    open_front_page(page, server)
    sidebar(page).get_by_role("link", name="Forces", exact=True).click()
    page.wait_for_url(re.compile(r"/forces\.html$"))
    expect(heading(page, "Forces")).to_be_visible()
    sidebar(page).get_by_role("link", name=FORCE, exact=True).click()
    page.wait_for_url(re.compile(r"/force-kent\.html$"))
    expect(page.get_by_role("heading", name=FORCE, exact=False).first).to_be_visible()
    assert_charts_drawn(page)
    captions = page.locator("figure figcaption").all_inner_texts()
    assert captions and all(FORCE in c for c in captions), captions
    watch.assert_clean()


def test_earlier_period_is_reached_from_the_menu(watched, server):
    page, watch = watched
    latest = open_front_page(page, server)
    links = sidebar(page).locator("a").evaluate_all(
        "links => links.map(a => [a.href, a.textContent.trim()])")
    found = [(SUMMARY_URL.search(urlsplit(href).path), text) for href, text in links]
    earlier = [(match["period"], text) for match, text in found
               if match and match["period"] != latest]
    assert earlier, f"no earlier period in the menu: {links}"
    period, text = earlier[0]
    assert Quarter.parse(period) < Quarter.parse(latest)
    assert text == Quarter.parse(period).label
    sidebar(page).get_by_role("link", name=text, exact=True).click()
    page.wait_for_url(re.compile(rf"/book/periods/{re.escape(period)}/index\.html$"))
    expect(heading(page, "Summary")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"Period: {text}")
    watch.assert_clean()


def test_page_titles_name_the_page(watched, server, book_html):
    """Each page's title (the browser tab, bookmarks, search results, the first thing a screen
    reader says) is its own: the period pages, the pillars and two forces. The titles are read
    from the served pages, without drawing them (the other tests do that)."""
    page, watch = watched
    latest = open_front_page(page, server)
    folder = book_html / "book" / "periods" / latest
    names = [p.stem for p in sorted(folder.glob("*.html")) if not p.stem.startswith("force-")]
    forces = {"force-kent": FORCE, "force-essex": "Essex"}
    titles = {}
    for name in [*names, *forces]:
        served = page.request.get(f"{server}book/periods/{latest}/{name}.html")
        assert served.ok, f"{served.status} {served.url}"
        titles[name] = html.unescape(TITLE.search(served.text())[1])
    shared = {t: [n for n in titles if titles[n] == t] for t in titles.values()}
    shared = {t: n for t, n in shared.items() if len(n) > 1}
    assert not shared, f"pages sharing a title: {shared}"
    unnamed = {n: titles[n] for n, force in forces.items() if force not in titles[n]}
    assert not unnamed, f"force pages whose title does not name the force: {unnamed}"
    watch.assert_clean()


def test_methods_and_about_pages_are_reached_from_the_menu(watched, server):
    page, watch = watched
    open_front_page(page, server)
    sidebar(page).get_by_role("link", name=re.compile("^Methods")).click()
    page.wait_for_url(re.compile(r"/book/methods\.html$"))
    expect(heading(page, "Methods")).to_be_visible()
    sidebar(page).get_by_role("link", name="About this book", exact=True).click()
    page.wait_for_url(re.compile(r"/book/about\.html$"))
    expect(heading(page, "About this book")).to_be_visible()
    watch.assert_clean()


def test_every_chart_has_an_accessible_name_and_caption(watched, server):
    page, watch = watched
    period = open_front_page(page, server)
    for name in ("national_overview", "force-kent"):
        page.goto(f"{server}book/periods/{period}/{name}.html")
        charts = drawn_charts(page)
        figures = page.locator("main figure").evaluate_all(DESCRIBE_FIGURES)
        assert len(figures) == len(charts) > 0, f"{len(figures)} figures, {len(charts)} charts"
        for index, figure in enumerate(figures):
            assert figure["label"], f"a figure on {name} has no aria-label: {figure}"
            assert figure["caption"], f"a figure on {name} has no caption: {figure}"
            assert figure["label"] == figure["caption"], figure
            # The drawn chart is exposed to assistive technology as an image named by its
            # description (Vega-Embed must not replace that name with its own).
            named = page.locator("main figure").nth(index).get_by_role(
                "img", name=figure["label"], exact=True)
            assert named.count() == 1, f"the chart on {name} is not an image named by its caption: {figure}"
        no_alt = page.locator("main img:not([alt])")
        expect(no_alt).to_have_count(0)
    watch.assert_clean()


def test_links_on_the_front_page_resolve(watched, server):
    page, watch = watched
    open_front_page(page, server)
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
    local = sorted({urldefrag(h).url for h in hrefs if h.startswith(server)})
    assert len(local) > 20, local  # the menu links every page of every period
    broken = []
    for url in local:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                response.read(1)
        except urllib.error.HTTPError as error:
            broken.append(f"{error.code} {url}")
    assert not broken, "links on the front page that lead nowhere:\n" + "\n".join(broken)
    watch.assert_clean()


def test_no_page_reaches_the_network_or_logs_errors(watched, server, book_html):
    """Every page of the latest period but the force pages (one of those), the earlier periods'
    summaries, and the book's other pages, read one after another by one reader."""
    page, watch = watched
    latest = open_front_page(page, server)
    folder = book_html / "book" / "periods" / latest
    names = [p.stem for p in sorted(folder.glob("*.html")) if not p.stem.startswith("force-")]
    pages = [f"book/periods/{latest}/{n}.html" for n in names] + [f"book/periods/{latest}/force-kent.html"]
    pages += [p.relative_to(book_html).as_posix()
              for p in sorted((book_html / "book" / "periods").glob("*/index.html"))
              if p.parent.name != latest]
    pages += ["book/about.html", "book/methods.html", "search.html", "genindex.html"]
    for path in pages:
        page.goto(server + path)
        page.wait_for_load_state("load")
        if page.locator(".vawg-chart-view").count():
            assert_charts_drawn(page)
    watch.assert_clean()


def test_search_works_offline(watched, server):
    page, watch = watched
    page.goto(f"{server}search.html?q={FORCE}")
    results = page.locator("#search-results")
    expect(results.locator("a[href*='force-kent.html']").first).to_be_attached()
    watch.assert_clean()


def test_book_opened_from_files_draws_charts(watched, book_html):
    """As from a USB stick: file:// addresses, no server."""
    page, watch = watched
    page.goto((book_html / "index.html").as_uri())
    page.wait_for_url(SUMMARY_URL)
    sidebar(page).get_by_role("link", name="National overview", exact=True).click()
    page.wait_for_url(re.compile(r"/national_overview\.html$"))
    assert_charts_drawn(page)
    watch.assert_clean()
