"""The KPI registry: a YAML file analysts can read and edit, validated on load.

Every problem is a :class:`~vawgbook.errors.ConfigError` naming the file, the KPI and (for YAML
syntax) the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from ..errors import ConfigError
from ..periods import Quarter
from .forces import force_names, name_key
from .vocabulary import vocabulary

KINDS = ("count", "proportion", "rate")
DIRECTIONS = ("higher_is_better", "lower_is_better", "context")
SOURCES = ("recorded_crime", "outcomes", "force_returns", "population")
ASSIGNED = tuple(range(1, 23))  # all outcomes assigned: types 1-22, not 0 (not yet assigned)
DEFAULT_REGISTRY = "config/kpis.yaml"
TOP_LEVEL = {"offence_groups", "pillars", "kpis", "disclosure_control", "breakdowns", "breaks"}


@dataclass(frozen=True)
class Source:
    """Where a numerator or denominator comes from."""

    source: str
    codes: tuple[str, ...] = ()  # offence codes (recorded_crime, outcomes)
    group: str = ""  # the offence group's name
    outcome_types: tuple[int, ...] = ()  # outcomes only
    measure: str = ""  # force_returns only
    column: str = ""  # population only: female | total


    def describe(self) -> str:
        """In words, for the methods page."""
        codes = ", ".join(self.codes)
        if self.source == "recorded_crime":
            return f"recorded crime, offence codes {codes}"
        if self.source == "outcomes":
            types = ("all outcomes assigned (types 1-22)" if self.outcome_types == ASSIGNED
                     else "outcome type" + ("s " if len(self.outcome_types) > 1 else " ")
                     + " and ".join(str(t) for t in self.outcome_types))
            return f"crime outcomes: {types}, offence codes {codes}"
        if self.source == "force_returns":
            return f"force returns: {self.measure}"
        return f"{self.column} population (mid-year estimate)"


@dataclass(frozen=True)
class Kpi:
    """One indicator of the framework."""

    id: str
    name: str
    definition: str
    pillar: str
    kind: str
    direction: str
    numerator: Source
    denominator: Source | None
    multiplier: float
    unit: str
    format: str
    caveat: str
    disclosure_threshold: int = 0  # counts from 1 to this minus 1 are suppressed; 0: off
    breakdowns: tuple[str, ...] = ()  # dimensions (victim_ethnicity, ...) it is broken down by
    #: Another KPI this one restates (the same offences per head of population, say): a change in
    #: both is one finding in the headline counts, not two.
    same_finding_as: str | None = None
    short_name: str = ""  # a few words for a column head (the name when not given)

    @property
    def short(self) -> str:
        return self.short_name or self.name

    def codes(self) -> frozenset[str]:
        """Every offence code behind the KPI's numerator and denominator."""
        sources = [self.numerator] + ([self.denominator] if self.denominator else [])
        return frozenset(code for s in sources for code in s.codes)

    def display(self, value: float) -> str:
        """The value as readers see it, e.g. ``6.1%`` or ``12,345``."""
        return "–" if value != value else format(value, self.format)

    def display_change(self, change: float) -> str:
        """A change as readers see it: percentage points for shares, signed otherwise."""
        if change != change:
            return "–"
        if self.format.endswith("%"):
            digits = self.format.rstrip("%").lstrip(",").lstrip(".") or "1"
            return f"{change * 100:+.{digits}f} percentage points"
        return format(change, "+" + self.format)


@dataclass(frozen=True)
class BreakdownSettings:
    """How breakdowns by victim ethnicity, age band and sex are judged (registry ``breakdowns``)."""

    #: Least share of the total with a known category (not 'Not stated', not left unrecorded) for
    #: a force's breakdown to be tested or ranked.
    completeness_threshold: float = 0.8
    #: Fewest cases (a proportion's denominator, a count's numerator) over 12 months for a
    #: category's figure to be shown; smaller categories are not turned into rates.
    min_cases: int = 20
    #: Each category is compared with the rest of the known categories, or with this category
    #: (per dimension), e.g. ``{victim_ethnicity: White}``.
    reference: dict[str, str] = field(default_factory=dict)
    #: Wider groups reported alongside the categories, per dimension, e.g. the framework's
    #: "Black and minoritised" = Asian, Black, Mixed and Other.
    merged: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    #: For a proportion, how far (in share of the total, e.g. 0.05 = 5 percentage points) the
    #: numerator's known share may fall below the denominator's before the breakdown is not
    #: relied on: outcomes recorded by group less completely than the cases they divide by would
    #: bias the groups' figures.
    numerator_tolerance: float = 0.05


