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


def legend_domains(spec):
    """Each layer's keyed channels and the values its key lists."""
    out = {}
    for layer in spec["layer"]:
        for channel in ("color", "shape", "strokeDash"):
            enc = layer.get("encoding", {}).get(channel)
            if enc and "scale" in enc and "domain" in enc["scale"]:
                out.setdefault(enc["field"], set()).update(enc["scale"]["domain"])
    return out


def test_spc_chart_fills_its_container_and_keys_every_line_it_draws():
    spec = spc(quarterly(), "vawg_charge_rate").to_dict()
    assert spec["width"] == "container" and spec["autosize"]["type"] == "fit-x"
    lines, points = spec["layer"][0], spec["layer"][1]
    assert lines["encoding"]["x"]["title"] == "Financial quarter"
    assert lines["encoding"]["y"]["title"] == "Share of outcomes assigned (%)"
    assert "shape" in points["encoding"]  # point types differ by shape as well as colour
    keyed = legend_domains(spec)
    # The place, its average, its limits and England and Wales are all in the key ...
    assert keyed["series"] == {"Kent", "Average", "Process limits", "England and Wales"}
    # ... and the point types in the key are only those drawn.
    assert keyed["type"] == {"Common cause"}
    datasets = list(spec["datasets"].values())
    assert [v["quarter"] for v in datasets[0]][:4] == ["2023/24 Q1", "2023/24 Q2", "2023/24 Q3", "2023/24 Q4"]


def test_count_charts_show_the_place_alone():
    data = quarterly().assign(kpi_id="vawg_recorded", value=lambda d: d["value"] * 1e5)
    spec = spc(data, "vawg_recorded").to_dict()
    assert "England and Wales" not in legend_domains(spec)["series"]


def test_withheld_quarters_are_marked_gaps_and_no_limits_are_drawn():
    rows = []
    for i, period in enumerate(["2021-22-Q1", "2021-22-Q2", "2021-22-Q3", "2021-22-Q4", "2022-23-Q1"]):
        hidden = i in (1, 3)
        rows.append({"period": period, "force": "Kent", "kpi_id": "police_perpetrated_cases",
                     "value": float("nan") if hidden else 5.0 + i, "suppressed": hidden})
    data = pd.DataFrame(rows)
    spec = spc(data, "police_perpetrated_cases").to_dict()
    assert legend_domains(spec)["series"] == {"Kent"}  # no average or limits from the small quarters
    marks = [layer for layer in spec["layer"] if layer["mark"].get("type") == "text"]
    assert len(marks) == 1
    marked = next(v for k, v in spec["datasets"].items() if v and "label" in v[0])
    assert [m["quarter"] for m in marked] == ["2021/22 Q2", "2021/22 Q4"]
    assert all(m["label"] == "[c]" for m in marked)
    text = charts.describe(data, REGISTRY["police_perpetrated_cases"], "Kent")
    assert "2 quarters are withheld as small numbers" in text


def test_the_axis_starts_at_the_first_quarter_with_data():
    data = quarterly()
    early = pd.DataFrame({"period": ["2019-20-Q1", "2019-20-Q2"], "force": "Kent",
                          "kpi_id": "vawg_charge_rate", "value": float("nan")})
    spec = spc(pd.concat([early, data]), "vawg_charge_rate").to_dict()
    assert spec["layer"][0]["encoding"]["x"]["sort"][0] == "2023/24 Q1"


def test_funnel_names_outliers_on_the_chart_and_marks_the_force():
    from vawgbook.publish.variation import funnel_for

    n = [2000] * 20
    x = [100] * 19 + [200]
    frame = pd.DataFrame({"kpi_id": "vawg_charge_rate", "comparison": "year_on_year",
                          "force": [f"Force {i}" for i in range(20)] + ["England and Wales"],
                          "numerator": x + [sum(x)], "denominator": n + [sum(n)]})
    plot = funnel_for(frame, REGISTRY["vawg_charge_rate"])
    spec = charts.funnel_chart(plot, highlight="Force 3").to_dict()
    labels = [v["label"] for values in spec["datasets"].values() for v in values if "label" in v]
    assert "Force 19: above, better" in labels  # higher is better
    assert "Force 3: within the range" in labels  # the page's own force, named wherever it is
    keyed = legend_domains(spec)
    assert keyed["level"] == {"England and Wales", "95% limits", "99.8% limits"}
    assert keyed["group"] == {"Other forces", "Force 3"}
    assert "da_flagged" not in json.dumps(spec)


def test_funnel_axes_are_in_words():
    assert charts.denominator_words(REGISTRY["da_arrest_rate"]) == "Domestic abuse crimes"
    assert charts.denominator_words(REGISTRY["vawg_rate_per_1000_female"]) == "Female population"
    assert charts.denominator_words(REGISTRY["vawg_charge_rate"], REGISTRY.group_names) == (
        "Outcomes assigned, VAWG offences")


def test_description_gives_span_first_last_and_range():
    text = charts.describe(quarterly(), REGISTRY["vawg_charge_rate"], "Kent")
    assert text == ("Line chart: VAWG outcomes that were a charge or summons, Kent, each quarter "
                    "from 2023/24 Q1 (7.0%) to 2023/24 Q4 (7.3%), ranging from 7.0% to 7.3%.")


def test_figure_html_is_offline_stable_and_escaped():
    data = quarterly(force="Kent <script>alert(1)</script>")
    force = "Kent <script>alert(1)</script>"
    kpi = REGISTRY["vawg_charge_rate"]
    figure = charts.Figure(spc(data, "vawg_charge_rate", force), charts.describe(data, kpi, force),
                           title=f"Title for {force}")
    bundle = figure._repr_mimebundle_()
    page = bundle["text/html"]
    assert "http" not in page.replace("http://www.w3.org", "")  # nothing fetched
    assert "<script>alert" not in page  # data cannot inject markup or close the spec's script
    assert "&lt;script&gt;" in page
    again = charts.Figure(spc(data, "vawg_charge_rate", force), charts.describe(data, kpi, force),
                          title=f"Title for {force}")
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


def test_every_kind_of_chart_on_the_sample_is_valid_and_draws_every_mark():
    """The page writes specs without validating them (for speed): here each kind is validated
    against the Vega-Lite schema and drawn, and no mark may be placed at NaN (a nominal size
    scale with a single value once drew every point of a funnel plot at NaN)."""
    import vl_convert

    from vawgbook.publish.report import period_results
    from vawgbook.publish.variation import funnel_for, spc_for

    sample = period_results()
    drawn = []
    for kpi_id in ("vawg_recorded", "da_arrest_rate", "dvpo_rate", "police_perpetrated_cases"):
        kpi = sample.registry[kpi_id]
        for place in ("England and Wales", "Kent"):
            chart = spc_for(sample.quarterly, kpi, place)
            drawn.append(charts.spc_chart(chart, kpi, place, sample.quarterly))
        plot = funnel_for(sample.results, kpi)
        if plot is not None:
            drawn += [charts.funnel_chart(plot), charts.funnel_chart(plot, highlight="Kent")]
    assert len(drawn) == 12  # 8 process-control charts, 2 funnel plots drawn two ways
    for chart in drawn:
        spec = chart.to_dict()  # validates
        spec["width"] = 500  # no container outside a page
        assert "NaN" not in vl_convert.vegalite_to_svg(spec)
