"""False discovery rate: hierarchical families (Benjamini-Bogomolov) against a direct
implementation of the procedure, and the level actually applied."""

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from vawgbook.stats.multiplicity import bh_applied_level, hierarchical_qvalues, simes


def _procedure(p, families, alpha):
    """The procedure as Benjamini and Bogomolov (2014) state it, step by step."""
    names = list(dict.fromkeys(families))
    family_p = [min(1, min(np.sort(p[families == f]) * np.sum(families == f)
                           / np.arange(1, np.sum(families == f) + 1))) for f in names]
    selected = multipletests(family_p, alpha, method="fdr_bh")[0]
    level = alpha * selected.sum() / len(names)
    reject = np.zeros(len(p), bool)
    for name, chosen in zip(names, selected, strict=True):
        if chosen:
            rows = families == name
            reject[rows] = multipletests(p[rows], level, method="fdr_bh")[0]
    return reject


@pytest.mark.parametrize("seed", range(12))
def test_rejections_are_the_procedures(seed):
    rng = np.random.default_rng(seed)
    families = np.repeat([f"kpi{i}" for i in range(16)], 43)
    p = rng.uniform(size=len(families))
    signal = rng.random(len(families)) < rng.choice([0.0, 0.05, 0.3], 16).repeat(43)
    p[signal] = rng.uniform(0, 1e-3, signal.sum())
    h = hierarchical_qvalues(p, families, 0.05)
    np.testing.assert_array_equal(h.q_values < 0.05, _procedure(p, families, 0.05))


def test_simes_is_the_smallest_bh_q_value():
    p = np.array([0.01, 0.04, 0.3, 0.02, np.nan])
    assert simes(p) == pytest.approx(np.nanmin(multipletests(p[:4], method="fdr_bh")[1]))


def test_applied_level_and_a_family_with_nothing_found():
    rng = np.random.default_rng(3)
    families = np.repeat(["a", "b"], 50)
    p = rng.uniform(0.2, 1, 100)
    p[:5] = 1e-6  # family a has five strong signals
    h = hierarchical_qvalues(p, families, 0.05)
    assert h.selected == 1 and h.families == 2
    # family a: selected, level 0.05 * 1/2, five rejections of 50
    np.testing.assert_allclose(h.applied[:50], 0.05 / 2 * 5 / 50)
    # family b: what one test would have needed (alone, selected, first of 50)
    np.testing.assert_allclose(h.applied[50:], 0.05 / (50 * 2))
    assert bh_applied_level([0.01, 0.5, 0.9, np.nan], 0.05) == pytest.approx(0.05 / 3)


def test_fdr_is_controlled_over_families_by_simulation():
    """Realised false discovery proportion over 400 replicates of 16 families x 43 tests with a
    few real effects in some families: mean at most about 5%."""
    rng = np.random.default_rng(9)
    families = np.repeat(np.arange(16), 43)
    fdp = []
    for _ in range(400):
        real = (rng.random(len(families)) < 0.1) & (families < 4)
        z = rng.normal(size=len(families)) + 3.0 * real
        p = 2 * (1 - __import__("scipy").stats.norm.cdf(np.abs(z)))
        found = hierarchical_qvalues(p, families, 0.05).q_values < 0.05
        fdp.append((found & ~real).sum() / max(found.sum(), 1))
    assert np.mean(fdp) <= 0.06


@pytest.mark.parametrize("seed", range(6))
def test_a_test_is_reported_exactly_when_its_p_value_reaches_the_applied_level(seed):
    """The applied level is the threshold the procedure used: what a minimum detectable change
    stated at that level refers to."""
    rng = np.random.default_rng(50 + seed)
    families = np.repeat([f"k{i}" for i in range(10)], 43)
    p = rng.uniform(size=len(families))
    p[rng.random(len(p)) < 0.08] = rng.uniform(0, 1e-3)
    h = hierarchical_qvalues(p, families, 0.05)
    np.testing.assert_array_equal(h.q_values < 0.05, p <= h.applied)
