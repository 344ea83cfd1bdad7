"""Local schemes and conflicts of interest: registering a scheme, justifying conflicts, recording
its activity, declaring and ending interests."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from budgets.models import Provider, TariffPrice
from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind, Role, RoleAssignment, User
from consortia.permissions import Action, holds_role_over, require
from consortia.services import audit_record

from ..models import (
    ConflictJustification,
    Interest,
    InterestKind,
    LocalScheme,
    SchemeActivity,
    SchemeKind,
)


def _require_commissioning(actor: User | None, node: Organisation) -> None:
    if node.kind == OrganisationKind.PRACTICE:
        raise ApplicationError(
            "A scheme is commissioned by a locality, a sub-locality or the commissioner.",
            extra={"field": "commissioning_node"},
        )
    if actor is not None:
        require(actor, Action.CHANGE_MONEY, node)


def _justify_conflicts(
    *, actor: User | None, scheme: LocalScheme, justification: str
) -> list[ConflictJustification]:
    from ..selectors.schemes import scheme_conflicts

    unjustified = [
        c for c in scheme_conflicts(schemes=[scheme]).get(scheme.pk, []) if c.justification is None
    ]
    if not unjustified:
        return []
    if not justification.strip():
        names = "; ".join(f"{c.holder}: {c.interest.nature}" for c in unjustified)
        raise ApplicationError(
            f"A decision maker has declared an interest in {scheme.provider.name} ({names}). "
            "Record the good medical reason for commissioning from this provider.",
            extra={
                "field": "justification",
                "conflicts": [
                    {"interest": c.interest.pk, "holder": c.holder, "nature": c.interest.nature}
                    for c in unjustified
                ],
            },
        )
    out = []
    for conflict in unjustified:
        row = ConflictJustification.objects.create(
            scheme=scheme,
            interest=conflict.interest,
            justification=justification.strip(),
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            event="conflict.justified",
            subject=row,
            organisation=scheme.commissioning_node,
            after={
                "scheme": scheme.name,
                "interest": conflict.interest.pk,
                "holder": conflict.holder,
                "justification": row.justification,
            },
        )
        out.append(row)
    return out


@transaction.atomic
def scheme_register(
    *,
    actor: User | None,
    commissioning_node: Organisation,
    name: str,
    kind: str,
    provider: Provider,
    started_on: dt.date,
    tariff_price: int,
    tariff_description: str,
    price_per_case: int | None = None,
    investment: int = 0,
    specialty: str = "",
    tariff: TariffPrice | None = None,
    description: str = "",
    justification: str = "",
    actor_label: str = "",
) -> LocalScheme:
    """Register a local scheme. If one of the commissioning locality's decision makers has an
    interest in the provider, a justification (the good medical reason) is required and
    recorded; it appears on the public register of interests."""
    _require_commissioning(actor, commissioning_node)
    if not name.strip():
        raise ApplicationError("Name the scheme.", extra={"field": "name"})
    if provider.commissioner.path != "/" + commissioning_node.commissioner_code + "/":
        raise ApplicationError("Unknown provider.", extra={"field": "provider"})
    if tariff_price <= 0:
        raise ApplicationError(
            "Give the tariff price of the activity the scheme replaces.",
            extra={"field": "tariff_price"},
        )
    if price_per_case is not None and price_per_case < 0:
        raise ApplicationError("A price cannot be negative.", extra={"field": "price_per_case"})
    scheme = LocalScheme.objects.create(
        commissioning_node=commissioning_node,
        name=name.strip(),
        kind=SchemeKind(kind),
        provider=provider,
        specialty=specialty,
        started_on=started_on,
        price_per_case=price_per_case,
        tariff=tariff,
        tariff_price=tariff_price,
        tariff_description=tariff_description,
        investment=investment,
        description=description,
        registered_by=actor,
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="scheme.registered",
        subject=scheme,
        organisation=commissioning_node,
        after={
            "provider": provider.code,
            "price_per_case": price_per_case,
            "tariff_price": tariff_price,
            "investment": investment,
        },
    )
    _justify_conflicts(actor=actor, scheme=scheme, justification=justification)
    return scheme


@transaction.atomic
def conflict_justify(
    *, actor: User | None, scheme: LocalScheme, justification: str
) -> list[ConflictJustification]:
    """Record the justification for a scheme's conflicts of interest not yet justified (e.g.
    an interest declared after the scheme was registered)."""
    _require_commissioning(actor, scheme.commissioning_node)
    rows = _justify_conflicts(actor=actor, scheme=scheme, justification=justification)
    if not rows:
        raise ApplicationError("This scheme has no conflict of interest awaiting justification.")
    return rows


@transaction.atomic
def scheme_activity_record(
    *,
    actor: User | None,
    scheme: LocalScheme,
    year: int,
    month: int,
    cases: int,
    cost: int | None = None,
    actor_label: str = "",
) -> SchemeActivity:
    """Record a month's cases (cost = cases × price per case unless given). Recording a month
    again replaces its figures (audited, before and after)."""
    _require_commissioning(actor, scheme.commissioning_node)
    if not 1 <= month <= 12:
        raise ApplicationError("Choose a month from M1 (April) to M12 (March).")
    if cases < 0:
        raise ApplicationError("Cases cannot be negative.", extra={"field": "cases"})
    if cost is None:
        if scheme.price_per_case is None:
            raise ApplicationError(
                "This scheme has no price per case: give the month's cost.",
                extra={"field": "cost"},
            )
        cost = cases * scheme.price_per_case
    if cost < 0:
        raise ApplicationError("A cost cannot be negative.", extra={"field": "cost"})
    existing = (
        SchemeActivity.objects.select_for_update()
        .filter(scheme=scheme, year=year, month=month)
        .first()
    )
    before = {"cases": existing.cases, "cost": existing.cost} if existing else None
    if existing and before == {"cases": cases, "cost": cost}:
        return existing
    row, _ = SchemeActivity.objects.update_or_create(
        scheme=scheme,
        year=year,
        month=month,
        defaults={"cases": cases, "cost": cost, "recorded_by": actor},
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="scheme.activity_recorded",
        subject=scheme,
        organisation=scheme.commissioning_node,
        before=before,
        after={"year": year, "month": month, "cases": cases, "cost": cost},
    )
    return row


@transaction.atomic
def interest_declare(
    *,
    actor: User,
    provider: Provider,
    kind: str,
    nature: str,
    declared_on: dt.date | None = None,
    practice: Organisation | None = None,
) -> Interest:
    """Declare the actor's own interest in a provider, or their practice's (a member of the
    practice or its locality's lead GP declares for a practice). Public once declared."""
    if not nature.strip():
        raise ApplicationError("Describe the interest.", extra={"field": "nature"})
    if practice is not None:
        if practice.kind != OrganisationKind.PRACTICE:
            raise ApplicationError("Choose a practice.", extra={"field": "practice"})
        if not (
            holds_role_over(actor, Role.PRACTICE_MEMBER, practice)
            or holds_role_over(actor, Role.LOCALITY_LEAD, practice)
        ):
            raise PermissionDenied("Only the practice's members or lead GP declare for it.")
    elif not RoleAssignment.objects.filter(user=actor).exists():
        raise PermissionDenied("Only people with a role in the consortium declare interests.")
    interest = Interest.objects.create(
        clinician=None if practice else actor,
        practice=practice,
        provider=provider,
        kind=InterestKind(kind),
        nature=nature.strip(),
        declared_on=declared_on or timezone.localdate(),
        declared_by=actor,
    )
    audit_record(
        actor=actor,
        event="interest.declared",
        subject=interest,
        organisation=practice or provider.commissioner,
        after={
            "holder": str(practice or actor),
            "provider": provider.code,
            "kind": kind,
            "nature": interest.nature,
        },
    )
    return interest


@transaction.atomic
def interest_end(*, actor: User, interest: Interest, ended_on: dt.date) -> Interest:
    """An interest has ended (kept on the register with its end date)."""
    if interest.declared_by_id != actor.pk and not (
        interest.practice and holds_role_over(actor, Role.LOCALITY_LEAD, interest.practice)
    ):
        raise PermissionDenied("Only whoever declared an interest ends it.")
    if ended_on < interest.declared_on:
        raise ApplicationError(
            "An interest cannot end before it was declared.", extra={"field": "ended_on"}
        )
    before = {"ended_on": interest.ended_on.isoformat() if interest.ended_on else None}
    interest.ended_on = ended_on
    interest.save(update_fields=["ended_on"])
    audit_record(
        actor=actor,
        event="interest.ended",
        subject=interest,
        organisation=interest.practice or interest.provider.commissioner,
        before=before,
        after={"ended_on": ended_on.isoformat()},
    )
    return interest
