"""Each column type's vectorised rule against a plain-Python reference (its twin), on generated
text: the fast path accepts exactly what the rule says, and parses it to the same value."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from consortia.imports.layouts import CheckContext, Count, Date, Money, Month, YesNo

YEAR = 2010
CTX = CheckContext(upload=None, year=YEAR)
texts = st.lists(
    st.text(alphabet="0123456789,.£-MmYNyesno /:T", max_size=14)
    | st.sampled_from(["M1", "m12", "M13", "M01", "2010-04", "2011-03", "2011-04", "2010-4",
                       "2010-04x", "2010-13", "1,200", "12.", ".5", "£1,000.5", "0.05", "Y", "no",
                       "2010-02-29", "2012-02-29", "2010-06-01", "99999999999999"]),
    min_size=1,
    max_size=40,
)  # fmt: skip


def vectorised(column_type, values: list[str]) -> list:
    frame = pl.DataFrame({"text": values}, schema={"text": pl.String})
    return (
        frame.select(
            pl.when(pl.col("text") != "")
            .then(column_type.value(pl.col("text"), CTX))
            .cast(column_type.dtype)
        )
        .to_series()
        .to_list()
    )


def count_reference(text: str) -> int | None:
    clean = text.replace(",", "")
    return int(clean) if re.fullmatch(r"[0-9]{1,15}", clean) else None


def money_reference(text: str) -> int | None:
    clean = text.replace(",", "").replace("£", "")
    if not re.fullmatch(r"[0-9]{1,13}(\.[0-9]{1,2})?", clean):
        return None
    return int(Decimal(clean) * 100)


def month_reference(text: str) -> int | None:
    """M1..M12, or a calendar month "2010-04" within the financial year, as M1..M12."""
    upper = text.upper()
    if re.fullmatch(r"M([1-9]|1[0-2])", upper):
        return int(upper[1:])
    match = re.match(r"([0-9]{4})-([0-9]{2})", upper)
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or not YEAR * 12 + 4 <= year * 12 + month <= (YEAR + 1) * 12 + 3:
        return None
    return (month + 8) % 12 + 1


def yes_no_reference(text: str) -> bool | None:
    upper = text.upper()
    return (
        True
        if upper in ("Y", "YES", "TRUE", "1")
        else False
        if upper in ("N", "NO", "FALSE", "0")
        else None
    )


def date_reference(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text[:10], "%Y-%m-%d").date()  # noqa: DTZ007 - a date
    except ValueError:
        return None


def _both(column_type, reference, values):
    expected = [None if v == "" else reference(v) for v in values]
    assert vectorised(column_type, values) == expected


@settings(max_examples=300, deadline=None)
@given(texts)
def test_count_matches_its_reference(values):
    _both(Count(), count_reference, values)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_money_matches_its_reference(values):
    _both(Money(), money_reference, values)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_month_matches_its_reference(values):
    _both(Month(), month_reference, values)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_yes_no_matches_its_reference(values):
    _both(YesNo(), yes_no_reference, values)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_date_matches_its_reference(values):
    _both(Date(), date_reference, values)


def test_money_is_exact_to_the_penny_at_the_limits():
    assert vectorised(Money(), ["9999999999999.99", "0.5", "£1,234.05", "1.005"]) == [
        999999999999999,
        50,
        123405,
        None,
    ]
