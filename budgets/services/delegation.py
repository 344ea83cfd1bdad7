"""Delegation inside a locality: budgets to sub-localities, and a risk pool shared among them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind, User
from consortia.money import format_money, split_exactly
from consortia.permissions import Action, require
from consortia.services import audit_record

from ..models import (
    Account,
    AccountPurpose,
    BudgetLine,
    Leg,
    ReturnRule,
    RiskPool,
    TransactionKind,
)
from ..selectors import account_committed, balances
from .ledger import account_get_or_create, ledger_post


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
