"""The batched GLM fits of vawgbook.stats against statsmodels, series by series.

``fit_seasonal`` fits ``y ~ t + C(quarter) [+ step]`` to a stack of series at once with its own
IRLS; the code it replaced fitted one ``statsmodels`` GLM per series. Here statsmodels stays the
reference: fit by fit on many seeded random series (counts and proportions, overdispersed or not,
with gaps, zeros, an all-zero or all-success quarter level, short histories, zero denominators),
and through the whole of ``results.compute`` with the per-series statsmodels fits put back.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize
from scipy import stats as sps

from vawgbook import stats
from vawgbook.compute.results import compute
from vawgbook.config import force_names, load_registry
from vawgbook.ingest.sources import Dataset, Quality
from vawgbook.periods import Quarter
from vawgbook.stats import change, distributions, glm

# Some random series grow explosively: exp overflows in their trend levels, in statsmodels' path too.
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")

RTOL = 1e-7  # agreement asked of the batch fit with statsmodels
TIGHT = 1e-9  # agreement asked of the figures compute() publishes


def _statsmodels_irls(family, y, size, ok, X, live, levels, present) -> stats.SeasonalFit:
    """The per-series path the batch fit replaced: one ``sm.GLM`` per row, on that row's own
    quarters and columns (a drop-in for ``glm._irls``)."""
    B, T, K = X.shape
    params, root = np.zeros((B, K)), np.zeros((B, K, K))
    pearson, df = np.zeros(B), np.zeros(B)
    residuals, weighted = np.zeros((B, T)), np.zeros((B, T, K))
    iterations, converged = np.zeros(B, int), np.zeros(B, bool)
    for b in range(B):
        design = X[b][ok[b]][:, live[b]]
        yb, nb = y[b][ok[b]], size[b][ok[b]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # separation when a quarter level is all zero
            if family == "poisson":
                model = sm.GLM(yb, design, family=sm.families.Poisson(), offset=np.log(nb))
            else:
                model = sm.GLM(np.column_stack([yb, nb - yb]), design, family=sm.families.Binomial())
            res = model.fit()
        params[b, live[b]] = res.params
        # cov_params() / scale is pinv(A) pinv(A)' with A = sqrt(W) X at the last weights
        _, s, vt = np.linalg.svd(np.sqrt(model.weights)[:, None] * design, full_matrices=False)
        keep = s > 1e-15 * s.max()
        root[b][np.ix_(live[b], live[b])] = vt.T * np.where(keep, 1 / np.where(keep, s, 1), 0)
        pearson[b], df[b] = res.pearson_chi2, res.df_resid
        iterations[b], converged[b] = res.fit_history["iteration"], res.converged
        residuals[b, ok[b]] = res.resid_pearson
        weighted[b][np.ix_(ok[b], live[b])] = np.sqrt(model.weights)[:, None] * design
    return stats.SeasonalFit(params, root, live, levels, present, pearson, df, iterations, converged,
                             residuals, weighted)


def _series(rng, kind: str, length: int):
    """A random quarterly series of one kind, with the awkward cases drawn at random."""
    q = (np.arange(length) + rng.integers(4)) % 4 + 1
    season = np.exp(rng.normal(0, 0.25, 4))[q - 1]
    scale = 10 ** rng.uniform(-0.3, 4)
    phi = rng.choice([1.0, 1.0, 4.0, 25.0])
    if kind == "proportion":
        den = rng.integers(0, int(scale) + 3, size=length).astype(float)
        p = np.clip(rng.uniform(0.02, 0.98) * season, 0.0, 1.0)
        if phi > 1:  # beta-binomial
            rho = min((phi - 1) / max(den.max(), 2.0), 0.5)
            p = rng.beta(p * (1 / rho - 1) + 1e-9, (1 - p) * (1 / rho - 1) + 1e-9)
        num = rng.binomial(den.astype(int), p).astype(float)
    else:
        mu = scale * season
        if phi > 1:  # gamma-Poisson
            mu = rng.gamma(mu / (phi - 1), phi - 1)
        num = rng.poisson(mu).astype(float)
        den = (np.ones(length) if kind == "count"
               else rng.uniform(1e4, 1e6) * np.exp(rng.normal(0, 0.05, length)) / 4)
    case = rng.uniform()
    level = q == rng.integers(1, 5)
    if case < 0.2:
        num[level] = 0.0  # an all-zero quarter level: separation
    elif case < 0.3 and kind == "proportion":
        num[level] = den[level]  # every trial a success in one quarter level
    elif case < 0.35 and kind == "proportion":
        num = den.copy()  # y == size everywhere
    elif case < 0.4:
        num[:] = 0.0
    if rng.uniform() < 0.25:  # gaps
        num[rng.choice(length, size=rng.integers(1, 4), replace=False)] = np.nan
    if kind != "count" and rng.uniform() < 0.15:  # a zero denominator
        zero = rng.integers(length)
        den[zero] = num[zero] = 0.0
    return num, den, q


def _random_stack(seed: int, kind: str, n: int):
    rng = np.random.default_rng(seed)
    lengths = rng.choice([8, 9, 10, 11, 12, 16, 20, 22, 22, 22], size=n)
    return [_series(rng, kind, int(length)) for length in lengths]


def _reldiff(a, b, scale=0.0):
    a, b = np.asarray(a, float), np.asarray(b, float)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore"):
        diff = np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), scale)
    return np.where(same, 0.0, diff)


def _stack(rows):
    """Random series as rows of equal width, aligned at their last quarter."""
    width = max(len(num) for num, _, _ in rows)
    y, size, q = (np.full((len(rows), width), np.nan) for _ in range(3))
    for i, (num, den, quarter) in enumerate(rows):
        y[i, width - len(num):], size[i, width - len(num):] = num, den
        q[i, width - len(num):] = quarter
    return y, size, q


def _separated(family, y, size, q):
    """Rows with a quarter level without any count (binomial: or without any failure)."""
    ok = glm._observed(y, size, q)
    out = np.zeros(len(y), bool)
    for level in np.unique(q[ok]):
        cell = ok & (q == level)
        out |= cell.any(axis=1) & (np.where(cell, y, 0).sum(axis=1) == 0)
        if family == "binomial":
            out |= cell.any(axis=1) & np.where(cell, y == size, True).all(axis=1)
    return out


@pytest.mark.parametrize("family, kind, seed", [("poisson", "count", 1), ("poisson", "rate", 2),
                                                ("binomial", "proportion", 3)])
@pytest.mark.parametrize("with_step", [False, True])
def test_fit_matches_statsmodels_glm(family, kind, seed, with_step):
    y, size, q = _stack(_random_stack(seed + 10 * with_step, kind, 150))
    step = np.arange(y.shape[1]) >= y.shape[1] - 4 if with_step else None
    ok = glm._observed(y, size, q)
    fittable = (ok.sum(axis=1) >= 7) & (np.where(ok, y, 0).sum(axis=1) > 0)
    if family == "binomial":
        fittable &= ~np.where(ok, y == size, True).all(axis=1)
    y, size, q = y[fittable], size[fittable], q[fittable]
    fit = stats.fit_seasonal(family, y, size, q, step=step)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(glm, "_irls", _statsmodels_irls)
        ref = stats.fit_seasonal(family, y, size, q, step=step)
    # the same iterations as statsmodels
    assert fit.converged.all() and (fit.iterations == ref.iterations).mean() > 0.95
    np.testing.assert_array_equal(fit.df_resid, ref.df_resid)
    assert _reldiff(fit.pearson_chi2, ref.pearson_chi2).max() < RTOL
    se_slope = np.sqrt(ref.cov[:, 1, 1])  # the slope, on the scale of its standard error
    assert _reldiff(fit.params[:, 1], ref.params[:, 1], se_slope).max() < RTOL
    # Where a quarter level is all zero (or all success) the MLE is at infinity and IRLS stops
    # wherever the deviance settles: the coefficients heading there and their variances depend
    # on rounding (in statsmodels too), and with the step column so does the slope's variance, by
    # up to 1e-4 (both fits are as far from the limit with those quarters left out). Everything
    # else agrees to RTOL.
    sep = _separated(family, y, size, q)
    assert sep.sum() > 10 and (~sep).sum() > 50
    var_slope = _reldiff(fit.cov[:, 1, 1], ref.cov[:, 1, 1])
    assert var_slope[~sep].max() < RTOL and var_slope[sep].max() < (1e-4 if with_step else RTOL)
    scale = np.abs(ref.params).max(axis=1, keepdims=True)
    assert _reldiff(fit.params[~sep], ref.params[~sep], scale[~sep]).max() < RTOL
    cov, ref_cov = fit.cov[~sep], ref.cov[~sep]
    assert _reldiff(cov, ref_cov, np.abs(ref_cov).max(axis=(1, 2), keepdims=True)).max() < RTOL


def test_design_is_the_old_one():
    """Columns [1, t, a dummy for each quarter level but the first, step if it varies] of each
    series' own quarters, as the per-series code built them."""
    rows = _random_stack(4, "count", 60)
    y, size, q = _stack(rows)
    step = np.arange(y.shape[1]) >= y.shape[1] - 4
    ok = glm._observed(y, size, q)
    t = np.broadcast_to(np.arange(y.shape[1], dtype=float), y.shape)
    X, live, levels, present = glm._seasonal_design(t, q, ok, [step])
    for b in range(len(y)):
        qb, tb, sb = q[b][ok[b]], t[b][ok[b]], step[ok[b]].astype(float)
        cols = [np.ones_like(tb), tb] + [(qb == lev).astype(float) for lev in np.unique(qb)[1:]]
        if len(sb) and np.ptp(sb):
            cols.append(sb)
        np.testing.assert_array_equal(X[b][ok[b]][:, live[b]], np.column_stack(cols))
        assert not X[b][~ok[b]].any() and not X[b][:, ~live[b]].any()
        np.testing.assert_array_equal(levels[present[b]], np.unique(qb))


