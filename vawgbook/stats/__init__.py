"""Statistics for the VAWG performance framework: numbers in, result objects out.

A leaf package: it imports nothing else from vawgbook (a test checks), so every method can be
read, tested and reused on its own.

- :mod:`.distributions`: critical values, p-values, a root-finder (the one copy of each).
- :mod:`.intervals`: Wilson, Byar (exact below 10) and Newcombe intervals (PHE methods).
- :mod:`.glm`: the seasonal GLM fitted to many series at once, and dispersion factors.
- :mod:`.change`: year-on-year and trend tests with their minimum detectable change.
- :mod:`.pooling`: empirical Bayes pooling of dispersion across forces.
- :mod:`.serial`: serial correlation, estimated across forces and allowed for.
- :mod:`.exact`: exact conditional tests (mid-p) for small counts.
- :mod:`.multiplicity`: false discovery rate control (Benjamini-Hochberg; hierarchical families).
- :mod:`.disparity`: gaps between groups of victims.
- :mod:`.funnel`: funnel-plot limits (PHE / Spiegelhalter).
- :mod:`.spc`: statistical process control (NHS Making Data Count XmR charts).
- :mod:`.settings`: the settings every test runs with (the methods page prints them).
"""

from .change import (
    ChangeResult,
    min_detectable_changes,
    trend,
    trend_batch,
    year_on_year,
    year_on_year_batch,
)
from .glm import Dispersion, SeasonalFit, dispersion_counts, dispersion_proportions, fit_seasonal
from .intervals import BYAR_EXACT_BELOW, byar_interval, newcombe_interval, wilson_interval
from .multiplicity import bh_qvalues
from .settings import SETTINGS, Settings

__all__ = [
    "BYAR_EXACT_BELOW", "SETTINGS", "ChangeResult", "Dispersion", "SeasonalFit", "Settings",
    "bh_qvalues", "byar_interval", "dispersion_counts", "dispersion_proportions", "fit_seasonal",
    "min_detectable_changes",
    "newcombe_interval", "trend", "trend_batch", "wilson_interval", "year_on_year",
    "year_on_year_batch",
]
