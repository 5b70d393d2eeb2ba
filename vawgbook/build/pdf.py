"""The print edition: one PDF per period for board papers, and one A4 page per force (its
scorecard and the questions its findings prompt), made offline by headless Chromium.

The built pages of a period (summary, what is and isn't working, national overview, pillars)
are joined into one print page beside them, which Chromium prints once its charts are drawn.
Each force's card is taken from its built page into a page of its own and printed on one A4
sheet (``scorecard-force-NAME.pdf``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import BuildError

PRINT_TEMPLATES = ("front_page", "what_is_working", "national_overview", "pillar")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
# Flags for a headless browser on a machine without network (see tooling notes).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-pdf-header-footer", "--virtual-time-budget=20000"]
PRINT_CSS = """
<style>
  .bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer, .prev-next-area,
  .header-article, .bd-header-article, footer { display: none !important; }
  .bd-main .bd-content .bd-article-container { max-width: 100% !important; }
  .vawg-print-page { break-after: page; }
  details { display: block; } details > summary { display: none; }
</style>
"""


def find_chromium() -> str:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise BuildError(None, "the print edition needs Chromium (on Debian: apt-get install chromium)")


def _article(html: str, page: Path) -> str:
    match = re.search(r"<article class=\"bd-article\"[^>]*>(.*?)</article>", html, re.S)
    if not match:
        raise BuildError(page, "has no article to print (was the book built by vawgbook build?)")
    return match.group(1)


def print_page(period_html: Path, pages: list[dict]) -> Path:
    """Write ``print.html`` beside a period's built pages, joining the pages to print."""
    names = [p["name"] for p in pages if p["template"] in PRINT_TEMPLATES]
    first = (period_html / f"{names[0]}.html").read_text("utf-8")
    head = re.search(r"<head>(.*?)</head>", first, re.S).group(1)
    sections = []
    for name in names:
        page = period_html / f"{name}.html"
        article = _article(page.read_text("utf-8"), page)
        sections.append(f'<section class="vawg-print-page">{article}</section>')
    body = "".join(sections)
    path = period_html / "print.html"
    path.write_text(f"<!DOCTYPE html><html lang=\"en\"><head>{head}{PRINT_CSS}</head><body>"
                    f'<main class="bd-main"><div class="bd-content"><div class="bd-article-container">'
                    f"{body}</div></div></main></body></html>", encoding="utf-8")
    return path


def print_edition(root: Path, period: str, pages_file: Path) -> Path:
    """Build ``_build/html/book/periods/PERIOD/PERIOD.pdf`` from the built book."""
    html_dir = Path(root) / "_build" / "html" / "book" / "periods" / period
    if not html_dir.is_dir():
        raise BuildError(html_dir, "not built: run `vawgbook build` first")
    page = print_page(html_dir, json.loads(pages_file.read_text("utf-8")))
    pdf = html_dir / f"vawg-report-{period}.pdf"
    _print(page.resolve().as_uri(), pdf)
    force_scorecards(root, period, pages_file)
    return pdf


# One A4 page per force: the card alone, in a small type that keeps 16 indicators on one sheet.
CARD_CSS = """
<style>
  @page { size: A4 portrait; margin: 8mm 9mm; }
  html, body { font-size: 8pt; line-height: 1.15; }
  body { margin: 0; }
  h1 { font-size: 13pt; margin: 0 0 1pt; }
  h2 { font-size: 10pt; margin: 3pt 0 1pt; }
  p, li { margin: 1pt 0; line-height: 1.15; }
  .vawg-table { font-size: 7pt !important; line-height: 1.1; margin: 2pt 0 3pt !important; }
  .vawg-table caption { display: none; }
  .vawg-table th, .vawg-table td { padding: 0.8pt 2.5pt !important; line-height: 1.1; }
  .vawg-table ul { padding-left: 0.8em; }
  .vawg-scorecard thead th:nth-child(1) { width: 21% !important; }
  .vawg-scorecard thead th:nth-child(2), .vawg-scorecard thead th:nth-child(3) { width: 8% !important; }
  .vawg-scorecard thead th:nth-child(4), .vawg-scorecard thead th:nth-child(5),
  .vawg-scorecard thead th:nth-child(6) { width: 11% !important; }
  .vawg-scorecard thead th:nth-child(7) { width: 30% !important; }
  .vawg-card-key { font-size: 7pt; }
  .vawg-questions { margin: 1pt 0; padding-left: 1.2em; }
  .vawg-questions li, .vawg-questions-section p { font-size: 7.5pt; }
  a.headerlink { display: none; }
</style>
"""
CARD_END = "<!-- end of the force's scorecard -->"
CARD_BUDGET_MS = 2000  # a card has no charts to wait for


def card_page(page: Path) -> str:
    """A print page holding one force's card, from its built page."""
    text = page.read_text("utf-8")
    article = _article(text, page)
    head = re.search(r"<head>(.*?)</head>", text, re.S).group(1)
    title = re.search(r"<h1[^>]*>(.*?)</h1>", article, re.S)
    period = re.search(r"<p>\s*<strong>Period:</strong>.*?</p>", article, re.S)
    card = re.search(r'<section class="vawg-card".*?' + re.escape(CARD_END), article, re.S)
    if not (title and card):
        raise BuildError(page, "has no scorecard to print (was it made from force_profile.ipynb?)")
    heading = re.sub(r'<a class="headerlink".*?</a>', "", title.group(1), flags=re.S)
    return (f"<!DOCTYPE html><html lang=\"en\"><head>{head}{CARD_CSS}</head><body>"
            f'<main class="vawg-card-print"><h1>{heading}</h1>{period.group(0) if period else ""}'
            f"{card.group(0)}</main></body></html>")


def _print(url: str, pdf: Path, budget_ms: int = 20000) -> None:
    flags = [f if not f.startswith("--virtual-time-budget") else f"--virtual-time-budget={budget_ms}"
             for f in CHROMIUM_FLAGS]
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [find_chromium(), *flags, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}", url],
            capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or not pdf.exists():
        raise BuildError(Path(url), f"Chromium could not print it: {done.stderr.strip()[-300:]}")


def force_scorecards(root: Path, period: str, pages_file: Path, workers: int | None = None) -> list[Path]:
    """Print every force's card to ``scorecard-force-NAME.pdf`` beside its built page (the
    page printed from is written beside it, so that its styles resolve, and removed after)."""
    html_dir = Path(root) / "_build" / "html" / "book" / "periods" / period
    names = [p["name"] for p in json.loads(pages_file.read_text("utf-8")) if p["template"] == "force_profile"]
    jobs = []
    for name in names:
        page = html_dir / f"{name}.html"
        if page.exists():
            card = html_dir / f".scorecard-{name}.html"
            card.write_text(card_page(page), encoding="utf-8")
            jobs.append((card, html_dir / f"scorecard-{name}.pdf"))
    workers = workers or max(1, min(len(jobs), os.cpu_count() or 1))
    try:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda job: _print(job[0].resolve().as_uri(), job[1], CARD_BUDGET_MS), jobs))
    finally:
        for card, _ in jobs:
            card.unlink(missing_ok=True)
    return [pdf for _, pdf in jobs]


def pdf_pages(pdf: Path) -> int:
    """How many pages a PDF has (Chromium writes each page's dictionary uncompressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", Path(pdf).read_bytes()))
