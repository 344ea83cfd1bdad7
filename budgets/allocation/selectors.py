"""Reads with a rule on allocations: the allocation table and overview by organisation and
line, and model runs explained step by step."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from budgets.ledger.models import AccountPurpose, BudgetLine, LineCategory
from budgets.periods import year_label
from consortia.models import Organisation, OrganisationKind, User
from consortia.permissions import (
    Action,
    Scope,
    can,
    filter_by_scope,
    grants_for,
)

from ..ledger.selectors import accounts_visible_to, balances
from .models import ModelRun, ModelRunLine, ModelRunLocality, ModelRunPractice, RunStatus


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
