"""A force at a glance (its scorecard and the questions its findings prompt) and every force at a
glance (the force × indicator grid).

Read from the findings register and the tables beside it (``variation.csv``: each force's place
on the funnel plot and its latest quarter's process-control reading), so the scorecard says what
the register says.
"""

from __future__ import annotations

import pandas as pd

from .. import words as W
from ..config import Kpi, force_names, vocabulary
from . import narrative
from .findings import register
from .html import Html, Table, bullet_list, escape, inline_markdown
from .report import Report

#: The order questions are asked in: concerns first, then recording, context, breaks, successes.
QUESTION_ORDER = ("worse", "recording", "neutral", "not_comparable", "better")
MAX_QUESTIONS = 6


def slug(text: str) -> str:
    """A force's page name, as the runner makes it (``force-`` + this)."""
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _value(kpi: Kpi, row) -> str:
    if row is None:
        return W.MISSING
    if bool(getattr(row, "suppressed", False)):
        return W.SUPPRESSED
    return kpi.display(row.value)


def position_label(kpi: Kpi, standing) -> str:
    """Where a force sits among the forces, in words and a shape."""
    if kpi.kind == "count":
        return W.POSITION_NONE["count"]
    if standing is None or not standing["funnel_position"]:
        return W.POSITION_NONE[""]
    return W.POSITION_LABELS.get((standing["funnel_position"], standing["funnel_reading"]),
                                 standing["funnel_position"])


def spc_label(standing) -> str:
    if standing is None:
        return W.SPC_LABEL_NONE[""]
    if standing["spc_icon"]:
        return W.SPC_LABELS.get(standing["spc_icon"], standing["spc_icon"])
    return W.SPC_LABEL_NONE.get(standing["spc_note"], W.SPC_LABEL_NONE[""])


def _gap_items(report: Report, force: str, kpi: Kpi, findings: pd.DataFrame) -> str:
    """A force's gap findings for one KPI (HTML), a group's gap and any change in it together;
    or why there are none."""
    mine = findings.loc[(findings["kpi_id"] == kpi.id) & findings["kind"].isin(["gap", "gap_change"])]
    reference = report.registry.breakdown_settings.reference
    groups: dict[tuple[str, str], list[str]] = {}
    attrs: dict[tuple[str, str], dict] = {}
    for row in mine.itertuples():
        group = narrative.group_label(row.dimension, row.category)
        who = (row.dimension, row.category)
        if row.kind == "gap":
            ref = reference.get(row.dimension)
            other = narrative.group_label(row.dimension, ref) if ref else W.GAP_CELL_REST
            text = escape(W.GAP_CELL.format(group=group[:1].upper() + group[1:], value=kpi.display(row.value),
                                            other_value=kpi.display(row.baseline_value), other=other,
                                            reading=W.GAP_CELL_READING.get(row.reading, "")))
            groups.setdefault(who, []).insert(0, text)
            attrs[who] = {"data-finding": row.key, "data-reading": row.reading, "data-kind": row.kind}
        else:
            verb = W.GAP_VERB.get(row.assessment, row.assessment)
            change = W.GAP_CELL_CHANGE.format(group=group[:1].upper() + group[1:], verb=verb)
            span = (f'<span data-finding="{escape(row.key)}" data-reading="{escape(row.reading)}" '
                    f'data-kind="gap_change">')
            if who in attrs:
                groups[who].append(f"{span}{escape(W.GAP_CELL_ALSO.format(verb=verb))}</span>")
            else:
                groups.setdefault(who, []).append(f"{span}{escape(change)}</span>")
                attrs.setdefault(who, {})
    items = [(" ".join(parts), attrs.get(who) or {}) for who, parts in groups.items()]
    if items:
        return bullet_list(items, "vawg-gap-list")
    if not kpi.breakdowns:
        return escape(W.GAPS_NOT_BROKEN_DOWN)
    complete = report.breakdown("recording_completeness").loc[
        lambda d: (d["force"] == force) & (d["kpi_id"] == kpi.id)]
    if len(complete) and (complete["assessment"] != "complete_enough").all():
        return escape(W.GAPS_NOT_TESTED)
    return escape(W.GAPS_NONE_FOUND)


