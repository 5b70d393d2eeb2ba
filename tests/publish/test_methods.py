"""The methods page is generated from the registry and the calibration figures."""

from vawgbook.config import load_registry
from vawgbook.publish.methods import methods_markdown

REGISTRY = load_registry()
FIGURES = {
    "config": {"seed": 7, "null_replicates": 10, "power_replicates": 10},
    "null": {
        "by_kind": {"year_on_year": {"count": {"p<0.05": {"n": 200, "k": 9, "rate": 0.045},
                                               "q<0.05": {"n": 200, "k": 0, "rate": 0.0}}}},
        "any_discovery": {"year_on_year": {"n": 10, "k": 1, "rate": 0.1}},
    },
    "power": {"fdr": {"year_on_year": {"mean_fdp": 0.031}}},
}


def test_every_kpi_is_defined_with_its_source_direction_and_caveat():
    page = methods_markdown(REGISTRY, None)
    for kpi in REGISTRY.kpis:
        assert f"`{kpi.id}`" in page and kpi.definition in page and kpi.caveat in page
    assert "crime outcomes: outcome type 1, offence codes 19C, 19D, 19E" in page
    assert "divided by crime outcomes: all outcomes assigned (types 1-22)" in page
    assert "force returns: da_arrests; divided by force returns: da_flagged_crimes" in page
    assert "times 1,000" in page
    assert "Benjamini–Hochberg" in page and "minimum detectable change" in page


def test_calibration_figures_are_shown_when_the_benchmark_has_run():
    page = methods_markdown(REGISTRY, FIGURES)
    assert "| year on year | count | 4.5% (9 of 200) | 0.0% (0 of 200) |" in page
    assert "in 1 of 10 simulated data sets with no real change" in page
    assert "3.1% of the year on year changes reported were false" in page
    assert "has not been run" in methods_markdown(REGISTRY, None)


def test_the_settings_on_the_methods_page_are_the_ones_the_tests_use(monkeypatch):
    """Nothing is restated by hand: change a setting and the page says the new value."""
    import dataclasses

    from vawgbook.publish import methods
    from vawgbook.stats import SETTINGS

    page = methods.methods_markdown(load_registry(), None)
    assert f"q-value is below {SETTINGS.q_threshold:g}" in page
    assert f"{SETTINGS.power:.0%} power" in page and f"{SETTINGS.conf:.0%} intervals" in page
    changed = dataclasses.replace(SETTINGS, q_threshold=0.01, power=0.9, conf=0.99)
    monkeypatch.setattr(methods, "SETTINGS", changed)
    page = methods.methods_markdown(load_registry(), None)
    assert "q-value is below 0.01" in page and "90% power" in page and "99% intervals" in page
