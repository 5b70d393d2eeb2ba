"""The settings of the tests: one object, used by the tests and printed by the methods page.

Nothing about how a test is run is restated by hand anywhere else: the methods page is written
from :data:`SETTINGS` (and :data:`vawgbook.stats.intervals.BYAR_EXACT_BELOW`).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Quarters in a 12-month window (a fact of quarterly data, not a choice).
QUARTERS_PER_YEAR = 4


@dataclass(frozen=True)
class Settings:
    """How every test and interval is run.

    Attributes
    ----------
    conf : float
        Two-sided confidence level of every interval.
    alpha : float
        Two-sided level at which the minimum detectable change is computed.
    power : float
        Power for the minimum detectable change.
    q_threshold : float
        A result is reported as a change (or a difference) when its false-discovery-rate
        adjusted q-value is below this.
    min_history_quarters : int
        Fewest quarters with data to estimate a series' dispersion.
    min_dispersion_df : int
        Fewest residual degrees of freedom to estimate a dispersion.
    min_trend_quarters : int
        Fewest quarters with data in the window for a trend test.
    """

    conf: float = 0.95
    alpha: float = 0.05
    power: float = 0.8
    q_threshold: float = 0.05
    min_history_quarters: int = 8
    min_dispersion_df: int = 3
    min_trend_quarters: int = 8


SETTINGS = Settings()
MIN_HISTORY_QUARTERS = SETTINGS.min_history_quarters
MIN_DISPERSION_DF = SETTINGS.min_dispersion_df
MIN_TREND_QUARTERS = SETTINGS.min_trend_quarters