@dataclass(frozen=True)
class Break:
    """A change in how figures are counted (a counting rule, a new recording system): figures
    either side of it are not comparable.

    ``first_quarter`` is the first quarter affected; ``forces`` the forces it applies to (empty:
    all); ``kpis`` the indicators it touches (from its offence groups and its own list).
    """

    id: str
    first_quarter: Quarter
    forces: tuple[str, ...]
    kpis: tuple[str, ...]
    what: str
    source: str

    def applies_to(self, kpi_id: str, force: str, national: str) -> bool:
        """Whether the break touches ``kpi_id`` in ``force`` (England and Wales: if it touches
        any force)."""
        return kpi_id in self.kpis and (not self.forces or force == national or force in self.forces)


@dataclass(frozen=True)
class Registry:
    path: str
    offence_groups: dict[str, tuple[str, ...]]
    group_names: dict[str, str]
    pillars: tuple[str, ...]
    kpis: tuple[Kpi, ...]
    breakdown_settings: BreakdownSettings = BreakdownSettings()
    breaks: tuple[Break, ...] = ()

    def __getitem__(self, kpi_id: str) -> Kpi:
        for kpi in self.kpis:
            if kpi.id == kpi_id:
                return kpi
        raise KeyError(kpi_id)

    def breaks_for(self, kpi_id: str, force: str, national: str) -> list[Break]:
        """The registered breaks that touch a KPI in a force, oldest first."""
        return sorted((b for b in self.breaks if b.applies_to(kpi_id, force, national)),
                      key=lambda b: b.first_quarter)


def _source(where: str, spec: object, groups: dict, fail) -> Source:
    if not isinstance(spec, dict) or spec.get("source") not in SOURCES:
        fail(f"{where}: 'source' must be one of {', '.join(SOURCES)}")
    source = spec["source"]
    if source in ("recorded_crime", "outcomes"):
        group = spec.get("offences")
        if group not in groups:
            fail(f"{where}: unknown offence group {group!r} (known: {', '.join(groups)})")
        types: tuple[int, ...] = ()
        if source == "outcomes":
            raw = spec.get("outcome_types")
            if raw == "assigned":
                types = ASSIGNED
            elif isinstance(raw, list) and raw and all(t in range(0, 23) for t in raw):
                types = tuple(int(t) for t in raw)
            else:
                fail(f"{where}: outcome_types must be 'assigned' or a list of types 0-22, not {raw!r}")
        return Source(source, codes=groups[group], group=group, outcome_types=types)
    if source == "force_returns":
        measure = spec.get("measure")
        if not isinstance(measure, str) or not measure:
            fail(f"{where}: a force_returns source needs a 'measure'")
        if measure not in vocabulary().measures and not spec.get("custom", False):
            fail(f"{where}: unknown measure {measure!r} (add 'custom: true' for an analyst's own measure)")
        return Source(source, measure=measure)
    column = spec.get("column")
    if column not in ("female", "total"):
        fail(f"{where}: population column must be 'female' or 'total', not {column!r}")
    return Source(source, column=column)


def _threshold(where: str, entry: dict, numerator: Source, denominator: Source | None,
               defaults: dict, fail) -> int:
    """A KPI's own ``disclosure_threshold``, else the largest default of its sources."""
    value = entry.get("disclosure_threshold")
    if value is None:
        sources = [numerator] + ([denominator] if denominator else [])
        value = max(defaults.get(s.source, 0) for s in sources)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        fail(f"{where}: disclosure_threshold must be a whole number, 0 for none, not {value!r}")
    return value


