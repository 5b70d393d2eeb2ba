"""The findings register as readers see it: counts, lists and tables of findings for the pages.

Every page that counts or lists findings calls this module, and this module reads only the
register (``findings.csv`` and ``findings_resolved.csv``) and, for a finding's sentence, the
results row it came from. So the summary's counts, what is and isn't working, what changed, a
force's page and visible in the data say the same thing. Each finding carries its register key
(``data-finding``) and each count its reading and place (``data-count``) for the tests.
"""

from __future__ import annotations

import pandas as pd

from .. import words as W
from ..config import force_names
from ..periods import Quarter
from . import narrative
from .html import Html, Table, attributes, bullet_list, escape, inline_markdown
from .report import Report

READINGS = ("better", "worse", "neutral", "not_comparable")
KINDS = ("change", "gap", "gap_change", "outlier", "spc")
GAP_KINDS = ("gap", "gap_change")
SLOT = "\x00"  # where HTML made here goes into a sentence escaped as text


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["key", "kind", "force", "kpi_id", "dimension", "category", "reading",
                                 "counted", "status", "family", "assessment"])


def register(report: Report) -> pd.DataFrame:
    """This period's findings (empty when the period has no register)."""
    return report.findings if report.findings is not None else _empty()


def resolved(report: Report) -> pd.DataFrame:
    return report.resolved if report.resolved is not None else _empty()


# ---------------------------------------------------------------- one finding

def sentence(report: Report, row) -> str:
    """A finding in one sentence (Markdown)."""
    kpi = report.registry[row.kpi_id]
    where = report.where(row.force, row.kpi_id, row.dimension)
    period = Quarter.parse(str(row.period)) if str(row.period) else report.period
    reference = report.registry.breakdown_settings.reference.get(row.dimension)
    if row.kind in ("change", "gap", "gap_change"):
        source = report.row(row.force, row.kpi_id, row.comparison, row.dimension, row.category) \
            if str(row.period) == str(report.period) else None
        if source is None:  # a finding of the previous period: its register row has the figures
            source = row
            if row.kind == "change":
                source = _with(row, relative_change=float("nan"), note=row.detail, suppressed=False,
                               min_detectable_change=float("nan"))
        if row.kind == "change":
            return narrative.year_on_year_sentence(kpi, source, period, where)
        if row.kind == "gap":
            return narrative.disparity_sentence(kpi, source, period, where, reference)
        return narrative.gap_change_sentence(kpi, source, period, where, reference)
    if row.kind == "outlier":
        return W.OUTLIER_SENTENCE.format(
            kpi=kpi.name, where=where, value=kpi.display(row.value), year_ending=period.year_ending,
            position=W.OUTLIER_POSITION[row.assessment], national=kpi.display(row.baseline_value),
            glossary=W.GLOSSARY_PAGE, reading=W.OUTLIER_READING.get(row.reading, ""))
    return W.SPC_SENTENCE.format(
        kpi=kpi.name, where=where, quarter=period.label, value=kpi.display(row.value),
        icon=W.SPC_ICON_WORDS.get(row.assessment, row.assessment),
        rule=W.SPC_RULES.get(row.detail, row.detail), mean=kpi.display(row.baseline_value),
        glossary=W.GLOSSARY_PAGE)


def _with(row, **values):
    from types import SimpleNamespace

    return SimpleNamespace(**{**row._asdict(), **values})


def _family_note(report: Report, row) -> str:
    known = {k.id for k in report.registry.kpis}
    if bool(row.counted) or row.family == row.kpi_id or row.family not in known:
        return ""
    other = report.registry[row.family].name
    return W.SAME_FAMILY.format(other=other[:1].lower() + other[1:])


def _tag(report: Report, row) -> str:
    tag = W.STATUS_TAG.get(row.status, "") if report.compared else ""
    return f' <span class="vawg-tag">{escape(tag)}</span>' if tag else ""


