"""The resource allocation model: parameter sets, runs, and approval that posts allocations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from budgets.ledger.models import AccountPurpose, BudgetLine, LineCategory, TransactionKind
from budgets.ledger.services import account_get_or_create, ledger_post
from budgets.periods import year_label
from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind, User
from consortia.money import split_exactly
from consortia.permissions import Action, require
from consortia.services import audit_record
from localities.models import AGE_BANDS, DeprivationScore, ListSizeBand, ListSizeSnapshot

from .allocation_model import Parameters, PracticeInput, run_model
from .models import (
    AllocationBaseline,
    AllocationParameters,
    ModelRun,
    ModelRunLine,
    ModelRunLocality,
    ModelRunPractice,
    RunStatus,
)

FUNDING_LINE = "RRL"


@transaction.atomic
def allocation_parameters_create(
    *,
    actor: User | None,
    commissioner: Organisation,
    name: str,
    effective_from: dt.date,
    age_weights: dict[str, dict[str, str]],
    need_weight: Decimal,
    market_forces: dict[str, str],
    sparsity: dict[str, str],
    pace_of_change_percent: Decimal,
    sources: str,
    actor_label: str = "",
) -> AllocationParameters:
    """A new version of the model's parameters. Versions are never edited, only superseded."""
    if actor is not None:
        require(actor, Action.CHANGE_MONEY, commissioner)
    for sex in ("M", "F"):
        missing = [b for b in AGE_BANDS if b not in age_weights.get(sex, {})]
        if missing:
            raise ApplicationError(f"Age weights for {sex} are missing bands {', '.join(missing)}.")
    if not Decimal(0) <= Decimal(pace_of_change_percent) <= 100:
        raise ApplicationError("Pace of change is a percentage from 0 to 100.")
    latest = AllocationParameters.objects.filter(commissioner=commissioner).first()
    params = AllocationParameters.objects.create(
        commissioner=commissioner,
        name=name,
        version=(latest.version + 1) if latest else 1,
        effective_from=effective_from,
        age_weights={s: {b: str(w) for b, w in bands.items()} for s, bands in age_weights.items()},
        need_weight=need_weight,
        market_forces={k: str(v) for k, v in market_forces.items()},
        sparsity={k: str(v) for k, v in sparsity.items()},
        pace_of_change_percent=pace_of_change_percent,
        sources=sources,
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="allocation_parameters.created",
        subject=params,
        organisation=commissioner,
        after={
            "version": params.version,
            "need_weight": str(need_weight),
            "pace_of_change_percent": str(pace_of_change_percent),
        },
    )
    return params


@transaction.atomic
def baseline_record(
    *,
    actor: User | None,
    locality: Organisation,
    year: int,
    line: BudgetLine,
    amount: int,
    source: str,
    actor_label: str = "",
) -> AllocationBaseline:
    """Record a locality's allocation for a year on a line, for next year's pace of change."""
    if actor is not None:
        require(actor, Action.CHANGE_MONEY, locality)
    baseline, created = AllocationBaseline.objects.get_or_create(
        locality=locality,
        year=year,
        line=line,
        defaults={"commissioner": line.commissioner, "amount": amount, "source": source},
    )
    if not created and baseline.amount != amount:
        raise ApplicationError(
            f"{locality.name} already has a {year_label(year)} baseline for {line.name}."
        )
    if created:
        audit_record(
            actor=actor,
            actor_label=actor_label,
            event="baseline.recorded",
            subject=baseline,
            organisation=locality,
            after={"year": year, "line": line.code, "amount": amount},
        )
    return baseline


def _practice_inputs(commissioner: Organisation, on: dt.date) -> list[PracticeInput]:
    """Each practice's latest population by band and deprivation on `on` (three queries)."""
    practices = {
        p.pk: p
        for p in Organisation.objects.filter(
            path__startswith=commissioner.path, kind=OrganisationKind.PRACTICE
        )
    }
    snapshot_of: dict[int, int] = {}
    for snapshot_id, practice_id in (
        ListSizeSnapshot.objects.filter(practice__in=practices, as_of__lte=on)
        .order_by("practice_id", "-as_of")
        .values_list("id", "practice_id")
    ):
        snapshot_of.setdefault(practice_id, snapshot_id)
    bands: dict[int, dict[tuple[str, str], int]] = {pid: {} for pid in snapshot_of}
    practice_of_snapshot = {sid: pid for pid, sid in snapshot_of.items()}
    for sid, sex, band, n in ListSizeBand.objects.filter(
        snapshot_id__in=snapshot_of.values()
    ).values_list("snapshot_id", "sex", "age_band", "patients"):
        bands[practice_of_snapshot[sid]][(sex, band)] = n
    need: dict[int, Decimal] = {}
    for pid, score in (
        DeprivationScore.objects.filter(practice__in=practices, as_of__lte=on)
        .order_by("practice_id", "-as_of")
        .values_list("practice_id", "score")
    ):
        need.setdefault(pid, score)
    out = []
    for pid, practice_bands in bands.items():
        practice = practices[pid]
        locality_code = practice.path.strip("/").split("/")[1]
        out.append(
            PracticeInput(practice.code, locality_code, practice_bands, need.get(pid, Decimal(0)))
        )
    return sorted(out, key=lambda p: p.code)


