"""The referral figures the home page shows, read through the referrals app's selectors.

The referrals app provides, in `referrals.selectors`: `outliers_for`, `open_peer_reviews`,
`slow_providers`, `held_payments`, `held_by_locality` and `scheme_savings`. This adapter is the
only place the home page touches them, so it renders (saying the figures are not available yet) on
a deployment where the referrals app has none of them, and a change of signature is mended here.
(The money pages read held payments through budgets.activity.holds instead.)
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from ..models import Organisation, User

NOT_AVAILABLE = "Referral figures are not available yet."


@dataclass
class ReferralFigures:
    """What the referrals app says about a locality; a part is None when it is not available."""

    available: bool
    outliers: Any = None  # [{"row": OutlierRow, "url", "review_url", "open_review_url"}]
    peer_reviews: Any = None  # [{"review": PeerReview, "url"}]
    slow_providers: Any = None  # [TimelinessRow], worst first
    held_payments: Any = None  # [HeldRow] by provider and month, across the commissioner
    held_here: int | None = None  # pence held for the locality's practices
    scheme_savings: Any = None  # [SchemeRow]
    links: dict | None = None  # the referrals pages, where installed

    @property
    def held_total(self) -> int:
        return sum(row.held for row in self.held_payments or [])

    @property
    def savings_total(self) -> int:
        return sum(row.saving for row in self.scheme_savings or [])


def _selectors():
    try:
        return importlib.import_module("referrals.selectors")
    except ImportError:
        return None


def _call(selectors, name: str, **kwargs) -> Any:
    function = getattr(selectors, name, None)
    return None if function is None else function(**kwargs)


def _url(name: str, *args, query: str = "") -> str | None:
    """The referrals page's address, or None where the referrals pages are not installed."""
    try:
        return reverse(name, args=args) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return None


def _outlier_links(rows) -> list[dict]:
    """Each outlier with the page to open it on (the practice's trend for the specialty) and its
    open peer review, or the page that opens one."""
    out = []
    for row in rows or []:
        period = getattr(row, "period", None)
        code = getattr(period, "code", "")
        query = urlencode({"measure": row.measure, "year": getattr(period, "year", "")})
        review_id = getattr(row, "review_id", None)
        out.append(
            {
                "row": row,
                "url": _url("referrals-trend", row.practice.code, query=query),
                "review_url": _url("referrals-review", review_id) if review_id else None,
                "open_review_url": None
                if review_id
                else _url(
                    "referrals-review-new",
                    query=urlencode(
                        {"practice": row.practice.code, "measure": row.measure, "period": code}
                    ),
                ),
            }
        )
    return out


def _held_here(selectors, commissioner, locality, year: int, month: int) -> int | None:
    by_locality = _call(
        selectors, "held_by_locality", commissioner=commissioner, year=year, month=month
    )
    return None if by_locality is None else by_locality.get(locality.pk, 0)


def _review_links(selectors, reviews) -> list[dict]:
    name = getattr(selectors, "measure_name", str)
    return [
        {"review": r, "measure_name": name(r.measure), "url": _url("referrals-review", r.pk)}
        for r in reviews or []
    ]


def referral_figures(
    *, user: User, locality: Organisation, commissioner: Organisation, year: int, month: int
) -> ReferralFigures:
    """A locality's referral outliers and open peer reviews, the commissioner's slow providers
    and held payments (payment on information), and the locality's schemes' savings."""
    selectors = _selectors()
    if selectors is None:
        return ReferralFigures(available=False)
    return ReferralFigures(
        available=True,
        outliers=_outlier_links(
            _call(selectors, "outliers_for", user=user, locality=locality, year=year)
        ),
        peer_reviews=_review_links(
            selectors, _call(selectors, "open_peer_reviews", user=user, locality=locality)
        ),
        slow_providers=_call(
            selectors, "slow_providers", user=user, commissioner=commissioner, year=year
        ),
        held_payments=_call(
            selectors,
            "held_payments",
            user=user,
            commissioner=commissioner,
            year=year,
            month=month,
        ),
        held_here=_held_here(selectors, commissioner, locality, year, month),
        scheme_savings=_call(selectors, "scheme_savings", user=user, locality=locality),
        links={
            name: _url(f"referrals-{name}")
            for name in ("home", "comparison", "reviews", "timeliness", "held", "schemes")
        },
    )
