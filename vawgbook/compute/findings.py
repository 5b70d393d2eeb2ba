"""The findings register: every finding a reader is told, one row each (``findings.csv``).

Every page that counts or lists findings (the summary, what is and isn't working, what changed,
the force pages, visible in the data) reads this table, so they cannot disagree. A finding is
one of:

``change``
    a year-on-year change unlikely to be chance (or a comparison a registered break prevents);
``gap``
    a difference between a group of victims and its comparison group unlikely to be chance;
``gap_change``
    a gap that widened, narrowed or reversed;
``outlier``
    a force beyond the 99.8% limits of its indicator's funnel plot (last 12 months);
``spc``
    a special-cause signal in the latest quarter of a process-control (XmR) chart.

Which results are findings, and how each reads (``better``, ``worse``, ``neutral`` for context
indicators or gaps in a group's favour, ``not_comparable``), is decided by one mapping,
:data:`FINDING_RULES`: a new assessment word or finding kind is one entry there (and its words
in :mod:`vawgbook.words`).

Beside the register this module makes :func:`variation` (each force's place on the funnel plot
and each place's latest process-control reading, for every indicator, findings or not) and
:func:`scope` (which forces every England and Wales figure covers). Funnel plots and process
control are computed here once, from the results as written (suppressed figures stay unknown),
with the same functions the charts use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import words as W
from ..config import Kpi, Registry, force_names, vocabulary
from ..periods import restarts
from ..stats import funnel, spc
from ..stats.comparison import funnel_plot

KINDS = ("change", "gap", "gap_change", "outlier", "spc")
READINGS = ("better", "worse", "neutral", "not_comparable")
STATUSES = ("new", "continuing", "resolved")
#: The register's columns, in order (the README lists them).
COLUMNS = [
    "period", "key", "kind", "force", "scope", "forces_in_scope", "pillar", "kpi_id", "kpi_name",
    "dimension", "category", "comparison", "assessment", "reading", "value", "baseline_value",
    "change", "q_value", "detail", "family", "counted", "status",
]
VARIATION_COLUMNS = [
    "period", "force", "kpi_id", "value", "national_value", "funnel_signal", "funnel_position",
    "funnel_reading", "funnel_method", "spc_icon", "spc_rule", "spc_note",
]
SCOPE_COLUMNS = ["period", "kpi_id", "dimension", "forces_in_scope", "forces", "left_out", "scope"]
#: Where a KPI sits on its funnel plot, from the PHE label (99.8% limits).
POSITIONS = {funnel.HIGH_999: "above", funnel.LOW_999: "below", funnel.HIGH_95: "within",
             funnel.LOW_95: "within", funnel.NOT_SIGNIFICANT: "within"}
IMPROVEMENT = {"higher_is_better": "increase", "lower_is_better": "decrease", "context": "neutral"}


# ---------------------------------------------------------------- how each finding reads

def _high(kpi: Kpi, row) -> str:
    """A finding that the value is high: better if higher is better, and so on."""
    return {"higher_is_better": "better", "lower_is_better": "worse"}.get(kpi.direction, "neutral")


def _low(kpi: Kpi, row) -> str:
    return {"higher_is_better": "worse", "lower_is_better": "better"}.get(kpi.direction, "neutral")


def group_worse_off(kpi: Kpi, gap: float) -> bool | None:
    """Whether a gap (group minus comparison group) leaves the group worse off; None for a
    context indicator or an unknown gap."""
    if kpi.direction == "context" or gap != gap:
        return None
    return gap < 0 if kpi.direction == "higher_is_better" else gap > 0


def _group_side(kpi: Kpi, row) -> str:
    """A gap between groups (a ``disparity`` row: ``change`` is the gap) is a concern when it
    leaves the group worse off; a gap in the group's favour is reported without a judgement."""
    return "worse" if group_worse_off(kpi, row.change) else "neutral"


def _gap_now(kpi: Kpi, row) -> str:
    """A widened gap (a ``gap_change`` row: ``value`` is the gap now) is a concern when it leaves
    the group worse off."""
    return "worse" if group_worse_off(kpi, row.value) else "neutral"


