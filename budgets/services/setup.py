"""Configuration a commissioner's finance team keeps: budget lines, phasing, the scheme of
delegation. Each is versioned or audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction

from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind, User
from consortia.permissions import Action, require
from consortia.services import audit_record

from ..models import BudgetLine, PhasingProfile, SchemeOfDelegation


@transaction.atomic
def budget_line_create(
    *,
    actor: User | None,
    commissioner: Organisation,
    code: str,
    name: str,
    category: str,
    group: str = "",
    order: int = 0,
    actor_label: str = "",
) -> BudgetLine:
    """Add a budget line to a commissioner (idempotent for an identical line)."""
    if actor is not None:
        require(actor, Action.CHANGE_MONEY, commissioner)
    if commissioner.kind != OrganisationKind.COMMISSIONER:
        raise ApplicationError("Budget lines belong to a commissioner.")
    line, created = BudgetLine.objects.get_or_create(
        commissioner=commissioner,
        code=code,
        defaults={"name": name, "category": category, "group": group, "order": order},
    )
    if created:
        audit_record(
            actor=actor,
            actor_label=actor_label,
            event="budget_line.created",
            subject=line,
            organisation=commissioner,
            after={"code": code, "name": name, "category": category},
        )
    return line


@transaction.atomic
def phasing_profile_set(
    *,
    actor: User | None,
    line: BudgetLine,
    year: int,
    shares: list[str | Decimal],
    source: str = "",
    actor_label: str = "",
) -> PhasingProfile:
    """Set a seasonal profile: twelve percentages (M1 April .. M12 March) summing to 100."""
    if actor is not None:
        require(actor, Action.CHANGE_MONEY, line.commissioner)
    if len(shares) != 12:
        raise ApplicationError("A profile has twelve monthly percentages, April to March.")
    try:
        values = [Decimal(str(s)) for s in shares]
    except InvalidOperation as exc:
        raise ApplicationError("Each monthly share must be a number.") from exc
    if any(v < 0 for v in values) or sum(values) != 100:
        raise ApplicationError(
            f"Monthly shares must be 0 or more and sum to 100 (they sum to {sum(values)}).",
            extra={"field": "shares"},
        )
    previous = PhasingProfile.objects.filter(line=line, year=year).first()
    before = previous.shares if previous else None
    if before == [str(v) for v in values]:
        return previous  # unchanged: nothing to record
    profile, _ = PhasingProfile.objects.update_or_create(
        line=line, year=year, defaults={"shares": [str(v) for v in values], "source": source}
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="phasing.set",
        subject=profile,
        organisation=line.commissioner,
        before={"shares": before},
        after={"shares": profile.shares},
    )
    return profile


@transaction.atomic
def scheme_of_delegation_set(
    *,
    actor: User | None,
    commissioner: Organisation,
    effective_from: dt.date,
    limits: dict[str, int],
    source: str,
    actor_label: str = "",
) -> SchemeOfDelegation:
    """A new version of the virement limits (pence per role). Earlier versions are kept."""
    if actor is not None:
        require(actor, Action.APPROVE_ALLOCATION, commissioner)
    existing = SchemeOfDelegation.objects.filter(
        commissioner=commissioner, effective_from=effective_from
    ).first()
    if existing:
        if existing.limits == limits:
            return existing
        raise ApplicationError(
            "A scheme already starts on that date; give the new one its own date."
        )
    scheme = SchemeOfDelegation.objects.create(
        commissioner=commissioner, effective_from=effective_from, limits=limits, source=source
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="scheme_of_delegation.set",
        subject=scheme,
        organisation=commissioner,
        after={"limits": limits},
    )
    return scheme
