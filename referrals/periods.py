"""Periods of peer comparison: a financial year, or one of its quarters (Q1 = April-June)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from budgets.periods import month_start, year_label
from consortia.errors import ApplicationError


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None  # None: the whole year

    @classmethod
    def parse(cls, text: str) -> Period:
        """ "2010" (the year 2010-11) or "2010-Q3"."""
        try:
            if "-Q" in text.upper():
                year, quarter = text.upper().split("-Q")
                period = cls(int(year), int(quarter))
            else:
                period = cls(int(text))
        except (TypeError, ValueError) as exc:
            raise ApplicationError(
                f"'{text}' is not a period: use a year such as 2010 or a quarter such as 2010-Q3.",
                extra={"field": "period"},
            ) from exc
        if period.quarter is not None and not 1 <= period.quarter <= 4:
            raise ApplicationError("A quarter is Q1 to Q4.", extra={"field": "period"})
        if not 2000 <= period.year <= 2100:
            raise ApplicationError("Choose a year from 2000.", extra={"field": "period"})
        return period

    @property
    def code(self) -> str:
        return f"{self.year}-Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def months(self) -> list[int]:
        if self.quarter is None:
            return list(range(1, 13))
        return [3 * self.quarter - 2, 3 * self.quarter - 1, 3 * self.quarter]

    @property
    def start(self) -> dt.date:
        return month_start(self.year, self.months[0])

    @property
    def end(self) -> dt.date:
        last = month_start(self.year, self.months[-1])
        return (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        if self.quarter is None:
            return year_label(self.year)
        return f"{year_label(self.year)} Q{self.quarter} ({self.start:%b}–{self.end:%b %Y})"

    def next(self) -> Period:
        if self.quarter is None:
            return Period(self.year + 1)
        return (
            Period(self.year + 1, 1) if self.quarter == 4 else Period(self.year, self.quarter + 1)
        )

    def __str__(self) -> str:
        return self.label
