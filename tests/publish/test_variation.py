"""Funnel plots and process-control readings built from results."""

import numpy as np
import pandas as pd

from vawgbook.config import load_registry
from vawgbook.publish import variation
from vawgbook.stats import funnel

REGISTRY = load_registry()


def results(kpi_id, numerators, denominators):
    forces = [f"Force {i}" for i in range(len(numerators))]
    return pd.DataFrame(
        {
            "kpi_id": kpi_id,
            "comparison": "year_on_year",
            "force": forces + ["England and Wales"],
            "numerator": list(numerators) + [sum(numerators)],
            "denominator": list(denominators) + [sum(denominators)],
        }
    )


def test_funnel_centres_on_the_national_proportion_and_names_an_outlier():
    n = [2000] * 20
    x = [100] * 19 + [200]  # one force at 10% where the rest are at 5%
    f = variation.funnel_for(results("vawg_charge_rate", x, n), REGISTRY["vawg_charge_rate"])
    assert f.baseline == sum(x) / sum(n)
    assert f.points.set_index("force").loc["Force 19", "signal"] == funnel.HIGH_999
    assert (f.points["force"] == "England and Wales").sum() == 0  # the nation is the centre, not a point
    assert ("Above the range expected for a force of its size: Force 19 (higher is better: a better "
            "figure).") in variation.funnel_sentence(f)
    assert f.points.set_index("force").loc["Force 19", "position"] == "above"
    assert "a prompt to ask why, not a verdict" in variation.funnel_sentence(f)


def test_funnel_limits_match_the_public_health_method_without_overdispersion():
    rng = np.random.default_rng(1)
    n = rng.integers(500, 5000, 30)
    x = rng.binomial(n, 0.3)
    f = variation.funnel_for(results("vawg_charge_rate", x, n), REGISTRY["vawg_charge_rate"])
    assert f.method == "none"
    rate = x.sum() / n.sum()
    lo, hi = funnel.proportion_limits(f.limits["denominator"], rate, funnel.CONF_OUTER)
    assert np.allclose(f.limits["lower_998"], lo) and np.allclose(f.limits["upper_998"], hi)


def test_overdispersed_forces_get_additive_limits_and_the_note_says_so():
    rng = np.random.default_rng(2)
    n = np.full(40, 20_000)
    p = rng.normal(0.06, 0.01, 40).clip(0.01)
    f = variation.funnel_for(results("vawg_charge_rate", rng.binomial(n, p), n), REGISTRY["vawg_charge_rate"])
    assert f.method == "additive"
    assert "limits are widened to allow for real differences between forces" in f.note
    assert "overdispersion" not in f.note and "random-effects" not in f.note  # no jargon for readers
    flagged = (f.points["signal"] != funnel.NOT_SIGNIFICANT).mean()
    assert flagged < 0.25  # plain binomial limits would flag most of these forces


def test_rates_use_observed_over_expected_limits_scaled_to_the_rate():
    n = np.full(10, 10_000.0)
    x = np.full(10, 100.0)
    f = variation.funnel_for(results("dvpo_rate", x, n), REGISTRY["dvpo_rate"])
    assert f.baseline == 1.0  # 100 per 10,000 = 1 per 100
    lo, hi = funnel.ratio_limits(f.limits["denominator"] * 0.01, funnel.CONF_INNER)
    assert np.allclose(f.limits["upper_95"], hi * 1.0)


def test_counts_have_no_funnel():
    assert (
        variation.funnel_for(results("vawg_recorded", [1, 2, 3], [1, 1, 1]), REGISTRY["vawg_recorded"])
        is None
    )


def quarterly(values, kpi_id="vawg_no_suspect_rate"):
    return pd.DataFrame(
        {
            "period": [f"20{10 + i // 4}-{11 + i // 4}-Q{i % 4 + 1}" for i in range(len(values))],
            "force": "Kent",
            "kpi_id": kpi_id,
            "value": values,
        }
    )


def test_spc_reads_a_run_below_the_mean_as_improvement_for_a_lower_is_better_kpi():
    values = [
        0.10,
        0.11,
        0.10,
        0.11,
        0.10,
        0.11,
        0.10,
        0.11,
        0.10,
        0.11,
        0.08,
        0.079,
        0.078,
        0.077,
        0.076,
        0.075,
        0.074,
    ]
    kpi = REGISTRY["vawg_no_suspect_rate"]
    chart = variation.spc_for(quarterly(values), kpi, "Kent")
    text = variation.spc_sentence(chart, kpi, "improving")
    assert "special-cause improvement (lower)" in text
    assert "different questions" not in text  # both methods agree
    disagree = variation.spc_sentence(chart, kpi, "no_significant_change")
    assert "different questions" in disagree


def test_spc_common_cause_only():
    kpi = REGISTRY["vawg_no_suspect_rate"]
    chart = variation.spc_for(quarterly([0.10, 0.11] * 8), kpi, "Kent")
    assert "common-cause variation only" in variation.spc_sentence(chart, kpi, "no_significant_change")


def test_process_limits_restart_at_a_registered_break():
    from vawgbook.config.registry import Break
    from vawgbook.periods import Quarter

    kpi = REGISTRY["stalking_harassment_recorded"]
    values = [100.0] * 10 + [70.0] * 10  # a counting change at the 11th quarter
    data = quarterly(values, kpi_id=kpi.id)
    first = Quarter.parse(data["period"].iloc[10])
    chart = variation.spc_for(data, kpi, "Kent", [Break("b", first, (), (kpi.id,), "w", "s")])
    assert chart["segment"].nunique() == 2
    assert chart["mean"].iloc[0] == 100.0 and chart["mean"].iloc[-1] == 70.0
    plain = variation.spc_for(data, kpi, "Kent")
    assert plain["segment"].nunique() == 1
