"""Control of the false discovery rate over a family of tests.

References
----------
.. [1] Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate: a practical
   and powerful approach to multiple testing. *Journal of the Royal Statistical Society B*
   57(1), 289-300.
"""

from __future__ import annotations

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