def scorecard(report: Report, force: str) -> Table:
    """One row per indicator: the force's figure, England and Wales's, its place among the
    forces, the year-on-year assessment, the latest quarter's process-control reading and the
    force's gaps between groups of victims."""
    national = force_names().national
    findings = register(report)
    findings = findings.loc[findings["force"] == force]
    c = {k: v.format(force=force) for k, v in W.SCORECARD_COLUMNS.items()}
    rows = []
    for kpi_id in report.kpi_ids():
        kpi = report.registry[kpi_id]
        mine, nation = report.row(force, kpi_id), report.row(national, kpi_id)
        standing = report.standing(force, kpi_id)
        assessment = W.MISSING if mine is None else (
            W.NOT_PUBLISHED if bool(getattr(mine, "suppressed", False))
            else W.ASSESSMENT_LABELS.get(mine.assessment, mine.assessment))
        rows.append({c["indicator"]: kpi.name, c["force"]: _value(kpi, mine),
                     c["national"]: _value(kpi, nation), c["position"]: position_label(kpi, standing),
                     c["yoy"]: assessment, c["spc"]: spc_label(standing),
                     c["gaps"]: _gap_items(report, force, kpi, findings)})
    caption = W.SCORECARD_CAPTION.format(force=force, year_ending=report.period.year_ending)
    return Table(pd.DataFrame(rows), caption, html_columns=[c["gaps"]], classes="vawg-scorecard",
                 cell_classes={c["yoy"]: "vawg-assessment"})


def scorecard_key(force: str) -> str:
    """How to read the scorecard (Markdown)."""
    return W.SCORECARD_KEY.format(force=force, glossary=W.GLOSSARY_PAGE + "#glossary-funnel-plot")


def _question(report: Report, row) -> str:
    kpi = report.registry[row.kpi_id]
    name = kpi.name
    reference = report.registry.breakdown_settings.reference.get(row.dimension)
    template = W.QUESTIONS.get((row.kind, row.reading))
    if template is None:
        return ""
    group = narrative.group_label(row.dimension, row.category) if row.dimension else ""
    values = {
        "kpi": name, "before": kpi.display(row.baseline_value), "now": kpi.display(row.value),
        "verb": W.VERB_ROSE_FELL.get(row.assessment, W.CHANGED_VERB.get(row.assessment, "changed")),
        "detail": row.detail or W.ASSESSMENT_LABELS.get(row.assessment, ""),
        "group": group, "value": kpi.display(row.value), "other_value": kpi.display(row.baseline_value),
        "other": narrative.comparator_label(row.dimension, reference) if row.dimension else "",
        "national": kpi.display(row.baseline_value),
    }
    if row.kind in ("gap_change", "spc"):
        values["kpi"] = mid_sentence(name)
    text = template.format(**values)
    return text[:1].upper() + text[1:]