def _gap_before(kpi: Kpi, row) -> str:
    """A narrowed gap is an improvement when the group was worse off."""
    return "better" if group_worse_off(kpi, row.baseline_value) else "neutral"


def _gap_sign(kpi: Kpi, row) -> str:
    """A reversed gap: worse if the group is now worse off, better if it no longer is."""
    worse = group_worse_off(kpi, row.value)
    return "neutral" if worse is None else ("worse" if worse else "better")


def _fixed(reading: str) -> Callable[[Kpi, object], str]:
    return lambda kpi, row: reading


def _within_side(kpi: Kpi, row) -> str:
    """A gap within forces (a ``disparity_within_forces`` row: ``value`` is the gap)."""
    return "worse" if group_worse_off(kpi, row.value) else "neutral"


@dataclass(frozen=True)
class Rule:
    """A results row that is a finding: its kind, how it reads, and where it can be one
    (``forces``, ``national`` or ``all``)."""

    kind: str
    reading: Callable[[Kpi, object], str]
    where: str = "all"

    def applies(self, force: str) -> bool:
        national = force == force_names().national
        return self.where == "all" or (self.where == "national") == national


#: (comparison, assessment) -> the finding it is. ``funnel`` rows are positions on a funnel plot,
#: ``spc`` rows the latest quarter's Making Data Count variation icon. Anything not here is not a
#: finding (no evidence of change, too little data, incomplete recording, within the limits).
FINDING_RULES: dict[tuple[str, str], Rule] = {
    ("year_on_year", "improving"): Rule("change", _fixed("better")),
    ("year_on_year", "deteriorating"): Rule("change", _fixed("worse")),
    ("year_on_year", "increase"): Rule("change", _fixed("neutral")),
    ("year_on_year", "decrease"): Rule("change", _fixed("neutral")),
    ("year_on_year", "not_comparable"): Rule("change", _fixed("not_comparable")),
    # A force's gap between groups is its own; England and Wales's is the gap within forces (the
    # gap across the country alone can come from where each group's victims live: Simpson's
    # paradox), so the crude national rows are shown on the page but are not findings.
    ("disparity", "higher"): Rule("gap", _group_side, "forces"),
    ("disparity", "lower"): Rule("gap", _group_side, "forces"),
    ("gap_change", "gap_widened"): Rule("gap_change", _gap_now, "forces"),
    ("gap_change", "gap_narrowed"): Rule("gap_change", _gap_before, "forces"),
    ("gap_change", "gap_reversed"): Rule("gap_change", _gap_sign, "forces"),
    ("disparity_within_forces", "higher"): Rule("gap", _within_side, "national"),
    ("disparity_within_forces", "lower"): Rule("gap", _within_side, "national"),
    ("gap_change_within_forces", "gap_widened"): Rule("gap_change", _gap_now, "national"),
    ("gap_change_within_forces", "gap_narrowed"): Rule("gap_change", _gap_before, "national"),
    ("gap_change_within_forces", "gap_reversed"): Rule("gap_change", _gap_sign, "national"),
    ("funnel", "above"): Rule("outlier", _high),
    ("funnel", "below"): Rule("outlier", _low),
    ("spc", "improvement_high"): Rule("spc", _fixed("better")),
    ("spc", "improvement_low"): Rule("spc", _fixed("better")),
    ("spc", "concern_high"): Rule("spc", _fixed("worse")),
    ("spc", "concern_low"): Rule("spc", _fixed("worse")),
    ("spc", "neutral_high"): Rule("spc", _fixed("neutral")),
    ("spc", "neutral_low"): Rule("spc", _fixed("neutral")),
}


def key(kind: str, force: str, kpi_id: str, dimension: str, category: str, assessment: str) -> str:
    """A finding's stable key: the same finding in two periods has the same key."""
    return "|".join((kind, force, kpi_id, dimension, category, assessment))