@transaction.atomic
def model_run_create(
    *,
    actor: User | None,
    commissioner: Organisation,
    year: int,
    parameters: AllocationParameters,
    envelopes: dict[str, int],
    population_date: dt.date,
    actor_label: str = "",
) -> ModelRun:
    """Run the model over a year's envelope (pence per line code) and keep every step."""
    if actor is not None:
        require(actor, Action.CHANGE_MONEY, commissioner)
    lines = {line.code: line for line in BudgetLine.objects.filter(commissioner=commissioner)}
    for code, amount in envelopes.items():
        if code not in lines or lines[code].category == LineCategory.FUNDING:
            raise ApplicationError(
                f"'{code}' is not a budget line to allocate.", extra={"field": "envelopes"}
            )
        if not isinstance(amount, int) or amount < 0:
            raise ApplicationError(
                f"The envelope for {lines[code].name} must be whole pence, 0 or more."
            )
    localities = list(
        Organisation.objects.filter(parent=commissioner, kind=OrganisationKind.LOCALITY).order_by(
            "name"
        )
    )
    practices = _practice_inputs(commissioner, population_date)
    if not practices:
        raise ApplicationError(f"No practice has a list size on {population_date}.")
    baselines = {
        (b.locality.code, b.line.code): b.amount
        for b in AllocationBaseline.objects.filter(
            commissioner=commissioner, year=year - 1
        ).select_related("locality", "line")
    }
    result = run_model(
        practices=practices,
        parameters=Parameters(
            age_weights={
                s: {b: Decimal(w) for b, w in bands.items()}
                for s, bands in parameters.age_weights.items()
            },
            need_weight=parameters.need_weight,
            market_forces={k: Decimal(v) for k, v in parameters.market_forces.items()},
            sparsity={k: Decimal(v) for k, v in parameters.sparsity.items()},
            pace_of_change_percent=parameters.pace_of_change_percent,
        ),
        envelopes=envelopes,
        line_categories={c: lines[c].category for c in envelopes},
        baselines=baselines,
        localities=[loc.code for loc in localities],
    )
    run = ModelRun.objects.create(
        commissioner=commissioner,
        year=year,
        parameters=parameters,
        population_date=population_date,
        envelopes=envelopes,
        created_by=actor,
    )
    by_code = {loc.code: loc for loc in localities}
    q = Decimal("0.0001")
    for code, r in result.localities.items():
        row = ModelRunLocality.objects.create(
            run=run,
            locality=by_code[code],
            population=r.population,
            age_weighted_population=r.age_weighted.quantize(q),
            need_index=r.need_index.quantize(Decimal("0.000001")),
            market_forces=r.market_forces,
            sparsity=r.sparsity,
            weighted_population=r.weighted.quantize(q),
            target_share=r.share.quantize(Decimal("0.0000000001")),
        )
        ModelRunLine.objects.bulk_create(
            ModelRunLine(
                row=row,
                line=lines[line],
                target=lr.target,
                baseline=lr.baseline,
                uplifted_baseline=lr.uplifted_baseline,
                capped_move=lr.capped_move,
                proposal=lr.proposal,
            )
            for line, lr in r.lines.items()
        )
    practice_orgs = {
        p.code: p for p in Organisation.objects.filter(code__in=[p.code for p in result.practices])
    }
    delegated_total = sum(
        a for c, a in envelopes.items() if lines[c].category == LineCategory.DELEGATED
    )
    weights = [p.weighted for p in result.practices]
    indicative = split_exactly(delegated_total, weights) if sum(weights) > 0 else [0] * len(weights)
    ModelRunPractice.objects.bulk_create(
        ModelRunPractice(
            run=run,
            practice=practice_orgs[p.code],
            locality=by_code[p.locality],
            population=p.population,
            weighted_population=p.weighted.quantize(q),
            indicative_target=amount,
        )
        for p, amount in zip(result.practices, indicative, strict=True)
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="model_run.created",
        subject=run,
        organisation=commissioner,
        after={"year": year, "parameters": str(parameters), "envelopes": envelopes},
    )
    return run


