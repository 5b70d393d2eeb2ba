"""Charts for the book: one theme, a colour-blind-safe palette, rendered offline.

Charts are drawn with altair and rendered to SVG by vl-convert on the machine that runs the
notebooks, so nothing is fetched when the book is read. Each chart reaches the page as a
:class:`Figure`: an image with its text alternative as ``alt`` text and caption; the data
behind it is a table on the same page.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json

import altair as alt
import numpy as np
import pandas as pd

from .. import words as W
from ..config import Kpi, force_names
from ..periods import Quarter

# Okabe & Ito (2008), "Color universal design": distinguishable with the common colour-vision
# deficiencies. Lines also differ in dash pattern, so colour is never the only cue.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
FONT = "DejaVu Sans, Arial, sans-serif"
WIDTH, HEIGHT = 560, 240
VEGA_LITE_MIMETYPE = "application/vnd.vegalite.v5+json"


class Figure:
    """A chart with its text alternative, for notebooks and the book.

    In the book the chart is drawn in the reader's browser by Vega-Embed from the book's own
    static files (``vawgbook build`` writes them), so it is interactive and nothing is fetched
    from the internet; it fills the width of the page (a phone's included). JupyterLab draws the
    Vega-Lite output itself. The title and key are HTML above the chart, so they wrap on a narrow
    screen; the description is the chart's caption and accessible name.
    """

    def __init__(self, chart: alt.TopLevelMixin, description: str, title: str | None = None,
                 subtitle: str | None = None) -> None:
        self.chart = chart
        self.description = description
        self.title = title
        self.subtitle = subtitle

    def spec(self) -> dict:
        """The Vega-Lite spec; its ``$schema`` URL is dropped so the page names no web address."""
        # Not validated against the Vega-Lite schema here (a second or more per page); the tests
        # validate every kind of chart.
        spec = self.chart.to_dict(validate=False)
        spec.pop("$schema", None)
        return spec

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        spec = self.spec()
        text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
        # The id is a hash of the chart, so reruns give the same page; <, > and & are escaped
        # (as JSON allows) so that text from the data can never end or alter the script element.
        view = "vawg-chart-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        safe = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        caption = html.escape(self.description)
        head = ""
        if self.title:
            head += f'<p class="vawg-chart-title" aria-hidden="true">{html.escape(self.title)}</p>'
        if self.subtitle:
            head += f'<p class="vawg-chart-subtitle" aria-hidden="true">{html.escape(self.subtitle)}</p>'
        page = (
            f'<figure class="vawg-chart" aria-label="{caption}">{head}'
            f'<div id="{view}" class="vawg-chart-view" role="img" aria-label="{caption}"></div>'
            f'<figcaption>{caption}</figcaption>'
            f'<script type="application/json" id="{view}-spec">{safe}</script>'
            f'<script>vawgChart("{view}")</script></figure>'
        )
        return {"text/html": page, VEGA_LITE_MIMETYPE: spec, "text/plain": self.description}

    def __repr__(self) -> str:
        return self.description


# Defined once per page by the book's static script (see vawgbook.book): draws a chart from its
# JSON spec, or says why it cannot.
CHART_SCRIPT = """
window.vawgChart = function (id) {
  var target = document.getElementById(id);
  var spec = JSON.parse(document.getElementById(id + "-spec").textContent);
  if (!window.vegaEmbed) { target.textContent = "(The chart needs the book's vawgbook-charts.js.)"; return; }
  // Draw into a child, so that Vega-Embed's own role and label do not replace the chart's
  // description as its accessible name.
  var view = document.createElement("div");
  view.setAttribute("aria-hidden", "true");
  target.appendChild(view);
  window.vegaEmbed(view, spec, {actions: false, renderer: "svg"}).catch(function (error) {
    target.textContent = "(The chart could not be drawn: " + error + ")";
  });
};
"""


def _unchecked(build):
    """Build a chart without altair checking each piece against the Vega-Lite schema as it is
    made (a tenth of a force page's time); the same spec comes out, and every kind of chart is
    validated whole by the tests (tests/publish/test_charts.py)."""

    @functools.wraps(build)
    def quietly(*args, **kwargs):
        with alt.utils.schemapi.debug_mode(False):
            return build(*args, **kwargs)

    return quietly


def _stable(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers in a chart's data rounded to 10 significant figures (far below what a chart can
    show): the last bits of a float can differ between machines, and the stored golden notebooks
    must not."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = [float(f"{v:.10g}") for v in out[column]]
    return out


def _axis_format(kpi: Kpi) -> str:
    return ".1~%" if kpi.format.endswith("%") else (",.0f" if kpi.kind == "count" else ".2~f")


def _units(kpi: Kpi) -> str:
    unit = kpi.unit[:1].upper() + kpi.unit[1:]
    return f"{unit} (%)" if kpi.format.endswith("%") else unit


def _series(quarterly: pd.DataFrame, kpi: Kpi, places: list[str]) -> pd.DataFrame:
    data = quarterly.loc[(quarterly["kpi_id"] == kpi.id) & quarterly["force"].isin(places)]
    return data.assign(
        quarter=[Quarter.parse(p).label for p in data["period"]],
        display=[kpi.display(v) for v in data["value"]],
        place=data["force"],
    )[["quarter", "value", "display", "place"]]


#: One font, axis and key style for every chart (set on the chart, not copied into it).
THEME = {
    "font": FONT,
    "axis": {"labelFontSize": 11, "titleFontSize": 12, "gridColor": "#e5e5e5", "labelOverlap": "greedy"},
    "axisY": {"titleLimit": HEIGHT},
    "view": {"stroke": None},
    "legend": {"orient": "bottom", "direction": "vertical", "columns": 1, "labelLimit": 170,
               "titleFontSize": 11, "labelFontSize": 11, "symbolStrokeWidth": 2},
}


def _theme(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Fill the width of the page (a phone's too) at a fixed height; one font and axis style.

    Set in place (altair's ``properties``/``configure`` copy the whole chart each time, which
    made a force's page several seconds slower to run)."""
    chart.width = "container"
    chart.height = HEIGHT
    chart.autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    chart.config = alt.Config.from_dict(THEME)
    return chart


def describe(quarterly: pd.DataFrame, kpi: Kpi, force: str) -> str:
    """A text alternative for a chart of the quarterly series: span, first and latest values,
    range, and how many quarters are withheld as small numbers."""
    data = quarterly.loc[(quarterly["kpi_id"] == kpi.id) & (quarterly["force"] == force)]
    withheld = int(data["suppressed"].astype(bool).sum()) if "suppressed" in data else 0
    data = data.dropna(subset=["value"])
    if data.empty:
        return W.CHART_NO_DATA.format(kpi=kpi.name, place=force)
    first, last = data.iloc[0], data.iloc[-1]
    low, high = data["value"].min(), data["value"].max()
    text = W.CHART_DESCRIPTION.format(
        kpi=kpi.name, place=force, first=Quarter.parse(first["period"]).label,
        first_value=kpi.display(first["value"]), last=Quarter.parse(last["period"]).label,
        last_value=kpi.display(last["value"]), low=kpi.display(low), high=kpi.display(high))
    if withheld:
        noun = "quarter is" if withheld == 1 else "quarters are"
        text += W.CHART_WITHHELD.format(count=withheld, noun=noun)
    return text


POINT_STYLES = {
    # Making Data Count colours where they are colour-blind safe, with shapes as a second cue.
    "common_cause": (W.POINT_TYPES["common_cause"], "#6b6b6b", "circle"),
    "special_cause_improvement": (W.POINT_TYPES["special_cause_improvement"], PALETTE[0], "triangle-up"),
    "special_cause_concern": (W.POINT_TYPES["special_cause_concern"], PALETTE[5], "triangle-down"),
    "special_cause_neutral_high": (W.POINT_TYPES["special_cause_neutral_high"], PALETTE[3], "diamond"),
    "special_cause_neutral_low": (W.POINT_TYPES["special_cause_neutral_low"], PALETTE[3], "square"),
    "not_assessed": (W.POINT_TYPES["not_assessed"], "#6b6b6b", "circle"),
}
#: Lines of a process-control chart: (colour, dash); the place's own line is drawn in blue.
LINE_STYLES = {"average": ("#4d4d4d", [1, 0]), "limits": ("#4d4d4d", [5, 4]),
               "national": ("#000000", [2, 2])}


@_unchecked
def spc_chart(chart: pd.DataFrame, kpi: Kpi, place: str, national: pd.DataFrame | None = None) -> alt.Chart:
    """An XmR chart (from :func:`vawgbook.publish.variation.spc_for`): the quarterly values, their
    average and process limits, points marked by Making Data Count type; England and Wales
    beside a force for rates and proportions. Every line is in the key, and the key shows only
    what is drawn; a quarter withheld as small numbers is a gap in the line marked [c]."""
    order = [Quarter.parse(p).label for p in chart["period"]]
    x = alt.X("quarter:O", sort=order, title=W.AXIS_QUARTER, axis=alt.Axis(labelAngle=-45))
    y_axis = alt.Axis(format=_axis_format(kpi))
    scale = alt.Scale(zero=kpi.kind == "count")
    # Lines, in long form so that each is named in the key: the place, the average, the limits
    # (two lines, one entry) and England and Wales.
    series = {"place": place, "average": W.SERIES_AVERAGE, "limits": W.SERIES_LIMITS,
              "national": force_names().national}
    parts = [pd.DataFrame({"quarter": order, "value": chart["value"].to_numpy(float),
                           "series": place, "part": "place"})]
    if chart["mean"].notna().any():
        parts.append(pd.DataFrame({"quarter": order, "value": chart["mean"].to_numpy(float),
                                   "series": series["average"], "part": "average"}))
        for side in ("upper_limit", "lower_limit"):
            parts.append(pd.DataFrame({"quarter": order, "value": chart[side].to_numpy(float),
                                       "series": series["limits"], "part": side}))
    if national is not None and place != force_names().national and kpi.kind != "count":
        nat = _series(national, kpi, [force_names().national]).set_index("quarter")["value"]
        nat = nat.reindex(order)
        if nat.notna().any():
            parts.append(pd.DataFrame({"quarter": order, "value": nat.to_numpy(float),
                                       "series": series["national"], "part": "national"}))
    lines = pd.concat(parts, ignore_index=True)
    drawn = list(dict.fromkeys(lines.loc[lines["value"].notna(), "series"]))
    styles = {place: (PALETTE[0], [1, 0]), series["average"]: LINE_STYLES["average"],
              series["limits"]: LINE_STYLES["limits"], series["national"]: LINE_STYLES["national"]}
    line_layer = alt.Chart(_stable(lines)).mark_line(strokeWidth=2).encode(
        x=x, y=alt.Y("value:Q", title=_units(kpi), axis=y_axis, scale=scale), detail="part:N",
        color=alt.Color("series:N", title=W.SERIES_LINES, sort=drawn, scale=alt.Scale(
            domain=drawn, range=[styles[d][0] for d in drawn])),
        strokeDash=alt.StrokeDash("series:N", title=W.SERIES_LINES, sort=drawn, scale=alt.Scale(
            domain=drawn, range=[styles[d][1] for d in drawn])))
    data = chart.assign(quarter=order, display=[kpi.display(v) for v in chart["value"]],
                        type=[POINT_STYLES[t][0] if t in POINT_STYLES else W.NO_VALUE
                              for t in chart["point_type"]])
    data = data.loc[data["value"].notna(), ["quarter", "value", "display", "type"]]
    present = [v for v in POINT_STYLES.values() if v[0] in set(data["type"])]
    points = alt.Chart(_stable(data)).mark_point(filled=True, size=60).encode(
        x=x, y=alt.Y("value:Q", scale=scale),
        color=alt.Color("type:N", title=W.LEGEND_QUARTER, scale=alt.Scale(
            domain=[s[0] for s in present], range=[s[1] for s in present])),
        shape=alt.Shape("type:N", title=W.LEGEND_QUARTER, scale=alt.Scale(
            domain=[s[0] for s in present], range=[s[2] for s in present])),
        tooltip=[alt.Tooltip("quarter:O", title=W.TOOLTIP_QUARTER), alt.Tooltip("display:N", title=kpi.name),
                 alt.Tooltip("type:N", title=W.TOOLTIP_VARIATION)])
    layers = [line_layer, points]
    withheld = [q for q, h in zip(order, chart["withheld"], strict=True) if h] if "withheld" in chart else []
    if withheld:
        marks = pd.DataFrame({"quarter": withheld, "label": W.SUPPRESSED})
        layers.append(alt.Chart(marks).mark_text(baseline="bottom", dy=-2, fontSize=11, color="#333333")
                      .encode(x=x, y=alt.YValue("height"), text="label:N",
                              tooltip=[alt.Tooltip("quarter:O", title=W.TOOLTIP_QUARTER),
                                       alt.Tooltip("label:N", title=W.WITHHELD_QUARTER)]))
    return _theme(alt.layer(*layers).resolve_scale(color="independent", shape="independent",
                                                    strokeDash="independent"))


def spc_titles(kpi: Kpi, place: str, chart: pd.DataFrame, national: bool) -> tuple[str, str]:
    """The title and key of a process-control chart, as HTML text above it."""
    subtitle = W.SPC_SUBTITLE + (W.SPC_SUBTITLE_NATIONAL if national else "")
    if "withheld" in chart and chart["withheld"].any():
        subtitle = W.SPC_SUBTITLE_WITHHELD + (W.SPC_SUBTITLE_NATIONAL if national else "")
    return W.SPC_TITLE.format(kpi=kpi.name, place=place), subtitle + "."


def denominator_words(kpi: Kpi, registry_groups: dict[str, str] | None = None) -> str:
    """What a rate's or share's denominator counts, in words (a funnel plot's axis)."""
    d = kpi.denominator
    if d is None:
        return ""
    group = (registry_groups or {}).get(d.group, d.group.replace("_", " "))
    template = W.DENOMINATOR_WORDS.get(d.source, "{measure}")
    text = template.format(group=group, column=W.POPULATION_WORDS.get(d.column, d.column),
                           measure=W.MEASURE_WORDS.get(d.measure, d.measure.replace("_", " ")))
    return text[:1].upper() + text[1:]


@_unchecked
def funnel_chart(f, highlight: str | None = None, groups: dict[str, str] | None = None) -> alt.Chart:
    """A funnel plot (from :func:`vawgbook.publish.variation.funnel_for`): each force against its
    denominator, the England and Wales value, and the 95% and 99.8% limits, every line in the key.
    Forces outside the 99.8% limits are named on the chart with their direction; ``highlight``
    marks one force (on its own page)."""
    kpi = f.kpi
    points = f.points.assign(display=[kpi.display(v) for v in f.points["value"]],
                             where=[W.FUNNEL_POSITION_WORDS[p] for p in f.points["position"]])
    inner, outer = W.FUNNEL_LIMITS
    centre = W.FUNNEL_CENTRE
    limits = f.limits.melt("denominator", var_name="limit", value_name="value")
    limits["level"] = [outer if "998" in name else inner for name in limits["limit"]]
    grid = f.limits["denominator"]
    centre_line = pd.DataFrame({"denominator": [grid.min(), grid.max()], "value": [f.baseline] * 2,
                                "limit": "centre", "level": centre})
    lines = pd.concat([centre_line, limits], ignore_index=True)
    axis_title = [line.format(denominator=denominator_words(kpi, groups)) for line in W.FUNNEL_AXIS]
    x = alt.X("denominator:Q", title=axis_title,
              scale=alt.Scale(type="log"), axis=alt.Axis(format="~s"))
    y = alt.Y("value:Q", title=_units(kpi), axis=alt.Axis(format=_axis_format(kpi)),
              scale=alt.Scale(zero=False))
    levels = [centre, inner, outer]
    line_layer = alt.Chart(_stable(lines)).mark_line().encode(
        x=x, y=y, detail="limit:N",
        color=alt.Color("level:N", title=W.SERIES_LINES, sort=levels, scale=alt.Scale(
            domain=levels, range=["#000000", "#6b6b6b", "#6b6b6b"])),
        strokeDash=alt.StrokeDash("level:N", title=W.SERIES_LINES, sort=levels, scale=alt.Scale(
            domain=levels, range=[[1, 0], [5, 4], [1, 0]])))
    groups_present = [W.FUNNEL_OTHER_FORCES if highlight else W.FUNNEL_POINTS]
    points["group"] = [highlight if highlight and force == highlight else groups_present[0]
                       for force in points["force"]]
    if highlight and (points["force"] == highlight).any():
        groups_present.append(highlight)
    # One size for every force, or (a force's page) a larger mark for the force: a nominal size
    # scale with a single value draws nothing in Vega.
    size = (alt.Size("group:N", legend=None, sort=groups_present, scale=alt.Scale(
        domain=groups_present, range=[45, 160])) if len(groups_present) > 1 else alt.SizeValue(45))
    dots = alt.Chart(_stable(points)).mark_point(filled=True, opacity=0.9).encode(
        x=x, y=y,
        color=alt.Color("group:N", title=W.FUNNEL_POINTS, sort=groups_present, scale=alt.Scale(
            domain=groups_present, range=[PALETTE[0], PALETTE[5]][:len(groups_present)])),
        shape=alt.Shape("group:N", title=W.FUNNEL_POINTS, sort=groups_present, scale=alt.Scale(
            domain=groups_present, range=["circle", "diamond"][:len(groups_present)])),
        size=size,
        tooltip=[alt.Tooltip("force:N", title=W.TOOLTIP_FORCE), alt.Tooltip("display:N", title=kpi.name),
                 alt.Tooltip("where:N", title=W.TOOLTIP_AGAINST_NATIONAL)])
    labelled = points.loc[(points["position"] != "within") | (points["force"] == highlight)].copy()
    labelled["label"] = [W.FUNNEL_LABEL.format(
        force=r.force, position=W.FUNNEL_LABEL_POSITION.get(r.position, W.FUNNEL_POSITION_WORDS[r.position]),
        reading=W.FUNNEL_LABEL_READING.get(r.reading, "")) for r in labelled.itertuples()]
    layers = [line_layer, dots]
    # Labels on the right half of the plot go to the left of their point, so none runs off it.
    low, high = np.log(grid.min()), np.log(grid.max())
    right = (np.log(labelled["denominator"].clip(lower=grid.min())) - low) > 0.55 * (high - low)
    for align, dx, part in (("left", 7, labelled.loc[~right]), ("right", -7, labelled.loc[right])):
        if len(part):
            layers.append(alt.Chart(_stable(part[["denominator", "value", "label"]])).mark_text(
                align=align, dx=dx, dy=-8, fontSize=11, color="#1a1a1a").encode(x=x, y=y, text="label:N"))
    return _theme(alt.layer(*layers).resolve_scale(color="independent", shape="independent",
                                                    strokeDash="independent"))


def funnel_titles(kpi: Kpi) -> tuple[str, str]:
    return W.FUNNEL_TITLE.format(kpi=kpi.name), W.FUNNEL_SUBTITLE + "."


def _runs(values: pd.Series) -> list[int]:
    """A run number for each point, new after every missing value: lines are drawn per run, so a
    quarter not published is a break in the line, never a value drawn across."""
    run, out, gap = 0, [], False
    for v in values:
        if v != v:
            gap = True
        elif gap:
            run, gap = run + 1, False
        out.append(run)
    return out


def group_series(groups: pd.DataFrame, kpi: Kpi, dimension: str, category: str, place: str) -> pd.DataFrame:
    """One group's quarterly figures and its comparison group's, for one place, in time order."""
    return groups.loc[(groups["kpi_id"] == kpi.id) & (groups["dimension"] == dimension)
                      & (groups["category"] == category) & (groups["force"] == place)]


@_unchecked
def group_chart(series: pd.DataFrame, kpi: Kpi, place: str, who: str, other: str) -> alt.Chart:
    """A group's quarterly figure against its comparison group's (from :func:`group_series`):
    two lines that differ in colour and dash; a quarter not published (disclosure control, or too
    few cases for a rate) is a break in the line."""
    order = [Quarter.parse(p).label for p in series["period"]]
    frames = []
    for name, column in ((who, "value"), (other, "comparison_value")):
        values = series[column].astype(float).reset_index(drop=True)
        frames.append(pd.DataFrame({"quarter": order, "value": values, "group": name,
                                    "display": [kpi.display(v) for v in values],
                                    "run": [f"{name} {r}" for r in _runs(values)]}))
    data = pd.concat(frames, ignore_index=True).dropna(subset=["value"])
    x = alt.X("quarter:O", sort=order, title=W.AXIS_QUARTER, axis=alt.Axis(labelAngle=-45))
    y = alt.Y("value:Q", title=_units(kpi), axis=alt.Axis(format=_axis_format(kpi)),
              scale=alt.Scale(zero=False))
    colour = alt.Color("group:N", title=W.LEGEND_GROUP, sort=[who, other],
                       scale=alt.Scale(domain=[who, other], range=[PALETTE[0], PALETTE[1]]),
                       legend=alt.Legend(orient="bottom"))
    dash = alt.StrokeDash("group:N", title=W.LEGEND_GROUP, sort=[who, other],
                          scale=alt.Scale(domain=[who, other], range=[[1, 0], [6, 3]]),
                          legend=alt.Legend(orient="bottom"))
    tooltip = [alt.Tooltip("quarter:O", title=W.TOOLTIP_QUARTER),
               alt.Tooltip("group:N", title=W.LEGEND_GROUP), alt.Tooltip("display:N", title=kpi.name)]
    base = alt.Chart(_stable(data))
    lines = base.mark_line().encode(x=x, y=y, color=colour, strokeDash=dash, detail="run:N")
    points = base.mark_point(filled=True, size=40).encode(
        x=x, y=y, color=colour, shape=alt.Shape("group:N", title=W.LEGEND_GROUP, sort=[who, other],
                                                 scale=alt.Scale(domain=[who, other],
                                                                 range=["circle", "triangle-up"]),
                                                 legend=alt.Legend(orient="bottom")),
        tooltip=tooltip)
    title = alt.Title(W.GROUP_CHART_TITLE.format(kpi=kpi.name, place=place, who=who, other=other),
                      subtitle=W.GROUP_CHART_SUBTITLE)
    return _theme(alt.layer(lines, points, title=title))


def describe_group(series: pd.DataFrame, kpi: Kpi, place: str, who: str, other: str) -> str:
    """A text alternative for :func:`group_chart`: span, each line's first and latest values shown,
    and how many quarters are not shown."""
    if series.empty or series["value"].isna().all():
        return W.CHART_NO_DATA.format(kpi=kpi.name, place=place)
    quarters = [Quarter.parse(p).label for p in series["period"]]

    def ends(column: str) -> tuple[str, str]:
        values = series[column].dropna()
        if values.empty:
            return W.MISSING, W.MISSING
        return kpi.display(values.iloc[0]), kpi.display(values.iloc[-1])

    (g0, g1), (o0, o1) = ends("value"), ends("comparison_value")
    return W.GROUP_CHART_DESCRIPTION.format(
        kpi=kpi.name, place=place, first=quarters[0], last=quarters[-1], who=who, other=other,
        group_first=g0, group_last=g1, other_first=o0, other_last=o1,
        hidden=int(series["value"].isna().sum()), quarters=len(series))
