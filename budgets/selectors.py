"""Reads with a rule: balances, commitments, phasing, allocations, ledgers, virement authority."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from consortia.models import Organisation, OrganisationKind, User
from consortia.money import split_exactly
from consortia.permissions import Action, active_assignments, can, filter_by_scope

from .models import (
    Account,
    AccountPurpose,
    BudgetLine,
    Commitment,
    Leg,
    LineCategory,
    ModelRun,
    PhasingProfile,
    SchemeOfDelegation,
    Virement,
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
    """Money committed or spent against the account."""
    return Commitment.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or 0


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


def allocation_table(*, user: User, commissioner: Organisation, year: int) -> dict:
    """Budgets by organisation × line for a year, within what `user` may see (fixed queries).

    Rows: the commissioner (collective lines and funding), each locality and sub-locality.
    """
    lines = list(
        BudgetLine.objects.filter(commissioner=commissioner).exclude(
            category__in=[LineCategory.FUNDING, LineCategory.MEMORANDUM]
        )
    )
    accounts = list(
        accounts_visible_to(user=user).filter(
            organisation__path__startswith=commissioner.path,
            year=year,
            purpose__in=[AccountPurpose.BUDGET, AccountPurpose.RISK_POOL],
        )
    )
    amounts = balances(accounts)
    cells: dict[int, dict[int, int]] = defaultdict(dict)
    pools: dict[int, int] = defaultdict(int)
    orgs: dict[int, Organisation] = {}
    for account in accounts:
        orgs[account.organisation_id] = account.organisation
        if account.purpose == AccountPurpose.RISK_POOL:
            pools[account.organisation_id] += amounts[account.pk]
        else:
            cells[account.organisation_id][account.line_id] = amounts[account.pk]
    rows = []
    for org in sorted(orgs.values(), key=lambda o: o.path):
        values = [cells[org.pk].get(line.pk) for line in lines]
        rows.append(
            {
                "organisation": org,
                "values": values,
                "risk_pool": pools.get(org.pk),
                "total": sum(v or 0 for v in values) + pools.get(org.pk, 0),
            }
        )
    column_totals = [
        sum(
            (r["values"][i] or 0)
            for r in rows
            if r["organisation"].kind in (OrganisationKind.COMMISSIONER, OrganisationKind.LOCALITY)
        )
        for i in range(len(lines))
    ]
    return {"lines": lines, "rows": rows, "column_totals": column_totals}


def model_runs_visible_to(*, user: User) -> QuerySet[ModelRun]:
    return filter_by_scope(ModelRun.objects.all(), user, Action.VIEW_MONEY, "commissioner__")


def virements_visible_to(*, user: User) -> QuerySet[Virement]:
    """Virements whose source or target the user may see money for."""
    q_source = filter_by_scope(
        Virement.objects.all(), user, Action.VIEW_MONEY, "source__organisation__"
    )
    return q_source.select_related(
        "source__organisation",
        "source__line",
        "target__organisation",
        "target__line",
        "requested_by",
        "decided_by",
    )


def locality_of(organisation: Organisation) -> str | None:
    """The locality code a node lies in (None for the commissioner itself)."""
    parts = organisation.path.strip("/").split("/")
    return parts[1] if len(parts) > 1 else None


def scheme_in_force(commissioner: Organisation) -> SchemeOfDelegation | None:
    return SchemeOfDelegation.objects.filter(
        commissioner=commissioner, effective_from__lte=timezone.localdate()
    ).first()


def needs_senate(virement: Virement) -> bool:
    """Between localities (or to/from county level) only the senate may approve."""
    src, dst = locality_of(virement.source.organisation), locality_of(virement.target.organisation)
    return src is None or dst is None or src != dst


def approval_limit(*, user: User, virement: Virement) -> int | None:
    """The largest virement `user` may approve for this source and target under the scheme in
    force, or None if they may approve none (between localities: the senate only)."""
    if needs_senate(virement):
        return None
    scheme = scheme_in_force(virement.source.line.commissioner)
    if scheme is None:
        return None
    best = None
    for assignment in active_assignments(user):
        limit = scheme.limits.get(assignment.role)
        node = assignment.organisation
        if limit is None:
            continue
        if virement.source.organisation.is_within(node) and virement.target.organisation.is_within(
            node
        ):
            best = max(best or 0, int(limit))
    return best


def may_view_money(user: User, node: Organisation) -> bool:
    return can(user, Action.VIEW_MONEY, node)
