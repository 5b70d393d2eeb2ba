"""KPIs by victim ethnicity, age band and sex: recording completeness, gaps between groups.

The framework asks for data on women and girls, and on Black and minoritised women and girls, to
be visible. Force returns may break a measure down by a ``Dimension`` and ``Category``; the
registry says which KPIs are broken down by which dimensions. This module turns those rows into
results rows (the columns of ``kpi_results.csv`` plus ``dimension`` and ``category``):

``recording_completeness``
    The share of the total with a known category (not ``Not stated``, not left unrecorded) in
    the last 12 months against the 12 months before. Below the registry's threshold a force's
    breakdown is shown but not tested or ranked (assessment ``incomplete_recording``).
``disparity`` (proportion KPIs)
    A group's proportion against the rest of the known categories (or a reference category):
    ``value`` the group's, ``baseline_value`` the comparison group's, ``change`` the gap. The
    interval of the gap is in the ``gap_change`` row and the note.
``gap_change`` (proportion KPIs)
    The gap in the last 12 months (``value``, with its interval) against the gap in the 12 months
    before (``baseline_value``): ``gap_widened`` / ``gap_narrowed``.
``breakdown`` (count KPIs)
    The count in each category, last 12 months against the 12 before; not tested, as there is
    no population by category to turn counts into rates.

Small numbers: a category whose counts (or the rest's) are from 1 to the KPI's disclosure
threshold minus 1 is withheld, with secondary suppression so that no published sum (the known
total, a merged group, England and Wales) reveals it; proportions from fewer than the registry's
``min_cases`` cases are not shown at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import words as W
from ..config import Kpi, Registry, force_names, vocabulary
from ..ingest import Dataset
from ..periods import Quarter
from ..stats import SETTINGS, bh_qvalues
from ..stats import disparity as gaps
from ..stats.settings import QUARTERS_PER_YEAR
from .assessment import assess_gaps
from .disclosure import note as disclosure_note
from .disclosure import secondary_over_sums


def _segments() -> np.ndarray:
    """Years of the analysis window, oldest first, for each of its quarters: the last is the
    latest 12 months, the one before the baseline year."""
    years = vocabulary().analysis_quarters // QUARTERS_PER_YEAR
    return np.repeat(np.arange(years) - (years - 3), QUARTERS_PER_YEAR)


def _category_arrays(ds: Dataset, measure: str, dim: str, forces: list[str],
                     quarters: list[int]) -> np.ndarray:
    """``(force, quarter, category)`` values of one measure's breakdown; NaN where the force sent
    no category for that quarter. A category missing beside others that were sent counts as 0
    (returns, like the Home Office tables, leave out zero rows)."""
    cats = vocabulary().breakdowns[dim]
    out = np.full((len(forces), len(quarters), len(cats)), np.nan)
    if ds.returns is None:
        return out
    r = ds.returns
    rows = r.loc[(r["measure"] == measure) & (r["dimension"] == dim) & r["qidx"].isin(quarters)]
    if rows.empty:
        return out
    f = pd.Categorical(rows["force"].astype(str), categories=forces).codes
    q = pd.Categorical(rows["qidx"], categories=quarters).codes
    c = pd.Categorical(rows["category"].astype(str), categories=cats).codes
    keep = (f >= 0) & (q >= 0) & (c >= 0)
    sent = np.zeros(out.shape[:2], dtype=bool)
    sent[f[keep], q[keep]] = True
    out[sent] = 0.0
    np.add.at(out, (f[keep], q[keep], c[keep]), np.nan_to_num(rows["value"].to_numpy(float)[keep]))
    return out


def _window(a: np.ndarray, segment: int) -> np.ndarray:
    """Sum over one year of the history (last axis is quarters); NaN if any quarter is NaN."""
    return a[..., _segments() == segment].sum(-1)


def _window_known(a: np.ndarray, segment: int) -> np.ndarray:
    """Sum over one year of the history of the quarters that have data (NaN counts as none)."""
    return np.nansum(a[..., _segments() == segment], -1)


def _row(period, unit, kpi: Kpi, dim, category, comparison, **values) -> dict:
    """One results row; a figure not given (withheld, too few cases) is left blank."""
    row = {"period": str(period), "force": unit, "pillar": kpi.pillar, "kpi_id": kpi.id,
           "kpi_name": kpi.name, "kind": kpi.kind, "direction": kpi.direction,
           "comparison": comparison, "window": "12_months", "suppressed": False,
           "dimension": dim, "category": category, "method": "", "note": ""}
    row.update(values)
    return row


def _fmt_points(value: float) -> str:
    return f"{value * 100:+.1f}"


def kpi_rows(ds: Dataset, registry: Registry, kpi: Kpi, dim: str, period: Quarter,
             totals: pd.DataFrame) -> list[dict]:
    """Every breakdown row of one KPI and dimension (see the module docstring).

    ``totals``: the KPI's rows of the quarterly panel (``force, qidx, numerator, denominator``).
    """
    settings = registry.breakdown_settings
    national = force_names().national
    forces = list(force_names().territorial)
    quarters = [q.index for q in period.window(vocabulary().analysis_quarters)]
    cats = list(vocabulary().breakdowns[dim])
    known_mask = np.array([c != vocabulary().not_stated for c in cats])
    proportion = kpi.kind == "proportion"

    tot = totals.set_index(["force", "qidx"])
    grid = pd.MultiIndex.from_product([forces, quarters])
    base_col = "denominator" if proportion else "numerator"
    total = tot[base_col].reindex(grid).to_numpy(float).reshape(len(forces), len(quarters))
    num = _category_arrays(ds, kpi.numerator.measure, dim, forces, quarters)
    den = _category_arrays(ds, kpi.denominator.measure, dim, forces, quarters) if proportion else num
    usable = ~np.isnan(den).any(-1) & ~np.isnan(num).any(-1)  # (force, quarter)
    num = np.where(usable[..., None], num, np.nan)
    den = np.where(usable[..., None], den, np.nan)

    # Completeness: known / total in each year; a quarter without a breakdown adds nothing known.
    known_q = np.where(np.isnan(total), np.nan, np.nan_to_num(den[..., known_mask].sum(-1)))
    with np.errstate(divide="ignore", invalid="ignore"):
        complete_now = _window(known_q, 2) / _window(total, 2)
        reliable = complete_now >= settings.completeness_threshold
    included = reliable & ~np.isnan(total[:, _segments() >= 1]).any(1)
    n_included = int(included.sum())

    # Groups: the known categories, then the registry's merged groups.
    groups = {c: np.array([c == k for k in cats]) for c in cats if c != vocabulary().not_stated}
    for name, members in settings.merged.get(dim, {}).items():
        groups[name] = np.isin(cats, members)
    reference = settings.reference.get(dim)
    # Against the rest, a group whose rest is exactly another group (White against Black and
    # minoritised; Male against Female) is the same test mirrored: test it once. Merged groups
    # are kept first, as the framework speaks of them; then categories in the contract's order.
    mirrored, kept = set(), []
    if proportion and not reference:
        merged_names = list(settings.merged.get(dim, {}))
        for g in merged_names + [c for c in groups if c not in merged_names]:
            if any(np.array_equal(groups[k], known_mask & ~groups[g]) for k in kept):
                mirrored.add(g)
            else:
                kept.append(g)
    names = [g for g in groups if g != reference and g not in mirrored]

    def unit_arrays(a: np.ndarray) -> np.ndarray:
        """(units, quarters, categories): England and Wales (included forces) first."""
        nat = np.nansum(a[included], 0, keepdims=True) if n_included else np.full((1, *a.shape[1:]), np.nan)
        return np.concatenate([nat, a], 0)

    num_u, den_u = unit_arrays(num), unit_arrays(den)
    if n_included:
        present_nat = usable[included].all(0)
        num_u[0, ~present_nat] = np.nan
        den_u[0, ~present_nat] = np.nan
    units = [national, *forces]
    # National completeness: every force with a total in each quarter of the history.
    whole = ~np.isnan(total).any(1)
    unit_known = np.concatenate([[known_q[whole].sum(0)], known_q])
    unit_total = np.concatenate([[total[whole].sum(0)], total])
    unit_reliable = np.concatenate([[n_included > 0], reliable])

    def sums(a, mask):
        return a[..., mask].sum(-1)  # (units, quarters)

    x1 = np.stack([sums(num_u, groups[g]) for g in names], 1)  # (units, groups, quarters)
    n1 = np.stack([sums(den_u, groups[g]) for g in names], 1)
    rest = [groups[reference] if reference else known_mask & ~groups[g] for g in names]
    x0 = np.stack([sums(num_u, m) for m in rest], 1)
    n0 = np.stack([sums(den_u, m) for m in rest], 1)

    # Disclosure control over cells (unit, group), with the sums readers can see as relations.
    threshold = kpi.disclosure_threshold
    hidden = np.zeros(x1.shape[:2], dtype=bool)
    if threshold:
        for a in (x1, n1, x0, n0):
            for segment in (1, 2):
                s = _window_known(a, segment)
                hidden |= (s > 0) & (s < threshold)
        base_cells = [i for i, g in enumerate(names) if g in cats]
        relations = []
        for u in range(len(units)):
            relations.append(([(u, i) for i in base_cells], None))
            for i, g in enumerate(names):
                if g not in cats:
                    members = [j for j, h in enumerate(names) if h in settings.merged[dim][g]]
                    relations.append(([(u, j) for j in members], (u, i)))
        for i in range(len(names)):
            relations.append(([(1 + f, i) for f in np.flatnonzero(included)], (0, i)))
        hidden = secondary_over_sums(hidden, np.nan_to_num(_window_known(n1, 2)), relations)

    rows = []
    rows += _completeness_rows(period, kpi, dim, units, unit_known, unit_total, unit_reliable,
                               settings.completeness_threshold, n_included, len(forces))
    if proportion:
        rows += _gap_rows(period, kpi, dim, units, names, x1, n1, x0, n0, hidden, unit_reliable,
                          settings.min_cases, reference, forces, included)
    else:
        rows += _count_rows(period, kpi, dim, units, names, x1, hidden, unit_reliable, forces,
                            included)
    return rows


def _national_note(forces: list[str], included: np.ndarray) -> str:
    left_out = len(forces) - int(included.sum())
    if not left_out:
        return W.BREAKDOWN_NATIONAL_ALL
    return W.BREAKDOWN_NATIONAL_SOME.format(included=int(included.sum()), left_out=left_out)


def _completeness_rows(period, kpi, dim, units, known, total, reliable, threshold, n_included,
                       n_forces) -> list[dict]:
    rows = []
    with np.errstate(divide="ignore", invalid="ignore"):
        now = _window(known, 2) / _window(total, 2)
        before = _window(known, 1) / _window(total, 1)
    for u, unit in enumerate(units):
        value, base = now[u], before[u]
        if not np.isfinite(value):
            assessment = "insufficient_data"
        elif u == 0:
            assessment = "complete_enough" if value >= threshold else "incomplete_recording"
        else:
            assessment = "complete_enough" if reliable[u] else "incomplete_recording"
        rows.append(_row(
            period, unit, kpi, dim, "", "recording_completeness",
            value=value, numerator=_window(known, 2)[u], denominator=_window(total, 2)[u],
            baseline_value=base, change=value - base,
            relative_change=value / base - 1 if base else np.nan,
            assessment=assessment,
            method=f"share of the total with a known {dim.replace('_', ' ')} (not 'Not stated', "
                   f"not unrecorded); threshold {threshold:.0%}",
            note=(W.BREAKDOWN_FORCES_MET.format(met=n_included, forces=n_forces) if u == 0 else "")))
    return rows


def _gap_rows(period, kpi, dim, units, names, x1, n1, x0, n0, hidden, reliable, min_cases,
              reference, forces, included) -> list[dict]:
    disp = gaps.gap_dispersion(x1.reshape(-1, x1.shape[-1]), n1.reshape(-1, n1.shape[-1]),
                               x0.reshape(-1, x0.shape[-1]), n0.reshape(-1, n0.shape[-1]), _segments())
    shape = x1.shape[:2]
    phi, df = disp.phi.reshape(shape), disp.df.reshape(shape)
    now = [_window(a, 2) for a in (x1, n1, x0, n0)]
    before = [_window(a, 1) for a in (x1, n1, x0, n0)]
    d = gaps.disparity(*now, phi, df)
    change = gaps.gap_change(tuple(now), tuple(before), phi, df)
    against = f"the {reference} category" if reference else "the rest of the known categories"
    rows = []
    for u, unit in enumerate(units):
        for i, group in enumerate(names):
            base = {"numerator": now[0][u, i], "denominator": now[1][u, i]}
            note = _national_note(forces, included) if u == 0 else ""
            if hidden[u, i]:
                for comparison in ("disparity", "gap_change"):
                    rows.append(_row(period, unit, kpi, dim, group, comparison,
                                     assessment="insufficient_data", suppressed=True,
                                     note=disclosure_note(kpi.disclosure_threshold)))
                continue
            if np.isnan(now[1][u, i]):
                for comparison in ("disparity", "gap_change"):
                    rows.append(_row(period, unit, kpi, dim, group, comparison,
                                     assessment="insufficient_data",
                                     note=W.BREAKDOWN_NOT_SENT.format(dimension=dim.replace("_", " "))))
                continue
            few_now = not (now[1][u, i] >= min_cases and now[3][u, i] >= min_cases)
            few_before = not (before[1][u, i] >= min_cases and before[3][u, i] >= min_cases)
            method = (f"two-proportion score test against {against}"
                      + (f", overdispersion-adjusted (phi={phi[u, i]:.2f} on {df[u, i]:.0f} df)"
                         if np.isfinite(df[u, i]) else ", plain (history too short to estimate dispersion)"))
            interval = W.BREAKDOWN_GAP_NOTE.format(gap=_fmt_points(d.gap[u, i]),
                                                   lower=_fmt_points(d.gap_lower[u, i]),
                                                   upper=_fmt_points(d.gap_upper[u, i]))
            if few_now:
                disparity = dict(assessment="insufficient_data",
                                 note=W.BREAKDOWN_FEW_NOW.format(min_cases=min_cases))
            else:
                disparity = dict(value=d.rate[u, i], ci_lower=d.rate_lower[u, i], ci_upper=d.rate_upper[u, i],
                                 baseline_value=d.reference[u, i], change=d.gap[u, i],
                                 relative_change=d.rate[u, i] / d.reference[u, i] - 1
                                 if d.reference[u, i] else np.nan,
                                 p_value=d.p_value[u, i], min_detectable_change=d.min_detectable_gap[u, i],
                                 assessment="insufficient_data", method=method,
                                 note="; ".join(n for n in (interval, note) if n))
            rows.append(_row(period, unit, kpi, dim, group, "disparity", **base, **disparity))
            if few_now or few_before:
                gap = dict(assessment="insufficient_data",
                           note=W.BREAKDOWN_FEW_EITHER.format(min_cases=min_cases))
            else:
                gap = dict(value=d.gap[u, i], ci_lower=d.gap_lower[u, i], ci_upper=d.gap_upper[u, i],
                           baseline_value=before[0][u, i] / before[1][u, i]
                           - before[2][u, i] / before[3][u, i], assessment="insufficient_data",
                           change=change.change[u, i], p_value=change.p_value[u, i],
                           min_detectable_change=change.min_detectable_change[u, i],
                           widened=bool(change.widened[u, i]), method=method.replace(
                               "two-proportion score test", "difference of two gaps (Wald)"), note=note)
            rows.append(_row(period, unit, kpi, dim, group, "gap_change", **gap))
            if not reliable[u]:
                for row in rows[-2:]:
                    if np.isfinite(row.get("p_value", np.nan)):  # tested, but not to be relied on
                        row["p_value"] = np.nan
                        row["assessment"] = "incomplete_recording"
                        row["note"] = "; ".join(n for n in (
                            W.BREAKDOWN_INCOMPLETE.format(dimension=dim.replace("_", " ")),
                            row["note"]) if n)
    return rows


def _count_rows(period, kpi, dim, units, names, x1, hidden, reliable, forces, included) -> list[dict]:
    now, before = _window(x1, 2), _window(x1, 1)
    rows = []
    for u, unit in enumerate(units):
        for i, group in enumerate(names):
            if hidden[u, i]:
                rows.append(_row(period, unit, kpi, dim, group, "breakdown",
                                 assessment="insufficient_data",
                                 suppressed=True, note=disclosure_note(kpi.disclosure_threshold)))
                continue
            rows.append(_row(
                period, unit, kpi, dim, group, "breakdown", value=now[u, i], numerator=now[u, i],
                baseline_value=before[u, i], change=now[u, i] - before[u, i],
                relative_change=now[u, i] / before[u, i] - 1 if before[u, i] else np.nan,
                assessment="not_tested" if reliable[u] else "incomplete_recording",
                method="count in the category (no population by category to make a rate)",
                note=_national_note(forces, included) if u == 0 else ""))
    return rows


def rows(ds: Dataset, registry: Registry, period: Quarter, panel: pd.DataFrame,
         q_threshold: float = SETTINGS.q_threshold) -> pd.DataFrame:
    """Every breakdown row of the period, with q-values (Benjamini-Hochberg within each
    comparison: all disparity tests are one family, all gap-change tests another)."""
    out = []
    for kpi in registry.kpis:
        for dim in kpi.breakdowns:
            totals = panel.loc[panel["kpi_id"] == kpi.id]
            out += kpi_rows(ds, registry, kpi, dim, period, totals)
    frame = pd.DataFrame(out)
    if frame.empty:
        return frame
    frame["q_value"] = np.nan
    for column in ("p_value", "widened"):  # absent when nothing could be tested
        if column not in frame:
            frame[column] = np.nan
    for comparison in ("disparity", "gap_change"):
        mask = (frame["comparison"] == comparison) & frame["p_value"].notna()
        frame.loc[mask, "q_value"] = bh_qvalues(frame.loc[mask, "p_value"].to_numpy(float))
        tested = frame.loc[mask]
        frame.loc[mask, "assessment"] = assess_gaps(
            comparison, tested["q_value"].to_numpy(float), tested["change"].to_numpy(float),
            tested["widened"].to_numpy(bool) if comparison == "gap_change" else None, q_threshold)
    return frame.drop(columns=["widened"], errors="ignore")