def mid_sentence(name: str) -> str:
    """A KPI's name inside a sentence: "arrests per ..." but "VAWG offences"."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _recording_questions(report: Report, force: str) -> list[str]:
    rows = report.breakdown("recording_completeness").loc[
        lambda d: (d["force"] == force) & (d["assessment"] == "incomplete_recording")]
    threshold = report.registry.breakdown_settings.completeness_threshold
    out = []
    for row in rows.itertuples():
        word = vocabulary().dimension_words.get(row.dimension, row.dimension)
        share = narrative.percent(row.value)
        if round(row.value * 100) >= round(threshold * 100):  # 79.6% is below 80%: say so
            share = f"{row.value:.1%}"
        out.append(W.QUESTION_RECORDING.format(
            word=word, share=share,
            kpi=mid_sentence(report.registry[row.kpi_id].name), threshold=threshold))
    return out


def questions(report: Report, force: str) -> Html:
    """Questions a police and crime commissioner could put to the force, from its findings:
    concerns first, then recording too incomplete to compare groups, context, successes."""
    findings = register(report)
    # Each finding once: the count-once rows, and a break once for the force (it is counted once
    # across forces in the headline counts, so here every force's rows are candidates).
    findings = findings.loc[(findings["force"] == force)
                            & (findings["counted"].astype(bool) | (findings["reading"] == "not_comparable"))]
    asked: list[tuple[str, dict]] = []
    for reading in QUESTION_ORDER:
        if reading == "recording":
            asked += [(q, {"data-question": "recording"}) for q in _recording_questions(report, force)]
            continue
        mine = findings.loc[findings["reading"] == reading]
        if reading == "not_comparable":  # one question for each break, not for each indicator
            mine = mine.drop_duplicates("detail")
        for row in mine.itertuples():
            text = _question(report, row)
            if text:
                asked.append((text, {"data-question": row.key}))
    shown = asked[:MAX_QUESTIONS]
    if not shown:
        shown = [(W.QUESTION_NONE, {"data-question": "none"})]
    markup = (f"<h2>{escape(W.QUESTIONS_HEADING)}</h2>"
              f"<p>{escape(W.QUESTIONS_INTRO.format(force=force))}</p>"
              + bullet_list([(escape(q), a) for q, a in shown], "vawg-questions"))
    more = len(asked) - len(shown)
    if more > 0:
        noun = W.QUESTIONS_MORE_NOUN[0 if more == 1 else 1].format(force=force)
        markup += f"<p>{escape(W.QUESTIONS_MORE.format(count=more, noun=noun, force=force))}</p>"
    text = "\n".join(f"- {q}" for q, _ in shown)
    return Html(f'<section class="vawg-questions-section">{markup}</section>', text)


# ---------------------------------------------------------------- every force at a glance

def _cell(report: Report, kpi: Kpi, force: str) -> tuple[str, str]:
    """A grid cell (HTML) and its words, for one force and KPI."""
    row = report.row(force, kpi.id)
    value = _value(kpi, row)
    standing = report.standing(force, kpi.id)
    position = "" if standing is None or kpi.kind == "count" else standing["funnel_position"]
    reading = "" if standing is None else standing["funnel_reading"]
    symbol = {"above": "▲", "below": "▼", "within": "●"}.get(position, "")
    sign = W.OVERVIEW_READING_SIGN.get(reading, "") if position in ("above", "below") else ""
    assessment = "" if row is None or bool(getattr(row, "suppressed", False)) else row.assessment
    if kpi.direction in W.OVERVIEW_UP_DOWN and assessment in W.OVERVIEW_UP_DOWN[kpi.direction]:
        arrow = W.OVERVIEW_UP_DOWN[kpi.direction][assessment]
    else:
        arrow = W.OVERVIEW_CHANGE.get(assessment, "") if assessment in ("increase", "decrease") else ""
    words = W.OVERVIEW_CELL_WORDS.format(
        kpi=kpi.short, force=force, value=value,
        position=(W.OVERVIEW_POSITION_WORDS.get(position, "") + W.OVERVIEW_READING_WORDS.get(reading, ""))
        if kpi.kind != "count" else W.POSITION_NONE["count"].lstrip("– ").lower(),
        change=W.OVERVIEW_CHANGE_WORDS.get(assessment, ""))
    seen = " ".join(p for p in (f"{symbol}{sign}", value, arrow) if p)
    markup = f'<span aria-hidden="true">{escape(seen)}</span><span class="vawg-sr">{escape(words)}</span>'
    return markup, seen


def overview(report: Report) -> Table:
    """Every force (and England and Wales) × every indicator: the figure, where the force sits
    among the forces, and a change from the year before unlikely to be chance."""
    national = force_names().national
    places = [national, *force_names().territorial]
    kpis = [report.registry[k] for k in report.kpi_ids()]
    frame = {W.OVERVIEW_FORCE: [escape(national)] + [
        f'<a href="force-{slug(f)}.html">{escape(f)}</a>' for f in force_names().territorial]}
    text_frame = {W.OVERVIEW_FORCE: places}
    for kpi in kpis:
        cells = [_cell(report, kpi, p) for p in places]
        frame[kpi.short] = [c[0] for c in cells]
        text_frame[kpi.short] = [c[1] for c in cells]
    table = Table(pd.DataFrame(frame), W.OVERVIEW_CAPTION, stack=False,
                  html_columns=list(frame), classes="vawg-overview")
    table.text = W.OVERVIEW_CAPTION + "\n" + pd.DataFrame(text_frame).to_string(index=False)
    return table


def overview_key() -> str:
    return W.OVERVIEW_KEY + " " + W.OVERVIEW_SCROLL


__all__ = ["inline_markdown", "overview", "overview_key", "questions", "scorecard", "scorecard_key"]


def heading(force: str) -> str:
    """The scorecard's heading (Markdown)."""
    return "## " + W.SCORECARD_TITLE.format(force=force)


#: Ends a force's card in the built page, so the print edition can take it alone.
CARD_END = "<!-- end of the force's scorecard -->"


def card(report: Report, force: str) -> Html:
    """The top of a force's page, one screen and one printed A4 page: the scorecard, how to read
    it, and the questions the force's findings prompt."""
    table, asked = scorecard(report, force), questions(report, force)
    key = inline_markdown(scorecard_key(force))
    markup = (f'<section class="vawg-card" data-force="{escape(force)}">'
              f"<h2>{escape(W.SCORECARD_TITLE.format(force=force))}</h2>{table.markup}"
              f'<p class="vawg-card-key">{key}</p>{asked.markup}</section>{CARD_END}')
    return Html(markup, table.text + "\n" + asked.text)
