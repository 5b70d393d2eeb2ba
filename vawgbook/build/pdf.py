"""The print edition: one PDF per period for board papers, made offline by headless Chromium.

The built pages of a period (summary, what is and isn't working, national overview, pillars)
are joined into one print page beside them, which Chromium prints once its charts are drawn.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
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
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
             f"--print-to-pdf={pdf}", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or not pdf.exists():
        raise BuildError(page, f"Chromium could not print it: {done.stderr.strip()[-300:]}")
    return pdf
