"""KPIs and results: from tidy inputs to the period's results tables.

- :mod:`.panel`: quarterly numerators and denominators per force and nationally.
- :mod:`.results`: every KPI tested for every force and England and Wales (``kpi_results.csv``).
- :mod:`.breakdowns`: KPIs by victim group: recording completeness, gaps between groups.
- :mod:`.disclosure`: small numbers withheld (primary and secondary suppression).
- :mod:`.assessment`: the contract's assessment words and the rules that give them.
- :mod:`.quality`: the data-quality record and revisions between periods.
"""

from .results import COLUMNS, QUARTERLY_COLUMNS, PeriodResults, compute

__all__ = ["COLUMNS", "QUARTERLY_COLUMNS", "PeriodResults", "compute"]
