"""Chart builders: the spec and the page output, not pixels."""

import json

import pandas as pd

from vawgbook.config import load_registry
from vawgbook.publish import charts

REGISTRY = load_registry()


def quarterly(force="Kent"):
    rows = []
    for place, level in ((force, 0.07), ("England and Wales", 0.05)):
        for i, period in enumerate(["2023-24-Q1", "2023-24-Q2", "2023-24-Q3", "2023-24-Q4"]):
            rows.append({"period": period, "force": place, "kpi_id": "vawg_charge_rate",
                         "value": level + i / 1000})
    return pd.DataFrame(rows)


def spc(data, kpi_id, force="Kent"):
    from vawgbook.publish.variation import spc_for

    kpi = REGISTRY[kpi_id]
    return charts.spc_chart(spc_for(data, kpi, force), kpi, force, data)


def test_spc_chart_has_titles_units_limits_and_the_national_line():
    spec = spc(quarterly(), "vawg_charge_rate").to_dict()
    assert spec["title"]["text"] == "VAWG outcomes that were a charge or summons, Kent"
    assert "process limits" in spec["title"]["subtitle"] and "England and Wales" in spec["title"]["subtitle"]
    encodings = [layer["encoding"] for layer in spec["layer"]]
    assert encodings[-2]["x"]["title"] == "Financial quarter"
    assert encodings[-2]["y"]["title"] == "Share of outcomes assigned (%)"
    assert {e["y"]["field"] for e in encodings} >= {"upper_limit", "lower_limit", "mean", "value"}
    assert "shape" in encodings[-2]  # point types differ by shape as well as colour
    datasets = list(spec["datasets"].values())
    assert [v["quarter"] for v in datasets[0]] == ["2023/24 Q1", "2023/24 Q2", "2023/24 Q3", "2023/24 Q4"]


def test_count_charts_show_the_place_alone():
    data = quarterly().assign(kpi_id="vawg_recorded", value=lambda d: d["value"] * 1e5)
    spec = spc(data, "vawg_recorded").to_dict()
    assert len(spec["layer"]) == 5 and "England and Wales" not in spec["title"]["subtitle"]


def test_description_gives_span_first_last_and_range():
    text = charts.describe(quarterly(), REGISTRY["vawg_charge_rate"], "Kent")
    assert text == ("Line chart: VAWG outcomes that were a charge or summons, Kent, each quarter "
                    "from 2023/24 Q1 (7.0%) to 2023/24 Q4 (7.3%), ranging from 7.0% to 7.3%.")


def test_figure_html_is_offline_stable_and_escaped():
    data = quarterly(force="Kent <script>alert(1)</script>")
    force = "Kent <script>alert(1)</script>"
    kpi = REGISTRY["vawg_charge_rate"]
    figure = charts.Figure(spc(data, "vawg_charge_rate", force), charts.describe(data, kpi, force))
    bundle = figure._repr_mimebundle_()
    page = bundle["text/html"]
    assert "http" not in page.replace("http://www.w3.org", "")  # nothing fetched
    assert "<script>alert" not in page  # data cannot inject markup or close the spec's script
    assert "&lt;script&gt;" in page
    again = charts.Figure(spc(data, "vawg_charge_rate", force), charts.describe(data, kpi, force))
    assert page == again._repr_mimebundle_()["text/html"]
    spec_text = page.split('type="application/json"')[1].split(">", 1)[1].split("</script>")[0]
    assert json.loads(spec_text) == bundle[charts.VEGA_LITE_MIMETYPE]
    assert bundle["text/plain"] == figure.description


def test_chart_script_defines_the_page_function():
    assert "window.vawgChart" in charts.CHART_SCRIPT


def test_group_chart_breaks_the_line_at_a_quarter_not_published():
    kpi = REGISTRY["da_arrest_rate"]
    series = pd.DataFrame({
        "period": ["2023-24-Q1", "2023-24-Q2", "2023-24-Q3", "2023-24-Q4"], "force": "Kent",
        "kpi_id": kpi.id, "dimension": "victim_ethnicity", "category": "Black",
        "value": [0.30, float("nan"), 0.28, 0.27], "comparison_value": [0.35, float("nan"), 0.36, 0.35]})
    spec = charts.group_chart(series, kpi, "Kent", "Black victims", "other victims").to_dict()
    data = next(iter(spec["datasets"].values()))
    assert len(data) == 6  # the quarter not published is left out, never drawn as a value
    runs = {(d["group"], d["run"]) for d in data}
    assert {r for g, r in runs if g == "Black victims"} == {"Black victims 0", "Black victims 1"}
    assert spec["layer"][0]["encoding"]["detail"]["field"] == "run"
    assert spec["title"]["text"] == ("Arrests per domestic abuse-flagged crime, Kent: Black victims against "
                                     "other victims")
    text = charts.describe_group(series, kpi, "Kent", "Black victims", "other victims")
    assert "Black victims from 30.0% to 27.0%" in text and "1 of 4 quarters not shown" in text
