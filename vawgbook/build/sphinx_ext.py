"""A small Sphinx extension for the book (listed in ``_config.yml``).

- Writes ``_static/vawgbook-charts.js``: Vega, Vega-Lite and Vega-Embed (from vl-convert) plus
  the book's chart function, so charts draw in the reader's browser with no network; and
  ``_static/vawgbook.css``, the book's own styles (:data:`vawgbook.publish.html.BOOK_CSS`).
- Leaves out sphinx-thebe's scripts, which Jupyter Book always adds: they point at a CDN and
  declare a constant twice (a console error), and the book has no live code.
- Puts a banner on every page of an earlier period, linking to the latest (so a page found by
  search or a bookmark says it is not the latest), and drops the theme's print-only second h1.
- Names the menu's expand buttons (the theme leaves them without a name for screen readers).
- Lets Sphinx read the pages in parallel (see :func:`_parallel_numbering`).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

CHART_JS = "vawgbook-charts.js"
BOOK_CSS = "vawgbook.css"
TEMPLATES = Path(__file__).parent / "templates"
PERIOD_DOC = re.compile(r"^book/periods/(?P<period>[^/]+)/(?P<page>[^/]+)$")
WIDE_PAGES = ("overview",)
TOGGLE = re.compile(r'(<a [^>]*>(?P<name>[^<]*)</a>\s*<details[^>]*>\s*)<summary>')


def chart_script() -> str:
    """The chart libraries and :data:`vawgbook.charts.CHART_SCRIPT` as one classic script.

    The bundle is wrapped in a function so that its top-level names (such as ``_``) cannot
    collide with Sphinx's own; it publishes ``vegaEmbed`` on ``window`` itself.
    """
    import vl_convert

    from ..publish.charts import CHART_SCRIPT

    return "(function () {\n" + vl_convert.javascript_bundle() + "\n})();\n" + CHART_SCRIPT


def _is_thebe(script) -> bool:
    name = str(getattr(script, "filename", script) or "")
    body = str(getattr(script, "attributes", {}).get("body", ""))
    return "thebe" in name or "THEBE_JS_URL" in body


def latest_period(docnames) -> str | None:
    """The newest period among the book's documents."""
    from ..errors import InputError
    from ..periods import Quarter

    found = []
    for name in docnames:
        match = PERIOD_DOC.match(name)
        if match:
            try:
                found.append(Quarter.parse(match["period"]))
            except InputError:
                continue
    return str(max(found)) if found else None


def banner(app, pagename: str) -> str | None:
    """The banner for a page of an earlier period (HTML), or None."""
    from .. import words
    from ..periods import Quarter

    match = PERIOD_DOC.match(pagename)
    docs = app.env.found_docs
    latest = latest_period(docs)
    if not match or latest is None or match["period"] == latest:
        return None
    same = f"book/periods/{latest}/{match['page']}"
    target = same if same in docs else f"book/periods/{latest}/index"
    href = app.builder.get_relative_uri(pagename, target)
    head, text, link = words.EARLIER_BANNER
    sentence = text.format(label=Quarter.parse(match["period"]).label, latest=Quarter.parse(latest).label)
    return (f"<strong>{html.escape(head)}</strong> {html.escape(sentence)} "
            f'<a href="{html.escape(href)}">{html.escape(link)}</a>.')


def _name_toggles(markup):
    """Give each expand button of the menu a name: "2024/25 Q1: show or hide its pages"."""
    from markupsafe import Markup

    from .. import words

    def named(match):
        label = words.MENU_TOGGLE.format(name=html.unescape(match["name"]).strip())
        return f'{match[1]}<summary aria-label="{html.escape(label)}">'

    return Markup(TOGGLE.sub(named, str(markup)))


def _page_context(app, pagename, templatename, context, doctree) -> None:
    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not _is_thebe(s)]
    match = PERIOD_DOC.match(pagename)
    if match and (match["page"].startswith("force-") or match["page"] in WIDE_PAGES):
        # A force's scorecard and the forces' grid need the width: no "on this page" column.
        context["secondary_sidebar_items"] = []
        context["vawg_wide"] = True
    made = banner(app, pagename)
    if made:
        from markupsafe import Markup

        context["vawg_banner"] = Markup(made)
    toctree = context.get("generate_toctree_html")
    if callable(toctree) and not getattr(toctree, "_vawg", False):
        def named_toctree(*args, **kwargs):
            return _name_toggles(toctree(*args, **kwargs))

        named_toctree._vawg = True
        context["generate_toctree_html"] = named_toctree


def _write_static(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        from ..publish.html import BOOK_CSS as CSS

        static = Path(app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        (static / CHART_JS).write_text(chart_script(), encoding="utf-8")
        (static / BOOK_CSS).write_text(CSS, encoding="utf-8")


def _templates(app, config) -> None:
    config.templates_path = [*config.templates_path, str(TEMPLATES)]


def _parallel_numbering(app) -> None:
    """sphinx-external-toc always loads sphinx-multitoc-numbering, which does not say whether it
    is safe for parallel reading, so Sphinx would read serially (and, with -W, fail on the
    warning). It only replaces how section numbers are assigned, which the main process does
    after reading (and the book is not numbered: use_multitoc_numbering is false)."""
    extension = app.extensions.get("sphinx_multitoc_numbering")
    if extension is not None and extension.parallel_read_safe is None:
        extension.parallel_read_safe = True


def setup(app):
    app.connect("builder-inited", _parallel_numbering)
    app.add_js_file(CHART_JS)
    app.add_css_file(BOOK_CSS)
    app.connect("config-inited", _templates)
    # After the theme's own handler, which puts generate_toctree_html in the context.
    app.connect("html-page-context", _page_context, priority=900)
    app.connect("build-finished", _write_static)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
