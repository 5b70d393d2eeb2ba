from pathlib import Path

import pytest
import yaml

from vawgbook.config import ASSIGNED, load_registry
from vawgbook.errors import ConfigError

CONTRACT_KPIS = {
    # id: (pillar, kind, direction), as ../shared/CONTRACT.md promises
    "vawg_recorded": ("relentless perpetrator pursuit", "count", "context"),
    "vawg_rate_per_1000_female": ("relentless perpetrator pursuit", "rate", "context"),
    "rape_recorded": ("relentless perpetrator pursuit", "count", "context"),
    "stalking_harassment_recorded": ("relentless perpetrator pursuit", "count", "context"),
    "vawg_charge_rate": ("relentless perpetrator pursuit", "proportion", "higher_is_better"),
    "rape_charge_rate": ("relentless perpetrator pursuit", "proportion", "higher_is_better"),
    "stalking_harassment_charge_rate": ("relentless perpetrator pursuit", "proportion", "higher_is_better"),
    "vawg_victim_not_supporting_rate": ("relentless perpetrator pursuit", "proportion", "lower_is_better"),
    "vawg_no_suspect_rate": ("relentless perpetrator pursuit", "proportion", "lower_is_better"),
    "da_arrest_rate": ("relentless perpetrator pursuit", "proportion", "higher_is_better"),
    "dvpo_rate": ("relentless perpetrator pursuit", "rate", "higher_is_better"),
    "dvds_timeliness_rate": ("relentless perpetrator pursuit", "proportion", "higher_is_better"),
    "victim_satisfaction_rate": ("build trust and confidence", "proportion", "higher_is_better"),
    "police_perpetrated_cases": ("build trust and confidence", "count", "context"),
    "police_perpetrated_no_action_rate": ("build trust and confidence", "proportion", "context"),
    "streetsafe_reports": ("create safer spaces", "count", "context"),
}


def test_shipped_registry_holds_the_contract_kpis():
    registry = load_registry()
    found = {k.id: (k.pillar, k.kind, k.direction) for k in registry.kpis}
    assert {k: found.get(k) for k in CONTRACT_KPIS} == CONTRACT_KPIS


def test_offence_groups_and_outcome_types_follow_the_contract():
    registry = load_registry()
    assert set(registry.offence_groups["vawg"]) == {
        "19C",
        "19D",
        "19E",
        "20A",
        "20B",
        "88E",
        "8Q",
        "8L",
        "8U",
    }
    assert set(registry.offence_groups["rape"]) == {"19C", "19D", "19E"}
    assert set(registry.offence_groups["stalking_harassment"]) == {"8Q", "8L", "8U"}
    charge = registry["vawg_charge_rate"]
    assert charge.numerator.outcome_types == (1,)
    assert charge.denominator.outcome_types == ASSIGNED == tuple(range(1, 23))
    assert registry["vawg_victim_not_supporting_rate"].numerator.outcome_types == (14, 16)
    assert registry["vawg_no_suspect_rate"].numerator.outcome_types == (18,)
    assert "closed with" in charge.definition


def test_every_kpi_has_reader_facing_text():
    for kpi in load_registry().kpis:
        assert kpi.name and kpi.definition and kpi.caveat and kpi.unit, kpi.id