def _old_dispersion(family, y, size, q, step=None) -> stats.Dispersion:
    """The per-series dispersion before the batch fit (statsmodels), for comparison."""
    y, size, q = (np.asarray(a, float) for a in (y, size, q))
    t = np.arange(len(y), dtype=float)
    ok = glm._observed(y, size, q)
    if step is not None:
        step = np.asarray(step, float)[ok]
        if len(step) == 0 or np.ptp(step) == 0:
            step = None
    y, size, q, t = y[ok], size[ok], q[ok], t[ok]
    n_params = 2 + len(np.unique(q)) - 1 + (step is not None)
    if ok.sum() < glm.MIN_HISTORY_QUARTERS or len(y) - n_params < glm.MIN_DISPERSION_DF:
        return stats.Dispersion(1.0, 0.0, glm.PLAIN_SHORT)
    if y.sum() == 0 or (family == "binomial" and np.all(y == size)):
        return stats.Dispersion(1.0, 0.0, "plain (no variation to estimate from)")
    X = np.column_stack([np.ones_like(t), t] + [(q == lev).astype(float) for lev in np.unique(q)[1:]]
                        + ([] if step is None else [step]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if family == "poisson":
            res = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(size)).fit()
        else:
            res = sm.GLM(np.column_stack([y, size - y]), X, family=sm.families.Binomial()).fit()
    raw, df = float(res.pearson_chi2 / res.df_resid), float(res.df_resid)
    return stats.Dispersion(max(raw, 1.0), df, "")


@pytest.mark.parametrize("kind, seed", [("count", 5), ("rate", 6), ("proportion", 7)])
def test_dispersion_matches_statsmodels_series_by_series(kind, seed):
    worst = 0.0
    methods = set()
    for num, den, q in _random_stack(seed, kind, 120):
        for step in (None, np.arange(len(num)) >= len(num) - 4):
            if kind == "proportion":
                got = stats.dispersion_proportions(num, den, q, step=step)
            else:
                got = stats.dispersion_counts(num, q, exposure=None if kind == "count" else den,
                                              step=step)
            family = "binomial" if kind == "proportion" else "poisson"
            ref = _old_dispersion(family, num, np.ones_like(num) if kind == "count" else den, q, step)
            assert got.df == ref.df
            if ref.method:
                assert got.method == ref.method
            worst = max(worst, float(_reldiff(got.phi, ref.phi)))
            methods.add(got.method.split(" (")[0].split(",")[0])
    assert worst < RTOL
    assert {"plain", "overdispersion-adjusted"} <= methods  # estimated, floored, short, flat


def test_batch_gives_what_each_series_gives_alone():
    """year_on_year_batch / trend_batch on series of different lengths (some that cannot be tested)
    against year_on_year / trend on each series alone."""
    for kind, seed in (("count", 8), ("rate", 9), ("proportion", 10)):
        rows = _random_stack(seed, kind, 40)
        nums, dens, qs = (list(x) for x in zip(*rows, strict=True))
        nums[3] = -nums[3]  # negative: cannot be tested
        if kind == "proportion":
            dens[5] = dens[5] / 4  # more successes than trials (where there are any)
        dens_arg = None if kind == "count" else dens
        with pytest.raises(ValueError, match="negative"):
            stats.year_on_year_batch(nums, dens_arg, qs, kind)
        yoys = stats.year_on_year_batch(nums, dens_arg, qs, kind, multiplier=100, skip_invalid=True)
        trends = stats.trend_batch(nums, dens_arg, qs, kind, multiplier=100, skip_invalid=True)
        for num, den, q, yoy, trend in zip(nums, dens, qs, yoys, trends, strict=True):
            den_arg = None if kind == "count" else den
            for batch, test in ((yoy, stats.year_on_year), (trend, stats.trend)):
                try:
                    alone = test(num, den_arg, q, kind, multiplier=100)
                except ValueError:
                    assert batch is None
                    continue
                assert (batch.method, batch.note, batch.insufficient) == (
                    alone.method, alone.note, alone.insufficient)
                for name in ("value", "ci_lower", "ci_upper", "p_value", "statistic",
                             "min_detectable_change", "numerator", "denominator"):
                    assert _reldiff(getattr(batch, name), getattr(alone, name), 1e-12) < 1e-10, name
        assert yoys[3] is None and trends[3] is None


def _gap(d, kind, level0, e1, e0, phi, crit_a, crit_b):
    """The equation the minimum detectable change solves, as the per-series code wrote it."""
    var = (lambda p: phi * p * (1 - p)) if kind == "proportion" else (lambda r: phi * r)
    level1 = level0 + (-1.0 if kind == "proportion" and level0 > 0.5 else 1.0) * d
    pooled = (e1 * level1 + e0 * level0) / (e1 + e0)
    se0 = np.sqrt(var(pooled) * (1 / e1 + 1 / e0))
    se1 = np.sqrt(var(level1) / e1 + var(level0) / e0)
    return d - crit_a * se0 - crit_b * se1


def test_minimum_detectable_change_is_brentqs_root():
    rng = np.random.default_rng(12)
    for kind in ("count", "rate", "proportion"):
        n = 300
        e1 = rng.uniform(1, 5000, n) if kind == "proportion" else rng.uniform(0.5, 1e5, n)
        e0 = e1 * rng.uniform(0.7, 1.3, n)
        level0 = rng.uniform(0, 1, n) if kind == "proportion" else rng.uniform(0, 50, n)
        level0[:5] = 0.0
        if kind == "proportion":
            level0[5:10] = 1.0
        phi = rng.choice([1.0, 2.5, 40.0], n)
        df = rng.choice([3.0, 7.0, 15.0, np.inf], n)
        crit_a, crit_b = sps.t.ppf(0.975, df), sps.t.ppf(0.8, df)
        got = change._mdc_two_sample(kind, level0, e1, e0, phi, crit_a, crit_b)
        for i in range(n):
            args = (kind, level0[i], e1[i], e0[i], phi[i], crit_a[i], crit_b[i])
            if kind == "proportion":
                hi = level0[i] if level0[i] > 0.5 else 1 - level0[i]
            else:
                hi = max(level0[i], 1 / e1[i])
                while _gap(hi, *args) < 0:
                    hi *= 2
            if _gap(hi, *args) < 0:  # no root below the bound of a proportion
                assert np.isnan(got[i])
                continue
            ref = optimize.brentq(_gap, 0.0, hi, args=args, xtol=1e-15 * hi, rtol=1e-15)
            assert got[i] == pytest.approx(ref, rel=1e-9, abs=1e-15 * hi), (kind, i)


def test_distribution_functions_are_scipy_stats():
    """scipy.special in place of scipy.stats (which the command does not import): the same, to
    the last bit or within an ulp or two (the normal where df is infinite)."""
    q = np.array([0.0005, 0.025, 0.5, 0.8, 0.975, 0.999])
    df = np.array([1.0, 3.0, 7.0, 30.0, np.inf, 2.5])
    np.testing.assert_allclose(distributions.quantile(q, df), sps.t.ppf(q, df), rtol=1e-15)
    x = np.array([0.0, 0.5, 1.96, 4.0, 40.0, np.inf])
    np.testing.assert_allclose(distributions.two_sided_p(x, df), 2 * sps.t.sf(x, df), rtol=1e-15)
    k = np.array([0.5, 1.0, 3.0, 9.0, 9.5])
    lower, upper = distributions.poisson_exact_bounds(k, 0.95)
    np.testing.assert_allclose(lower, sps.chi2.ppf(0.025, 2 * k) / 2, rtol=1e-14)
    np.testing.assert_allclose(upper, sps.chi2.ppf(0.975, 2 * k + 2) / 2, rtol=1e-14)
    assert distributions.critical_value(0.95) == sps.norm.ppf(0.975)
    assert distributions.chi2_sf(30.0, 12) == pytest.approx(sps.chi2.sf(30.0, 12), rel=1e-14)


def test_bisection_finds_the_root_to_the_last_bit():
    target = np.array([2.0, 10.0, 1e-8, 3.0])
    root = distributions.bisect(np.sqrt, target, 0.0, np.array([10.0, 1e3, 1.0, 9.0]))
    assert np.array_equal(root, [4.0, 100.0, 1e-16, 9.0]) or np.allclose(root, target**2, rtol=4e-16)
    # the least x with f(x) >= target: one ulp below fails
    assert np.all(np.sqrt(np.nextafter(root, 0)) < target)


FIELDS = ("value", "baseline_value", "change", "relative_change", "ci_lower", "ci_upper",
          "statistic", "p_value", "dispersion", "min_detectable_change", "numerator", "denominator")


def _compare(batch, reference, tolerance):
    """Worst relative difference of each field (NaN where both are NaN counts as equal)."""
    worst = dict.fromkeys(FIELDS, 0.0)
    for got, ref in zip(batch, reference, strict=True):
        assert (got.method, got.note, got.insufficient) == (ref.method, ref.note, ref.insufficient)
        for name in FIELDS:
            a, b = getattr(got, name), getattr(ref, name)
            # changes and statistics near 0 (a flat series) on the scale of the value / of 1
            scale = {"change": abs(ref.value), "relative_change": 1.0, "statistic": 1.0}.get(name, 0)
            worst[name] = max(worst[name], float(_reldiff(a, b, scale)))
    assert max(worst.values()) < tolerance, worst
    return worst


@pytest.mark.parametrize("kind, seed", [("count", 13), ("rate", 14), ("proportion", 15)])
def test_change_tests_match_the_per_series_statsmodels_path(kind, seed):
    nums, dens, qs = (list(x) for x in zip(*_random_stack(seed, kind, 200), strict=True))
    dens_arg = None if kind == "count" else dens
    yoy = stats.year_on_year_batch(nums, dens_arg, qs, kind, multiplier=100)
    trend = stats.trend_batch(nums, dens_arg, qs, kind, multiplier=100)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(glm, "_irls", _statsmodels_irls)
        ref_yoy = stats.year_on_year_batch(nums, dens_arg, qs, kind, multiplier=100)
        ref_trend = stats.trend_batch(nums, dens_arg, qs, kind, multiplier=100)
    _compare(yoy, ref_yoy, TIGHT)
    _compare(trend, ref_trend, TIGHT)


RETURNS = {  # measure: (typical quarterly count, first quarter with returns)
    "da_flagged_crimes": (900, 8), "dvpo_granted": (12, 8), "dvds_disclosures": (40, 8),
    "victim_survey_respondents": (60, 10), "police_perpetrated_cases": (4, 12),
    "police_perpetrated_cases_finalised": (3, 12), "streetsafe_reports": (25, 14),
}
PARTS = {  # measure: (part of, share)
    "da_arrests": ("da_flagged_crimes", 0.4), "dvds_disclosures_within_28_days": ("dvds_disclosures", 0.7),
    "victim_survey_satisfied": ("victim_survey_respondents", 0.65),
    "police_perpetrated_cases_no_action": ("police_perpetrated_cases_finalised", 0.3),
}


def _generated_dataset(seed: int = 20250601, n_quarters: int = 22) -> Dataset:
    """A seeded synthetic data set: overdispersed counts, small and zero counts, a quarter of the
    year without cases, gaps, zero denominators and short force returns."""
    rng = np.random.default_rng(seed)
    first = Quarter(2019, 1).index
    qidx = np.arange(first, first + n_quarters)
    season = np.array([1.02, 1.08, 0.96, 0.94])[qidx % 4]
    crime, outcomes, returns, population = [], [], [], []
    codes = ("19C", "19D", "20A", "20B", "88E", "8Q", "8L", "8U")
    for f, force in enumerate(force_names().territorial):
        size = 10 ** rng.uniform(0.3, 3)  # a few offences a quarter .. a thousand
        phi = rng.choice([1.0, 3.0, 12.0])
        gaps = set(rng.choice(qidx[:-8], size=int(rng.uniform() < 0.1), replace=False).tolist())
        for code in codes:
            mu = size * season * rng.uniform(0.2, 1.5)
            if phi > 1:
                mu = rng.gamma(mu / (phi - 1), phi - 1)
            offences = rng.poisson(mu)
            if f % 5 == 1:
                offences[qidx % 4 == 2] = 0  # no cases in one quarter of the year
            if f == 7:
                offences[-10] = -5  # a negative count, as published now and then: not testable
            charge = rng.uniform(0.03, 0.15)
            for q, n in zip(qidx.tolist(), offences.tolist(), strict=True):
                if q in gaps:
                    continue
                crime.append((force, q, code, float(n)))
                closed = rng.multinomial(max(n, 0), [charge, 0.1, 0.15, 0.3, 0.2, 0.25 - charge])
                for otype, count in zip((1, 14, 16, 18, 5, 0), closed.tolist(), strict=True):
                    outcomes.append((force, q, code, otype, float(count)))
        totals = {}
        for measure, (typical, start) in RETURNS.items():
            counts = rng.poisson(typical * size / 300 * season).astype(float)
            counts[: start] = np.nan
            if measure == "police_perpetrated_cases_finalised" and f % 3 == 0:
                counts[-5] = 0.0  # a quarter with nothing finalised
            totals[measure] = counts
        for measure, (whole, share) in PARTS.items():
            totals[measure] = np.where(np.isnan(totals[whole]), np.nan,
                                       rng.binomial(np.nan_to_num(totals[whole]).astype(int), share))
        for measure, counts in totals.items():
            for q, value in zip(qidx.tolist(), counts.tolist(), strict=True):
                if not np.isnan(value) and not (measure == "dvpo_granted" and q == qidx[-6] and f == 2):
                    returns.append((force, q, measure, "", "", value))
        for year in range(2019, 2025):
            population.append((force, year, 4e5 * size / 300 + 1e4, 8e5 * size / 300 + 2e4))
    return Dataset(
        pd.DataFrame(crime, columns=["force", "qidx", "offence_code", "offences"]),
        pd.DataFrame(outcomes, columns=["force", "qidx", "offence_code", "outcome_type", "closed"]),
        pd.DataFrame(returns, columns=["force", "qidx", "measure", "dimension", "category", "value"]),
        pd.DataFrame(population, columns=["force", "year", "female", "total"]),
        Quality(),
    )


def test_compute_matches_the_per_series_statsmodels_path():
    """kpi_results figures with the batch fits equal those with one statsmodels GLM per series."""
    # no registered break, so that every comparison is tested
    ds, registry = _generated_dataset(), dataclasses.replace(load_registry(), breaks=())
    period = Quarter.from_index(int(ds.crime["qidx"].max()))
    batch = compute(ds, registry, period)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(glm, "_irls", _statsmodels_irls)
        reference = compute(ds, registry, period)
    pd.testing.assert_frame_equal(batch.quarterly, reference.quarterly)
    got, ref = batch.results, reference.results
    numbers = ["value", "numerator", "denominator", "ci_lower", "ci_upper", "baseline_value",
               "change", "relative_change", "p_value", "q_value", "min_detectable_change"]
    pd.testing.assert_frame_equal(got.drop(columns=numbers), ref.drop(columns=numbers))
    for column in numbers:
        # a change of a flat series is 0 to rounding: on the scale of the value (of 1 if relative)
        scale = {"change": ref["value"].abs().to_numpy(float), "relative_change": 1.0}.get(column, 0)
        assert _reldiff(got[column].to_numpy(float), ref[column].to_numpy(float),
                        scale).max() < TIGHT, column
    tested = got.loc[got["p_value"].notna()]
    assert len(tested) > 1000
    methods = " ".join(tested["method"])
    for what in ("overdispersion-adjusted", "floored at 1", "history too short", "no variation"):
        assert what in methods, what
    untested = got.loc[got["method"] == "not tested", "note"]
    assert len(untested) and untested.str.startswith("data cannot be tested: counts").all()


def test_kpis_command_imports_no_model_or_notebook_library():
    """``vawgbook kpis`` imports what it needs: no statsmodels (the fits are numpy), no charts, no
    notebook machinery (each costs seconds of start-up on a command run in a loop)."""
    modules = ("vawgbook.cli", "vawgbook.periods", "vawgbook.config", "vawgbook.compute",
               "vawgbook.ingest", "vawgbook.files")  # as the kpis command imports them
    unwanted = ("statsmodels", "altair", "vl_convert", "jupyter_core", "nbformat", "nbclient",
                "papermill", "IPython", "matplotlib", "sphinx")
    code = (f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({unwanted!r}))"
            f" + sorted({{'scipy.stats', 'scipy.optimize'}} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
