"""The NHS financial year runs 1 April to 31 March; month 1 (M1) is April, M12 is March.

A year is named by the calendar year it starts in: 2010 is "2010-11".
"""

from __future__ import annotations

import datetime as dt

MONTH_NAMES = ["April", "May", "June", "July", "August", "September", "October", "November",
               "December", "January", "February", "March"]  # fmt: skip


def year_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def year_start(year: int) -> dt.date:
    return dt.date(year, 4, 1)


def year_end(year: int) -> dt.date:
    return dt.date(year + 1, 3, 31)


def financial_year_of(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def month_number(day: dt.date) -> int:
    """M1 = April ... M12 = March."""
    return (day.month - 4) % 12 + 1


def month_start(year: int, month: int) -> dt.date:
    """The first calendar day of period `month` (1..12) of financial `year`."""
    if not 1 <= month <= 12:
        raise ValueError("A financial month is 1 (April) to 12 (March).")
    calendar_month = (month + 2) % 12 + 1
    return dt.date(year if month <= 9 else year + 1, calendar_month, 1)


def month_label(year: int, month: int) -> str:
    start = month_start(year, month)
    return f"M{month} {start:%b %Y}"
