"""Reads with a rule: balances, commitments, phasing, allocations, ledgers, virement authority."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import BigIntegerField, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from consortia.models import Organisation, OrganisationKind, Role, User
from consortia.money import split_exactly
from consortia.permissions import (
    Action,
    Scope,
    active_assignments,
    can,
    filter_by_scope,
    grants_for,
    roles_of,
    scope_q,
)

from .models import (
    Account,
    AccountPurpose,
    ActualSummary,
    BudgetLine,
    Commitment,
    Leg,
    LineCategory,
    ModelRun,
    ModelRunLine,
    ModelRunLocality,
    ModelRunPractice,
    PhasingProfile,
    RunStatus,
    SchemeOfDelegation,
    Transaction,
    Virement,
    VirementStatus,
)
from .periods import MONTH_NAMES, year_label


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
    source = scope_q(user, Action.VIEW_MONEY, "source__organisation__")
    target = scope_q(user, Action.VIEW_MONEY, "target__organisation__")
    if source is None:
        return Virement.objects.none()
    return Virement.objects.filter(source | target).select_related(
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


# --- Reads for the budgets pages, API and exports ---------------------------------------------
# Added with the interfaces; each is scoped through the permission module and runs a fixed
# number of queries whatever the number of organisations, accounts or practices.


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


def approved_runs(*, commissioner: Organisation, year: int) -> list[ModelRun]:
    return list(
        ModelRun.objects.filter(
            commissioner=commissioner, year=year, status=RunStatus.APPROVED
        ).select_related("parameters")
    )


def allocation_overview(*, user: User, commissioner: Organisation, year: int) -> dict:
    """`allocation_table` with what the pages and exports need besides: the account behind each
    cell, a subtotal for each locality that delegates (its own row plus its sub-localities and
    risk pool), totals over every row, and the approved envelope they must equal.

    A row holds what that node's accounts hold, not a roll-up: once a locality delegates to its
    sub-localities its own row falls and theirs rise, so column totals add every row. Totals are
    compared with the envelope only for someone who sees the whole commissioner.
    """
    table = allocation_table(user=user, commissioner=commissioner, year=year)
    lines = table["lines"]
    account_of: dict[tuple[int, int | None], int] = {}
    for org_id, line_id, purpose, pk in (
        accounts_visible_to(user=user)
        .filter(
            organisation__path__startswith=commissioner.path,
            year=year,
            purpose__in=[AccountPurpose.BUDGET, AccountPurpose.RISK_POOL],
        )
        .values_list("organisation_id", "line_id", "purpose", "pk")
    ):
        key = (org_id, None) if purpose == AccountPurpose.RISK_POOL else (org_id, line_id)
        account_of.setdefault(key, pk)
    rows = []
    for row in table["rows"]:
        org = row["organisation"]
        rows.append(
            {
                **row,
                "cells": [
                    {"amount": value, "line": line, "account_id": account_of.get((org.pk, line.pk))}
                    for value, line in zip(row["values"], lines, strict=True)
                ],
                "risk_pool_account_id": account_of.get((org.pk, None)),
                "subtotal": False,
            }
        )
    with_subtotals = []
    for i, row in enumerate(rows):
        with_subtotals.append(row)
        # After the last node beneath a locality that has nodes beneath it, add its subtotal.
        loc_path = _locality_path(row["organisation"])
        next_path = rows[i + 1]["organisation"].path if i + 1 < len(rows) else ""
        if loc_path and not next_path.startswith(loc_path):
            members = [r for r in rows if r["organisation"].path.startswith(loc_path)]
            if len(members) > 1 and members[0]["organisation"].path == loc_path:
                with_subtotals.append(_subtotal_row(members, lines))
    column_totals = [sum(r["values"][i] or 0 for r in rows) for i in range(len(lines))]
    risk_pool_total = sum(r["risk_pool"] or 0 for r in rows)
    runs = approved_runs(commissioner=commissioner, year=year)
    envelope = [sum(run.envelopes.get(line.code, 0) for run in runs) for line in lines]
    sees_whole = any(
        grant.scope is Scope.COMMISSIONER and grant.covers(commissioner)
        for grant in grants_for(user, Action.VIEW_MONEY)
    )
    return {
        "commissioner": commissioner,
        "year": year,
        "year_label": year_label(year),
        "lines": lines,
        "rows": with_subtotals,
        "column_totals": column_totals,
        "risk_pool_total": risk_pool_total,
        "total": sum(column_totals) + risk_pool_total,
        "envelope": envelope if runs and sees_whole else None,
        "envelope_total": sum(envelope) if runs and sees_whole else None,
        # Risk pools hold part of a delegated line's budget, so only the grand total can match.
        "matches_envelope": bool(runs)
        and sees_whole
        and sum(envelope) == sum(column_totals) + risk_pool_total,
        "runs": runs,
        "figures_chosen": any("CHOSEN" in run.parameters.sources for run in runs),
    }


def _locality_path(org: Organisation) -> str | None:
    parts = org.path.strip("/").split("/")
    return "/" + "/".join(parts[:2]) + "/" if len(parts) >= 2 else None


def _subtotal_row(members: list[dict], lines: list[BudgetLine]) -> dict:
    locality = members[0]["organisation"]
    values = [
        None
        if all(m["values"][i] is None for m in members)
        else sum(m["values"][i] or 0 for m in members)
        for i in range(len(lines))
    ]
    pool = sum(m["risk_pool"] or 0 for m in members)
    return {
        "organisation": locality,
        "values": values,
        "cells": [
            {"amount": v, "line": line, "account_id": None}
            for v, line in zip(values, lines, strict=True)
        ],
        "risk_pool": pool or None,
        "risk_pool_account_id": None,
        "total": sum(v or 0 for v in values) + pool,
        "subtotal": True,
    }


def model_run_get_visible(*, user: User, pk: int) -> ModelRun:
    """A model run `user` may see; 404 alike for missing and not yours."""
    run = (
        model_runs_visible_to(user=user)
        .select_related("commissioner", "parameters", "created_by", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if run is None:
        raise Http404("No such model run.")
    return run


def model_run_may_approve(*, user: User, run: ModelRun) -> bool:
    """The chief executive (APPROVE_ALLOCATION) may approve a run that is still proposed."""
    return run.status == RunStatus.PROPOSED and can(
        user, Action.APPROVE_ALLOCATION, run.commissioner
    )


def model_run_explanation(*, run: ModelRun) -> dict:
    """Every step of a run, for the page, the API and the exports (five queries).

    Per locality: population → age-weighted → need index → market forces → sparsity → weighted
    population → target share; per line: target, last year's baseline, uplifted baseline, capped
    move, proposal, change. Totals per line prove the parts sum to the envelope to the penny;
    per practice, the indicative split of the delegated lines.
    """
    all_lines = {
        line.code: line for line in BudgetLine.objects.filter(commissioner=run.commissioner_id)
    }
    lines = sorted(
        (all_lines[code] for code in run.envelopes if code in all_lines),
        key=lambda line: (line.order, line.code),
    )
    localities = list(
        ModelRunLocality.objects.filter(run=run)
        .select_related("locality")
        .prefetch_related(Prefetch("lines", queryset=ModelRunLine.objects.select_related("line")))
        .order_by("locality__name")
    )
    for row in localities:
        by_line = {rl.line_id: rl for rl in row.lines.all()}
        row.line_rows = [by_line[line.pk] for line in lines if line.pk in by_line]
    practices = list(
        ModelRunPractice.objects.filter(run=run)
        .select_related("practice", "locality")
        .order_by("locality__name", "practice__name")
    )
    totals = []
    for line in lines:
        parts = [rl for row in localities for rl in row.line_rows if rl.line_id == line.pk]
        envelope = run.envelopes[line.code]
        total = {
            "line": line,
            "envelope": envelope,
            "target": sum(p.target for p in parts),
            "baseline": sum(p.baseline for p in parts),
            "uplifted_baseline": sum(p.uplifted_baseline for p in parts),
            "capped_move": sum(p.capped_move for p in parts),
            "proposal": sum(p.proposal for p in parts),
        }
        total["change"] = total["proposal"] - total["baseline"]
        total["balanced"] = (
            total["target"] == envelope
            and total["proposal"] == envelope
            and total["capped_move"] == 0
        )
        totals.append(total)
    delegated_total = sum(
        run.envelopes[line.code] for line in lines if line.category == LineCategory.DELEGATED
    )
    params = run.parameters
    bands = list(params.age_weights.get("M", {}))
    return {
        "run": run,
        "parameters": params,
        # The parameter set marks figures that are not from a published source (the demo's are).
        "figures_chosen": "CHOSEN" in params.sources,
        "age_weights": [
            {
                "band": band,
                "male": params.age_weights["M"].get(band),
                "female": params.age_weights.get("F", {}).get(band),
            }
            for band in bands
        ],
        "lines": lines,
        "localities": localities,
        "locality_totals": {
            "population": sum(r.population for r in localities),
            "age_weighted_population": sum(
                (r.age_weighted_population for r in localities), Decimal(0)
            ),
            "weighted_population": sum((r.weighted_population for r in localities), Decimal(0)),
            "target_share": sum((r.target_share for r in localities), Decimal(0)),
        },
        "line_totals": totals,
        "envelope_total": sum(run.envelopes[line.code] for line in lines),
        "balanced": all(t["balanced"] for t in totals),
        "practices": practices,
        "practice_totals": {
            "population": sum(p.population for p in practices),
            "weighted_population": sum((p.weighted_population for p in practices), Decimal(0)),
            "indicative_target": sum(p.indicative_target for p in practices),
        },
        "delegated_total": delegated_total,
    }


def virement_get_visible(*, user: User, pk: int) -> Virement:
    """A virement `user` may see; 404 alike for missing and not yours."""
    virement = virements_visible_to(user=user).filter(pk=pk).first()
    if virement is None:
        raise Http404("No such virement.")
    return virement


def accounts_for_virement(*, user: User) -> QuerySet[Account]:
    """Spendable budget accounts `user` may move money from or to (CHANGE_MONEY)."""
    return (
        filter_by_scope(Account.objects.all(), user, Action.CHANGE_MONEY, "organisation__")
        .filter(
            purpose=AccountPurpose.BUDGET,
            line__category__in=[LineCategory.DELEGATED, LineCategory.COLLECTIVE],
        )
        .select_related("organisation", "line")
        .order_by("-year", "organisation__path", "line__order")
    )


def virement_decision_rights(*, user: User, virement: Virement) -> dict:
    """What `user` may do with a virement, by the rules the services enforce: approve when their
    limit under the scheme of delegation covers it; reject likewise, or as PCT finance; override
    commitments only as PCT finance. Between localities only the senate decides."""
    requested = virement.status == VirementStatus.REQUESTED
    limit = approval_limit(user=user, virement=virement) if requested else None
    is_finance = Role.PCT_FINANCE in roles_of(user)
    may_approve = requested and limit is not None and virement.amount <= limit
    return {
        "limit": limit,
        "needs_senate": requested and needs_senate(virement),
        "may_approve": may_approve,
        "may_reject": requested and (may_approve or is_finance),
        "may_override": may_approve and is_finance,
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


def run_envelope_by_category(run: ModelRun) -> dict[str, int]:
    """A model run's envelope split into delegated, collective and memorandum pence: the three
    totals people meet (hard budgets, everything spendable, everything)."""
    categories = dict(
        BudgetLine.objects.filter(commissioner=run.commissioner).values_list("code", "category")
    )
    out = {LineCategory.DELEGATED: 0, LineCategory.COLLECTIVE: 0, LineCategory.MEMORANDUM: 0}
    for code, amount in run.envelopes.items():
        out[categories[code]] = out.get(categories[code], 0) + amount
    return {str(k): v for k, v in out.items()}
