"""Chart builders: the spec and the page output, not pixels."""

import json

import pandas as pd

from vawgbook import charts
from vawgbook.registry import load_registry

REGISTRY = load_registry()


def quarterly(force="Kent"):
    rows = []
    for place, level in ((force, 0.07), ("England and Wales", 0.05)):
        for i, period in enumerate(["2023-24-Q1", "2023-24-Q2", "2023-24-Q3", "2023-24-Q4"]):
            rows.append({"period": period, "force": place, "kpi_id": "vawg_charge_rate",
                         "value": level + i / 1000})
    return pd.DataFrame(rows)


def test_trend_chart_has_titles_units_and_both_places():
    spec = charts.trend_chart(quarterly(), REGISTRY["vawg_charge_rate"], "Kent").to_dict()
    layer = spec["layer"][0]
    assert spec["title"]["text"] == "VAWG outcomes that were a charge or summons, Kent"
    assert layer["encoding"]["x"]["title"] == "Financial quarter"
    assert layer["encoding"]["y"]["title"] == "Share of outcomes assigned (%)"
    assert layer["encoding"]["strokeDash"]  # lines differ by dash as well as colour
    values = next(iter(spec["datasets"].values()))
    assert {v["place"] for v in values} == {"Kent", "England and Wales"}
    assert [v["quarter"] for v in values][:4] == ["2023/24 Q1", "2023/24 Q2", "2023/24 Q3", "2023/24 Q4"]


def test_count_charts_show_the_place_alone():
    data = quarterly().assign(kpi_id="vawg_recorded", value=lambda d: d["value"] * 1e5)
    spec = charts.trend_chart(data, REGISTRY["vawg_recorded"], "Kent").to_dict()
    assert {v["place"] for v in next(iter(spec["datasets"].values()))} == {"Kent"}


def test_description_gives_span_first_last_and_range():
    text = charts.describe(quarterly(), REGISTRY["vawg_charge_rate"], "Kent")
    assert text == ("Line chart of VAWG outcomes that were a charge or summons for Kent each quarter "
                    "from 2023/24 Q1 (7.0%) to 2023/24 Q4 (7.3%), ranging from 7.0% to 7.3%.")


def test_figure_html_is_offline_stable_and_escaped():
    data = quarterly(force="Kent <script>alert(1)</script>")
    figure = charts.trend_figure(data, REGISTRY["vawg_charge_rate"], "Kent <script>alert(1)</script>")
    bundle = figure._repr_mimebundle_()
    page = bundle["text/html"]
    assert "http" not in page.replace("http://www.w3.org", "")  # nothing fetched
    assert "<script>alert" not in page  # data cannot inject markup or close the spec's script
    assert "&lt;script&gt;" in page
    assert page == charts.trend_figure(data, REGISTRY["vawg_charge_rate"],
                                       "Kent <script>alert(1)</script>")._repr_mimebundle_()["text/html"]
    spec_text = page.split('type="application/json"')[1].split(">", 1)[1].split("</script>")[0]
    assert json.loads(spec_text) == bundle[charts.VEGA_LITE_MIMETYPE]
    assert bundle["text/plain"] == figure.description


def test_chart_script_defines_the_page_function():
    assert "window.vawgChart" in charts.CHART_SCRIPT
