"""Charts for the book: one theme, a colour-blind-safe palette, rendered offline.

Charts are drawn with altair and rendered to SVG by vl-convert on the machine that runs the
notebooks, so nothing is fetched when the book is read. Each chart reaches the page as a
:class:`Figure`: an image with its text alternative as ``alt`` text and caption; the data
behind it is a table on the same page.
"""

from __future__ import annotations

import hashlib
import html
import json

import altair as alt
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
    from the internet. JupyterLab draws the Vega-Lite output itself. The description is the
    chart's caption and accessible name.
    """

    def __init__(self, chart: alt.TopLevelMixin, description: str) -> None:
        self.chart = chart
        self.description = description

    def spec(self) -> dict:
        """The Vega-Lite spec; its ``$schema`` URL is dropped so the page names no web address."""
        spec = self.chart.to_dict()
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
        page = (
            f'<figure class="vawg-chart" aria-label="{caption}">'
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


def _theme(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.properties(width=WIDTH, height=HEIGHT).configure(font=FONT).configure_title(
        anchor="start", fontSize=14, subtitleColor="#444"
    ).configure_axis(labelFontSize=11, titleFontSize=12, gridColor="#e5e5e5").configure_view(stroke=None)


def describe(quarterly: pd.DataFrame, kpi: Kpi, force: str) -> str:
    """A text alternative for a chart of the quarterly series: span, first and latest values, range."""
    data = quarterly.loc[(quarterly["kpi_id"] == kpi.id) & (quarterly["force"] == force)]
    data = data.dropna(subset=["value"])
    if data.empty:
        return W.CHART_NO_DATA.format(kpi=kpi.name, place=force)
    first, last = data.iloc[0], data.iloc[-1]
    low, high = data["value"].min(), data["value"].max()
    return W.CHART_DESCRIPTION.format(
        kpi=kpi.name, place=force, first=Quarter.parse(first["period"]).label,
        first_value=kpi.display(first["value"]), last=Quarter.parse(last["period"]).label,
        last_value=kpi.display(last["value"]), low=kpi.display(low), high=kpi.display(high))


POINT_STYLES = {
    # Making Data Count colours where they are colour-blind safe, with shapes as a second cue.
    "common_cause": (W.POINT_TYPES["common_cause"], "#7f7f7f", "circle"),
    "special_cause_improvement": (W.POINT_TYPES["special_cause_improvement"], PALETTE[0], "triangle-up"),
    "special_cause_concern": (W.POINT_TYPES["special_cause_concern"], PALETTE[1], "triangle-down"),
    "special_cause_neutral_high": (W.POINT_TYPES["special_cause_neutral_high"], PALETTE[3], "diamond"),
    "special_cause_neutral_low": (W.POINT_TYPES["special_cause_neutral_low"], PALETTE[3], "square"),
}


def spc_chart(chart: pd.DataFrame, kpi: Kpi, place: str, national: pd.DataFrame | None = None) -> alt.Chart:
    """An XmR chart (from :func:`vawgbook.publish.variation.spc_for`): the quarterly values, their mean and
    process limits, points marked by Making Data Count type; England and Wales dashed beside a
    force for rates and proportions."""
    data = chart.assign(quarter=[Quarter.parse(p).label for p in chart["period"]],
                        display=[kpi.display(v) for v in chart["value"]],
                        type=[POINT_STYLES.get(t, (W.NO_VALUE, "", ""))[0] for t in chart["point_type"]])
    data = data[["quarter", "value", "display", "type", "mean", "lower_limit", "upper_limit"]]
    order = list(data["quarter"])
    x = alt.X("quarter:O", sort=order, title=W.AXIS_QUARTER, axis=alt.Axis(labelAngle=-45))
    y_axis = alt.Axis(format=_axis_format(kpi))
    y = alt.Y("value:Q", title=_units(kpi), axis=y_axis, scale=alt.Scale(zero=kpi.kind == "count"))
    base = alt.Chart(_stable(data))
    layers = [
        base.mark_line(color="#999999", strokeDash=[4, 3]).encode(x=x, y=alt.Y("upper_limit:Q")),
        base.mark_line(color="#999999", strokeDash=[4, 3]).encode(x=x, y=alt.Y("lower_limit:Q")),
        base.mark_line(color="#555555").encode(x=x, y=alt.Y("mean:Q")),
        base.mark_line(color=PALETTE[0]).encode(x=x, y=y),
    ]
    styles = list(POINT_STYLES.values())
    layers.append(base.mark_point(filled=True, size=60).encode(
        x=x, y=y,
        color=alt.Color("type:N", title=W.LEGEND_QUARTER, scale=alt.Scale(
            domain=[s[0] for s in styles], range=[s[1] for s in styles]),
            legend=alt.Legend(orient="bottom", columns=2)),
        shape=alt.Shape("type:N", title=W.LEGEND_QUARTER, scale=alt.Scale(
            domain=[s[0] for s in styles], range=[s[2] for s in styles]),
            legend=alt.Legend(orient="bottom", columns=2)),
        tooltip=[alt.Tooltip("quarter:O", title=W.TOOLTIP_QUARTER), alt.Tooltip("display:N", title=kpi.name),
                 alt.Tooltip("type:N", title=W.TOOLTIP_VARIATION)]))
    if national is not None and place != force_names().national and kpi.kind != "count":
        comparison = _series(national, kpi, [force_names().national])
        layers.append(alt.Chart(_stable(comparison))
                      .mark_line(color="#000000", strokeDash=[2, 2], opacity=0.6)
                      .encode(x=x, y=alt.Y("value:Q"),
                              tooltip=[alt.Tooltip("quarter:O", title=W.TOOLTIP_QUARTER),
                                       alt.Tooltip("display:N", title=force_names().national)]))
    subtitle = W.SPC_SUBTITLE
    if len(layers) == 6:
        subtitle += W.SPC_SUBTITLE_NATIONAL
    title = alt.Title(W.SPC_TITLE.format(kpi=kpi.name, place=place), subtitle=subtitle)
    return _theme(alt.layer(*layers, title=title))


def funnel_chart(f) -> alt.Chart:
    """A funnel plot (from :func:`vawgbook.publish.variation.funnel_for`): each force against its
    denominator, the England and Wales value, and the 95% and 99.8% limits."""
    kpi = f.kpi
    points = f.points.assign(display=[kpi.display(v) for v in f.points["value"]])
    limits = f.limits.melt("denominator", var_name="limit", value_name="value")
    inner, outer = W.FUNNEL_LIMITS
    limits["level"] = [outer if "998" in name else inner for name in limits["limit"]]
    x = alt.X("denominator:Q", title=W.FUNNEL_AXIS.format(denominator=kpi.denominator.describe()),
              scale=alt.Scale(type="log"), axis=alt.Axis(format="~s"))
    y = alt.Y("value:Q", title=_units(kpi), axis=alt.Axis(format=_axis_format(kpi)),
              scale=alt.Scale(zero=False))
    lines = alt.Chart(_stable(limits)).mark_line(color="#777777").encode(
        x=x, y=y, detail="limit:N",
        strokeDash=alt.StrokeDash("level:N", title=None, scale=alt.Scale(
            domain=[inner, outer], range=[[4, 3], [1, 0]]),
            legend=alt.Legend(orient="top")))
    centre = (alt.Chart(_stable(pd.DataFrame({"value": [f.baseline]})))
              .mark_rule(color="#000000").encode(y="value:Q"))
    dots = alt.Chart(_stable(points)).mark_point(filled=True, size=50, color=PALETTE[0]).encode(
        x=x, y=y, tooltip=[alt.Tooltip("force:N", title=W.TOOLTIP_FORCE),
                           alt.Tooltip("display:N", title=kpi.name),
                           alt.Tooltip("signal:N", title=W.TOOLTIP_AGAINST_NATIONAL)])
    title = alt.Title(W.FUNNEL_TITLE.format(kpi=kpi.name), subtitle=W.FUNNEL_SUBTITLE)
    return _theme(alt.layer(lines, centre, dots, title=title))


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
