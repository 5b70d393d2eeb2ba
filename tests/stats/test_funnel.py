"""Tests for vawgbook.funnel against PHEindicatormethods' published test data."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from vawgbook.stats import funnel

DATA = Path(__file__).parent / "data" / "phe"
LIMIT_COLUMNS = {  # PHE column -> (conf, 0 for lower / 1 for upper)
    "Lower2s0025limit": (0.95, 0),
    "Upper2s0025limit": (0.95, 1),
    "Lower3s0001limit": (0.998, 0),
    "Upper3s0001limit": (0.998, 1),
}
RATIO_COLUMNS = {"lower_2s": (0.95, 0), "upper_2s": (0.95, 1), "lower_3s": (0.998, 0), "upper_3s": (0.998, 1)}


def _read(name: str) -> pd.DataFrame:
    df = pd.read_csv(DATA / name, encoding="utf-8-sig")
    return df.rename(columns=lambda c: c.strip())


@pytest.fixture(scope="module")
def prop_inputs():
    return _read("testdata_funnel_prop_inputs.csv")


@pytest.fixture(scope="module")
def ratio_outputs():
    return _read("testdata_funnel_ratio_outputs.csv")


# --- proportions -------------------------------------------------------------------------------


def test_baseline_matches_published(prop_inputs):
    baseline = prop_inputs.numerator.sum() / prop_inputs.denominator.sum()
    assert round(100 * baseline, 6) == 80.642448


@pytest.mark.parametrize("column", LIMIT_COLUMNS)
def test_proportion_limits_reproduce_every_published_row(prop_inputs, column):
    outputs = _read("testdata_funnel_prop_outputs.csv")
    baseline = prop_inputs.numerator.sum() / prop_inputs.denominator.sum()
    conf, side = LIMIT_COLUMNS[column]
    limit = funnel.proportion_limits(outputs.Population, baseline, conf)[side]
    assert len(outputs) == 100
    np.testing.assert_array_equal(np.round(100 * limit, 6), outputs[column].to_numpy())


def test_classify_proportions_reproduces_every_published_row(prop_inputs):
    labels = funnel.classify_proportions(prop_inputs.numerator, prop_inputs.denominator)
    assert len(labels) == 303
    assert (labels == prop_inputs.significance.to_numpy()).all()


def test_proportion_limits_are_where_the_wilson_bound_touches_the_baseline():
    n, baseline = np.array([40, 1000]), 0.3  # n where neither limit is clipped
    for conf in (0.95, 0.998):
        lower, upper = funnel.proportion_limits(n, baseline, conf)
        z = stats.norm.ppf(1 - (1 - conf) / 2)
        for p, sign in ((upper, -1), (lower, 1)):  # Wilson lower bound at the upper limit, and v.v.
            x = p * n
            bound = (2 * x + z**2 + sign * z * np.sqrt(z**2 + 4 * x * (1 - p))) / (2 * (n + z**2))
            np.testing.assert_allclose(bound, baseline, rtol=1e-12)


def test_proportion_limits_clip_to_unit_interval():
    lower, upper = funnel.proportion_limits([1, 2], 0.9, 0.998)
    assert (lower >= 0).all() and (upper == 1).all()


def test_point_exactly_on_a_limit_is_not_significant():
    # PHE compares with strict inequalities (R's `<` and `>` in phe_funnel_significance)
    limits = (np.array([0.2]), np.array([0.8])), (np.array([0.3]), np.array([0.7]))
    values = np.array([0.2, 0.3, 0.7, 0.8, 0.1999, 0.2999, 0.7001, 0.8001])
    got = funnel._classify_value(values, *(tuple(np.repeat(a, 8) for a in pair) for pair in limits))
    assert got.tolist() == [
        "Low (0.025)",
        "Not significant",
        "Not significant",
        "High (0.025)",
        "Low (0.001)",
        "Low (0.025)",
        "High (0.025)",
        "High (0.001)",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": [1, 2], "n": [2, 0]}, "greater than zero"),
        ({"x": [-1, 2], "n": [2, 3]}, "at least zero"),
        ({"x": [3, 2], "n": [2, 3]}, "must not exceed"),
        ({"x": [1, np.nan], "n": [2, 3]}, "missing values"),
        ({"x": [1, 2], "n": [2, 3], "method": "quasi"}, "unknown method 'quasi'"),
    ],
)
def test_classify_proportions_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        funnel.classify_proportions(**kwargs)


def test_bad_confidence_level_is_explained():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        funnel.proportion_limits([10], 0.5, conf=95)


# --- ratios ------------------------------------------------------------------------------------


def test_classify_ratios_reproduces_every_published_row():
    inputs = _read("testdata_funnel_ratio_inputs.csv")
    labels = funnel.classify_ratios(inputs.obs, inputs.expected)
    assert len(labels) == 300 and (inputs.obs < 10).any() and (inputs.obs == 0).any()
    assert (labels == inputs.significance.to_numpy()).all()


def _exact_expected(observed, conf, side):
    """Expected events at which O observed is on the exact Poisson line (chi-square form)."""
    alpha = 1 - conf
    if side == 0:  # lower line: O is the upper confidence bound, chi2(1 - a/2, 2O + 2) / 2
        return stats.chi2.ppf(1 - alpha / 2, 2 * observed + 2) / 2
    return stats.chi2.ppf(alpha / 2, 2 * observed) / 2  # upper line: O is the lower bound


def _phe_bisection_error_bound(observed, expected):
    """Largest error in PHE's expected events: bisection on v = E/(E+O+1) stops at a step < 1e-7."""
    v = expected / (expected + observed + 1)
    return 2 * 2.0**-23 * (observed + 1) / (1 - v) ** 2  # two final steps in v, times dE/dv


