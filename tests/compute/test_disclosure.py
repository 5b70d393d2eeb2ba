"""Statistical disclosure control: small counts and what is built on them are withheld."""

import numpy as np
import pandas as pd
import pytest

from vawgbook.compute.disclosure import protect
from vawgbook.config import load_registry
from vawgbook.errors import ConfigError
from vawgbook.periods import Quarter

REGISTRY = load_registry()
PERIOD = Quarter(2024, 2)
PERIODS = [str(PERIOD - k) for k in range(11, -1, -1)]


def tables(per_quarter: dict[str, float], kpi_id="police_perpetrated_cases"):
    """Quarterly counts per force (constant over time) and matching year-on-year result rows."""
    quarterly = pd.DataFrame(
        [
            {
                "period": p,
                "force": f,
                "kpi_id": kpi_id,
                "numerator": n,
                "denominator": np.nan,
                "value": n,
                "forces": 1,
            }
            for f, n in per_quarter.items()
            for p in PERIODS
        ]
    )
    results = pd.DataFrame(
        [
            {
                "period": str(PERIOD),
                "force": f,
                "kpi_id": kpi_id,
                "comparison": c,
                "value": 4 * n,
                "numerator": 4 * n,
                "denominator": np.nan,
                "ci_lower": 1.0,
                "ci_upper": 2.0,
                "baseline_value": 4 * n,
                "change": 0.0,
                "relative_change": 0.0,
                "p_value": 0.5,
                "q_value": 0.6,
                "min_detectable_change": 3.0,
                "assessment": "no_significant_change",
                "note": "",
            }
            for f, n in per_quarter.items()
            for c in ("year_on_year", "trend")
        ]
    )
    return results, quarterly


def test_threshold_defaults_follow_the_source():
    assert REGISTRY["police_perpetrated_cases"].disclosure_threshold == 5
    assert REGISTRY["victim_satisfaction_rate"].disclosure_threshold == 5
    assert REGISTRY["vawg_recorded"].disclosure_threshold == 0  # published by the Home Office
    assert REGISTRY["rape_charge_rate"].disclosure_threshold == 0


def test_small_counts_are_withheld_with_everything_built_on_them():
    # Kent has 1 a quarter: 4 a year, under 5. The others are large.
    results, quarterly = tables({"England and Wales": 61, "Kent": 1, "Essex": 20, "Surrey": 40})
    out, q = protect(results, quarterly, REGISTRY, PERIOD)
    kent = out.loc[(out["force"] == "Kent") & (out["comparison"] == "year_on_year")].iloc[0]
    assert kent["suppressed"]
    assert kent[["value", "numerator", "ci_lower", "baseline_value", "change", "p_value"]].isna().all()
    assert kent["assessment"] == "insufficient_data" and "disclosure control" in kent["note"]
    assert (
        q.loc[q["force"] == "Kent", "value"].isna().all() and q.loc[q["force"] == "Kent", "suppressed"].all()
    )


def test_secondary_suppression_hides_the_next_smallest_force():
    results, quarterly = tables({"England and Wales": 61, "Kent": 1, "Essex": 20, "Surrey": 40})
    out, q = protect(results, quarterly, REGISTRY, PERIOD)
    yoy = out.loc[out["comparison"] == "year_on_year"].set_index("force")["suppressed"]
    assert yoy.to_dict() == {"England and Wales": False, "Kent": True, "Essex": True, "Surrey": False}
    quarter = q.loc[q["period"] == str(PERIOD)].set_index("force")["suppressed"]
    assert quarter["Essex"] and not quarter["Surrey"]  # national minus Surrey no longer gives Kent


def test_zero_is_published_and_large_counts_untouched():
    results, quarterly = tables({"England and Wales": 40, "Kent": 0, "Essex": 20, "Surrey": 20})
    out, q = protect(results, quarterly, REGISTRY, PERIOD)
    assert not out["suppressed"].any() and not q["suppressed"].any()
    assert out["value"].notna().all()


def test_threshold_off_publishes_small_counts():
    results, quarterly = tables({"England and Wales": 3, "Kent": 1, "Essex": 2}, kpi_id="rape_recorded")
    out, _ = protect(results, quarterly, REGISTRY, PERIOD)
    assert not out["suppressed"].any()


def test_a_bad_threshold_in_the_registry_is_named(tmp_path):
    text = load_registry().path and open(load_registry().path).read()
    path = tmp_path / "kpis.yaml"
    path.write_text(text.replace("  force_returns: 5", "  force_returns: five"))
    with pytest.raises(ConfigError, match="disclosure_threshold"):
        load_registry(path)
