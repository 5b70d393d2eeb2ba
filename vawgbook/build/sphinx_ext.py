"""A small Sphinx extension for the book (listed in ``_config.yml``).

- Writes ``_static/vawgbook-charts.js``: Vega, Vega-Lite and Vega-Embed (from vl-convert) plus
  the book's chart function, so charts draw in the reader's browser with no network.
- Leaves out sphinx-thebe's scripts, which Jupyter Book always adds: they point at a CDN and
  declare a constant twice (a console error), and the book has no live code.
"""

from __future__ import annotations

from pathlib import Path

CHART_JS = "vawgbook-charts.js"


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


def _drop_thebe(app, pagename, templatename, context, doctree) -> None:
    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not _is_thebe(s)]


def _write_chart_script(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        (static / CHART_JS).write_text(chart_script(), encoding="utf-8")


def setup(app):
    app.add_js_file(CHART_JS)
    app.connect("html-page-context", _drop_thebe)
    app.connect("build-finished", _write_chart_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