@transaction.atomic
def model_run_approve(
    *,
    run: ModelRun,
    actor: User | None,
    senate_decision: str = "",
    actor_label: str = "",
):
    """Approve a proposed run and post its allocations, atomically and once.

    The authority is the chief executive (APPROVE_ALLOCATION), or a carried senate motion, in
    which case `senate_decision` names it and the senate service calls this inside its own
    transaction. One transaction moves the envelope from the commissioner's funding account to
    each locality's delegated lines and to the commissioner's collective lines; memorandum lines
    are shown, never posted. A second approval is refused (and the database allows one posting
    per run).
    """
    if not senate_decision:
        if actor is None:
            raise ApplicationError(
                "Approving an allocation needs the chief executive or the senate."
            )
        require(actor, Action.APPROVE_ALLOCATION, run.commissioner)
    run = ModelRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.PROPOSED:
        raise ApplicationError(
            f"{run} is already {run.get_status_display().lower()}; it cannot be approved again."
        )
    already = ModelRun.objects.filter(
        commissioner=run.commissioner, year=run.year, status=RunStatus.APPROVED
    ).first()
    if already is not None:
        raise ApplicationError(
            f"{already} is already the approved allocation for {year_label(run.year)}; "
            "approving a second run would post the envelope twice. Change allocations with "
            "virements, or reverse the first allocation before approving another run."
        )
    lines = {line.code: line for line in BudgetLine.objects.filter(commissioner=run.commissioner)}
    if FUNDING_LINE not in lines:
        raise ApplicationError("The commissioner has no funding line (RRL) to allocate from.")
    legs = []
    for row_line in ModelRunLine.objects.filter(row__run=run).select_related(
        "row__locality", "line"
    ):
        if row_line.line.category == LineCategory.DELEGATED and row_line.proposal:
            legs.append(
                (
                    account_get_or_create(
                        organisation=row_line.row.locality, year=run.year, line=row_line.line
                    ),
                    row_line.proposal,
                )
            )
    for code, amount in run.envelopes.items():
        if lines[code].category == LineCategory.COLLECTIVE and amount:
            legs.append(
                (
                    account_get_or_create(
                        organisation=run.commissioner, year=run.year, line=lines[code]
                    ),
                    amount,
                )
            )
    total = sum(amount for _, amount in legs)
    funding = account_get_or_create(
        organisation=run.commissioner,
        year=run.year,
        line=lines[FUNDING_LINE],
        purpose=AccountPurpose.FUNDING,
    )
    legs.insert(0, (funding, -total))
    txn = ledger_post(
        legs=legs,
        kind=TransactionKind.ALLOCATION,
        actor=actor,
        actor_label=actor_label,
        memo=f"{year_label(run.year)} allocation, model run #{run.pk}"
        + (f" ({senate_decision})" if senate_decision else ""),
        model_run=run,
    )
    run.status = RunStatus.APPROVED
    run.decided_at = timezone.now()
    run.decided_by = actor
    run.decision_note = senate_decision or "Approved by the chief executive"
    run.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="model_run.approved",
        subject=run,
        organisation=run.commissioner,
        before={"status": RunStatus.PROPOSED},
        after={
            "status": run.status,
            "transaction": txn.pk,
            "total": total,
            "decision": run.decision_note,
        },
    )
    return txn


@transaction.atomic
def model_run_reject(
    *, run: ModelRun, actor: User | None, reason: str, senate_decision: str = ""
) -> ModelRun:
    """Reject a proposed run: nothing is posted."""
    if not senate_decision:
        require(actor, Action.APPROVE_ALLOCATION, run.commissioner)
    run = ModelRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.PROPOSED:
        raise ApplicationError(f"{run} is already {run.get_status_display().lower()}.")
    run.status = RunStatus.REJECTED
    run.decided_at = timezone.now()
    run.decided_by = actor
    run.decision_note = (senate_decision + ": " if senate_decision else "") + reason
    run.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    audit_record(
        actor=actor,
        event="model_run.rejected",
        subject=run,
        organisation=run.commissioner,
        before={"status": RunStatus.PROPOSED},
        after={"status": run.status, "reason": reason},
    )
    return run
