"""KPIs by victim ethnicity, age band and sex: recording completeness, gaps between groups.

The framework asks for data on women and girls, and on Black and minoritised women and girls, to
be visible. Force returns may break a measure down by a ``Dimension`` and ``Category``; the
registry says which KPIs are broken down by which dimensions. This module turns those rows into
results rows (the columns of ``kpi_results.csv`` plus ``dimension`` and ``category``):

``recording_completeness``
    The share of the total (a proportion's denominator) with a known category (not ``Not
    stated``, not left unrecorded) in the last 12 months against the 12 months before. The
    assessment is the gate every test of the breakdown passes (:func:`_gate`): below the
    registry's threshold this year a force's breakdown is shown but not tested or ranked
    (``incomplete_recording``); a numerator recorded by group less completely than its
    denominator, beyond the registry's tolerance, is not relied on either
    (``numerator_incomplete``); complete enough this year but not the year before, its gaps are
    tested but not their change (``incomplete_baseline``).
``numerator_completeness`` (proportion KPIs)
    The same share for the numerator (arrests, say): ``complete_enough`` or
    ``numerator_incomplete`` (short of the denominator's share by more than the tolerance in
    either year).
``disparity`` (proportion KPIs)
    A group's proportion against the rest of the known categories (or a reference category):
    ``value`` the group's, ``baseline_value`` the comparison group's, ``change`` the gap. For
    England and Wales this is the gap across the country as a whole (the crude gap).
``disparity_within_forces`` (proportion KPIs, England and Wales only)
    The gap comparing victims within the same force, combined across the forces that meet the
    gate (Mantel-Haenszel, widened by its own quarterly history's dispersion): ``value`` the gap
    within forces with its interval, ``baseline_value`` the crude gap. Where the two disagree, the
    groups are spread differently across forces whose figures differ (Simpson's paradox); the
    front page goes by the gap within forces.
``gap_change`` / ``gap_change_within_forces`` (proportion KPIs; the second England and Wales only)
    The gap in the last 12 months (``value``, with its interval) against the gap in the 12 months
    before (``baseline_value``): ``gap_widened``, ``gap_narrowed`` or ``gap_reversed`` (see
    :func:`vawgbook.stats.disparity.change_kind`).
``gap_bounds`` (proportion KPIs)
    The gap as recorded (``value``) and what it would be if every case with no recorded group
    were in the group (``baseline_value``), or none were: ``ci_lower`` and ``ci_upper`` hold the
    two, lower first (a range, not a confidence interval); ``numerator`` and ``denominator`` the
    unrecorded cases. ``robust_to_recording`` when both keep the recorded gap's side of zero, else
    ``sensitive_to_recording``.
``coverage`` (England and Wales only)
    The share of the country's cases (a proportion's denominator, a count's numerator) behind
    the national figures by group: cases with a known group in the forces that meet the gate,
    of all cases.
``breakdown`` (count KPIs)
    The count in each category, last 12 months against the 12 before; not tested, as there is
    no population by category to turn counts into rates.

Tests: each force's gap dispersion is pooled across the forces of its indicator and breakdown
(empirical Bayes, as the main tests are). False discovery rate families match the reader's
questions: each comparison for England and Wales is a family of its own; the forces are
controlled hierarchically by indicator and breakdown.

The quarterly series of each group against its comparison group (:func:`tables`) feed the
book's quarterly chart.

Small numbers: a category whose counts (or the rest's) are from 1 to the KPI's disclosure
threshold minus 1 is withheld, with secondary suppression so that no published sum (the known
total, a merged group, England and Wales, a year's quarters) reveals it; proportions from fewer
than the registry's ``min_cases`` cases are not shown at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import words as W
from ..config import Kpi, Registry, force_names, vocabulary
from ..ingest import Dataset
from ..periods import Quarter
from ..stats import SETTINGS
from ..stats import disparity as gaps
from ..stats.multiplicity import national_and_families
from ..stats.settings import QUARTERS_PER_YEAR
from .assessment import assess_gaps
from .disclosure import note as disclosure_note
from .disclosure import secondary_over_sums

#: The tested comparisons, each a false discovery rate family per England and Wales / forces.
TESTED = ("disparity", "gap_change", "disparity_within_forces", "gap_change_within_forces")
#: Columns of the quarterly series by group (``kpi_quarterly_groups.csv``).
QUARTERLY_COLUMNS = ["period", "force", "kpi_id", "dimension", "category", "numerator", "denominator",
                     "value", "comparison_numerator", "comparison_denominator", "comparison_value",
                     "suppressed"]
_HIDDEN = ["change_kind", "detect_se", "detect_df"]  # working columns, not written


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


def _share(known: np.ndarray, total: np.ndarray, segment: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return _window(known, segment) / _window(total, segment)


@dataclass(frozen=True)
class _Gate:
    """Recording completeness of one KPI's breakdown by force, and what it lets be tested.

    ``share[s]`` / ``share_x[s]``: the denominator's / numerator's known share in year ``s``
    (2 the latest, 1 the year before); ``ok[s]``: the year meets the threshold, with the
    numerator no more than the tolerance short of the denominator.
    """

    share: dict
    share_x: dict
    below: dict  # the denominator's share below the threshold (or unknown), by year
    short: dict  # numerator short of the denominator beyond the tolerance, by year
    ok: dict

    @property
    def now(self) -> np.ndarray:
        return self.ok[2]

    @property
    def both(self) -> np.ndarray:
        return self.ok[2] & self.ok[1]


def _gate(known, total, known_x, total_x, threshold: float, tolerance: float,
          proportion: bool) -> _Gate:
    """The completeness gate (numerator checked for proportions only; a count's numerator is its
    only figure)."""
    share, share_x, below, short, ok = {}, {}, {}, {}, {}
    for s in (1, 2):
        share[s] = _share(known, total, s)
        share_x[s] = _share(known_x, total_x, s) if proportion else share[s]
        with np.errstate(invalid="ignore"):
            below[s] = ~(share[s] >= threshold)
            short[s] = (share_x[s] < share[s] - tolerance) if proportion else np.zeros(len(share[s]), bool)
        ok[s] = ~below[s] & ~short[s]
    return _Gate(share, share_x, below, short, ok)


def tables(ds: Dataset, registry: Registry, kpi: Kpi, dim: str, period: Quarter,
           totals: pd.DataFrame) -> tuple[list[dict], pd.DataFrame]:
    """Every breakdown row of one KPI and dimension (see the module docstring), and the
    quarterly series of each group against its comparison group (proportions; else empty).

    ``totals``: the KPI's rows of the quarterly panel (``force, qidx, numerator, denominator``).
    """
    settings = registry.breakdown_settings
    national = force_names().national
    forces = list(force_names().territorial)
    window = period.window(vocabulary().analysis_quarters)
    quarters = [q.index for q in window]
    cats = list(vocabulary().breakdowns[dim])
    known_mask = np.array([c != vocabulary().not_stated for c in cats])
    proportion = kpi.kind == "proportion"

    tot = totals.set_index(["force", "qidx"])
    grid = pd.MultiIndex.from_product([forces, quarters])

    def total_of(column: str) -> np.ndarray:
        return tot[column].reindex(grid).to_numpy(float).reshape(len(forces), len(quarters))

    total = total_of("denominator" if proportion else "numerator")
    total_x = total_of("numerator")
    num = _category_arrays(ds, kpi.numerator.measure, dim, forces, quarters)
    den = _category_arrays(ds, kpi.denominator.measure, dim, forces, quarters) if proportion else num
    usable = ~np.isnan(den).any(-1) & ~np.isnan(num).any(-1)  # (force, quarter)
    num = np.where(usable[..., None], num, np.nan)
    den = np.where(usable[..., None], den, np.nan)

    # Completeness: known / total in each year; a quarter without a breakdown adds nothing known.
    known_q = np.where(np.isnan(total), np.nan, np.nan_to_num(den[..., known_mask].sum(-1)))
    known_x = np.where(np.isnan(total_x), np.nan, np.nan_to_num(num[..., known_mask].sum(-1)))
    gate = _gate(known_q, total, known_x, total_x, settings.completeness_threshold,
                 settings.numerator_tolerance, proportion)
    # England and Wales by group: the forces that meet the gate (for proportions in both years, so
    # that the two years' gaps and their change cover the same forces), with every quarter of the
    # two years.
    included = (gate.both if proportion else gate.now) & ~np.isnan(total[:, _segments() >= 1]).any(1)
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
        """(units, quarters, ...): England and Wales (included forces) first."""
        nat = np.nansum(a[included], 0, keepdims=True) if n_included else np.full((1, *a.shape[1:]), np.nan)
        return np.concatenate([nat, a], 0)

    num_u, den_u = unit_arrays(num), unit_arrays(den)
    if n_included:
        present_nat = usable[included].all(0)
        num_u[0, ~present_nat] = np.nan
        den_u[0, ~present_nat] = np.nan
    units = [national, *forces]
    # National completeness and coverage: every force with a total in each quarter of the two
    # years compared (as for the forces included; an earlier year of the window, used only for
    # the gaps' dispersion, may be missing without leaving the country with no cases at all).
    whole = ~np.isnan(total[:, _segments() >= 1]).any(1)
    unit_known = np.concatenate([[known_q[whole].sum(0)], known_q])
    unit_total = np.concatenate([[total[whole].sum(0)], total])
    unit_known_x = np.concatenate([[known_x[whole].sum(0)], known_x])
    unit_total_x = np.concatenate([[total_x[whole].sum(0)], total_x])
    unit_gate = _gate(unit_known, unit_total, unit_known_x, unit_total_x,
                      settings.completeness_threshold, settings.numerator_tolerance, proportion)
    # Forces are gated on their own recording; England and Wales is made of forces that pass.
    tested_now = np.concatenate([[n_included > 0], gate.now])
    tested_both = np.concatenate([[n_included > 0], gate.both])

    def sums(a, mask):
        return a[..., mask].sum(-1)  # (units, quarters)

    x1 = np.stack([sums(num_u, groups[g]) for g in names], 1)  # (units, groups, quarters)
    n1 = np.stack([sums(den_u, groups[g]) for g in names], 1)
    rest = [groups[reference] if reference else known_mask & ~groups[g] for g in names]
    x0 = np.stack([sums(num_u, m) for m in rest], 1)
    n0 = np.stack([sums(den_u, m) for m in rest], 1)

    hidden = _hidden(kpi, dim, settings, names, cats, units, included, (x1, n1, x0, n0))
    context = dict(period=period, kpi=kpi, dim=dim, units=units, forces=forces, included=included)
    rows = _completeness_rows(context, unit_known, unit_total, unit_known_x, unit_total_x, unit_gate,
                              gate, settings, proportion)
    rows += _coverage_rows(context, unit_total, known_q)
    if not proportion:
        rows += _count_rows(context, names, x1, hidden, tested_now)
        return rows, pd.DataFrame(columns=QUARTERLY_COLUMNS)

    def unit_window(a: np.ndarray) -> np.ndarray:
        """12-month sums by unit, England and Wales over its forces."""
        nat = _window(a[included].sum(0), 2) if n_included else np.nan
        return np.concatenate([[nat], _window(a, 2)])

    unrecorded = [unit_window(total_x) - unit_window(known_x), unit_window(total) - unit_window(known_q)]
    rows += _gap_rows(context, names, (x1, n1, x0, n0), hidden, tested_now, tested_both, unit_gate,
                      settings, reference, unrecorded)
    quarterly = _quarterly(context, names, (x1, n1, x0, n0), hidden, settings, cats, window)
    return rows, quarterly


def _hidden(kpi, dim, settings, names, cats, units, included, counts) -> np.ndarray:
    """Disclosure control over cells (unit, group), with the sums readers can see as relations."""
    x1 = counts[0]
    hidden = np.zeros(x1.shape[:2], dtype=bool)
    threshold = kpi.disclosure_threshold
    if not threshold:
        return hidden
    for a in counts:
        for segment in (1, 2):
            s = _window_known(a, segment)
            hidden |= (s > 0) & (s < threshold)
    relations = _relations(names, cats, settings.merged.get(dim, {}), len(units), included,
                           lambda u, i: (u, i))
    return secondary_over_sums(hidden, np.nan_to_num(_window_known(counts[1], 2)), relations)


def _relations(names, cats, merged, n_units, included, cell) -> list:
    """The published sums over cells: the known categories of a unit (their total is published
    as completeness), each merged group of its members, England and Wales of its forces."""
    base_cells = [i for i, g in enumerate(names) if g in cats]
    relations = []
    for u in range(n_units):
        relations.append(([cell(u, i) for i in base_cells], None))
        for i, g in enumerate(names):
            if g not in cats:
                members = [j for j, h in enumerate(names) if h in merged[g]]
                relations.append(([cell(u, j) for j in members], cell(u, i)))
    for i in range(len(names)):
        relations.append(([cell(1 + f, i) for f in np.flatnonzero(included)], cell(0, i)))
    return relations


def _years(kpi: Kpi) -> str:
    """Proportions are gated on both years (their gaps' change is tested), counts on this one."""
    return W.BREAKDOWN_BOTH_YEARS if kpi.kind == "proportion" else ""


def _national_note(kpi: Kpi, forces: list[str], included: np.ndarray) -> str:
    left_out = len(forces) - int(included.sum())
    if not left_out:
        return W.BREAKDOWN_NATIONAL_ALL
    return W.BREAKDOWN_NATIONAL_SOME.format(included=int(included.sum()), left_out=left_out,
                                            years=_years(kpi))


def _completeness_rows(c, known, total, known_x, total_x, unit_gate, gate, settings,
                       proportion) -> list[dict]:
    """One ``recording_completeness`` row per unit (the gate's verdict), and for proportions one
    ``numerator_completeness`` row."""
    dim, threshold = c["dim"], settings.completeness_threshold
    words = dim.replace("_", " ")
    n_met = int(c["included"].sum())
    rows = []
    for u, unit in enumerate(c["units"]):
        value, base = unit_gate.share[2][u], unit_gate.share[1][u]
        if not np.isfinite(value):
            assessment = "insufficient_data"
        elif value < threshold:
            assessment = "incomplete_recording"
        elif unit_gate.short[2][u]:
            assessment = "numerator_incomplete"
        elif proportion and not unit_gate.ok[1][u]:
            assessment = "incomplete_baseline"
        else:
            assessment = "complete_enough"
        rows.append(_row(
            c["period"], unit, c["kpi"], dim, "", "recording_completeness",
            value=value, numerator=_window(known, 2)[u], denominator=_window(total, 2)[u],
            baseline_value=base, change=value - base,
            relative_change=value / base - 1 if base else np.nan,
            assessment=assessment,
            method=f"share of the total with a known {words} (not 'Not stated', not unrecorded); "
                   f"threshold {threshold:.0%} in each of the two years"
                   + (f", numerator at most {settings.numerator_tolerance * 100:g} percentage points less "
                      "complete"
                      if proportion else ""),
            note=(W.BREAKDOWN_FORCES_MET.format(met=n_met, forces=len(c["forces"]), years=_years(c["kpi"]))
                  if u == 0 else "")))
        if not proportion:
            continue
        value_x, base_x = unit_gate.share_x[2][u], unit_gate.share_x[1][u]
        short = bool(unit_gate.short[2][u] or unit_gate.short[1][u])
        rows.append(_row(
            c["period"], unit, c["kpi"], dim, "", "numerator_completeness",
            value=value_x, numerator=_window(known_x, 2)[u], denominator=_window(total_x, 2)[u],
            baseline_value=base_x, change=value_x - base_x,
            relative_change=value_x / base_x - 1 if base_x else np.nan,
            assessment=("insufficient_data" if not np.isfinite(value_x) else
                        "numerator_incomplete" if short else
                        "incomplete_recording" if unit_gate.below[2][u] else "complete_enough"),
            method=f"share of the numerator with a known {words}; at most "
                   f"{settings.numerator_tolerance * 100:g} percentage points below the denominator's share"))
    return rows


def _coverage_rows(c, total, known_forces) -> list[dict]:
    """England and Wales: the share of the country's cases behind the national figures by group."""
    included = c["included"]
    behind = [_window(known_forces[included].sum(0), s) if included.any() else 0.0 for s in (2, 1)]
    country = [_window(total[0], s) for s in (2, 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        value, base = behind[0] / country[0], behind[1] / country[1]
    return [_row(c["period"], c["units"][0], c["kpi"], c["dim"], "", "coverage",
                 value=value, numerator=behind[0], denominator=country[0], baseline_value=base,
                 change=value - base,
                 assessment="not_tested" if np.isfinite(value) and included.any() else "insufficient_data",
                 method="cases behind the England and Wales figures by group, of all cases",
                 note=W.BREAKDOWN_COVERAGE_NOTE.format(dimension=c["dim"].replace("_", " "),
                                                       included=int(included.sum()), years=_years(c["kpi"])))]


def _gap_rows(c, names, counts, hidden, tested_now, tested_both, unit_gate, settings, reference,
              unrecorded) -> list[dict]:
    x1, n1, x0, n0 = counts
    period, kpi, dim, units, forces, included = (c[k] for k in ("period", "kpi", "dim", "units",
                                                                "forces", "included"))
    min_cases, words = settings.min_cases, dim.replace("_", " ")
    disp = gaps.gap_dispersion(*(a.reshape(-1, a.shape[-1]) for a in counts), _segments())
    shape = x1.shape[:2]
    # Each force's dispersion shrunk towards a prior fitted across the forces of this indicator and
    # breakdown whose recording is complete enough this year; England and Wales keeps its own.
    both = (n1 > 0) & (n0 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        volume = np.where(both, n1 * n0 / (n1 + n0), 0.0).sum(-1) / both.sum(-1)
    pooled = np.zeros(shape, bool)
    pooled[1:] = tested_now[1:, None]
    disp, prior = gaps.pooled_dispersion(disp, volume.reshape(-1), pooled.reshape(-1))
    phi, df = disp.phi.reshape(shape), disp.df.reshape(shape)
    now = [_window(a, 2) for a in counts]
    before = [_window(a, 1) for a in counts]
    d = gaps.disparity(*now, phi, df)
    change = gaps.gap_change(tuple(now), tuple(before), phi, df)
    bounds = gaps.recording_bounds(*now, unrecorded[0][:, None], unrecorded[1][:, None])
    # Within forces: the forces that make up England and Wales, as strata; the combined gap is
    # widened by its own quarterly history's dispersion, as England and Wales is tested on its own.
    strata = 1 + np.flatnonzero(included)
    within_disp = gaps.stratified_dispersion(*(a[strata].transpose(1, 0, 2) for a in counts), _segments())
    within = [gaps.stratified_gap(*(a[strata].T for a in year), within_disp.phi, within_disp.df)
              for year in (now, before)]
    within_change = gaps.stratified_change(*within)

    against = f"the {reference} category" if reference else "the rest of the known categories"
    rows = []
    for u, unit in enumerate(units):
        for i, group in enumerate(names):
            comparisons = ["disparity", "gap_change", "gap_bounds"]
            if u == 0:
                comparisons[2:2] = ["disparity_within_forces", "gap_change_within_forces"]
            base = {"numerator": now[0][u, i], "denominator": now[1][u, i]}
            note = _national_note(kpi, forces, included) if u == 0 else ""
            if hidden[u, i] or np.isnan(now[1][u, i]):
                if hidden[u, i]:
                    blank = dict(suppressed=True, note=disclosure_note(kpi.disclosure_threshold))
                elif u == 0 and not included.any():
                    blank = dict(note=W.BREAKDOWN_NO_FORCE.format(dimension=words))
                else:
                    blank = dict(note=W.BREAKDOWN_NOT_SENT.format(dimension=words))
                rows += [_row(period, unit, kpi, dim, group, comparison, assessment="insufficient_data",
                              **blank) for comparison in comparisons]
                continue
            few_now = not (now[1][u, i] >= min_cases and now[3][u, i] >= min_cases)
            few_before = not (before[1][u, i] >= min_cases and before[3][u, i] >= min_cases)
            if pooled[u, i] and prior.df > 0:
                adjusted = (f", overdispersion-adjusted (phi={phi[u, i]:.2f} on {df[u, i]:.0f} df, pooled "
                            f"across forces, prior df {prior.df:.0f})")
            elif np.isfinite(df[u, i]):
                adjusted = f", overdispersion-adjusted (phi={phi[u, i]:.2f} on {df[u, i]:.0f} df)"
            else:
                adjusted = ", plain (history too short to estimate dispersion)"
            method = f"two-proportion score test against {against}{adjusted}"
            interval = W.BREAKDOWN_GAP_NOTE.format(gap=_fmt_points(d.gap[u, i]),
                                                   lower=_fmt_points(d.gap_lower[u, i]),
                                                   upper=_fmt_points(d.gap_upper[u, i]))
            few = dict(assessment="insufficient_data", note=W.BREAKDOWN_FEW_NOW.format(min_cases=min_cases))
            few_either = dict(assessment="insufficient_data",
                              note=W.BREAKDOWN_FEW_EITHER.format(min_cases=min_cases))
            gated_now = _gated(unit_gate, u, words, now=True) if not tested_now[u] else None
            gated_both = (gated_now or _gated(unit_gate, u, words, now=False)) if not tested_both[u] else None

            if few_now:
                disparity = few
            else:
                disparity = dict(value=d.rate[u, i], ci_lower=d.rate_lower[u, i], ci_upper=d.rate_upper[u, i],
                                 baseline_value=d.reference[u, i], change=d.gap[u, i],
                                 relative_change=d.rate[u, i] / d.reference[u, i] - 1
                                 if d.reference[u, i] else np.nan,
                                 p_value=d.p_value[u, i], min_detectable_change=d.min_detectable_gap[u, i],
                                 detect_se=d.detect_se[u, i], detect_df=df[u, i],
                                 assessment="insufficient_data", method=method,
                                 note="; ".join(n for n in (interval, note) if n))
                _gate_row(disparity, gated_now)
            rows.append(_row(period, unit, kpi, dim, group, "disparity", **base, **disparity))

            if few_now or few_before:
                gap = few_either
            else:
                gap = dict(value=d.gap[u, i], ci_lower=d.gap_lower[u, i], ci_upper=d.gap_upper[u, i],
                           baseline_value=before[0][u, i] / before[1][u, i]
                           - before[2][u, i] / before[3][u, i], assessment="insufficient_data",
                           change=change.change[u, i], p_value=change.p_value[u, i],
                           min_detectable_change=change.min_detectable_change[u, i],
                           detect_se=change.se[u, i], detect_df=change.df[u, i],
                           change_kind=str(change.kind[u, i]), method=method.replace(
                               "two-proportion score test", "difference of two gaps"), note=note)
                _gate_row(gap, gated_both)
            rows.append(_row(period, unit, kpi, dim, group, "gap_change", **base, **gap))

            if u == 0:
                rows += _within_rows(period, kpi, dim, group, i, base, within, within_change, d,
                                     few_now, few_before, few, few_either, len(strata), within_disp.phi)

            if few_now:
                bound = few
            else:
                bound = dict(value=bounds.gap[u, i], ci_lower=bounds.lower[u, i], ci_upper=bounds.upper[u, i],
                             baseline_value=bounds.all_in_group[u, i],
                             numerator=unrecorded[0][u], denominator=unrecorded[1][u],
                             assessment=("robust_to_recording" if bounds.robust[u, i]
                                         else "sensitive_to_recording"),
                             method="the gap if every case with no recorded group were in the group, "
                                    "or every one in the comparison group",
                             note=W.BREAKDOWN_BOUNDS_NOTE.format(
                                 cases=unrecorded[1][u], dimension=words,
                                 all_in=_fmt_points(bounds.all_in_group[u, i]),
                                 none=_fmt_points(bounds.all_in_comparison[u, i])))
            rows.append(_row(period, unit, kpi, dim, group, "gap_bounds", **bound))
    return rows


def _within_rows(period, kpi, dim, group, i, base, within, within_change, crude, few_now, few_before,
                 few, few_either, n_strata, phi) -> list[dict]:
    """England and Wales: the gap within forces, and its change (Mantel-Haenszel over forces)."""
    now, before = within
    adjusted = (f"overdispersion-adjusted from its quarterly history (phi={phi[i]:.2f} on {now.df[i]:.0f} df)"
                if np.isfinite(now.df[i]) else "plain (history too short to estimate dispersion)")
    method = f"Mantel-Haenszel gap within forces ({n_strata} forces), Sato variance, {adjusted}"
    note = W.BREAKDOWN_WITHIN_NOTE.format(forces=int(now.strata[i]), crude=_fmt_points(crude.gap[0, i]))
    if few_now or not n_strata:
        same = few
    else:
        same = dict(value=now.gap[i], ci_lower=now.gap_lower[i], ci_upper=now.gap_upper[i],
                    baseline_value=crude.gap[0, i], change=now.gap[i] - crude.gap[0, i],
                    p_value=now.p_value[i], min_detectable_change=now.min_detectable_gap[i],
                    detect_se=now.se[i], detect_df=now.df[i], assessment="insufficient_data",
                    method=method, note=note)
    if few_now or few_before or not n_strata:
        changed = few_either
    else:
        changed = dict(value=now.gap[i], ci_lower=now.gap_lower[i], ci_upper=now.gap_upper[i],
                       baseline_value=before.gap[i], change=within_change.change[i],
                       p_value=within_change.p_value[i],
                       min_detectable_change=within_change.min_detectable_change[i],
                       detect_se=within_change.se[i], detect_df=within_change.df[i],
                       change_kind=str(within_change.kind[i]), assessment="insufficient_data",
                       method=method.replace("gap within", "change in the gap within"), note=note)
    return [_row(period, force_names().national, kpi, dim, group, "disparity_within_forces", **base, **same),
            _row(period, force_names().national, kpi, dim, group, "gap_change_within_forces", **base,
                 **changed)]


def _gated(unit_gate, u: int, words: str, now: bool) -> str:
    """Why a force's breakdown is not tested: this year's recording, its numerator, or (for a
    change in a gap) the year before's. England and Wales: no force met the gate."""
    year = 2 if (now or not unit_gate.ok[2][u] or u == 0) else 1
    if year == 1:
        return W.BREAKDOWN_INCOMPLETE_BEFORE.format(dimension=words.capitalize())
    if u and not unit_gate.below[2][u] and unit_gate.short[2][u]:
        return W.BREAKDOWN_NUMERATOR_SHORT.format(
            dimension=words.capitalize(), numerator=f"{unit_gate.share_x[2][u]:.0%}",
            denominator=f"{unit_gate.share[2][u]:.0%}")
    return W.BREAKDOWN_INCOMPLETE.format(dimension=words)


def _gate_row(values: dict, reason: str | None) -> None:
    """A row that was computed but is not to be relied on: no test, the reason in the note."""
    if reason is None:
        return
    for key in ("p_value", "detect_se", "detect_df"):
        values[key] = np.nan
    values["assessment"] = "incomplete_recording"
    values["note"] = "; ".join(n for n in (reason, values.get("note", "")) if n)


def _count_rows(c, names, x1, hidden, tested_now) -> list[dict]:
    now, before = _window(x1, 2), _window(x1, 1)
    rows = []
    for u, unit in enumerate(c["units"]):
        for i, group in enumerate(names):
            if hidden[u, i]:
                rows.append(_row(c["period"], unit, c["kpi"], c["dim"], group, "breakdown",
                                 assessment="insufficient_data",
                                 suppressed=True, note=disclosure_note(c["kpi"].disclosure_threshold)))
                continue
            rows.append(_row(
                c["period"], unit, c["kpi"], c["dim"], group, "breakdown", value=now[u, i],
                numerator=now[u, i],
                baseline_value=before[u, i], change=now[u, i] - before[u, i],
                relative_change=now[u, i] / before[u, i] - 1 if before[u, i] else np.nan,
                assessment="not_tested" if tested_now[u] else "incomplete_recording",
                method="count in the category (no population by category to make a rate)",
                note=_national_note(c["kpi"], c["forces"], c["included"]) if u == 0 else ""))
    return rows


def _quarterly(c, names, counts, hidden, settings, cats, window) -> pd.DataFrame:
    """Each group's quarterly figure against its comparison group's, for every unit, over the
    analysis window. Disclosure control as for the 12-month figures, per quarter, with the sums a
    reader can see as relations (a year's quarters add up to its published 12-month figure); a
    quarter whose group or comparison group has fewer than ``min_cases`` cases has no value."""
    x1, n1, x0, n0 = counts
    kpi = c["kpi"]
    n_units, n_groups, n_q = x1.shape
    threshold = kpi.disclosure_threshold
    shown = np.zeros(x1.shape, bool)  # (unit, group, quarter) withheld
    if threshold:
        for a in counts:
            shown |= (a > 0) & (a < threshold)
        shown |= hidden[..., None]
        relations = []
        for q in range(n_q):
            relations += _relations(names, cats, settings.merged.get(c["dim"], {}), n_units, c["included"],
                                    lambda u, i, q=q: (u, i, q))
        segments = _segments()
        for u in range(n_units):
            for i in range(n_groups):
                for s in (1, 2):
                    relations.append(([(u, i, q) for q in np.flatnonzero(segments == s)], None))
        shown = secondary_over_sums(shown, np.nan_to_num(n1), relations)
    hidden_q = shown
    few = ~((n1 >= settings.min_cases) & (n0 >= settings.min_cases))
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = x1 / n1, x0 / n0
    blank = hidden_q | few

    def column(a, mask):
        return np.where(mask, np.nan, a).reshape(-1)

    labels = [str(q) for q in window]
    return pd.DataFrame({
        "period": np.tile(labels, n_units * n_groups),
        "force": np.repeat(c["units"], n_groups * n_q),
        "kpi_id": kpi.id, "dimension": c["dim"],
        "category": np.tile(np.repeat(names, n_q), n_units),
        "numerator": column(x1, hidden_q), "denominator": column(n1, hidden_q),
        "value": column(p1, blank),
        "comparison_numerator": column(x0, hidden_q), "comparison_denominator": column(n0, hidden_q),
        "comparison_value": column(p0, blank),
        "suppressed": hidden_q.reshape(-1),
    }, columns=QUARTERLY_COLUMNS)


def compute_all(ds: Dataset, registry: Registry, period: Quarter, panel: pd.DataFrame,
                q_threshold: float = SETTINGS.q_threshold) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every breakdown row of the period, with q-values and assessments, and the quarterly series
    by group.

    q-values: for each tested comparison, England and Wales is a Benjamini-Hochberg family of its
    own, and the forces are controlled hierarchically by indicator and breakdown (Benjamini and
    Bogomolov). The minimum detectable gap (or change) is stated at the p-value threshold its
    family actually applied.
    """
    out, quarterly = [], []
    for kpi in registry.kpis:
        for dim in kpi.breakdowns:
            totals = panel.loc[panel["kpi_id"] == kpi.id]
            found, series = tables(ds, registry, kpi, dim, period, totals)
            out += found
            quarterly.append(series)
    series = (pd.concat(quarterly, ignore_index=True) if quarterly
              else pd.DataFrame(columns=QUARTERLY_COLUMNS))
    frame = pd.DataFrame(out)
    if frame.empty:
        return frame, series
    frame["q_value"] = np.nan
    for column in ["p_value", *_HIDDEN]:  # absent when nothing could be tested
        if column not in frame:
            frame[column] = np.nan
    national = (frame["force"] == force_names().national).to_numpy()
    families = (frame["kpi_id"] + " by " + frame["dimension"]).to_numpy()
    for comparison in TESTED:
        rows = (frame["comparison"] == comparison).to_numpy()
        found = national_and_families(frame.loc[rows, "p_value"].to_numpy(float), national[rows],
                                      families[rows], q_threshold)
        frame.loc[rows, "q_value"] = found.q_values
        mask = rows & frame["p_value"].notna().to_numpy()
        tested = frame.loc[mask]
        gap = tested["value"] if comparison == "disparity_within_forces" else tested["change"]
        frame.loc[mask, "assessment"] = assess_gaps(
            comparison, tested["q_value"].to_numpy(float), gap.to_numpy(float),
            tested["change_kind"].to_numpy(object) if "change" in comparison else None, q_threshold)
        applied = found.applied[mask[rows]]
        frame.loc[mask, "min_detectable_change"] = gaps.detectable(
            tested["detect_se"].to_numpy(float), tested["detect_df"].to_numpy(float), applied,
            SETTINGS.power)
    return frame.drop(columns=_HIDDEN), series


def rows(ds: Dataset, registry: Registry, period: Quarter, panel: pd.DataFrame,
         q_threshold: float = SETTINGS.q_threshold) -> pd.DataFrame:
    """Every breakdown row of the period (:func:`compute_all` without the quarterly series)."""
    return compute_all(ds, registry, period, panel, q_threshold)[0]