def _attrs(row) -> dict:
    return {"data-finding": row.key, "data-reading": row.reading, "data-kind": row.kind,
            "data-counted": "true" if bool(row.counted) else "false"}


def item(report: Report, row) -> tuple[str, dict]:
    """A finding as a list item: its sentence, whether it is new, and its register key."""
    text = inline_markdown(sentence(report, row) + _family_note(report, row))
    return text + _tag(report, row), _attrs(row)


# ---------------------------------------------------------------- lists and tables

def _sections(report: Report, rows: pd.DataFrame, level: int, render) -> str:
    parts = []
    for reading in READINGS:
        mine = rows.loc[rows["reading"] == reading]
        if mine.empty and reading == "not_comparable":
            continue  # shown only when there is a break to tell of
        title = f'<h{level}>{escape(W.READING_TITLES[reading])}</h{level}>'
        body = render(mine, reading) if len(mine) else f"<p>{escape(W.NOTHING_IN_GROUP)}</p>"
        parts.append(f'<section class="vawg-reading" data-reading="{reading}" '
                     f'data-listed="{len(mine)}">{title}{body}</section>')
    return "".join(parts)


def _text(rows: pd.DataFrame) -> str:
    """What nbval compares: each finding's key, in order."""
    return "\n".join(f"{r.reading}: {r.key}" for r in rows.itertuples()) or W.NOTHING_FOUND


def place(report: Report, force: str, kinds: tuple[str, ...] = KINDS, level: int = 3) -> Html:
    """One place's findings (a force, or England and Wales) in sentences, by reading."""
    if report.findings is None:
        return Html(f"<p>{escape(W.NO_REGISTER)}</p>", W.NO_REGISTER)
    rows = register(report)
    rows = rows.loc[(rows["force"] == force) & rows["kind"].isin(kinds)]
    def render(mine: pd.DataFrame, reading: str) -> str:
        if reading == "not_comparable":
            return bullet_list(_break_items(report, mine, force))
        return bullet_list([item(report, r) for r in mine.itertuples()])

    markup = _sections(report, rows, level, render)
    return Html(f'<div class="vawg-place-findings" data-place="{escape(force)}">{markup}</div>', _text(rows))


def _span(row, text: str) -> str:
    return f"<span{attributes(_attrs(row))}>{escape(text)}</span>"


def _break_items(report: Report, rows: pd.DataFrame, force: str) -> list[tuple[str, dict]]:
    """A place's findings that a registered break prevents, one item per break naming the
    indicators it touches (each indicator carries its finding's key)."""
    out = []
    for detail, part in rows.groupby("detail", sort=False):
        kpis = ", ".join(_span(r, report.registry[r.kpi_id].name) for r in part.itertuples())
        where = report.where(force, part["kpi_id"].iloc[0])
        text = escape(W.BREAK_ITEM.format(where=where, detail=detail[:1].upper() + detail[1:], kpis=SLOT))
        out.append((text.replace(SLOT, kpis), {"data-break": "true"}))
    return out


def _break_table(report: Report, rows: pd.DataFrame, caption: str) -> Table:
    """Forces' findings that a registered break prevents: one row per indicator and break,
    naming the forces (each carrying its finding's key)."""
    columns = W.FINDINGS_TABLE_COLUMNS
    out = []
    order = {k: i for i, k in enumerate(report.kpi_ids())}
    rows = rows.assign(_o=rows["kpi_id"].map(order)).sort_values(["_o", "force"], kind="stable")
    for (kpi_id, detail), part in rows.groupby(["kpi_id", "detail"], sort=False):
        names = ", ".join(_span(r, r.force) for r in part.itertuples())
        noun = W.BREAK_FORCES[0 if len(part) == 1 else 1]
        text = escape(W.BREAK_ROW.format(detail=detail[:1].upper() + detail[1:], count=len(part),
                                         forces=noun, names=SLOT)).replace(SLOT, names)
        out.append({columns["where"]: report.registry[kpi_id].name, columns["finding"]: text})
    frame = pd.DataFrame(out, columns=[columns["where"], columns["finding"]])
    return Table(frame.rename(columns={columns["where"]: columns["indicator"]}), caption,
                 html_columns=[columns["finding"]], classes="vawg-findings-table")