@pytest.mark.parametrize("name", RATIO_COLUMNS)
def test_ratio_limits_reproduce_every_published_row(ratio_outputs, name):
    conf, side = RATIO_COLUMNS[name]
    observed = ratio_outputs.Observed_events.to_numpy(float)
    published = ratio_outputs[f"{name}_exp_events"].to_numpy()
    exact = _exact_expected(observed, conf, side)
    # Our line passes through (E, O/E) at the exact expected count for every published O ...
    ratio = funnel.ratio_limits(exact, conf, exact_below=np.inf)[side]
    np.testing.assert_allclose(ratio, observed / exact, rtol=1e-10)
    # ... and PHE's expected count differs from it by no more than their bisection's tolerance.
    assert (np.abs(exact - published) <= _phe_bisection_error_bound(observed, published) + 5e-10).all()
    np.testing.assert_allclose(100 * observed / exact, ratio_outputs[f"{name}_isr"], rtol=1e-4)
    np.testing.assert_allclose(observed / exact, ratio_outputs[f"{name}_count"] + 1, rtol=1e-4)


def test_published_ratio_digits_are_phe_bisection(ratio_outputs):
    """Replaying PHE's bisection (R poisson_funnel) explains the residuals of the exact values."""
    observed = ratio_outputs.Observed_events.to_numpy(float)
    published = ratio_outputs.upper_3s_exp_events.to_numpy()
    v, dv = np.full(observed.shape, 0.5), 0.5
    while dv > 1e-7:  # upper 99.8% line: P(X >= O | E) = 0.001
        dv /= 2
        v = np.where(stats.poisson.sf(observed - 1, (1 + observed) * v / (1 - v)) > 0.001, v - dv, v + dv)
    replayed = (1 + observed) * v / (1 - v)
    exact = _exact_expected(observed, 0.998, 1)
    assert abs(exact[0] / published[0] - 1) > 4e-5  # O = 1: the largest residual ...
    np.testing.assert_allclose(replayed, published, rtol=1e-6)  # ... is reproduced by the replay
    assert np.median(np.abs(replayed / published - 1)) < 1e-9


def test_ratio_limits_default_switches_to_byar_at_ten():
    expected = np.array([3.0, 30.0, 300.0])
    exact = funnel.ratio_limits(expected, 0.95, exact_below=np.inf)
    default = funnel.ratio_limits(expected, 0.95)
    assert exact[1][0] == default[1][0]  # upper line at E=3 crosses below 10 events: exact
    np.testing.assert_allclose(default[0][1:], exact[0][1:], rtol=2e-3)  # Byar close but not equal
    assert not np.array_equal(default[0][1:], exact[0][1:])


def test_ratio_lines_agree_with_classification():
    rng = np.random.default_rng(20240601)
    expected = rng.uniform(0.5, 400, 5000)
    obs = rng.poisson(expected * rng.uniform(0.5, 1.6, expected.size)).astype(float)
    ratio = obs / expected
    (lo_o, hi_o), (lo_i, hi_i) = (funnel.ratio_limits(expected, c) for c in (0.998, 0.95))
    from_lines = funnel._label(ratio < lo_o, ratio < lo_i, ratio > hi_o, ratio > hi_i)
    assert (from_lines == funnel.classify_ratios(obs, expected)).all()


def test_zero_observed_is_never_high_and_small_expected_has_zero_lower_line():
    assert funnel.classify_ratios([0], [0.01])[0] == "Not significant"
    assert funnel.classify_ratios([0], [10.0])[0] == "Low (0.001)"
    lower, upper = funnel.ratio_limits([0.01, 1.0], 0.95)
    assert (lower == 0).all() and (upper > 1).all()


