"""Rules clinicians approve, as dated records: age weighting, the outlier rule, information
standards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction

from consortia.errors import ApplicationError
from consortia.models import Organisation, User
from consortia.permissions import Action, require
from consortia.services import audit_record
from localities.models import AGE_BANDS

from ..models import (
    AgeWeighting,
    InformationKind,
    InformationStandard,
    OutlierRule,
    Overdispersion,
)


@transaction.atomic
def age_weighting_record(
    *,
    actor: User | None,
    commissioner: Organisation,
    measure: str,
    effective_from: dt.date,
    weights: dict[str, str],
    source: str,
    actor_label: str = "",
) -> AgeWeighting:
    """Record relative use by age band for a measure (a new version; history kept)."""
    if actor is not None:
        require(actor, Action.MANAGE_TREE, commissioner)
    if set(weights) != set(AGE_BANDS):
        raise ApplicationError(
            f"Give a weight for every age band: {', '.join(AGE_BANDS)}.",
            extra={"field": "weights"},
        )
    try:
        parsed = {band: Decimal(str(w)) for band, w in weights.items()}
    except InvalidOperation as exc:
        raise ApplicationError("Weights are decimal numbers.", extra={"field": "weights"}) from exc
    if any(w < 0 for w in parsed.values()):
        raise ApplicationError("Weights must not be negative.", extra={"field": "weights"})
    row, created = AgeWeighting.objects.get_or_create(
        commissioner=commissioner,
        measure=measure,
        effective_from=effective_from,
        defaults={"weights": {b: str(w) for b, w in parsed.items()}, "source": source},
    )
    if created:
        audit_record(
            actor=actor,
            actor_label=actor_label,
            event="age_weighting.recorded",
            subject=row,
            organisation=commissioner,
            after={"measure": measure, "weights": row.weights, "source": source},
        )
    return row


@transaction.atomic
def outlier_rule_record(
    *,
    actor: User | None,
    commissioner: Organisation,
    effective_from: dt.date,
    limit: str,
    overdispersion: str,
    approved_by: str,
    actor_label: str = "",
) -> OutlierRule:
    if actor is not None:
        require(actor, Action.MANAGE_TREE, commissioner)
    if limit not in ("95", "99.8"):
        raise ApplicationError("The outlier limit is 95 or 99.8.", extra={"field": "limit"})
    rule, created = OutlierRule.objects.get_or_create(
        commissioner=commissioner,
        effective_from=effective_from,
        defaults={
            "limit": limit,
            "overdispersion": Overdispersion(overdispersion),
            "approved_by": approved_by,
        },
    )
    if created:
        audit_record(
            actor=actor,
            actor_label=actor_label,
            event="outlier_rule.recorded",
            subject=rule,
            organisation=commissioner,
            after={"limit": limit, "overdispersion": overdispersion, "approved_by": approved_by},
        )
    return rule


@transaction.atomic
def information_standard_record(
    *,
    actor: User | None,
    commissioner: Organisation,
    kind: str,
    effective_from: dt.date,
    within_hours: int,
    source: str,
    actor_label: str = "",
) -> InformationStandard:
    if actor is not None:
        require(actor, Action.MANAGE_TREE, commissioner)
    if within_hours <= 0:
        raise ApplicationError("A standard is a positive number of hours.")
    row, created = InformationStandard.objects.get_or_create(
        commissioner=commissioner,
        kind=InformationKind(kind),
        effective_from=effective_from,
        defaults={"within_hours": within_hours, "source": source},
    )
    if created:
        audit_record(
            actor=actor,
            actor_label=actor_label,
            event="information_standard.recorded",
            subject=row,
            organisation=commissioner,
            after={"kind": kind, "within_hours": within_hours, "source": source},
        )
    return row
