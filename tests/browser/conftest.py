"""Fixtures for the browser tests: a real book, served on 127.0.0.1, read in Debian's Chromium.

The book is built once per session in a temporary project folder (two periods: 2024-25 Q1
without force pages, so that there is an earlier period to navigate to, and 2024-25 Q2 with
every page), served by ``http.server`` on a free port, and read by Playwright driving the
Chromium on ``PATH`` (Playwright's own browser download is never used).

The tests fail, rather than skip, when Playwright or Chromium is missing, so that CI cannot pass
without having read the book in a browser. Set ``VAWGBOOK_SKIP_BROWSER=1`` to skip them
instead. ``VAWGBOOK_CHROMIUM`` names another Chromium or Chrome binary (for example on macOS);
``VAWGBOOK_BROWSER_HTML`` names an already built ``_build/html`` folder to read instead of
building one (quicker while working on these tests; it needs two or more periods).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
CALIBRATION = Path("benchmarks") / "results" / "calibration.json"

# Chromium flags that work on a closed network without a screen (see the machine notes): without
# the background-networking ones Chromium tries to reach Google's services at every start.
# Playwright adds --headless and its own empty profile (--user-data-dir) itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000


def _skip_requested() -> bool:
    return os.environ.get("VAWGBOOK_SKIP_BROWSER", "").strip() not in ("", "0")


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The Chromium binary; fails (not skips) when it or Playwright is missing."""
    if _skip_requested():
        pytest.skip("VAWGBOOK_SKIP_BROWSER is set: the book was not read in a browser")
    hint = "; or set VAWGBOOK_SKIP_BROWSER=1 to skip the browser tests"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("Playwright for Python is not installed: pip install -r requirements.txt" + hint,
                    pytrace=False)
    named = os.environ.get("VAWGBOOK_CHROMIUM")
    found = shutil.which(named) if named else shutil.which("chromium")
    if not found:
        pytest.fail(f"no Chromium found ({named or 'chromium'} is not on PATH): on Debian, "
                    "apt-get install chromium (never `playwright install`)" + hint, pytrace=False)
    return found


def _build(project: Path, pool) -> Path:
    """Run two periods of the sample data through the notebooks and build the book."""
    from vawgbook.build.book import build_book
    from vawgbook.build.notebooks import run_period
    from vawgbook.periods import Quarter

    shutil.copytree(REPO / "notebooks", project / "notebooks")
    shutil.copy2(REPO / "_config.yml", project / "_config.yml")
    (project / "book").mkdir()
    shutil.copy2(REPO / "book" / "about.md", project / "book" / "about.md")
    if (REPO / CALIBRATION).exists():  # the methods page reports it when present
        (project / CALIBRATION).parent.mkdir(parents=True)
        shutil.copy2(REPO / CALIBRATION, project / CALIBRATION)
    run_period(SAMPLE, Quarter(2024, 1), root=project, echo=print, with_forces=False, pool=pool)
    run_period(SAMPLE, Quarter(2024, 2), root=project, echo=print, with_forces=True, pool=pool)
    return build_book(project, echo=print).parent


@pytest.fixture(scope="session")
def book_html(chromium_executable, tmp_path_factory, kernel_pool) -> Path:
    """The built book's HTML folder (built once per session, in the session's warm kernels)."""
    given = os.environ.get("VAWGBOOK_BROWSER_HTML")
    if given:
        return Path(given).resolve()
    return _build(tmp_path_factory.mktemp("book-project"), kernel_pool)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the browser closing a page mid-download is not a failure of the book


@pytest.fixture(scope="session")
def server(book_html):
    """``book_html`` served on 127.0.0.1 at a free port; yields the base URL (ending in /)."""
    handler = functools.partial(_QuietHandler, directory=str(book_html))
    httpd = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser(chromium_executable, book_html):
    # Depends on book_html so that the book is built (and its kernels started) before
    # Playwright's driver starts.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Watch:
    """What a browser context did that a book read offline must not do."""

    host: str
    external: list[str] = field(default_factory=list)  # requests to any other host (aborted)
    failed: list[str] = field(default_factory=list)  # requests that failed
    bad_status: list[str] = field(default_factory=list)  # local responses 400 and above
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions
    console_warnings: list[str] = field(default_factory=list)  # recorded, not asserted

    def route(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("file", "data", "blob") or parts.netloc == self.host:
            route.continue_()
        else:
            self.external.append(url)
            route.abort("blockedbyclient")

    def on_console(self, message) -> None:
        where = message.location.get("url", "") if message.location else ""
        text = f"{message.text} (at {where})" if where else message.text
        if message.type == "error":
            self.console_errors.append(text)
        elif message.type == "warning":
            self.console_warnings.append(text)

    def on_response(self, response) -> None:
        if response.status >= 400:
            self.bad_status.append(f"{response.status} {response.url}")

    def problems(self) -> list[str]:
        named = [("request left the machine", self.external), ("request failed", self.failed),
                 ("bad response", self.bad_status), ("console error", self.console_errors),
                 ("page error", self.page_errors)]
        return [f"{what}: {item}" for what, items in named for item in items]

    def assert_clean(self) -> None:
        problems = self.problems()
        assert not problems, "the browser saw problems:\n" + "\n".join(problems)


@pytest.fixture
def watched(browser, server):
    """A new browser context (empty storage, as for a first-time reader) and its page, with
    every request to a host other than the local server aborted and recorded, and failed
    requests, bad responses, console errors and page errors recorded. Yields (page, watch)."""
    watch = Watch(host=urlsplit(server).netloc)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", watch.route)
    context.on("console", watch.on_console)
    context.on("weberror", lambda error: watch.page_errors.append(str(error.error)))
    context.on("requestfailed", lambda r: watch.failed.append(f"{r.url}: {r.failure}"))
    context.on("response", watch.on_response)
    page = context.new_page()
    try:
        yield page, watch
    finally:
        context.close()
