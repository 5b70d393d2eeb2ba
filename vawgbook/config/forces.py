"""Force names: the 43 territorial forces, their spelling variants, and the bodies set aside."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd
import yaml

from ..errors import ConfigError

FILE = "config/forces.yaml"


def name_key(name: str) -> str:
    """A spelling-insensitive key: lower case, '&' read as 'and', letters only."""
    return re.sub(r"[^a-z]", "", str(name).lower().replace("&", "and"))


@dataclass(frozen=True)
class ForceNames:
    """Territorial forces, accepted variants and non-territorial bodies."""

    national: str
    territorial: tuple[str, ...]
    lookup: dict[str, str]  # name_key -> canonical territorial name
    non_territorial: dict[str, str]  # name_key -> canonical body name

    def classify(self, names: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Map raw names to (territorial name or NA, non-territorial body or NA).

        A name that is neither is unknown: both results are NA for it.
        """
        keys = names.astype(str).map(name_key)
        return keys.map(self.lookup), keys.map(self.non_territorial)


@cache
def force_names() -> ForceNames:
    """Load ``config/forces.yaml`` once."""
    text = resources.files("vawgbook").joinpath(FILE).read_text("utf-8")
    config = yaml.safe_load(text)
    if not isinstance(config, dict) or not isinstance(config.get("national"), str) \
            or not isinstance(config.get("territorial"), list) or not config["territorial"]:
        raise ConfigError(FILE, "needs 'national' (a name) and 'territorial' (a list of forces)")
    territorial = tuple(str(name) for name in config["territorial"])
    lookup = {name_key(name): name for name in territorial}
    for alias, canonical in (config.get("aliases") or {}).items():
        if canonical not in territorial:
            raise ConfigError(FILE, f"alias {alias!r} points at unknown force {canonical!r}")
        lookup[name_key(alias)] = canonical
    bodies = {name_key(name): name for name in config.get("non_territorial", [])}
    return ForceNames(config["national"], territorial, lookup, bodies)