def families(registry: Registry) -> dict[str, str]:
    """Each KPI's "count once" family: a KPI the registry says restates another
    (``same_finding_as``: VAWG offences per 1,000 women and girls restates VAWG offences
    recorded) is one finding with it in headline counts. The family is named by the KPI it
    restates (followed to the first of a chain)."""
    by_id = {k.id: k for k in registry.kpis}
    out = {}
    for kpi in registry.kpis:
        root, seen = kpi, {kpi.id}
        while getattr(root, "same_finding_as", None) in by_id and root.same_finding_as not in seen:
            root = by_id[root.same_finding_as]
            seen.add(root.id)
        out[kpi.id] = root.id
    return out


# ---------------------------------------------------------------- scope of national figures

def _template_pattern(template: str, **fields: str) -> re.Pattern:
    """A regular expression matching a words template, its fields captured."""
    pattern = re.escape(template)
    for name, group in fields.items():
        pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>{group})")
    return re.compile(pattern)


_EXCLUDING = _template_pattern(W.NATIONAL_EXCLUDING, forces=".+?")
_BREAKDOWN_SOME = _template_pattern(W.BREAKDOWN_NATIONAL_SOME, included=r"\d+", left_out=r"\d+",
                                    years=f"(?:{re.escape(W.BREAKDOWN_BOTH_YEARS)})?")


