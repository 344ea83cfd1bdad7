"""Peer review: opened on an outlier, notes added, closed with an outcome."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind, Role, User
from consortia.permissions import Action, require
from consortia.services import audit_record, notify

from ..models import (
    PeerReview,
    PeerReviewNote,
    ReviewStatus,
)
from ..periods import Period
from .common import _locality_of


@transaction.atomic
def peer_review_open(
    *,
    actor: User,
    practice: Organisation,
    measure: str,
    period: Period,
    discussion: str,
    actions: str,
    follow_up_on: dt.date,
    peers: Organisation | None = None,
    weighted: bool = True,
    opened_on: dt.date | None = None,
) -> PeerReview:
    """A lead GP opens a review of a practice in their locality: the practice's position
    against its peers is kept as it was seen, with the discussion, the agreed actions and the
    follow-up date. The practice's members are told."""
    from ..selectors.common import commissioner_of
    from ..selectors.rates import comparison

    if practice.kind != OrganisationKind.PRACTICE:
        raise ApplicationError("Choose a practice.", extra={"field": "practice"})
    require(actor, Action.PEER_REVIEW, practice)
    opened_on = opened_on or timezone.localdate()
    if not discussion.strip():
        raise ApplicationError("Record the discussion.", extra={"field": "discussion"})
    if follow_up_on <= opened_on:
        raise ApplicationError(
            "Choose a follow-up date after today.", extra={"field": "follow_up_on"}
        )
    if PeerReview.objects.filter(
        practice=practice, measure=measure, status=ReviewStatus.OPEN
    ).exists():
        raise ApplicationError(
            f"{practice.name} already has an open review of this measure: add to it instead.",
            extra={"field": "practice"},
        )
    commissioner = commissioner_of(practice)
    data = comparison(
        user=actor,
        commissioner=commissioner,
        measure=measure,
        period=period,
        peers=peers,
        weighted=weighted,
    )
    row = next((r for r in data.rows if r.practice_id == practice.pk), None)
    if row is None:
        raise ApplicationError(
            f"{practice.name} has no figures for {data.measure_name} in {period.label}.",
            extra={"field": "period"},
        )
    key = "998" if data.outlier_limit == "99.8" else "95"
    review = PeerReview.objects.create(
        practice=practice,
        locality=_locality_of(practice),
        measure=measure,
        year=period.year,
        quarter=period.quarter,
        opened_by=actor,
        opened_on=opened_on,
        follow_up_on=follow_up_on,
        position={
            "measure_name": data.measure_name,
            "period": period.code,
            "period_label": period.label,
            "peers": data.peers.code,
            "peers_name": data.peers.name,
            "weighted": weighted,
            "unit": data.unit,
            "observed": row.observed,
            "population": row.population,
            "rate": round(row.rate, 2),
            "peer_rate": round(data.funnel.target, 2),
            "lower": round(getattr(row, f"lower{key}"), 2),
            "upper": round(getattr(row, f"upper{key}"), 2),
            "limit": data.outlier_limit,
            "flag": row.flag,
            "practices": len(data.rows),
        },
    )
    PeerReviewNote.objects.create(
        review=review,
        recorded_by=actor,
        discussion=discussion.strip(),
        actions=actions.strip(),
        follow_up_on=follow_up_on,
    )
    audit_record(
        actor=actor,
        event="peer_review.opened",
        subject=review,
        organisation=practice,
        after={"measure": measure, "period": period.code, "position": review.position},
    )
    members = User.objects.filter(
        role_assignments__role=Role.PRACTICE_MEMBER,
        role_assignments__organisation=practice,
        role_assignments__ends_on__isnull=True,
    ).distinct()
    notify(
        users=list(members),
        subject=f"Peer review opened: {data.measure_name} at {practice.name}",
        body=(
            f"{actor} opened a peer review of {data.measure_name} for {period.label}. "
            f"Follow-up on {follow_up_on:%d %B %Y}."
        ),
        url=f"/referrals/reviews/{review.pk}/",
    )
    return review


def _open_review_for_update(actor: User, review: PeerReview) -> PeerReview:
    require(actor, Action.PEER_REVIEW, review.practice)
    review = PeerReview.objects.select_for_update().get(pk=review.pk)
    if review.status != ReviewStatus.OPEN:
        raise ApplicationError("This review is closed; open a new one if needed.")
    return review


@transaction.atomic
def peer_review_note_add(
    *,
    actor: User,
    review: PeerReview,
    discussion: str,
    actions: str = "",
    follow_up_on: dt.date | None = None,
) -> PeerReviewNote:
    """Add to a review's history: a further discussion, actions, a new follow-up date."""
    review = _open_review_for_update(actor, review)
    if not discussion.strip():
        raise ApplicationError("Record the discussion.", extra={"field": "discussion"})
    before = {"follow_up_on": review.follow_up_on.isoformat()}
    if follow_up_on is not None:
        if follow_up_on < review.opened_on:
            raise ApplicationError(
                "The follow-up cannot be before the review opened.",
                extra={"field": "follow_up_on"},
            )
        review.follow_up_on = follow_up_on
        review.save(update_fields=["follow_up_on"])
    note = PeerReviewNote.objects.create(
        review=review,
        recorded_by=actor,
        discussion=discussion.strip(),
        actions=actions.strip(),
        follow_up_on=follow_up_on,
    )
    audit_record(
        actor=actor,
        event="peer_review.noted",
        subject=review,
        organisation=review.practice,
        before=before,
        after={"follow_up_on": review.follow_up_on.isoformat(), "note": note.pk},
    )
    return note


@transaction.atomic
def peer_review_close(*, actor: User, review: PeerReview, outcome: str) -> PeerReview:
    review = _open_review_for_update(actor, review)
    if not outcome.strip():
        raise ApplicationError("Say what the review concluded.", extra={"field": "outcome"})
    review.status = ReviewStatus.CLOSED
    review.closed_on = timezone.localdate()
    review.outcome = outcome.strip()
    review.save(update_fields=["status", "closed_on", "outcome"])
    audit_record(
        actor=actor,
        event="peer_review.closed",
        subject=review,
        organisation=review.practice,
        before={"status": "open"},
        after={"status": "closed", "outcome": review.outcome},
    )
    return review
