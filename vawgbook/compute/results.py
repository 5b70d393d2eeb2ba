"""The period's results table (``kpi_results.csv``) and the quarterly series behind it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import stats
from .. import words as W
from ..config import Kpi, Registry, force_names, vocabulary
from ..errors import InputError
from ..ingest import Dataset
from ..periods import Quarter
from . import breakdowns
from .assessment import assess
from .disclosure import protect
from .panel import kpi_panel, national_panel, value

COLUMNS = [
    "period", "force", "pillar", "kpi_id", "kpi_name", "kind", "direction", "comparison", "window",
    "value", "numerator", "denominator", "ci_lower", "ci_upper", "baseline_value", "change",
    "relative_change", "p_value", "q_value", "min_detectable_change", "assessment",
    # Added to the contract's columns: how each test was done, what a reader should know, and
    # whether the row was withheld by statistical disclosure control.
    "method", "note", "suppressed",
    # Breakdowns (victim ethnicity, age band, sex): blank for the totals. See vawgbook.compute.breakdowns.
    "dimension", "category",
]
QUARTERLY_COLUMNS = ["period", "force", "kpi_id", "numerator", "denominator", "value", "forces",
                     "suppressed"]
DEFAULT_Q_THRESHOLD = stats.SETTINGS.q_threshold


def comparisons() -> dict[str, str]:
    """The tests of change, each with the ``window`` its ``value`` covers."""
    return {"year_on_year": "12_months", "trend": f"{vocabulary().analysis_quarters}_quarters"}
_SOURCE_TABLES = {"recorded_crime": "crime", "outcomes": "outcomes",
                  "force_returns": "returns", "population": "population"}


@dataclass
class PeriodResults:
    """Everything computed for one period."""

    period: Quarter
    results: pd.DataFrame  # COLUMNS
    quarterly: pd.DataFrame  # QUARTERLY_COLUMNS, every quarter up to the period
    warnings: list[str] = field(default_factory=list)


def _inputs_present(ds: Dataset, kpi: Kpi) -> bool:
    sources = [kpi.numerator] + ([kpi.denominator] if kpi.denominator else [])
    return all(getattr(ds, _SOURCE_TABLES[s.source]) is not None for s in sources)


def _row(period: Quarter, unit: str, kpi: Kpi, comparison: str, result, note: str) -> dict:
    return {
        "period": str(period), "force": unit, "pillar": kpi.pillar, "kpi_id": kpi.id,
        "kpi_name": kpi.name, "kind": kpi.kind, "direction": kpi.direction,
        "comparison": comparison, "window": comparisons()[comparison],
        "value": result.value, "numerator": result.numerator,
        "denominator": result.denominator if kpi.kind != "count" else np.nan,
        "ci_lower": result.ci_lower, "ci_upper": result.ci_upper,
        "baseline_value": result.baseline_value, "change": result.change,
        "relative_change": result.relative_change, "p_value": result.p_value,
        "min_detectable_change": result.min_detectable_change,
        "method": result.method, "note": "; ".join(n for n in (result.note, note) if n),
        "insufficient": result.insufficient,
    }


def _tested(test, *args, **kwargs) -> stats.ChangeResult:
    """Run a test; data it cannot use (a negative total, more successes than trials) is reported
    as insufficient with the reason, rather than stopping the whole period."""
    try:
        return test(*args, **kwargs)
    except ValueError as exc:
        nan = np.nan
        return stats.ChangeResult(nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, "not tested",
                                  insufficient=True, note=f"data cannot be tested: {exc}")


def _break_positions(registry: Registry, kpi: Kpi, units: list[str], qidxs: list[np.ndarray]):
    """Each unit's registered breaks for the KPI, as positions in its series (None: none)."""
    national = force_names().national
    out = []
    for unit, qidx in zip(units, qidxs, strict=True):
        found = [b for b in registry.breaks_for(kpi.id, unit, national)
                 if len(qidx) and qidx[0] < b.first_quarter.index <= qidx[-1]]
        out.append([int(np.searchsorted(qidx, b.first_quarter.index)) for b in found] or None)
    return out