def scope(results: pd.DataFrame, quarterly: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """Which forces each England and Wales figure covers: one row per KPI (``dimension`` blank)
    and per KPI and breakdown, with the number of forces, those left out and the words."""
    national, forces = force_names().national, list(force_names().territorial)
    period = str(results["period"].iloc[0]) if len(results) else ""
    rows = results.loc[results["force"] == national]
    out = []
    for kpi in registry.kpis:
        mine = rows.loc[rows["kpi_id"] == kpi.id]
        if mine.empty:
            continue
        totals = mine.loc[mine["dimension"] == ""] if "dimension" in mine else mine
        notes = " ".join(str(n) for n in totals["note"].dropna())
        found = _EXCLUDING.search(notes)
        left_out = found["forces"].split("; ") if found else []
        included = len(forces) - len(left_out)
        q = quarterly.loc[(quarterly["kpi_id"] == kpi.id) & (quarterly["force"] == national)
                          & (quarterly["period"] == period)]
        if not found and len(q) and q["forces"].notna().all():
            included = int(q["forces"].iloc[0])  # the notes did not say: trust the series
        out.append({"period": period, "kpi_id": kpi.id, "dimension": "", "forces_in_scope": included,
                    "forces": len(forces), "left_out": "; ".join(left_out),
                    "scope": scope_words(included, len(forces), left_out)})
        for dim in kpi.breakdowns:
            part = mine.loc[mine["dimension"] == dim] if "dimension" in mine else mine.iloc[0:0]
            if part.empty:
                continue
            notes = " ".join(str(n) for n in part["note"].dropna())
            some = _BREAKDOWN_SOME.search(notes)
            if some:
                n_in = int(some["included"])
            elif W.BREAKDOWN_NATIONAL_ALL in notes:
                n_in = len(forces)
            else:
                complete = results.loc[(results["kpi_id"] == kpi.id) & (results["dimension"] == dim)
                                       & (results["comparison"] == "recording_completeness")
                                       & (results["force"] != national)]
                n_in = int((complete["assessment"] == "complete_enough").sum())
            out.append({"period": period, "kpi_id": kpi.id, "dimension": dim, "forces_in_scope": n_in,
                        "forces": len(forces), "left_out": "",
                        "scope": breakdown_scope_words(n_in, len(forces), dim, registry)})
    return pd.DataFrame(out, columns=SCOPE_COLUMNS)


def scope_words(included: int, total: int, left_out: list[str]) -> str:
    """England and Wales, and which forces it covers, for a reader."""
    if included <= 0:
        return W.SCOPE_NATIONAL_NONE
    if included >= total:
        return W.SCOPE_NATIONAL_ALL.format(forces=total)
    if len(left_out) <= W.SCOPE_NAMES_UP_TO and left_out:
        return W.SCOPE_NATIONAL_NAMED.format(included=included, forces=total,
                                             names=_and(left_out))
    return W.SCOPE_NATIONAL_SOME.format(included=included, forces=total, left_out=total - included)


def breakdown_scope_words(included: int, total: int, dimension: str, registry: Registry) -> str:
    word = vocabulary().dimension_words.get(dimension, dimension)
    threshold = registry.breakdown_settings.completeness_threshold
    if included <= 0:
        return W.SCOPE_BREAKDOWN_NONE.format(word=word)
    if included >= total:
        return W.SCOPE_BREAKDOWN_ALL.format(forces=total, word=word, threshold=threshold)
    return W.SCOPE_BREAKDOWN_SOME.format(included=included, forces=total, word=word,
                                         threshold=threshold)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ---------------------------------------------------------------- funnel plots and process control

def _funnel_rows(results: pd.DataFrame, kpi: Kpi) -> tuple[pd.DataFrame, object]:
    """The forces on a KPI's 12-month funnel plot, and the plot (None for counts or too few)."""
    if kpi.kind == "count":
        return results.iloc[0:0], None
    rows = results.loc[(results["kpi_id"] == kpi.id) & (results["comparison"] == "year_on_year")
                       & (results["force"] != force_names().national)]
    if "dimension" in rows:
        rows = rows.loc[rows["dimension"] == ""]
    rows = rows.dropna(subset=["numerator", "denominator"])
    rows = rows.loc[(rows["denominator"] > 0) & (rows["numerator"] >= 0)]
    if kpi.kind == "proportion":
        rows = rows.loc[rows["numerator"] <= rows["denominator"]]
    plot = funnel_plot(rows["numerator"].to_numpy(float), rows["denominator"].to_numpy(float),
                       "proportion" if kpi.kind == "proportion" else "ratio")
    return rows, plot


def funnel_points(results: pd.DataFrame, kpi: Kpi) -> pd.DataFrame:
    """Each force on the KPI's funnel plot: ``force, numerator, denominator, value, signal,
    position`` (``above``, ``within``, ``below`` the 99.8% limits); empty for counts."""
    rows, plot = _funnel_rows(results, kpi)
    if plot is None:
        return pd.DataFrame(columns=["force", "numerator", "denominator", "value", "signal",
                                     "position", "method"])
    x, n = rows["numerator"].to_numpy(float), rows["denominator"].to_numpy(float)
    return pd.DataFrame({"force": rows["force"].to_numpy(), "numerator": x, "denominator": n,
                         "value": x / n * kpi.multiplier, "signal": plot.signal,
                         "position": [POSITIONS[s] for s in plot.signal], "method": plot.method})


def series(quarterly: pd.DataFrame, kpi_id: str, place: str) -> pd.DataFrame:
    """A place's quarterly series of a KPI from its first quarter with data (or a withheld
    figure) to the latest."""
    data = quarterly.loc[(quarterly["kpi_id"] == kpi_id) & (quarterly["force"] == place)]
    hidden = data["suppressed"].astype(bool) if "suppressed" in data else pd.Series(False, index=data.index)
    has = data["value"].notna() | hidden
    if not has.any():
        return data.iloc[0:0]
    return data.iloc[int(np.argmax(has.to_numpy())):]


def spc_reading(quarterly: pd.DataFrame, kpi: Kpi, place: str, period: str, breaks=()) -> dict:
    """The latest quarter's process-control reading for one place: ``icon`` (Making Data Count
    variation icon, blank when not assessed), ``rule``, ``note`` (why not assessed),
    ``value`` and ``mean`` of the latest quarter. Limits restart at each registered break
    (``registry.breaks_for``), as on the chart."""
    data = series(quarterly, kpi.id, place)
    hidden = data["suppressed"].astype(bool).to_numpy() if "suppressed" in data else np.zeros(len(data), bool)
    blank = {"icon": "", "rule": "", "value": np.nan, "mean": np.nan}
    if data.empty or data["value"].isna().all():
        return {**blank, "note": "no_data"}
    if hidden.any():
        # Limits from the published quarters alone would sit too high (the withheld ones are
        # the small ones): not assessed.
        return {**blank, "note": "withheld_quarters"}
    if str(data["period"].iloc[-1]) != period or data["value"].isna().iloc[-1]:
        return {**blank, "note": "no_latest_quarter"}
    restart = restarts(data["period"], [b.first_quarter for b in breaks])
    chart = spc.xmr(data["value"].to_numpy(float), improvement=IMPROVEMENT[kpi.direction],
                    recalc_at=restart or None)
    icon = spc.variation_icon(chart, IMPROVEMENT[kpi.direction]) or ""
    last = chart.iloc[-1]
    return {"icon": icon, "rule": last["rule"] or "", "note": "",
            "value": float(last["value"]), "mean": float(last["mean"])}


def variation(results: pd.DataFrame, quarterly: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """Every place and KPI: the force's position on the funnel plot and the latest quarter's
    process-control reading (``VARIATION_COLUMNS``)."""
    national = force_names().national
    places = [national, *force_names().territorial]
    period = str(results["period"].iloc[0]) if len(results) else ""
    totals = results.loc[(results["comparison"] == "year_on_year")]
    if "dimension" in totals:
        totals = totals.loc[totals["dimension"] == ""]
    present = set(totals["kpi_id"])
    out = []
    for kpi in registry.kpis:
        if kpi.id not in present:
            continue
        mine = totals.loc[totals["kpi_id"] == kpi.id].set_index("force")
        points = funnel_points(results, kpi).set_index("force")
        national_value = mine["value"].get(national, np.nan)
        for place in places:
            reading = spc_reading(quarterly, kpi, place, period,
                                  registry.breaks_for(kpi.id, place, national))
            signal = points["signal"].get(place, "")
            position = points["position"].get(place, "")
            method = points["method"].get(place, "")
            if position in ("above", "below"):
                funnel_reading = FINDING_RULES[("funnel", position)].reading(kpi, None)
            else:
                funnel_reading = "similar" if position == "within" else ""
            out.append({"period": period, "force": place, "kpi_id": kpi.id,
                        "value": mine["value"].get(place, np.nan), "national_value": national_value,
                        "funnel_signal": signal, "funnel_position": position,
                        "funnel_reading": funnel_reading, "funnel_method": method,
                        "spc_icon": reading["icon"], "spc_rule": reading["rule"],
                        "spc_note": reading["note"], "spc_value": reading["value"],
                        "spc_mean": reading["mean"]})
    frame = pd.DataFrame(out)
    if frame.empty:
        return pd.DataFrame(columns=[*VARIATION_COLUMNS, "spc_value", "spc_mean"])
    return frame[[*VARIATION_COLUMNS, "spc_value", "spc_mean"]]


# ---------------------------------------------------------------- the register

def _scope_of(force: str, kpi_id: str, dimension: str, scopes: pd.DataFrame) -> tuple[str, int]:
    if force != force_names().national:
        return force, 1
    match = scopes.loc[(scopes["kpi_id"] == kpi_id) & (scopes["dimension"] == dimension)]
    if match.empty:
        return force, len(force_names().territorial)
    return str(match["scope"].iloc[0]), int(match["forces_in_scope"].iloc[0])


def register(results: pd.DataFrame, quarterly: pd.DataFrame, registry: Registry,
             positions: pd.DataFrame | None = None, scopes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every finding of a period (``COLUMNS``; ``status`` blank until :func:`compare`).

    ``positions`` and ``scopes`` are :func:`variation` and :func:`scope` of the same results,
    computed here when not given.
    """
    positions = variation(results, quarterly, registry) if positions is None else positions
    scopes = scope(results, quarterly, registry) if scopes is None else scopes
    family = families(registry)
    order = {k.id: i for i, k in enumerate(registry.kpis)}
    places = {f: i for i, f in enumerate([force_names().national, *force_names().territorial])}
    out = []

    def add(kind_rule: Rule, kpi: Kpi, row, comparison: str, assessment: str, force: str,
            dimension: str, category: str, value: float, baseline: float, change: float,
            q: float, detail: str) -> None:
        where, n_in = _scope_of(force, kpi.id, dimension, scopes)
        out.append({
            "period": str(row.period),
            "key": key(kind_rule.kind, force, kpi.id, dimension, category, assessment),
            "kind": kind_rule.kind, "force": force, "scope": where, "forces_in_scope": n_in,
            "pillar": kpi.pillar, "kpi_id": kpi.id, "kpi_name": kpi.name, "dimension": dimension,
            "category": category, "comparison": comparison, "assessment": assessment,
            "reading": kind_rule.reading(kpi, row), "value": value, "baseline_value": baseline,
            "change": change, "q_value": q, "detail": detail, "family": family[kpi.id],
        })

    suppressed = results["suppressed"].astype(str).str.lower().eq("true") if "suppressed" in results \
        else pd.Series(False, index=results.index)
    for row in results.loc[~suppressed].itertuples():
        rule = FINDING_RULES.get((row.comparison, row.assessment))
        if rule is None or row.kpi_id not in order or not rule.applies(row.force):
            continue
        kpi = registry[row.kpi_id]
        dimension = getattr(row, "dimension", "") or ""
        category = getattr(row, "category", "") or ""
        detail = str(row.note) if row.assessment == "not_comparable" and isinstance(row.note, str) else ""
        add(rule, kpi, row, row.comparison, row.assessment, row.force, dimension, category,
            row.value, row.baseline_value, row.change, row.q_value, detail)
    for row in positions.itertuples():
        if row.kpi_id not in order:
            continue
        kpi = registry[row.kpi_id]
        if row.funnel_position in ("above", "below"):
            add(FINDING_RULES[("funnel", row.funnel_position)], kpi, row, "funnel", row.funnel_position,
                row.force, "", "", row.value, row.national_value, row.value - row.national_value,
                np.nan, row.funnel_method)
        rule = FINDING_RULES.get(("spc", row.spc_icon))
        if rule is not None:
            add(rule, kpi, row, "spc", row.spc_icon, row.force, "", "", row.spc_value, row.spc_mean,
                row.spc_value - row.spc_mean, np.nan, row.spc_rule)
    frame = pd.DataFrame(out, columns=[c for c in COLUMNS if c not in ("counted", "status")])
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame["_order"] = list(zip(
        [KINDS.index(k) for k in frame["kind"]], [places.get(f, len(places)) for f in frame["force"]],
        [order[k] for k in frame["kpi_id"]], frame["dimension"], frame["category"], frame["assessment"],
        strict=True))
    frame = frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    # Counted once: a KPI and the one it restates are one finding; and a registered break is one
    # finding per indicator it touches, however many forces it touches (England and Wales apart).
    breaks = frame["reading"] == "not_comparable"
    national = force_names().national
    frame["_where"] = np.where(breaks & (frame["force"] != national), "forces", frame["force"])
    frame["_break"] = np.where(breaks, frame["detail"], "")
    frame["counted"] = ~frame.duplicated(["kind", "_where", "family", "dimension", "category",
                                          "assessment", "_break"])
    frame = frame.drop(columns=["_where", "_break"])
    frame["status"] = ""
    return frame[COLUMNS]


def compare(current: pd.DataFrame, previous: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """This period's register with ``status`` ``new`` or ``continuing`` against the previous
    period's, and the previous findings no longer found (``status`` ``resolved``).

    Without a previous register, ``status`` stays blank and nothing is resolved.
    """
    current = current.copy()
    if previous is None:
        return current, pd.DataFrame(columns=COLUMNS)
    before = set(previous["key"])
    current["status"] = ["continuing" if k in before else "new" for k in current["key"]]
    resolved = previous.loc[~previous["key"].isin(set(current["key"]))].copy()
    resolved["status"] = "resolved"
    return current, resolved[COLUMNS].reset_index(drop=True)


@dataclass
class Register:
    """A period's findings and the tables beside them (the files :func:`tables` names)."""

    findings: pd.DataFrame
    resolved: pd.DataFrame
    variation: pd.DataFrame
    scope: pd.DataFrame


def build(results: pd.DataFrame, quarterly: pd.DataFrame, registry: Registry,
          previous: pd.DataFrame | None = None) -> Register:
    """The register of a period (results and quarterly series as written), compared with the
    previous period's register when given."""
    positions = variation(results, quarterly, registry)
    scopes = scope(results, quarterly, registry)
    findings, resolved = compare(register(results, quarterly, registry, positions, scopes), previous)
    return Register(findings, resolved, positions, scopes)
