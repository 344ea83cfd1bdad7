"""Peer reviews a person may see, and a review's positions."""

from __future__ import annotations

from django.http import Http404

from consortia.models import Organisation, User
from consortia.permissions import Action, filter_by_scope

from ..models import (
    PeerReview,
    ReviewStatus,
)
from ..periods import Period
from .common import commissioner_of
from .rates import comparison, months_with_data


def peer_reviews_visible_to(*, user: User):
    """Reviews of practices the user may view (a practice member: its own)."""
    return filter_by_scope(
        PeerReview.objects.all(), user, Action.VIEW_ORGANISATION, "practice__"
    ).select_related("practice", "locality", "opened_by")


def peer_review_get_visible(*, user: User, pk: int) -> PeerReview:
    review = peer_reviews_visible_to(user=user).filter(pk=pk).first()
    if review is None:
        raise Http404("No such peer review.")
    return review


def open_peer_reviews(*, user: User, locality: Organisation) -> list[PeerReview]:
    """Open reviews of practices in `locality` that the user may view, follow-up soonest first."""
    return list(
        peer_reviews_visible_to(user=user)
        .filter(status=ReviewStatus.OPEN, practice__path__startswith=locality.path)
        .order_by("follow_up_on", "pk")
    )


def review_positions(*, user: User, review: PeerReview) -> dict:
    """What the review saw when it opened, and the same practice's figures for the period
    reviewed and the next period, against the same peers, so everyone sees whether it changed."""
    commissioner = commissioner_of(review.practice)
    snapshot = review.position
    peers = Organisation.objects.filter(code=snapshot.get("peers")).first() or commissioner
    period = Period(review.year, review.quarter)
    out = {"opened": snapshot, "periods": []}
    for which, p in (("reviewed", period), ("next", period.next())):
        data = comparison(
            user=user,
            commissioner=commissioner,
            measure=review.measure,
            period=p,
            peers=peers,
            weighted=snapshot.get("weighted", True),
        )
        row = next((r for r in data.rows if r.own or r.practice_id == review.practice_id), None)
        has_data = (
            months_with_data(commissioner=commissioner, year=p.year, measure=review.measure)
            >= p.months[0]
        )
        out["periods"].append(
            {"which": which, "period": p, "row": row if has_data else None, "data": data}
        )
    return out
