"""Virements: moving budget between lines or organisations under the scheme of delegation."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from consortia.errors import ApplicationError
from consortia.models import Role, RoleAssignment, User
from consortia.money import format_money
from consortia.permissions import Action, holds_role_over, require
from consortia.services import audit_record, notify

from ..models import Account, AccountPurpose, TransactionKind, Virement, VirementStatus
from ..selectors import account_committed, approval_limit, balances, needs_senate
from .ledger import ledger_post


def _snapshot(v: Virement) -> dict:
    return {
        "status": v.status,
        "amount": v.amount,
        "source": str(v.source),
        "target": str(v.target),
        "reason": v.reason,
    }


@transaction.atomic
def virement_request(
    *, actor: User, source: Account, target: Account, amount: int, reason: str
) -> Virement:
    """Ask to move `amount` pence from one budget account to another, with a reason."""
    require(actor, Action.CHANGE_MONEY, source.organisation)
    require(actor, Action.CHANGE_MONEY, target.organisation)
    if not isinstance(amount, int) or amount <= 0:
        raise ApplicationError("Enter an amount of more than £0.", extra={"field": "amount"})
    if not reason.strip():
        raise ApplicationError("Say why the money should move.", extra={"field": "reason"})
    if source.pk == target.pk:
        raise ApplicationError("Choose two different budgets.", extra={"field": "target"})
    for account in (source, target):
        if account.purpose != AccountPurpose.BUDGET or not account.line.spendable:
            raise ApplicationError(f"{account} is not a spendable budget.")
    if source.year != target.year or source.line.commissioner_id != target.line.commissioner_id:
        raise ApplicationError("A virement moves money within one commissioner and year.")
    virement = Virement.objects.create(
        source=source, target=target, amount=amount, reason=reason.strip(), requested_by=actor
    )
    audit_record(
        actor=actor,
        event="virement.requested",
        subject=virement,
        organisation=source.organisation,
        after=_snapshot(virement),
    )
    notify(
        users=_approvers(virement, exclude=actor),
        subject=f"Virement to decide: {format_money(amount)} from {source.line.name}",
        body=f"{actor} asks to move {format_money(amount)} from {source} to {target}: "
        f"{virement.reason}",
        url=f"/budgets/virements/{virement.pk}/",
    )
    return virement


def _approvers(virement: Virement, exclude: User | None = None) -> list[User]:
    """Who may decide a virement: those whose limit covers it, or (between localities or above
    every limit) the senate secretary, who puts it to the senate."""
    people = {}
    for assignment in RoleAssignment.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=timezone.localdate()),
        starts_on__lte=timezone.localdate(),
    ).select_related("user", "organisation"):
        user = assignment.user
        if user == exclude or user.pk in people:
            continue
        limit = approval_limit(user=user, virement=virement)
        if limit is not None and virement.amount <= limit:
            people[user.pk] = user
    if not people:
        commissioner = virement.source.line.commissioner
        for assignment in RoleAssignment.objects.filter(
            role=Role.SENATE_SECRETARY, organisation=commissioner
        ).select_related("user"):
            people[assignment.user.pk] = assignment.user
    return list(people.values())


@transaction.atomic
def virement_approve(
    *,
    virement: Virement,
    actor: User | None,
    override_reason: str = "",
    senate_decision: str = "",
):
    """Approve and post a requested virement.

    Authority: someone whose limit under the scheme of delegation covers the amount and both
    accounts (the requester too, within their own limit); above every limit, or between
    localities, only a carried senate motion (`senate_decision`). The source may not fall below
    what is committed against it unless PCT finance overrides with a reason.
    """
    virement = (
        Virement.objects.select_for_update()
        .select_related(
            "source__organisation", "source__line__commissioner", "target__organisation"
        )
        .get(pk=virement.pk)
    )
    if virement.status != VirementStatus.REQUESTED:
        raise ApplicationError(f"This virement is already {virement.get_status_display().lower()}.")
    if not senate_decision:
        if actor is None:
            raise PermissionDenied("A virement needs an approver.")
        limit = approval_limit(user=actor, virement=virement)
        if limit is None or virement.amount > limit:
            where = (
                "it moves money between localities, so the clinical senate decides"
                if needs_senate(virement)
                else f"it is above your limit{f' of {format_money(limit)}' if limit else ''}"
            )
            raise PermissionDenied(f"You cannot approve this virement: {where}.")
    # Lock both accounts in id order: concurrent virements on one account queue here.
    list(
        Account.objects.select_for_update()
        .filter(pk__in=[virement.source_id, virement.target_id])
        .order_by("pk")
    )
    available = balances([virement.source])[virement.source_id] - account_committed(virement.source)
    if virement.amount > available:
        if not override_reason.strip():
            raise ApplicationError(
                f"{virement.source} has {format_money(available)} uncommitted; moving "
                f"{format_money(virement.amount)} would take it below what is committed. PCT "
                "finance may override with a reason.",
                extra={"available_pence": available},
            )
        if actor is None or not holds_role_over(
            actor, Role.PCT_FINANCE, virement.source.organisation
        ):
            raise PermissionDenied("Only PCT finance may override commitments.")
    before = _snapshot(virement)
    txn = ledger_post(
        legs=[(virement.source, -virement.amount), (virement.target, virement.amount)],
        kind=TransactionKind.VIREMENT,
        actor=actor,
        actor_label="" if actor else "clinical senate",
        memo=f"Virement #{virement.pk}: {virement.reason}",
    )
    virement.status = VirementStatus.APPROVED
    virement.decided_by = actor
    virement.decided_at = timezone.now()
    virement.override_reason = override_reason.strip()
    virement.approved_by_senate = bool(senate_decision)
    virement.decision_reason = senate_decision
    virement.transaction = txn
    virement.save()
    audit_record(
        actor=actor,
        actor_label="" if actor else "clinical senate",
        event="virement.approved",
        subject=virement,
        organisation=virement.source.organisation,
        before=before,
        after={
            **_snapshot(virement),
            "transaction": txn.pk,
            "override_reason": virement.override_reason,
            "senate_decision": senate_decision,
        },
    )
    notify(
        users=[virement.requested_by],
        subject=f"Virement approved: {format_money(virement.amount)}",
        body=f"Your virement from {virement.source} to {virement.target} was approved"
        + (" by the clinical senate." if senate_decision else f" by {actor}."),
        url=f"/budgets/virements/{virement.pk}/",
    )
    return txn


@transaction.atomic
def virement_reject(
    *, virement: Virement, actor: User | None, reason: str, senate_decision: str = ""
) -> Virement:
    """Refuse a requested virement, with a reason the requester will read."""
    virement = Virement.objects.select_for_update().get(pk=virement.pk)
    if virement.status != VirementStatus.REQUESTED:
        raise ApplicationError(f"This virement is already {virement.get_status_display().lower()}.")
    if not reason.strip():
        raise ApplicationError("Say why the virement is rejected.", extra={"field": "reason"})
    if not senate_decision:
        limit = approval_limit(user=actor, virement=virement) if actor else None
        is_finance = actor is not None and holds_role_over(
            actor, Role.PCT_FINANCE, virement.source.organisation
        )
        if not is_finance and (limit is None or virement.amount > limit):
            raise PermissionDenied("Only someone who could approve this virement may reject it.")
    before = _snapshot(virement)
    virement.status = VirementStatus.REJECTED
    virement.decided_by = actor
    virement.decided_at = timezone.now()
    virement.decision_reason = (f"{senate_decision}: " if senate_decision else "") + reason.strip()
    virement.save()
    audit_record(
        actor=actor,
        actor_label="" if actor else "clinical senate",
        event="virement.rejected",
        subject=virement,
        organisation=virement.source.organisation,
        before=before,
        after={**_snapshot(virement), "reason": virement.decision_reason},
    )
    notify(
        users=[virement.requested_by],
        subject=f"Virement not approved: {format_money(virement.amount)}",
        body=f"Your virement from {virement.source} to {virement.target} was rejected: "
        f"{virement.decision_reason}",
        url=f"/budgets/virements/{virement.pk}/",
    )
    return virement
