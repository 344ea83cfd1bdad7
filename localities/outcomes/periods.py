"""Periods of outcome counts: a financial year (2009-10) or a month of one (2010-11 M1)."""

from __future__ import annotations

import re

from .models import period_label

PERIOD = re.compile(r"^(\d{4})-(\d{2})(?:\s*M(\d{1,2}))?$", re.IGNORECASE)
PERIOD_HELP = "Write the period as a financial year (2009-10) or a month of one (2010-11 M1)."


def parse_period(text: str) -> tuple[int, int]:
    """ "2009-10" -> (2009, 0), the whole year; "2010-11 M1" -> (2010, 1), April 2010.

    M1 is April: the NHS financial year. Raises ValueError with what to write instead.
    """
    match = PERIOD.match(text.strip())
    if not match:
        raise ValueError(PERIOD_HELP)
    year, second, month = int(match[1]), int(match[2]), int(match[3] or 0)
    if second != (year + 1) % 100:
        raise ValueError(f"{text.strip()} is not a financial year: {period_label(year, 0)}?")
    if month and not 1 <= month <= 12:
        raise ValueError("A month is M1 (April) to M12 (March).")
    return year, month