def _straddled(registry: Registry, kpi: Kpi, unit: str, period: Quarter):
    """The first registered break inside the year-on-year windows (after the first quarter of
    the baseline, up to the period): the two years are then not comparable."""
    baseline = period.previous_window(stats.settings.QUARTERS_PER_YEAR)[0]
    for b in registry.breaks_for(kpi.id, unit, force_names().national):
        if baseline < b.first_quarter <= period:
            return b
    return None


def _families(results: pd.DataFrame, q_threshold: float) -> pd.DataFrame:
    """q-values and the p-value threshold applied, by families that match the reader's question:
    England and Wales on its own (one family per comparison, Benjamini-Hochberg), and the forces
    of each indicator as a family, selected hierarchically (Benjamini-Bogomolov) per comparison.
    Rows not tested (p-value missing) stay out of every family."""
    results = results.copy()
    results["q_value"] = np.nan
    results["applied_level"] = np.nan
    national = results["force"] == force_names().national
    for comparison in comparisons():
        rows = (results["comparison"] == comparison) & results["p_value"].notna()
        here = rows & national
        q = stats.bh_qvalues(results.loc[here, "p_value"].to_numpy(float))
        results.loc[here, "q_value"] = q
        results.loc[here, "applied_level"] = stats.multiplicity.bh_applied_level(q, q_threshold)
        here = rows & ~national
        if here.any():
            h = stats.multiplicity.hierarchical_qvalues(
                results.loc[here, "p_value"].to_numpy(float), results.loc[here, "kpi_id"].to_numpy(),
                q_threshold)
            results.loc[here, "q_value"] = h.q_values
            results.loc[here, "applied_level"] = h.applied
    return results


