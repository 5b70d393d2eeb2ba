"""Pages' findings come from the register: what each shows is exactly the register's rows for it,
and its counts are the register's counts. Checked on the sample's written results (the ones the
golden notebooks read); the browser tests check the same on the built book."""

from __future__ import annotations

import re

import pytest
from register_marks import Marks

from vawgbook.config import force_names
from vawgbook.publish import findings, report, scorecard, variation

NATIONAL = force_names().national


@pytest.fixture(scope="module")
def sample():
    return report.period_results()


def test_the_sample_has_a_register_compared_with_the_previous_period(sample):
    assert sample.findings is not None and len(sample.findings) > 0
    assert sample.compared
    assert set(sample.findings["status"]) <= {"new", "continuing"}
    assert set(sample.resolved["status"]) <= {"resolved"}


def test_counts_are_the_registers_counted_once(sample):
    marks = Marks(findings.counts(sample).markup)
    counted = sample.findings.loc[sample.findings["counted"]]
    for reading in findings.READINGS:
        mine = counted["reading"] == reading
        national = counted["force"] == NATIONAL
        assert marks.counts[(reading, "all")] == mine.sum()
        assert marks.counts[(reading, "national")] == (mine & national).sum()
        assert marks.counts[(reading, "forces")] == (mine & ~national).sum()


@pytest.mark.parametrize("force", [NATIONAL, "Kent", "West Midlands"])
def test_a_place_lists_exactly_its_findings(sample, force):
    shown = Marks(findings.place(sample, force).markup).keys
    expected = sample.findings.loc[sample.findings["force"] == force, "key"].tolist()
    assert sorted(shown) == sorted(expected)
    assert len(shown) == len(set(shown))


def test_every_force_finding_is_in_the_forces_tables(sample):
    shown = Marks(findings.forces(sample).markup).keys
    expected = sample.findings.loc[sample.findings["force"] != NATIONAL, "key"].tolist()
    assert sorted(shown) == sorted(expected)


def test_visible_in_the_data_shows_every_gap_finding(sample):
    shown = Marks(findings.gaps(sample).markup).keys
    expected = sample.findings.loc[sample.findings["kind"].isin(["gap", "gap_change"]), "key"].tolist()
    assert sorted(shown) == sorted(expected)
    assert any(k.startswith("gap_change|West Midlands|") for k in shown)  # the missing gaps


def test_what_changed_lists_new_continuing_and_resolved(sample):
    for status in ("new", "continuing"):
        shown = Marks(findings.changed(sample, status).markup).keys
        assert sorted(shown) == sorted(sample.findings.loc[sample.findings["status"] == status, "key"])
    assert sorted(Marks(findings.changed(sample, "resolved").markup).keys) == sorted(sample.resolved["key"])
    panel = findings.changed_panel(sample).text
    counted = sample.findings.loc[sample.findings["counted"]]
    gone = sample.resolved.loc[sample.resolved["counted"]]
    new = (counted["status"] == "new").sum()
    assert f"{new:,} new finding" in panel and f"{len(gone):,} no longer found" in panel


def test_the_scorecard_has_every_indicator_and_the_forces_gap_findings(sample):
    card = scorecard.scorecard(sample, "Kent")
    assert list(card.frame["Indicator"]) == [sample.registry[k].name for k in sample.kpi_ids()]
    assert 'class="vawg-assessment"' in card.markup
    gaps = set(Marks(card.markup).keys)
    expected = set(sample.findings.loc[(sample.findings["force"] == "Kent")
                                       & sample.findings["kind"].isin(["gap", "gap_change"]), "key"])
    assert gaps == expected and gaps  # Kent's Black-victim arrest gap is on Kent's scorecard
    assert "Black victims: 16.4% against 25.5% for the rest (worse off)" in card.markup


def test_the_scorecard_position_is_the_registers(sample):
    card = scorecard.scorecard(sample, "Kent").frame.set_index("Indicator")
    v = sample.variation.loc[sample.variation["force"] == "Kent"].set_index("kpi_id")
    for kpi_id in sample.kpi_ids():
        kpi = sample.registry[kpi_id]
        assert card.loc[kpi.name, "Against other forces"] == scorecard.position_label(kpi, v.loc[kpi_id])


def test_questions_start_with_what_is_not_working(sample):
    text = scorecard.questions(sample, "Kent").text
    first = text.splitlines()[0]
    assert "worsened" in first or "worse off" in first or "concern" in first
    assert len(text.splitlines()) <= scorecard.MAX_QUESTIONS


def test_funnel_charts_and_the_register_agree_on_every_force(sample):
    """The charts compute their own funnel (for the limits); the forces they draw outside the
    limits must be the ones the register names."""
    for kpi_id in sample.kpi_ids():
        kpi = sample.registry[kpi_id]
        plot = variation.funnel_for(sample.results, kpi)
        if plot is None:
            continue
        drawn = dict(zip(plot.points["force"], plot.points["position"], strict=True))
        v = sample.variation
        v = v.loc[(v["kpi_id"] == kpi_id) & (v["force"] != NATIONAL)]
        registered = {f: p for f, p in zip(v["force"], v["funnel_position"], strict=True) if p}
        assert drawn == registered, kpi_id


def test_overview_has_every_force_and_indicator_in_words(sample):
    grid = scorecard.overview(sample)
    assert len(grid.frame) == 1 + len(force_names().territorial)
    assert grid.markup.count('class="vawg-sr"') == len(grid.frame) * len(sample.kpi_ids())
    assert 'role="region" tabindex="0"' in grid.markup  # the scrolling grid can be reached by keyboard


def test_no_internal_names_reach_a_label(sample):
    for html in (findings.place(sample, "Kent").markup, scorecard.scorecard(sample, "Kent").markup,
                 scorecard.overview(sample).markup):
        text = re.sub(r'data-[a-z-]+="[^"]*"', "", html)
        assert "kpi_id" not in text and "da_flagged_crimes" not in text and "_rate" not in text