def _write(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load((Path(__file__).parents[2] / "vawgbook/config/kpis.yaml").read_text())
    mutate(data)
    path = tmp_path / "kpis.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["kpis"][0].update(direction="upwards"), "direction 'upwards'"),
        (lambda d: d["kpis"][0].update(kind="ratio"), "kind 'ratio'"),
        (lambda d: d["kpis"][0]["numerator"].update(offences="nonsense"), "unknown offence group 'nonsense'"),
        (lambda d: d["kpis"][9]["numerator"].update(measure="da_arestss"), "unknown measure 'da_arestss'"),
        (lambda d: d["kpis"][4]["numerator"].update(outcome_types=[1, 30]), "outcome_types"),
        (lambda d: d["kpis"][4].pop("denominator"), "needs a denominator"),
        (lambda d: d["kpis"].append(dict(d["kpis"][0])), "defined twice"),
        (lambda d: d["kpis"][0].update(pillar="prevent"), "pillar 'prevent'"),
    ],
)
def test_registry_mistakes_name_the_file_and_the_kpi(tmp_path, mutate, message):
    path = _write(tmp_path, mutate)
    with pytest.raises(ConfigError) as err:
        load_registry(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_custom_measure_is_allowed_when_declared(tmp_path):
    def mutate(d):
        d["kpis"][9]["numerator"].update(measure="my_own_measure", custom=True)

    assert load_registry(_write(tmp_path, mutate))["da_arrest_rate"].numerator.measure == "my_own_measure"


def test_invalid_yaml_gives_the_line(tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_text("kpis:\n  - id: x\n    name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML") as err:
        load_registry(path)
    assert err.value.row is not None


def test_the_shipped_break_touches_every_kpi_counting_conduct_crimes():
    registry = load_registry()
    (hocr,) = registry.breaks
    assert str(hocr.first_quarter) == "2023-24-Q1" and hocr.forces == ()
    conduct = {"8Q", "8L", "8U"}
    assert set(hocr.kpis) == {k.id for k in registry.kpis if k.codes() & conduct}
    assert "rape_recorded" not in hocr.kpis and "da_arrest_rate" not in hocr.kpis
    assert hocr.what and hocr.source
    assert registry.breaks_for("stalking_harassment_recorded", "Kent", "England and Wales") == [hocr]
    assert registry.breaks_for("rape_recorded", "Kent", "England and Wales") == []


def _with_break(**fields):
    entry = {"id": "b", "first_quarter": "2022-23-Q3", "forces": ["Kent", "Dyfed Powys"],
             "kpis": ["da_arrest_rate"], "what": "a new system", "source": "force"}
    entry.update(fields)
    return lambda d: d.update(breaks=[entry])


def test_a_break_for_some_forces_names_them_canonically(tmp_path):
    registry = load_registry(_write(tmp_path, _with_break()))
    (b,) = registry.breaks
    assert b.forces == ("Kent", "Dyfed-Powys") and b.kpis == ("da_arrest_rate",)
    assert registry.breaks_for("da_arrest_rate", "Kent", "England and Wales") == [b]
    assert registry.breaks_for("da_arrest_rate", "England and Wales", "England and Wales") == [b]
    assert registry.breaks_for("da_arrest_rate", "Surrey", "England and Wales") == []


@pytest.mark.parametrize("fields, message", [
    ({"first_quarter": "May 2023"}, "not a quarter"),
    ({"forces": ["Gotham"]}, "'Gotham' is not a territorial force"),
    ({"kpis": ["no_such_kpi"]}, "unknown KPI 'no_such_kpi'"),
    ({"kpis": [], "offence_groups": ["nonsense"]}, "unknown offence group 'nonsense'"),
    ({"kpis": []}, "names no offence group or KPI"),
    ({"what": ""}, "has no 'what'"),
    ({"colour": "red"}, "unknown setting 'colour'"),
])
def test_break_mistakes_are_named(tmp_path, fields, message):
    path = _write(tmp_path, _with_break(**fields))
    with pytest.raises(ConfigError, match=message) as err:
        load_registry(path)
    assert str(path) in str(err.value) and "break 'b'" in str(err.value)


def test_same_finding_as_must_name_a_kpi_above(tmp_path):
    assert load_registry()["vawg_rate_per_1000_female"].same_finding_as == "vawg_recorded"
    path = _write(tmp_path, lambda d: d["kpis"][0].update(same_finding_as="rape_recorded"))
    with pytest.raises(ConfigError, match="same_finding_as"):
        load_registry(path)


def test_a_misspelt_section_is_named_not_ignored(tmp_path):
    path = _write(tmp_path, lambda d: d.update(braeks=[]))
    with pytest.raises(ConfigError, match="unknown section 'braeks'"):
        load_registry(path)
