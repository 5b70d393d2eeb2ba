"""Financial quarters: parsing the accepted spellings, ordering and rolling windows.

A financial year runs April to March; Q1 is April–June. ``Quarter(2024, 2)`` is 2024/25 Q2
(July–September 2024), written canonically as ``2024-25-Q2``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InputError

_PERIOD = re.compile(r"^\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*[- ]?\s*Q([1-4])\s*$", re.IGNORECASE)
_FINANCIAL_YEAR = re.compile(r"^\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*$")
_MONTHS = ("April to June", "July to September", "October to December", "January to March")


def _start_year(first: str, second: str) -> int | None:
    """The starting calendar year of a financial year, or None if the two years don't follow."""
    start = int(first)
    end = int(second)
    expected = (start + 1) % 100 if len(second) == 2 else start + 1
    return start if end == expected else None


@dataclass(frozen=True, order=True)
class Quarter:
    """A financial quarter: ``start_year`` of the financial year and quarter 1–4."""

    start_year: int
    quarter: int

    def __post_init__(self) -> None:
        if self.quarter not in (1, 2, 3, 4):
            raise ValueError(f"quarter must be 1-4, not {self.quarter!r}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse ``2024/25 Q2``, ``2024-25 Q2`` or ``2024-25-Q2``."""
        match = _PERIOD.match(str(text))
        start = _start_year(match.group(1), match.group(2)) if match else None
        if start is None:
            raise InputError(
                None,
                f"period {text!r} is not a financial quarter such as '2024-25-Q2' or '2024/25 Q2'",
            )
        return cls(start, int(match.group(3)))

    @classmethod
    def from_index(cls, index: int) -> Quarter:
        """Inverse of :attr:`index`."""
        return cls(index // 4, index % 4 + 1)

    @property
    def index(self) -> int:
        """A running number: consecutive quarters differ by one."""
        return self.start_year * 4 + self.quarter - 1

    @property
    def financial_year(self) -> str:
        """As the Home Office writes it: ``2024/25``."""
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    @property
    def label(self) -> str:
        """For readers: ``2024/25 Q2``."""
        return f"{self.financial_year} Q{self.quarter}"

    @property
    def months(self) -> str:
        """The calendar months covered, e.g. ``July to September 2024``."""
        year = self.start_year + (1 if self.quarter == 4 else 0)
        return f"{_MONTHS[self.quarter - 1]} {year}"

    @property
    def year_ending(self) -> str:
        """The 12 months ending with this quarter, in words: ``year ending September 2024``."""
        month = self.months.split(" to ")[1].split()[0]
        year = self.start_year + (1 if self.quarter == 4 else 0)
        return f"year ending {month} {year}"

    def __str__(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}-Q{self.quarter}"

    def __add__(self, quarters: int) -> Quarter:
        return Quarter.from_index(self.index + int(quarters))

    def __sub__(self, quarters: int) -> Quarter:
        return Quarter.from_index(self.index - int(quarters))

    def window(self, length: int = 4) -> list[Quarter]:
        """The ``length`` quarters ending with this one, oldest first."""
        return [self - k for k in range(length - 1, -1, -1)]

    def previous_window(self, length: int = 4) -> list[Quarter]:
        """The ``length`` quarters before :meth:`window` (the year-on-year baseline)."""
        return (self - length).window(length)


def parse_financial_year(text: str) -> int | None:
    """Starting calendar year of ``2024/25`` or ``2024-25`` (or ``2024/2025``); None if invalid."""
    match = _FINANCIAL_YEAR.match(str(text))
    return _start_year(match.group(1), match.group(2)) if match else None


def restarts(periods, firsts) -> list[int]:
    """Positions in a series of period labels (oldest first) at which each quarter of ``firsts``
    falls, after the series' first: where process-control limits restart at a registered break.
    The chart and the findings register both use it, so they restart at the same quarters."""
    quarters = [Quarter.parse(str(p)) for p in periods]
    return sorted({i for first in firsts for i, q in enumerate(quarters) if q == first and i > 0})
