"""HTML for the book's tables and lists, with the style sheet the book ships.

Every table a page shows goes through :class:`Table`: a caption, column headers with ``scope``,
the first column as row headers, and every cell labelled with its column's name, so that on a
narrow screen (a phone) each row is shown as a card whose cells say what they are, and nothing
is cut off or needs scrolling sideways. Text from the data is escaped; a column may hold HTML
made here (lists of findings, links) when named in ``html_columns``.

Findings carry their register key (``data-finding``) and counts their reading and scope
(``data-count``): readers never see these, the tests use them to check that every page says
what the findings register says.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable

import pandas as pd


def escape(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def attributes(attrs: dict | None) -> str:
    """`` name="value"`` pairs, escaped; None values left out."""
    return "".join(f' {k}="{escape(v)}"' for k, v in (attrs or {}).items() if v is not None)


class Html:
    """HTML for a notebook output, with a plain-text version (what nbval compares)."""

    def __init__(self, markup: str, text: str) -> None:
        self.markup = markup
        self.text = text

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/html": self.markup, "text/plain": self.text}

    def __repr__(self) -> str:
        return self.text


class Table(Html):
    """A table for readers (see the module docstring).

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns in order; the first is the row header unless ``row_header`` is False. Values are
        shown as given (format them first).
    caption : str
        The table's caption (its accessible name).
    stack : bool
        Show each row as a card on narrow screens (default). A wide grid meant to be scanned
        across (forces at a glance) scrolls inside its own region instead.
    html_columns : iterable of str
        Columns whose cells are HTML made by the package, not text from the data.
    row_attrs : list of dict, optional
        Attributes of each ``<tr>`` (e.g. ``data-finding``).
    cell_classes : dict, optional
        Column name -> class of its cells (e.g. the assessment, which the tests find by it).
    footer : str, optional
        A last row across every column (small numbers collapsed into one line), as text.
    """

    def __init__(self, frame: pd.DataFrame, caption: str, *, stack: bool = True, row_header: bool = True,
                 html_columns: Iterable[str] = (), row_attrs: list[dict] | None = None,
                 cell_classes: dict[str, str] | None = None, footer: str | None = None,
                 classes: str = "", label: str | None = None) -> None:
        self.frame = frame.reset_index(drop=True)
        self.caption = caption
        html_columns = set(html_columns)
        cell_classes = cell_classes or {}
        columns = list(self.frame.columns)
        head = "".join(f'<th scope="col"{attributes({"class": cell_classes.get(c)})}>{escape(c)}</th>'
                       for c in columns)
        rows = []
        for i, values in enumerate(self.frame.itertuples(index=False)):
            cells = []
            for j, (column, value) in enumerate(zip(columns, values, strict=True)):
                content = str(value) if column in html_columns else escape(value)
                attrs = {"data-label": column, "class": cell_classes.get(column)}
                if j == 0 and row_header:
                    cells.append(f'<th scope="row"{attributes(attrs)}>{content}</th>')
                else:
                    cells.append(f"<td{attributes(attrs)}>{content}</td>")
            extra = row_attrs[i] if row_attrs else None
            rows.append(f"<tr{attributes(extra)}>{''.join(cells)}</tr>")
        if footer:
            rows.append(f'<tr class="vawg-table-footer"><td colspan="{len(columns)}">'
                        f"{escape(footer)}</td></tr>")
        kind = "vawg-table vawg-stack" if stack else "vawg-table vawg-grid"
        table = (f'<table class="{kind} {escape(classes)}"><caption>{escape(caption)}</caption>'
                 f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
        if not stack:
            # A wide grid scrolls in its own region, which keyboard users can focus and scroll.
            table = (f'<div class="vawg-scroll" role="region" tabindex="0" '
                     f'aria-label="{escape(label or caption)}">{table}</div>')
        plain = self.frame.copy()
        for column in html_columns & set(columns):
            plain[column] = [strip_tags(v) for v in plain[column]]
        text = caption + "\n" + (plain.to_string(index=False) if len(plain) else "")
        if footer:
            text += "\n" + footer
        super().__init__(table, text)


def strip_tags(markup: object) -> str:
    """The text of some HTML made here (for the plain-text version of a table)."""
    text = re.sub(r"</li>|<br>", "; ", str(markup))
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip("; ")


def bullet_list(items: list[tuple[str, dict]], classes: str = "vawg-findings") -> str:
    """``<ul>`` of (HTML, attributes) items."""
    body = "".join(f"<li{attributes(attrs)}>{item}</li>" for item, attrs in items)
    return f'<ul class="{escape(classes)}">{body}</ul>'


def inline_markdown(text: str) -> str:
    """A sentence in Markdown (emphasis, links) as HTML; any HTML in it is escaped."""
    return _markdown().renderInline(text)


@functools.cache
def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False})


# The book's own style sheet (written into _static by vawgbook.build.sphinx_ext): tables that
# become cards on narrow screens, charts that fill their container, a visible focus ring, the
# banner on earlier periods' pages, and the print page of a force's scorecard.
BOOK_CSS = """
.vawg-table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
.vawg-table caption { caption-side: top; text-align: left; font-weight: 600; color: inherit;
  padding: 0 0 0.4rem; }
