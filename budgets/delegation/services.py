"""Delegation inside a locality (budgets to sub-localities, and a risk pool shared among
them); virements between budgets under the scheme of delegation; and the scheme itself."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from budgets.ledger.models import Account, AccountPurpose, BudgetLine, Leg, TransactionKind
from budgets.ledger.selectors import account_committed, balances
from budgets.ledger.services import account_get_or_create, ledger_post
from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind, Role, RoleAssignment, User
from consortia.money import format_money, split_exactly
from consortia.permissions import Action, holds_role_over, require
from consortia.services import audit_record, notify

from .models import ReturnRule, RiskPool, SchemeOfDelegation, Virement, VirementStatus
from .selectors import approval_limit, needs_senate


def _lock(accounts: list[Account]) -> None:
    """Lock accounts in a fixed order (by id) so concurrent movements cannot deadlock."""
    list(Account.objects.select_for_update().filter(pk__in=[a.pk for a in accounts]).order_by("pk"))


@transaction.atomic
def delegation_post(
    *,
    actor: User | None,
    locality: Organisation,
    year: int,
    line: BudgetLine,
    amounts: dict[Organisation, int],
    memo: str = "",
    actor_label: str = "",
):
    """Delegate part of a locality's budget on a line to its sub-localities."""
    if actor is not None:
        require(actor, Action.CHANGE_MONEY, locality)
    if locality.kind != OrganisationKind.LOCALITY:
        raise ApplicationError("Budgets are delegated from a locality.")
    for sub, amount in amounts.items():
        if sub.parent_id != locality.pk or sub.kind != OrganisationKind.SUB_LOCALITY:
            raise ApplicationError(f"{sub.name} is not a sub-locality of {locality.name}.")
        if not isinstance(amount, int) or amount <= 0:
            raise ApplicationError(f"The amount for {sub.name} must be more than £0.")
    source = account_get_or_create(organisation=locality, year=year, line=line)
    targets = {
        sub: account_get_or_create(organisation=sub, year=year, line=line) for sub in amounts
    }
    _lock([source, *targets.values()])
    total = sum(amounts.values())
    available = balances([source])[source.pk] - account_committed(source)
    if total > available:
        raise ApplicationError(
            f"{locality.name} has {format_money(available)} uncommitted on {line.name}; "
            f"delegating {format_money(total)} would overdraw it."
        )
    legs = [(source, -total)] + [(targets[sub], amount) for sub, amount in amounts.items()]
    return ledger_post(
        legs=legs,
        kind=TransactionKind.DELEGATION,
        actor=actor,
        actor_label=actor_label,
        memo=memo or f"Delegation of {line.name} to {locality.name}'s sub-localities",
    )


@transaction.atomic
def risk_pool_create(
    *,
    actor: User | None,
    locality: Organisation,
    year: int,
    line: BudgetLine,
    percentage: Decimal,
    return_rule: str,
    agreed_rules: str = "",
    actor_label: str = "",
) -> RiskPool:
    """Fund a locality's risk pool with `percentage` of each sub-locality's budget on `line`.

    Each contribution is rounded half up to the penny; the pool receives exactly their sum.
    """
    if actor is not None:
        require(actor, Action.CHANGE_MONEY, locality)
    percentage = Decimal(percentage)
    if not Decimal(0) < percentage <= 50:
        raise ApplicationError("A risk pool takes more than 0% and at most 50% of each budget.")
    if RiskPool.objects.filter(locality=locality, year=year, line=line).exists():
        raise ApplicationError(f"{locality.name} already has a risk pool for {line.name}.")
    subs = list(
        Account.objects.filter(
            organisation__parent=locality,
            organisation__kind=OrganisationKind.SUB_LOCALITY,
            year=year,
            line=line,
            purpose=AccountPurpose.BUDGET,
        ).select_related("organisation")
    )
    pool_account = account_get_or_create(
        organisation=locality, year=year, line=line, purpose=AccountPurpose.RISK_POOL
    )
    _lock([pool_account, *subs])
    amounts = balances(subs)
    legs = []
    for account in subs:
        contribution = int(
            (Decimal(amounts[account.pk]) * percentage / 100).quantize(
                Decimal(1), rounding=ROUND_HALF_UP
            )
        )
        if contribution > 0:
            legs.append((account, -contribution))
    if not legs:
        raise ApplicationError(
            f"No sub-locality of {locality.name} has a budget on {line.name} yet."
        )
    legs.append((pool_account, -sum(a for _, a in legs)))
    pool = RiskPool.objects.create(
        locality=locality,
        year=year,
        line=line,
        percentage=percentage,
        return_rule=ReturnRule(return_rule),
        account=pool_account,
        agreed_rules=agreed_rules,
    )
    ledger_post(
        legs=legs,
        kind=TransactionKind.RISK_POOL_CONTRIBUTION,
        actor=actor,
        actor_label=actor_label,
        memo=f"{percentage}% of each sub-locality's {line.name} budget into {locality.name}'s risk pool",
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="risk_pool.created",
        subject=pool,
        organisation=locality,
        after={"percentage": str(percentage), "return_rule": return_rule},
    )
    return pool


