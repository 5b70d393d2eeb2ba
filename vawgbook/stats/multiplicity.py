"""Control of the false discovery rate over a family of tests.

References
----------
.. [1] Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate: a practical
   and powerful approach to multiple testing. *Journal of the Royal Statistical Society B*
   57(1), 289-300.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def bh_qvalues(pvalues) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), ignoring NaNs.

    Parameters
    ----------
    pvalues : array_like
        p-values of one family of tests; NaNs stay NaN and do not count towards m.

    Returns
    -------
    ndarray
        ``q_(i) = min_{j >= i} min(1, m p_(j) / j)`` over the sorted non-missing p-values; equal
        to ``multipletests(p, method="fdr_bh")[1]`` on them.

    References
    ----------
    .. [1] Benjamini and Hochberg (1995). See the module references.
    """
    p = np.asarray(pvalues, float)
    q = np.full(p.shape, np.nan)
    valid = np.isfinite(p)
    pv = p[valid]
    if pv.size == 0:
        return q
    order = np.argsort(pv)
    ranked = pv[order] * pv.size / np.arange(1, pv.size + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    out = np.empty_like(pv)
    out[order] = adjusted
    q[valid] = out
    return q


def simes(pvalues) -> float:
    """Simes' combined p-value of a family (``min_i m p_(i) / i`` over the non-missing p-values):
    the p-value of "at least one null in the family is false", valid under independence and
    positive dependence; it equals the family's smallest BH q-value. NaN for an empty family."""
    p = np.sort(np.asarray(pvalues, float)[np.isfinite(pvalues)])
    if p.size == 0:
        return np.nan
    return float(min(1.0, np.min(p * p.size / np.arange(1, p.size + 1))))


@dataclass(frozen=True)
class Hierarchical:
    """Benjamini-Bogomolov control of a set of families (each indicator's forces, say).

    Attributes
    ----------
    q_values : ndarray
        One per test: reject (at the level ``alpha`` the q-values are read against) exactly when
        ``q < alpha``; NaN where the p-value was NaN.
    family_q : dict
        Each family's BH q-value of its Simes p-value (the family is selected when ``< alpha``).
    selected : int
        Families selected at ``alpha``.
    families : int
        Families with at least one p-value.
    applied : ndarray
        The per-test p-value threshold actually applied in each test's family at ``alpha``
        (``alpha R / m`` with ``R`` the rejections in the family, or ``alpha / m`` if none), scaled
        by the selection: what a change had to reach to be reported.
    """

    q_values: np.ndarray
    family_q: dict
    selected: int
    families: int
    applied: np.ndarray


def hierarchical_qvalues(pvalues, families, alpha: float = 0.05) -> Hierarchical:
    """Select families by BH on their Simes p-values, then BH within each selected family at
    ``alpha |S| / K`` (Benjamini and Bogomolov 2014): the expected share of false discoveries
    averaged over the selected families stays at most ``alpha``, as does the false discovery rate
    over families.

    Parameters
    ----------
    pvalues : array_like
        All the tests (NaN for rows not tested).
    families : array_like
        A family label for each test (e.g. the indicator's id).
    alpha : float
        The level the q-values are to be read against (the family selection depends on it).

    Returns
    -------
    Hierarchical
        A test's q-value is ``max(q_family, q_within K / |S|)``; ``q < alpha`` exactly when its
        family was selected and it is rejected within the family at ``alpha |S| / K``.

    References
    ----------
    .. [1] Benjamini, Y. and Bogomolov, M. (2014). Selective inference on multiple families of
       hypotheses. *Journal of the Royal Statistical Society B* 76(1), 297-318.
    .. [2] Simes, R. J. (1986). An improved Bonferroni procedure for multiple tests of
       significance. *Biometrika* 73(3), 751-754.
    """
    p = np.asarray(pvalues, float)
    labels = np.asarray(families, dtype=object)
    names = [f for f in dict.fromkeys(labels.tolist()) if np.isfinite(p[labels == f]).any()]
    q = np.full(p.shape, np.nan)
    applied = np.full(p.shape, np.nan)
    if not names:
        return Hierarchical(q, {}, 0, 0, applied)
    family_p = np.array([simes(p[labels == f]) for f in names])
    family_q = bh_qvalues(family_p)
    selected = int((family_q < alpha).sum())
    scale = len(names) / max(selected, 1)
    for name, fq in zip(names, family_q, strict=True):
        rows = labels == name
        within = bh_qvalues(p[rows])
        q[rows] = np.maximum(fq, np.minimum(within * scale, 1.0))
        tested = np.isfinite(p[rows])
        m = int(tested.sum())
        level = alpha / scale if fq < alpha else 0.0
        rejected = int((within[tested] * scale < alpha).sum()) if fq < alpha else 0
        applied[rows] = np.where(tested, level * max(rejected, 1) / m if level else alpha / (m * len(names)),
                                 np.nan)
    return Hierarchical(q, dict(zip(names, family_q.tolist(), strict=True)), selected, len(names), applied)


def bh_applied_level(qvalues, alpha: float = 0.05) -> float:
    """The p-value threshold Benjamini-Hochberg actually applied to a family at ``alpha``:
    ``alpha R / m`` with ``R`` the rejections (``alpha / m`` when there are none)."""
    q = np.asarray(qvalues, float)
    q = q[np.isfinite(q)]
    if q.size == 0:
        return np.nan
    return alpha * max(int((q < alpha).sum()), 1) / q.size
