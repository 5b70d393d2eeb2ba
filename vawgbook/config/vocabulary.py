"""The shared vocabulary (``vocabulary.yaml``): force-return measures, breakdown dimensions and
their categories, and the analysis window. Loaded and checked once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from ..errors import ConfigError

FILE = "config/vocabulary.yaml"


@dataclass(frozen=True)
class Vocabulary:
    """What the files and the book call things.

    Attributes
    ----------
    measures : tuple of str
        The force-return measures of the contract.
    breakdowns : dict
        Each dimension's categories, in order, ending with :attr:`not_stated`.
    not_stated : str
        The category of a victim whose group is unknown.
    dimension_words : dict
        Each dimension as a sentence names it (``victim_ethnicity`` -> ``ethnicity``).
    analysis_quarters : int
        Quarters of the analysis window (trend test; national completeness).
    """

    measures: tuple[str, ...]
    breakdowns: dict[str, tuple[str, ...]]
    not_stated: str
    dimension_words: dict[str, str]
    analysis_quarters: int


def _check(data: object) -> Vocabulary:
    def fail(message: str):
        raise ConfigError(FILE, message)

    if not isinstance(data, dict):
        fail("must be a mapping")
    measures = data.get("force_return_measures")
    if not isinstance(measures, list) or not all(isinstance(m, str) and m for m in measures):
        fail("force_return_measures must be a list of names")
    section = data.get("breakdowns")
    if not isinstance(section, dict) or not isinstance(section.get("dimensions"), dict):
        fail("breakdowns must have not_stated and dimensions")
    not_stated = section.get("not_stated")
    if not isinstance(not_stated, str) or not not_stated:
        fail("breakdowns: not_stated must name a category")
    breakdowns, words = {}, {}
    for dim, spec in section["dimensions"].items():
        cats = spec.get("categories") if isinstance(spec, dict) else None
        if not isinstance(cats, list) or len(cats) < 2 or len(set(map(str, cats))) != len(cats):
            fail(f"breakdowns: {dim} needs a list of at least two distinct categories")
        if not_stated in cats:
            fail(f"breakdowns: {dim} lists {not_stated!r}, which every dimension has already")
        breakdowns[str(dim)] = (*map(str, cats), not_stated)
        words[str(dim)] = str(spec.get("words", dim))
    window = data.get("analysis_quarters")
    if isinstance(window, bool) or not isinstance(window, int) or window < 8:
        fail("analysis_quarters must be a whole number of at least 8 (two 12-month windows)")
    return Vocabulary(tuple(measures), breakdowns, not_stated, words, window)


@cache
def vocabulary() -> Vocabulary:
    """The package's vocabulary, read once."""
    text = resources.files("vawgbook").joinpath(FILE).read_text("utf-8")
    return _check(yaml.safe_load(text))
