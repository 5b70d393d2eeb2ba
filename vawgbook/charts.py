"""Charts for the book: one theme, a colour-blind-safe palette, rendered offline as SVG.

Every chart has a title, axis titles with units, and a short text alternative
(:func:`describe`); the data behind it is a table in the page.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from .periods import Quarter
from .registry import Kpi

# Okabe & Ito (2008), "Color universal design": distinguishable with the common colour-vision
# deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
FONT = "DejaVu Sans, Arial, sans-serif"
WIDTH, HEIGHT = 560, 240


def use_offline_renderer() -> None:
    """Render charts as static SVG with vl-convert: nothing is fetched from the internet."""
    alt.renderers.enable("svg")
    alt.data_transformers.disable_max_rows()


def _axis_format(kpi: Kpi) -> str:
    return ".0%" if kpi.format.endswith("%") else ("~s" if kpi.kind == "count" else ".2~f")


def _units(kpi: Kpi) -> str:
    if kpi.kind == "proportion":
        return f"{kpi.unit} (%)"
    return kpi.unit


def trend_chart(quarterly: pd.DataFrame, kpi: Kpi, force: str) -> alt.Chart:
    """The KPI's quarterly series for one force (or England and Wales), oldest to latest."""
    data = quarterly.loc[(quarterly["kpi_id"] == kpi.id) & (quarterly["force"] == force)]
    data = data.assign(
        quarter=[Quarter.parse(p).label for p in data["period"]],
        display=[kpi.display(v) for v in data["value"]],
    )[["quarter", "value", "display"]]
    order = list(data["quarter"])
    base = alt.Chart(data, title=alt.Title(f"{kpi.name}, {force}", subtitle="Each quarter"))
    x = alt.X("quarter:O", sort=order, title="Financial quarter", axis=alt.Axis(labelAngle=-45))
    y = alt.Y("value:Q", title=_units(kpi), axis=alt.Axis(format=_axis_format(kpi)),
              scale=alt.Scale(zero=kpi.kind == "count"))
    line = base.mark_line(color=PALETTE[0]).encode(x=x, y=y)
    points = base.mark_point(color=PALETTE[0], filled=True, size=30).encode(
        x=x, y=y, tooltip=[alt.Tooltip("quarter:O", title="Quarter"),
                           alt.Tooltip("display:N", title=kpi.name)])
    return _theme(line + points)


def _theme(chart: alt.Chart) -> alt.Chart:
    return chart.properties(width=WIDTH, height=HEIGHT).configure(
        font=FONT
    ).configure_title(anchor="start", fontSize=14, subtitleColor="#444").configure_axis(
        labelFontSize=11, titleFontSize=12, gridColor="#e5e5e5"
    ).configure_view(stroke=None)


def describe(quarterly: pd.DataFrame, kpi: Kpi, force: str) -> str:
    """A text alternative for :func:`trend_chart`: the range and the first and latest values."""
    data = quarterly.loc[(quarterly["kpi_id"] == kpi.id) & (quarterly["force"] == force)]
    data = data.dropna(subset=["value"])
    if data.empty:
        return f"Chart of {kpi.name.lower()} for {force}: no data."
    first, last = data.iloc[0], data.iloc[-1]
    low, high = data["value"].min(), data["value"].max()
    return (
        f"Line chart of {kpi.name.lower()} for {force} each quarter from "
        f"{Quarter.parse(first['period']).label} ({kpi.display(first['value'])}) to "
        f"{Quarter.parse(last['period']).label} ({kpi.display(last['value'])}), ranging from "
        f"{kpi.display(low)} to {kpi.display(high)}."
    )
