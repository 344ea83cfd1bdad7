"""The double-entry ledger, the only code that writes transactions and legs; and the budget
lines and phasing a commissioner's finance team keeps (audited)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.db import transaction as db_transaction

from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind, User
from consortia.permissions import Action, require
from consortia.services import audit_record

from .models import (
    Account,
    AccountPurpose,
    BudgetLine,
    Commitment,
    Leg,
    PhasingProfile,
    Transaction,
)


def account_get_or_create(
    *,
    organisation: Organisation,
    year: int,
    line: BudgetLine,
    purpose: str = AccountPurpose.BUDGET,
) -> Account:
    """The account of a node, year and line (created on first use)."""
    if line.commissioner.path != "/" + organisation.commissioner_code + "/":
        raise ApplicationError(
            f"{line.name} is not a budget line of {organisation.name}'s commissioner."
        )
    account, _ = Account.objects.get_or_create(
        organisation=organisation, year=year, line=line, purpose=purpose
    )
    return account


@db_transaction.atomic
def ledger_post(
    *,
    legs: Sequence[tuple[Account, int]],
    kind: str,
    memo: str,
    actor: User | None,
    actor_label: str = "",
    reverses: Transaction | None = None,
    model_run=None,
) -> Transaction:
    """Post one balanced transaction: two or more legs of whole pence summing to exactly zero.

    Every account must belong to the same commissioner and financial year. Permission checks
    belong to the calling service (it knows the use case); this function guards the invariants.
    On PostgreSQL a deferred constraint trigger checks the balance again at commit.
    """
    if len(legs) < 2:
        raise ApplicationError("A transaction needs at least two legs.")
    for account, amount in legs:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise ApplicationError("Leg amounts are whole pence (int).")
        if amount == 0:
            raise ApplicationError(f"A leg on {account} has no amount.")
    if sum(amount for _, amount in legs) != 0:
        raise ApplicationError(
            "The legs do not balance: they must sum to exactly zero.",
            extra={"imbalance_pence": sum(a for _, a in legs)},
        )
    years = {account.year for account, _ in legs}
    commissioners = {account.organisation.commissioner_code for account, _ in legs}
    if len(years) != 1 or len(commissioners) != 1:
        raise ApplicationError("All legs must be in one commissioner's accounts for one year.")
    commissioner = Organisation.objects.get(path="/" + commissioners.pop() + "/")
    txn = Transaction.objects.create(
        commissioner=commissioner,
        year=years.pop(),
        kind=kind,
        memo=memo[:500],
        posted_by=actor,
        posted_by_label=actor_label or (actor.get_username() if actor else "system"),
        reverses=reverses,
        model_run=model_run,
    )
    Leg.objects.bulk_create(
        Leg(transaction=txn, account=account, amount=amount) for account, amount in legs
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event=f"ledger.{kind}",
        subject=txn,
        organisation=commissioner,
        after={"memo": txn.memo, "legs": [[str(a), amount] for a, amount in legs]},
    )
    return txn


@db_transaction.atomic
def transaction_reverse(*, transaction: Transaction, reason: str, actor: User) -> Transaction:
    """Mend a mistake: post the exact opposite of `transaction`, with a reason. Once only."""
    from consortia.permissions import Action, require

    require(actor, Action.CHANGE_MONEY, transaction.commissioner)
    if not reason.strip():
        raise ApplicationError("Say why the transaction is reversed.", extra={"field": "reason"})
    original = Transaction.objects.select_for_update().get(pk=transaction.pk)
    if original.kind == "reversal":
        raise ApplicationError("A reversal cannot itself be reversed; post a new transaction.")
    if Transaction.objects.filter(reverses=original).exists():
        raise ApplicationError(f"Transaction #{original.pk} has already been reversed.")
    legs = [
        (leg.account, -leg.amount) for leg in original.legs.select_related("account__organisation")
    ]
    return ledger_post(
        legs=legs,
        kind="reversal",
        memo=f"Reversal of #{original.pk}: {reason}",
        actor=actor,
        reverses=original,
    )


@db_transaction.atomic
def commitment_record(
    *, account: Account, amount: int, description: str, actor: User | None
) -> Commitment:
    """Record money committed or spent against an account (reconciliation feeds actuals here)."""
    commitment = Commitment.objects.create(account=account, amount=amount, description=description)
    audit_record(
        actor=actor,
        event="commitment.recorded",
        subject=commitment,
        organisation=account.organisation,
        after={"account": str(account), "amount": amount, "description": description},
    )
    return commitment


@db_transaction.atomic
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


@db_transaction.atomic
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