.vawg-table th, .vawg-table td { border-bottom: 1px solid #c8c8c8; padding: 0.3rem 0.45rem;
  vertical-align: top; text-align: left; overflow-wrap: break-word; hyphens: manual; }
.vawg-scorecard { font-size: 0.82rem; }
.vawg-findings-table th[scope="row"] { width: 16%; }
@media (min-width: 701px) {
  .vawg-scorecard thead th:nth-child(1) { width: 23%; } .vawg-scorecard thead th:nth-child(2) { width: 8%; }
  .vawg-scorecard thead th:nth-child(3) { width: 9%; } .vawg-scorecard thead th:nth-child(4) { width: 14%; }
  .vawg-scorecard thead th:nth-child(5) { width: 15%; } .vawg-scorecard thead th:nth-child(6) { width: 13%; }
}
.vawg-scorecard td:nth-child(2), .vawg-scorecard td:nth-child(3) { white-space: nowrap; }
figure.vawg-chart figcaption { text-align: left; font-size: 0.85rem; }
.vawg-table thead th { border-bottom: 2px solid #555; }
.vawg-table tbody th[scope="row"] { font-weight: 600; }
.vawg-table .vawg-table-footer td { font-style: italic; }
.vawg-table ul { margin: 0; padding-left: 1rem; }
.vawg-grid { width: auto; font-size: 0.8rem; }
.vawg-grid th, .vawg-grid td { white-space: nowrap; overflow-wrap: normal; }
.vawg-grid caption { white-space: normal; }
.vawg-grid thead th { white-space: normal; min-width: 6.5rem; vertical-align: bottom; }
.vawg-grid tbody th[scope="row"], .vawg-grid thead th:first-child { position: sticky; left: 0;
  background: var(--pst-color-background, #fff); z-index: 1; }
.vawg-scroll { overflow-x: auto; max-width: 100%; }
.vawg-scroll:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
.vawg-sr { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
.vawg-tag { display: inline-block; font-size: 0.75rem; font-weight: 600; border: 1px solid currentColor;
  border-radius: 0.2rem; padding: 0 0.25rem; margin-left: 0.3rem; }
.vawg-findings li { margin-bottom: 0.35rem; }
.vawg-panel { border: 1px solid #8a8a8a; border-radius: 0.3rem; padding: 0.6rem 0.8rem; margin: 0.8rem 0; }
.vawg-banner { border: 2px solid #8a5a00; background: #fff4e0; color: #1a1a1a; border-radius: 0.3rem;
  padding: 0.6rem 0.8rem; margin: 0 0 1rem; }
.vawg-banner a { color: #0b3d91; }
figure.vawg-chart { width: 100%; margin: 0.5rem 0 1rem; }
.vawg-chart-view, .vawg-chart-view > div { width: 100%; }
.vawg-chart-title { font-weight: 600; margin: 0.6rem 0 0; }
.vawg-chart-subtitle { margin: 0 0 0.3rem; font-size: 0.9rem; }
a:focus-visible, button:focus-visible, summary:focus-visible, input:focus-visible,
.search-button-field:focus-visible, .search-button__button:focus-visible, [tabindex]:focus-visible {
  outline: 3px solid #0b57d0 !important; outline-offset: 2px; box-shadow: 0 0 0 5px #fff; }
@media (max-width: 700px) {
  .vawg-stack, .vawg-stack caption, .vawg-stack tbody, .vawg-stack tr, .vawg-stack th,
  .vawg-stack td { display: block; width: 100%; }
  .vawg-stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden;
    clip: rect(0, 0, 0, 0); white-space: nowrap; }
  .vawg-stack tr { border: 1px solid #c8c8c8; border-radius: 0.3rem; margin: 0 0 0.6rem;
    padding: 0.2rem 0.4rem; }
  .vawg-stack th, .vawg-stack td { border: 0; padding: 0.15rem 0; }
  .vawg-stack td::before { content: attr(data-label) ": "; font-weight: 600; }
  .vawg-stack tbody th[scope="row"] { font-size: 1rem; }
}
@media print {
  .vawg-banner { border-color: #000; background: none; }
  .vawg-table { font-size: 8.5pt; }
  .vawg-scorecard-page { break-after: page; }
}
"""