def compute(ds: Dataset, registry: Registry, period: Quarter,
            q_threshold: float = DEFAULT_Q_THRESHOLD) -> PeriodResults:
    """Every KPI for every force and England and Wales, tested year on year and for trend.

    Per KPI, the forces' series are tested together: their dispersion is pooled and their
    serial correlation estimated across them (:mod:`vawgbook.stats.change`); England and Wales is
    tested on its own history with the forces' serial correlation. A year-on-year comparison
    across a registered break is ``not_comparable``; a trend is fitted with a step there.
    q-values come from :func:`_families`; the minimum detectable change is stated at the
    p-value threshold its family actually applied.
    """
    quarters = ds.quarters()
    if period not in quarters:
        span = f"{quarters[0].label} to {quarters[-1].label}" if quarters else "no quarters"
        raise InputError(None, f"period {period.label} is not in the recorded crime data ({span})")
    warnings = []
    kpis = [k for k in registry.kpis if _inputs_present(ds, k)]
    for kpi in registry.kpis:
        if kpi not in kpis:
            warnings.append(f"{kpi.id}: skipped, its input file is not in the data folder")
    live = dataclasses.replace(registry, kpis=tuple(kpis))
    panel = kpi_panel(ds, live)
    panel = panel.loc[panel["qidx"] <= period.index]
    national = national_panel(panel, live, period)
    national["force"] = force_names().national

    rows, tested, quarterly = [], [], []
    units = [force_names().national, *force_names().territorial]
    pooled = np.array([False] + [True] * (len(units) - 1))
    window = vocabulary().analysis_quarters
    for kpi in kpis:
        # Every unit's series of this KPI, as arrays in time order, tested in one call each (one
        # batch of GLM fits); England and Wales first.
        national_rows = national.loc[national["kpi_id"] == kpi.id].sort_values("qidx", kind="stable")
        force_rows = panel.loc[panel["kpi_id"] == kpi.id].sort_values("qidx", kind="stable")
        where = force_rows.groupby("force", sort=False).indices
        series = {}
        for column, dtype in (("numerator", float), ("denominator", float), ("qidx", int)):
            values = force_rows[column].to_numpy(dtype)
            series[column] = [national_rows[column].to_numpy(dtype),
                              *(values[where[unit]] for unit in units[1:])]
        nums, dens, qidxs = series["numerator"], series["denominator"], series["qidx"]
        qoys = [qidx % 4 + 1 for qidx in qidxs]
        den_args = None if kpi.kind == "count" else dens
        breaks = _break_positions(live, kpi, units, qidxs)
        yoys = stats.year_on_year_batch(nums, den_args, qoys, kpi.kind, multiplier=kpi.multiplier,
                                        breaks=breaks, pooled=pooled, skip_invalid=True)
        rho = next((r.serial for r in yoys if r is not None and not r.insufficient), None)
        trends = stats.trend_batch(nums, den_args, qoys, kpi.kind, n_quarters=window,
                                   multiplier=kpi.multiplier, breaks=breaks, pooled=pooled, rho=rho,
                                   skip_invalid=True)
        excluded = national_rows["excluded"].iloc[0]
        for unit, num, den, qoy, yoy, trend in zip(units, nums, dens, qoys, yoys, trends,
                                                   strict=True):
            note = ""
            if unit == force_names().national and excluded:
                note = W.NATIONAL_EXCLUDING.format(forces=excluded)
            den_arg = None if kpi.kind == "count" else den
            if yoy is None:  # data the test cannot use: the test alone says why
                yoy = _tested(stats.year_on_year, num, den_arg, qoy, kpi.kind,
                              multiplier=kpi.multiplier)
            if trend is None:
                trend = _tested(stats.trend, num, den_arg, qoy, kpi.kind, n_quarters=window,
                                multiplier=kpi.multiplier)
            row = _row(period, unit, kpi, "year_on_year", yoy, note)
            straddled = _straddled(live, kpi, unit, period)
            if straddled is not None and not yoy.insufficient:
                row["p_value"] = row["min_detectable_change"] = np.nan
                row["not_comparable"] = True
                row["note"] = "; ".join(n for n in (W.ACROSS_BREAK.format(
                    what=straddled.what, quarter=straddled.first_quarter.label,
                    source=straddled.source), row["note"]) if n)
            rows.append(row)
            tested.append(yoy)
            row = _row(period, unit, kpi, "trend", trend, note)
            inside = [b for b in live.breaks_for(kpi.id, unit, force_names().national)
                      if period - (window - 1) < b.first_quarter <= period]
            if inside and not trend.insufficient:
                row["note"] = "; ".join(n for n in (W.TREND_WITH_BREAK.format(
                    quarter=inside[0].first_quarter.label), row["note"]) if n)
            rows.append(row)
            tested.append(trend)
        num, den, qidx = np.concatenate(nums), np.concatenate(dens), np.concatenate(qidxs)
        labels = {q: str(Quarter.from_index(q)) for q in np.unique(qidx).tolist()}
        forces = (national_rows["forces"].to_numpy() if "forces" in national_rows
                  else np.ones(len(national_rows), int))
        quarterly.append(pd.DataFrame({
            "period": [labels[q] for q in qidx.tolist()],
            "force": np.repeat(units, [len(n) for n in nums]),
            "kpi_id": kpi.id, "numerator": num,
            "denominator": den if kpi.kind != "count" else np.nan,
            "value": value(kpi, num, den),
            "forces": np.concatenate([forces, np.ones(len(num) - len(forces), int)]),
        }))
    results = pd.DataFrame(rows)
    if "not_comparable" not in results:
        results["not_comparable"] = False
    results["not_comparable"] = results["not_comparable"].fillna(False).astype(bool)
    results["q_value"] = np.nan
    results["assessment"] = ""
    # Disclosure control first: a withheld figure is not a finding, so it stays out of the
    # families (suppression depends on counts, not on the test, so this selects nothing by p).
    results, quarterly = protect(results, pd.concat(quarterly, ignore_index=True), live, period)
    results = _families(results, q_threshold)
    results["assessment"] = [
        "insufficient_data" if r.suppressed else "not_comparable" if r.not_comparable else
        assess(r.change, r.q_value, r.direction, q_threshold=q_threshold, insufficient=r.insufficient)
        for r in results.itertuples()
    ]
    # The smallest change the test could have reported, at the threshold its family applied.
    applied = results["applied_level"].to_numpy(float)
    keep = ~results["suppressed"].to_numpy(bool) & np.isfinite(applied)
    mdc = stats.min_detectable_changes([r.basis for r in tested], np.where(keep, applied, np.nan))
    results["min_detectable_change"] = np.where(keep, mdc, results["min_detectable_change"])
    results["dimension"] = results["category"] = ""
    results = pd.concat([results, breakdowns.rows(ds, live, period, panel, q_threshold)],
                        ignore_index=True)
    results = results[COLUMNS]
    quarterly = quarterly[QUARTERLY_COLUMNS]
    return PeriodResults(period, results, quarterly, warnings)