@transaction.atomic
def risk_pool_settle(*, actor: User | None, pool: RiskPool, actor_label: str = ""):
    """Year end: cover each overspending sub-locality from the pool, pro rata to its overspend
    (in full if the pool allows), then return what is left by the pool's rule. Once only."""
    if actor is not None:
        require(actor, Action.CHANGE_MONEY, pool.locality)
    pool = RiskPool.objects.select_for_update().get(pk=pool.pk)
    if pool.settled_at:
        raise ApplicationError("This risk pool has already been settled.")
    contributions: dict[int, int] = {}
    contributing_accounts: dict[int, Account] = {}
    for leg in (
        Leg.objects.filter(
            transaction__kind=TransactionKind.RISK_POOL_CONTRIBUTION,
            transaction__legs__account=pool.account,
        )
        .exclude(account=pool.account)
        .select_related("account__organisation")
    ):
        contributions[leg.account_id] = contributions.get(leg.account_id, 0) - leg.amount
        contributing_accounts[leg.account_id] = leg.account
    accounts = list(contributing_accounts.values())
    _lock([pool.account, *accounts])
    amounts = balances([pool.account, *accounts])
    available = amounts[pool.account.pk]
    overspends = {a.pk: max(0, account_committed(a) - amounts[a.pk]) for a in accounts}
    total_over = sum(overspends.values())
    cover = min(total_over, available)
    payouts = dict.fromkeys(overspends, 0)
    if cover:
        ids = [pk for pk, over in overspends.items() if over]
        for pk, part in zip(ids, split_exactly(cover, [overspends[pk] for pk in ids]), strict=True):
            payouts[pk] += part
    remainder = available - cover
    legs: list[tuple[Account, int]] = []
    if remainder:
        if pool.return_rule == ReturnRule.PRO_RATA_CONTRIBUTION:
            ids = list(contributions)
            for pk, part in zip(
                ids, split_exactly(remainder, [contributions[pk] for pk in ids]), strict=True
            ):
                payouts[pk] += part
        else:
            locality_account = account_get_or_create(
                organisation=pool.locality, year=pool.year, line=pool.line
            )
            legs.append((locality_account, remainder))
    legs += [(contributing_accounts[pk], amount) for pk, amount in payouts.items() if amount]
    txn = None
    if available:
        legs.insert(0, (pool.account, -available))
        txn = ledger_post(
            legs=legs,
            kind=TransactionKind.RISK_POOL_SETTLEMENT,
            actor=actor,
            actor_label=actor_label,
            memo=f"Year-end settlement of {pool}: {format_money(cover)} covered "
            f"overspends, {format_money(remainder)} returned",
        )
    pool.settled_at = timezone.now()
    pool.save(update_fields=["settled_at"])
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="risk_pool.settled",
        subject=pool,
        organisation=pool.locality,
        after={"covered": cover, "returned": remainder, "overspend": total_over},
    )
    return txn


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