def _breakdown_settings(data: object, fail) -> BreakdownSettings:
    """The registry's ``breakdowns`` section, checked against the dimensions of the contract."""
    if data is None:
        return BreakdownSettings()
    if not isinstance(data, dict):
        fail("'breakdowns' must be a mapping (completeness_threshold, numerator_tolerance, min_cases, "
             "reference, merged)")
    unknown = set(data) - {"completeness_threshold", "numerator_tolerance", "min_cases", "reference",
                           "merged"}
    if unknown:
        fail(f"breakdowns: unknown setting {sorted(unknown)[0]!r}")
    threshold = data.get("completeness_threshold", 0.8)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        fail(f"breakdowns: completeness_threshold must be a share from 0 to 1, not {threshold!r}")
    tolerance = data.get("numerator_tolerance", 0.05)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance <= 1:
        fail(f"breakdowns: numerator_tolerance must be a share from 0 to 1, not {tolerance!r}")
    min_cases = data.get("min_cases", 20)
    if isinstance(min_cases, bool) or not isinstance(min_cases, int) or min_cases < 1:
        fail(f"breakdowns: min_cases must be a whole number of at least 1, not {min_cases!r}")

    def category(dim: str, name: object) -> str:
        lookup = {c.lower(): c for c in vocabulary().breakdowns[dim] if c != vocabulary().not_stated}
        if not isinstance(name, str) or name.strip().lower() not in lookup:
            fail(f"breakdowns: {name!r} is not a {dim} category ({', '.join(lookup.values())})")
        return lookup[name.strip().lower()]

    def dimension(dim: object) -> str:
        if dim not in vocabulary().breakdowns:
            fail(f"breakdowns: dimension {dim!r} is not one of {', '.join(vocabulary().breakdowns)}")
        return str(dim)

    reference = {dimension(d): category(d, c) for d, c in (data.get("reference") or {}).items()}
    merged: dict[str, dict[str, tuple[str, ...]]] = {}
    for dim, groups in (data.get("merged") or {}).items():
        dim = dimension(dim)
        if not isinstance(groups, dict):
            fail(f"breakdowns: merged {dim} must map a group's name to its categories")
        merged[dim] = {}
        for name, members in groups.items():
            if not isinstance(members, list) or len(members) < 2:
                fail(f"breakdowns: merged group {name!r} needs a list of at least two categories")
            if str(name) in vocabulary().breakdowns[dim]:
                fail(f"breakdowns: merged group {name!r} has the name of a {dim} category")
            merged[dim][str(name)] = tuple(category(dim, m) for m in members)
    return BreakdownSettings(float(threshold), min_cases, reference, merged, float(tolerance))


def _breaks(data: object, groups: dict, kpis: list[Kpi], fail) -> tuple[Break, ...]:
    """The registry's ``breaks`` list, each checked: a quarter, forces, offence groups or KPIs
    that exist, and the words the book will say."""
    if data is None:
        return ()
    if not isinstance(data, list):
        fail("'breaks' must be a list of breaks (id, first_quarter, forces, offence_groups or kpis, "
             "what, source)")
    known = {"id", "first_quarter", "forces", "offence_groups", "kpis", "what", "source"}
    by_id = {k.id: k for k in kpis}
    out, seen = [], set()
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or not entry.get("id"):
            fail(f"breaks entry {i + 1} has no 'id'")
        where = f"break {entry['id']!r}"
        if entry["id"] in seen:
            fail(f"{where} is defined twice")
        seen.add(entry["id"])
        unknown = set(entry) - known
        if unknown:
            fail(f"{where}: unknown setting {sorted(unknown)[0]!r}")
        for key in ("first_quarter", "what", "source"):
            if not str(entry.get(key) or "").strip():
                fail(f"{where} has no {key!r}")
        try:
            first = Quarter.parse(str(entry["first_quarter"]))
        except Exception:
            fail(f"{where}: first_quarter {entry['first_quarter']!r} is not a quarter such as 2023-24-Q1")
        forces = entry.get("forces", "all")
        if forces == "all":
            forces = ()
        elif isinstance(forces, list) and forces:
            names = force_names()
            canonical = [names.lookup.get(name_key(str(f))) for f in forces]
            if None in canonical:
                fail(f"{where}: {forces[canonical.index(None)]!r} is not a territorial force")
            forces = tuple(canonical)
        else:
            fail(f"{where}: forces must be 'all' or a list of force names")
        touched = set()
        for group in entry.get("offence_groups") or []:
            if group not in groups:
                fail(f"{where}: unknown offence group {group!r} (known: {', '.join(groups)})")
            touched |= {k.id for k in kpis if k.codes() & set(groups[group])}
        for kid in entry.get("kpis") or []:
            if kid not in by_id:
                fail(f"{where}: unknown KPI {kid!r}")
            touched.add(kid)
        if not touched:
            fail(f"{where}: names no offence group or KPI that any indicator uses")
        out.append(Break(str(entry["id"]), first, forces,
                         tuple(k.id for k in kpis if k.id in touched),
                         " ".join(str(entry["what"]).split()), " ".join(str(entry["source"]).split())))
    return tuple(out)