def table(report: Report, rows: pd.DataFrame, caption: str, status: bool = True) -> Table:
    """Findings as a table: where, what was found (the sentence names the indicator), and, with
    ``status``, whether it is new."""
    columns = W.FINDINGS_TABLE_COLUMNS
    frame = pd.DataFrame({
        columns["where"]: [r.force for r in rows.itertuples()],
        columns["finding"]: [inline_markdown(sentence(report, r) + _family_note(report, r))
                             for r in rows.itertuples()],
    })
    if report.compared and status:
        frame[columns["status"]] = [W.STATUS_LABELS.get(r.status, "") for r in rows.itertuples()]
    return Table(frame, caption, html_columns=[columns["finding"]], classes="vawg-findings-table",
                 row_attrs=[_attrs(r) for r in rows.itertuples()])


def forces(report: Report, kinds: tuple[str, ...] = KINDS, level: int = 3) -> Html:
    """Every force's findings (not England and Wales), by reading, a table per kind."""
    if report.findings is None:
        return Html(f"<p>{escape(W.NO_REGISTER)}</p>", W.NO_REGISTER)
    rows = register(report)
    rows = rows.loc[(rows["force"] != force_names().national) & rows["kind"].isin(kinds)]

    def render(mine: pd.DataFrame, reading: str) -> str:
        if reading == "not_comparable":
            caption = f"{W.READING_SHORT[reading]}: {W.KIND_TITLES['change']}"
            return _break_table(report, mine, caption).markup
        out = []
        for kind in KINDS:
            part = mine.loc[mine["kind"] == kind]
            if len(part):
                caption = W.FINDINGS_TABLE_CAPTION.format(title=W.READING_SHORT[reading],
                                                          kind=W.KIND_TITLES[kind])
                out.append(table(report, part, caption).markup)
        return "".join(out)

    return Html(f'<div class="vawg-force-findings">{_sections(report, rows, level, render)}</div>',
                _text(rows))


def gaps(report: Report) -> Html:
    """Gaps between groups unlikely to be chance, and gaps that changed: England and Wales in
    sentences, then every force in tables."""
    national = force_names().national
    parts = [f"<h3>{escape(W.DIFFERENCES_NATIONAL.strip('*'))}</h3>",
             place(report, national, GAP_KINDS, level=4).markup,
             f"<h3>{escape(W.DIFFERENCES_FORCES)}</h3>", forces(report, GAP_KINDS, level=4).markup]
    rows = register(report)
    rows = rows.loc[rows["kind"].isin(GAP_KINDS)]
    return Html("".join(parts), _text(rows))


# ---------------------------------------------------------------- counts

def _count_cell(value: int, reading: str, where: str) -> str:
    return f'<span data-count="{reading}" data-where="{where}">{value:,}</span>'


