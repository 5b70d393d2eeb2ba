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


def test_the_rules_for_gaps_between_groups_come_from_the_settings_that_apply_them(monkeypatch):
    import dataclasses

    from vawgbook.publish import methods
    from vawgbook.stats.pooling import MIN_PRIOR_SERIES

    registry = load_registry()
    page = methods.methods_markdown(registry, None)
    settings = registry.breakdown_settings
    assert f"at least\n{settings.completeness_threshold:.0%}" in page
    assert f"{settings.numerator_tolerance * 100:g} percentage points less" in page
    assert f"at least {MIN_PRIOR_SERIES} forces have an estimate" in page
    assert "Mantel–Haenszel" in page and "Sato's (1989) variance" in page
    assert "**reversed**" in page and "never called widened" in page
    assert "has not been run" in page.split("How well the tests of gaps behave")[1]
    stricter = dataclasses.replace(registry, breakdown_settings=dataclasses.replace(
        settings, completeness_threshold=0.9, numerator_tolerance=0.02, min_cases=30))
    page = methods.methods_markdown(stricter, None)
    assert "at least\n90%" in page and "2 percentage points less" in page and "fewer than 30 cases" in page


def test_the_gaps_benchmark_figures_are_shown_when_it_has_run():
    figures = {"config": {"replicates": 48, "kinds": {"no_gap": 15, "persistent": 8, "widened": 8,
                                                      "incomplete": 6, "incomplete_gap": 6},
                          "gap_points": [12.0, 16.0], "black_per_year": [400, 900]},
               "figures": {"power_persistent": {"n": 384, "k": 380, "rate": 0.9896},
                           "power_widened": {"n": 384, "k": 300, "rate": 0.78125},
                           "false_findings_forces": {"n": 720, "k": 14, "rate": 0.0194},
                           "findings_incomplete_forces": {"n": 576, "k": 0, "rate": 0.0}}}
    page = methods_markdown(REGISTRY, None, figures)
    assert "Persistent gaps were found in 99.0% (380 of 384)" in page
    assert "gaps that appeared in 78.1% (300 of 384)" in page
    assert "forces with incomplete recording had 0 findings" in page