# --- over-dispersion ---------------------------------------------------------------------------


def _overdispersed(rng, units=150, tau=0.05):
    n = rng.integers(200, 5000, units)
    p = np.clip(0.3 + tau * rng.standard_normal(units), 0.01, 0.99)
    return rng.binomial(n, p), n


def test_overdispersion_near_one_for_binomial_data():
    rng = np.random.default_rng(1)
    n = rng.integers(200, 5000, 400)
    od = funnel.overdispersion(rng.binomial(n, 0.3), n)
    # winsorising at 10%/90% shrinks phi below 1 (about 0.68 for normal z) when there is none
    assert 0.5 < od.phi < 0.9 and od.tau2 == 0 and od.n_units == 400


def test_overdispersion_detects_and_additive_limits_are_calibrated():
    rng = np.random.default_rng(2)
    x, n = _overdispersed(rng)
    od = funnel.overdispersion(x, n)
    assert od.phi > 3 and 0.5 * 0.05**2 < od.tau2 < 2 * 0.05**2
    flagged = {
        m: np.isin(funnel.classify_proportions(x, n, method=m), ["High (0.001)", "Low (0.001)"]).mean()
        for m in funnel.METHODS
    }
    assert flagged["none"] > 0.3  # plain binomial limits flag most units
    assert flagged["additive"] < 0.03 and flagged["multiplicative"] < flagged["none"]


def test_overdispersion_winsorises_at_ten_and_ninety_percent():
    n = np.full(10, 400.0)
    x = np.array([200.0] * 9 + [300.0])  # one wild unit; baseline fixed at 0.5
    z = np.array([0.0] * 9 + [10.0])
    od = funnel.overdispersion(x, n, baseline=0.5)
    capped = np.quantile(z, 0.9)  # 1.0
    assert od.phi == pytest.approx(capped**2 / 10)
    assert funnel.overdispersion(x, n, baseline=0.5, winsor=0).phi == pytest.approx(10.0)


def test_tau2_formula():
    x, n = np.array([10.0, 40, 90, 160]), np.array([100.0, 200, 300, 400])
    od = funnel.overdispersion(x, n, winsor=0)
    b = x.sum() / n.sum()
    s2 = b * (1 - b) / n
    w = 1 / s2
    phi = np.mean((x / n - b) ** 2 / s2)
    assert od.phi == pytest.approx(phi)
    assert od.tau2 == pytest.approx((4 * phi - 3) / (w.sum() - (w**2).sum() / w.sum()))


def test_widened_proportion_limits():
    od = funnel.Overdispersion(
        phi=4.0, tau2=0.001, n_units=10, statistic="proportion", baseline=0.5, winsor=0.1
    )
    n = np.array([100.0, 10000.0])
    plain = funnel.proportion_limits(n, 0.5, 0.95)
    mult = funnel.proportion_limits(n, 0.5, 0.95, "multiplicative", od)
    add = funnel.proportion_limits(n, 0.5, 0.95, "additive", od)
    np.testing.assert_allclose(0.5 - mult[0], 2 * (0.5 - plain[0]))  # sqrt(phi) = 2
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(add[1] - 0.5, z * np.sqrt(0.25 / n + 0.001))
    under = funnel.Overdispersion(0.5, 0.0, 10, "proportion", 0.5, 0.1)  # never narrower than plain
    np.testing.assert_allclose(funnel.proportion_limits(n, 0.5, 0.95, "multiplicative", under), plain)


def test_widened_methods_need_a_matching_overdispersion():
    with pytest.raises(ValueError, match="needs an Overdispersion"):
        funnel.proportion_limits([10], 0.5, 0.95, "additive")
    ratio_od = funnel.Overdispersion(2.0, 0.0, 5, "ratio", 1.0, 0.1)
    with pytest.raises(ValueError, match="estimated for ratios"):
        funnel.proportion_limits([10], 0.5, 0.95, "additive", ratio_od)


def test_ratio_overdispersion_on_square_root_scale():
    rng = np.random.default_rng(3)
    expected = rng.uniform(50, 500, 200)
    obs = rng.poisson(expected * rng.gamma(25, 1 / 25, expected.size))  # ~20% extra spread
    od = funnel.overdispersion(obs, expected, statistic="ratio")
    assert od.phi > 2 and od.tau2 > 0 and od.baseline == 1.0
    lower, upper = funnel.ratio_limits(expected, 0.998, method="additive", overdispersion=od)
    outside = (obs / expected < lower) | (obs / expected > upper)
    assert outside.mean() < 0.02
    z = stats.norm.ppf(0.999)
    np.testing.assert_allclose(np.sqrt(upper), 1 + z * np.sqrt(1 / (4 * expected) + od.tau2))