def counts(report: Report) -> Html:
    """How many findings, each counted once, by reading: England and Wales, forces, all."""
    if report.findings is None:
        return Html(f"<p>{escape(W.NO_REGISTER)}</p>", W.NO_REGISTER)
    rows = register(report)
    rows = rows.loc[rows["counted"].astype(bool)]
    national = rows["force"] == force_names().national
    n = {r: int((rows["reading"] == r).sum()) for r in READINGS}
    yoy = report.yoy()
    if "dimension" in yoy:
        yoy = yoy.loc[yoy["dimension"] == ""]
    untested = int((yoy["assessment"] == "insufficient_data").sum())
    text = W.COUNTS_SENTENCE.format(total=len(rows), tested=len(yoy), untested=untested, **n)
    frame = pd.DataFrame({
        W.COUNTS_ROW: [W.READING_SHORT[r] for r in READINGS],
        W.COUNTS_NATIONAL: [_count_cell(int(((rows["reading"] == r) & national).sum()), r, "national")
                            for r in READINGS],
        W.COUNTS_FORCES: [_count_cell(int(((rows["reading"] == r) & ~national).sum()), r, "forces")
                          for r in READINGS],
        W.COUNTS_TOTAL: [_count_cell(n[r], r, "all") for r in READINGS],
    })
    by_reading = Table(frame, W.COUNTS_CAPTION, html_columns=list(frame.columns[1:]))
    kinds = pd.DataFrame({W.KIND_COUNTS_ROW: [W.KIND_TITLES[k] for k in KINDS]})
    for r in READINGS:
        kinds[W.READING_SHORT[r]] = [int(((rows["kind"] == k) & (rows["reading"] == r)).sum()) for k in KINDS]
    kinds[W.COUNTS_TOTAL] = [int((rows["kind"] == k).sum()) for k in KINDS]
    by_kind = Table(kinds, W.KIND_COUNTS_CAPTION)
    markup = f"<p>{inline_markdown(text)}</p>{by_reading.markup}{by_kind.markup}"
    return Html(markup, text + "\n" + by_reading.text + "\n" + by_kind.text)


# ---------------------------------------------------------------- what changed

def _previous(report: Report) -> Quarter:
    return report.period - 1


def changed_panel(report: Report) -> Html:
    """The summary's panel: how many findings are new, continuing and no longer found."""
    if not report.compared:
        return Html(f'<div class="vawg-panel">{inline_markdown(W.CHANGED_NO_PREVIOUS)}</div>',
                    W.CHANGED_NO_PREVIOUS)
    rows = register(report)
    rows = rows.loc[rows["counted"].astype(bool)]  # counted once, as the summary's counts are
    gone = resolved(report)
    gone = gone.loc[gone["counted"].astype(str).str.lower().eq("true")]
    new = int((rows["status"] == "new").sum())
    text = W.CHANGED_PANEL.format(previous=_previous(report).label, new=new,
                                  new_noun="finding" if new == 1 else "findings",
                                  continuing=int((rows["status"] == "continuing").sum()),
                                  resolved=len(gone), page="what_changed.html")
    return Html(f'<div class="vawg-panel" data-changed="true">{inline_markdown(text)}</div>', text)


def changed(report: Report, status: str) -> Html:
    """The findings that are new, continuing or no longer found, by reading, a table each."""
    if not report.compared:
        return Html(f"<p>{escape(W.CHANGED_NO_PREVIOUS.replace('**', ''))}</p>", W.CHANGED_NO_PREVIOUS)
    rows = resolved(report) if status == "resolved" else register(report).loc[
        lambda d: d["status"] == status]

    def render(mine: pd.DataFrame, reading: str) -> str:
        caption = f"{W.CHANGED_HEADINGS[status]}: {W.READING_SHORT[reading]}"
        if reading == "not_comparable":
            return _break_table(report, mine, caption).markup
        return table(report, mine, caption, status=False).markup

    markup = _sections(report, rows, 3, render)
    if status == "resolved":
        note = W.CHANGED_RESOLVED_NOTE.format(previous=_previous(report).label)
        markup = f"<p>{escape(note)}</p>{markup}"
    return Html(f'<div class="vawg-changed" data-status="{status}">{markup}</div>', _text(rows))


def changed_intro(report: Report) -> str:
    """What the page compares (Markdown)."""
    return W.CHANGED_INTRO.format(period=report.period.label, previous=_previous(report).label)


__all__ = ["attributes", "changed", "changed_intro", "changed_panel", "counts", "forces", "gaps",
           "item", "place", "register", "sentence", "table"]


def heading(force: str) -> str:
    """The heading of a place's findings (Markdown)."""
    return "## " + W.FORCE_FINDINGS_HEADING.format(force=force)
