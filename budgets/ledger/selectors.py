"""Reads with a rule on the ledger: balances, commitments and spend, phasing, statements,
and who may see which accounts, lines and transactions."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import BigIntegerField, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from budgets.activity.models import ActualSummary
from budgets.periods import MONTH_NAMES, year_label
from consortia.models import Organisation, OrganisationKind, User
from consortia.money import split_exactly
from consortia.permissions import (
    Action,
    can,
    filter_by_scope,
    grants_for,
)

from .models import (
    Account,
    AccountPurpose,
    BudgetLine,
    Commitment,
    Leg,
    PhasingProfile,
    Transaction,
)


def account_balance(account: Account) -> int:
    """A balance is the sum of its legs (pence)."""
    return Leg.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or 0


def balances(accounts: Iterable[Account]) -> dict[int, int]:
    ids = [a.pk for a in accounts]
    rows = Leg.objects.filter(account_id__in=ids).values("account_id").annotate(s=Sum("amount"))
    out = dict.fromkeys(ids, 0)
    out.update({r["account_id"]: r["s"] for r in rows})
    return out


def account_committed(account: Account) -> int:
    """Money committed or spent against the account: recorded commitments plus the actual
    spend the reconciliation has summed for it (`account_spent`)."""
    committed = Commitment.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or 0
    return committed + account_spent(account)


def account_spent(account: Account) -> int:
    """Actual spend charged to a budget account, from the reconciliation's summaries.

    The actuals of the account's node and everything beneath it on its line and year, except
    what falls under a node beneath that holds its own budget on that line (money delegated to a
    sub-locality is spent from the sub-locality's account).
    """
    if account.purpose != AccountPurpose.BUDGET:
        return 0
    node = account.organisation
    delegated = Account.objects.filter(
        year=account.year,
        line=account.line,
        purpose=AccountPurpose.BUDGET,
        organisation__path__startswith=node.path,
    ).exclude(organisation=node)
    rows = ActualSummary.objects.filter(
        year=account.year, line=account.line, organisation__path__startswith=node.path
    )
    for path in delegated.values_list("organisation__path", flat=True):
        rows = rows.exclude(organisation__path__startswith=path)
    return rows.aggregate(s=Sum("actual"))["s"] or 0


def accounts_visible_to(*, user: User) -> QuerySet[Account]:
    return filter_by_scope(
        Account.objects.all(), user, Action.VIEW_MONEY, "organisation__"
    ).select_related("organisation", "line")


def account_get_visible(*, user: User, pk: int) -> Account:
    account = accounts_visible_to(user=user).filter(pk=pk).first()
    if account is None:
        raise Http404("No such account.")
    return account


def monthly_budget(*, line: BudgetLine, year: int, annual: int) -> list[int]:
    """The annual budget phased over M1..M12 by the line's profile (flat twelfths by default),
    split exactly to the penny (largest remainder)."""
    profile = PhasingProfile.objects.filter(line=line, year=year).first()
    shares = [Decimal(s) for s in profile.shares] if profile else [Decimal(1)] * 12
    return split_exactly(annual, shares)


def ledger_with_running_balance(*, account: Account) -> list[dict]:
    """The account's legs, oldest first, each with the balance after it."""
    running = 0
    rows = []
    for leg in (
        Leg.objects.filter(account=account)
        .select_related("transaction")
        .order_by("transaction__posted_at", "transaction_id", "id")
    ):
        running += leg.amount
        rows.append(
            {"leg": leg, "transaction": leg.transaction, "amount": leg.amount, "balance": running}
        )
    return rows


def may_view_money(user: User, node: Organisation) -> bool:
    return can(user, Action.VIEW_MONEY, node)


def _money_commissioner_paths(user: User) -> set[str]:
    """Paths of the commissioners in which `user` holds any VIEW_MONEY grant."""
    return {
        "/" + grant.path.strip("/").split("/")[0] + "/"
        for grant in grants_for(user, Action.VIEW_MONEY)
    }


def commissioners_for_money(*, user: User) -> list[Organisation]:
    """The commissioners whose budgets `user` may see something of (usually one)."""
    paths = _money_commissioner_paths(user)
    if not paths:
        return []
    return list(
        Organisation.objects.filter(path__in=paths, kind=OrganisationKind.COMMISSIONER).order_by(
            "path"
        )
    )


def budget_lines_visible_to(*, user: User) -> QuerySet[BudgetLine]:
    """Budget lines are reference data: shown to anyone who may see money in the commissioner."""
    return BudgetLine.objects.filter(
        commissioner__path__in=_money_commissioner_paths(user)
    ).select_related("commissioner")


def budget_years_visible_to(*, user: User) -> list[int]:
    """Financial years (by starting calendar year) with accounts `user` may see, newest first."""
    return list(
        accounts_visible_to(user=user).order_by("-year").values_list("year", flat=True).distinct()
    )


def accounts_with_balances_visible_to(*, user: User) -> QuerySet[Account]:
    """Visible accounts annotated with `balance` (sum of legs) and `committed` (sum of
    commitments), both pence, as subqueries so that filters and pagination stay one query."""
    legs = (
        Leg.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    commitments = (
        Commitment.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return accounts_visible_to(user=user).annotate(
        balance=Coalesce(Subquery(legs, output_field=BigIntegerField()), 0),
        committed=Coalesce(Subquery(commitments, output_field=BigIntegerField()), 0),
    )


def account_statement(*, user: User, pk: int) -> dict:
    """An account the user may see (404 alike for missing and not yours) with its ledger and
    running balance, what is committed against it, and its budget phased over M1 (April) to
    M12 (March) by the line's profile."""
    account = account_get_visible(user=user, pk=pk)
    entries = ledger_with_running_balance(account=account)
    balance = entries[-1]["balance"] if entries else 0
    committed = account_committed(account)
    months, profile_source = [], ""
    if account.purpose == AccountPurpose.BUDGET:
        amounts = monthly_budget(line=account.line, year=account.year, annual=balance)
        profile = PhasingProfile.objects.filter(line=account.line, year=account.year).first()
        profile_source = (profile.source or "a seasonal profile") if profile else ""
        months = [
            {"month": i, "label": f"M{i}", "name": MONTH_NAMES[i - 1], "amount": amount}
            for i, amount in enumerate(amounts, start=1)
        ]
    return {
        "account": account,
        "year_label": year_label(account.year),
        "entries": entries,
        "balance": balance,
        "committed": committed,
        "uncommitted": balance - committed,
        "months": months,
        "profile_source": profile_source,
        "may_request_virement": account.purpose == AccountPurpose.BUDGET
        and account.line.spendable
        and can(user, Action.CHANGE_MONEY, account.organisation),
    }


def transactions_visible_to(*, user: User) -> QuerySet[Transaction]:
    """Transactions with at least one leg on an account `user` may see; only those legs are
    attached (`visible_legs`), so a narrow role never learns another node's figures."""
    visible_legs = filter_by_scope(
        Leg.objects.all(), user, Action.VIEW_MONEY, "account__organisation__"
    )
    return (
        Transaction.objects.filter(pk__in=visible_legs.values("transaction_id"))
        .select_related("posted_by")
        .prefetch_related(
            Prefetch(
                "legs",
                queryset=visible_legs.select_related("account__organisation", "account__line"),
                to_attr="visible_legs",
            )
        )
    )