def load_registry(path: str | Path | None = None) -> Registry:
    """Load and validate a registry file (the package's own by default)."""
    if path is None:
        ref = resources.files("vawgbook").joinpath(DEFAULT_REGISTRY)
        label, text = str(ref), ref.read_text("utf-8")
    else:
        label = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ConfigError(label, f"cannot read the KPI registry: {exc.strerror}") from None

    def fail(message: str):
        raise ConfigError(label, message)

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(label, f"is not valid YAML: {getattr(exc, 'problem', exc)}",
                         row=mark.line + 1 if mark else None) from None
    if not isinstance(data, dict) or not isinstance(data.get("kpis"), list):
        fail("a KPI registry needs 'offence_groups' and a list 'kpis'")
    unknown = sorted(set(data) - TOP_LEVEL)
    if unknown:  # a misspelt section would otherwise be ignored without a word
        fail(f"unknown section {unknown[0]!r} (known: {', '.join(sorted(TOP_LEVEL))})")
    groups, names = {}, {}
    for gid, group in (data.get("offence_groups") or {}).items():
        codes = group.get("codes") if isinstance(group, dict) else None
        if not isinstance(codes, list) or not codes:
            fail(f"offence group {gid!r}: 'codes' must be a non-empty list")
        groups[gid] = tuple(str(c).strip().upper() for c in codes)
        names[gid] = str(group.get("name", gid))
    pillars = tuple(data.get("pillars") or ())
    disclosure = data.get("disclosure_control") or {}
    if not isinstance(disclosure, dict):
        fail("'disclosure_control' must map sources to thresholds, e.g. {force_returns: 5}")
    for source, value in disclosure.items():
        if source not in SOURCES or isinstance(value, bool) or not isinstance(value, int) or value < 0:
            fail(f"disclosure_control: {source}: {value!r} is not a disclosure_threshold "
                 f"(a whole number for one of {', '.join(SOURCES)}; 0 for none)")
    settings = _breakdown_settings(data.get("breakdowns"), fail)
    kpis, seen = [], set()
    for i, entry in enumerate(data["kpis"]):
        if not isinstance(entry, dict) or not entry.get("id"):
            fail(f"kpis entry {i + 1} has no 'id'")
        kid = str(entry["id"])
        where = f"KPI {kid!r}"
        if kid in seen:
            fail(f"{where} is defined twice")
        seen.add(kid)
        for key in ("name", "pillar", "kind", "direction", "numerator"):
            if key not in entry:
                fail(f"{where} has no {key!r}")
        if entry["kind"] not in KINDS:
            fail(f"{where}: kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
        if entry["direction"] not in DIRECTIONS:
            fail(f"{where}: direction {entry['direction']!r} is not one of {', '.join(DIRECTIONS)}")
        if pillars and entry["pillar"] not in pillars:
            fail(f"{where}: pillar {entry['pillar']!r} is not one of {', '.join(pillars)}")
        numerator = _source(f"{where} numerator", entry["numerator"], groups, fail)
        denominator = None
        if entry["kind"] == "count":
            if entry.get("denominator") is not None:
                fail(f"{where}: a count has no denominator")
        else:
            if entry.get("denominator") is None:
                fail(f"{where}: a {entry['kind']} needs a denominator")
            denominator = _source(f"{where} denominator", entry["denominator"], groups, fail)
        try:
            multiplier = float(entry.get("multiplier", 1))
            format(1.0, entry.get("format", ",.2f"))
        except (TypeError, ValueError):
            fail(f"{where}: multiplier must be a number and format a Python format spec")
        dims = entry.get("breakdowns") or []
        if not isinstance(dims, list) or any(d not in vocabulary().breakdowns for d in dims):
            fail(f"{where}: breakdowns must be a list of {', '.join(vocabulary().breakdowns)}, not {dims!r}")
        sources = [numerator] + ([denominator] if denominator else [])
        if dims and any(s.source != "force_returns" for s in sources):
            fail(f"{where}: only KPIs made wholly from force returns can be broken down "
                 "(recorded crime and outcomes have no victim breakdowns)")
        if dims and entry["kind"] == "rate":
            fail(f"{where}: breakdowns are for counts and proportions (a rate per population "
                 "would need the population of each group)")
        kpis.append(Kpi(
            id=kid, name=str(entry["name"]), definition=" ".join(str(entry.get("definition", "")).split()),
            pillar=str(entry["pillar"]), kind=entry["kind"], direction=entry["direction"],
            numerator=numerator, denominator=denominator, multiplier=multiplier,
            unit=str(entry.get("unit", "")), format=str(entry.get("format", ",.2f")),
            caveat=" ".join(str(entry.get("caveat", "")).split()),
            disclosure_threshold=_threshold(where, entry, numerator, denominator, disclosure, fail),
            breakdowns=tuple(dims),
            same_finding_as=_same_finding(where, entry, seen, kid, fail),
            short_name=" ".join(str(entry.get("short_name", "")).split()),
        ))
    breaks = _breaks(data.get("breaks"), groups, kpis, fail)
    return Registry(label, groups, names, pillars, tuple(kpis), settings, breaks)


def _same_finding(where: str, entry: dict, seen: set, kid: str, fail) -> str | None:
    other = entry.get("same_finding_as")
    if other is None:
        return None
    if not isinstance(other, str) or other not in seen or other == kid:
        fail(f"{where}: same_finding_as must name a KPI defined above it, not {other!r}")
    return other
