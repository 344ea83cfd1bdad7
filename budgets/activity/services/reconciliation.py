"""Monthly reconciliation of actual activity against the phased hard budgets.

A run for month M of a year first brings the actuals of every *open* month up to M up to date,
for all the commissioner's localities in one transaction (`reconcile_actuals`): it sums the
per-upload totals the loader wrote (`ActivityTotal`) of the current (complete) uploads, never
the activity rows themselves, and only for the (locality, month) pairs whose uploads changed
since they were last summed (`ActualSource`). Delete and re-insert, set-based, so a re-run, or a
run after a crash, gives identical figures and never double counts. Then it computes positions
(budget, actual, variance, forecast outturn, status) for the commissioner, localities and
sub-localities, and sends alerts once per status change. Closed months are frozen.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import holidays
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from budgets.ledger.models import (
    Account,
    AccountPurpose,
    BudgetLine,
    Leg,
    LineCategory,
    PhasingProfile,
)
from budgets.periods import month_label, month_start, year_label
from consortia.errors import ApplicationError
from consortia.imports.models import Upload, UploadStatus
from consortia.models import Organisation, OrganisationKind, Role, RoleAssignment, User
from consortia.money import format_money, split_exactly
from consortia.permissions import Action, holds_role_over, require
from consortia.services import audit_record, notify

from ..models import (
    ActivityRow,
    ActivityTotal,
    ActualSource,
    ActualSummary,
    AlertState,
    MonthClose,
    Position,
    RagStatus,
    RagThresholds,
    ReconciliationRun,
    RunStatusReco,
)

DEFAULT_AMBER, DEFAULT_RED = Decimal("1.0"), Decimal("3.0")  # percent of annual budget
RECONCILE_LOCK = 7_301  # pg_advisory_xact_lock class: one reconciliation per commissioner


def closed_months(commissioner: Organisation, year: int) -> set[int]:
    return set(
        MonthClose.objects.filter(
            commissioner=commissioner, year=year, reopened_at__isnull=True
        ).values_list("month", flat=True)
    )


def reconciliation_start(
    *,
    actor: User | None,
    commissioner: Organisation,
    year: int,
    month: int,
    trigger: str,
    run_now: bool = False,
) -> ReconciliationRun:
    """Record a run and queue it (after commit). A closed month is frozen: reopen it first.

    `run_now` runs it in this process instead (the demo loader and `reconcile --now`).
    """
    run = _reconciliation_create(
        actor=actor, commissioner=commissioner, year=year, month=month, trigger=trigger
    )
    if run_now:
        reconcile_actuals(run=run)
        run.refresh_from_db()
        return reconciliation_finish(run=run)
    from ..tasks import reconcile_run_task

    transaction.on_commit(lambda: reconcile_run_task.delay(run.pk))
    return run


@transaction.atomic
def _reconciliation_create(
    *, actor: User | None, commissioner: Organisation, year: int, month: int, trigger: str
) -> ReconciliationRun:
    if actor is not None:
        require(actor, Action.CHANGE_MONEY, commissioner)
    if not 1 <= month <= 12:
        raise ApplicationError("Choose a month from M1 (April) to M12 (March).")
    if month in closed_months(commissioner, year):
        raise ApplicationError(
            f"{month_label(year, month)} is closed and its figures are frozen; "
            "finance must reopen it (with a reason) first."
        )
    localities = Organisation.objects.filter(parent=commissioner, kind=OrganisationKind.LOCALITY)
    run = ReconciliationRun.objects.create(
        commissioner=commissioner,
        year=year,
        month=month,
        trigger=trigger,
        started_by=actor,
        localities_total=localities.count(),
    )
    audit_record(
        actor=actor,
        event="reconciliation.started",
        subject=run,
        organisation=commissioner,
        after={"year": year, "month": month, "trigger": trigger},
    )
    return run


ACTUALS_SQL = """
INSERT INTO budgets_actualsummary (year, month, locality_id, organisation_id, line_id, actual,
                                   activity, rows)
SELECT t.year, t.month, t.locality_id, t.organisation_id, t.line_id, SUM(t.cost),
       SUM(t.activity), SUM(t.rows)
FROM budgets_activitytotal t
JOIN imports_upload u ON u.id = t.upload_id
WHERE t.year = %s AND t.held = %s AND u.status = %s AND ({pairs})
GROUP BY t.year, t.month, t.locality_id, t.organisation_id, t.line_id
"""


def _open_months(run: ReconciliationRun) -> list[int]:
    closed = closed_months(run.commissioner, run.year)
    return [m for m in range(1, run.month + 1) if m not in closed]


def actual_sources(*, year: int, months: list[int], localities: list[int]) -> dict:
    """(locality, month) -> the uploads its actuals come from now: "id:rows" of each complete
    upload with rows there not held, in id order (absent: none)."""
    sources: dict[tuple[int, int], list[str]] = defaultdict(list)
    for locality, month, upload, rows in (
        ActivityTotal.objects.filter(
            year=year,
            month__in=months,
            locality_id__in=localities,
            held=False,
            upload__status=UploadStatus.COMPLETE,
        )
        .values_list("locality_id", "month", "upload_id")
        .annotate(rows=Sum("rows"))
        .order_by("locality_id", "month", "upload_id")
    ):
        sources[(locality, month)].append(f"{upload}:{rows}")
    return {pair: ",".join(uploads) for pair, uploads in sources.items()}


@transaction.atomic
def reconcile_actuals(*, run: ReconciliationRun) -> int:
    """Bring the actuals of every open month up to the run's month up to date, for all the
    commissioner's localities at once, from the upload totals. Returns the number of activity
    rows the actuals stand on.

    A (locality, month) is re-summed only when the uploads it comes from changed since it was
    last summed: a file completed or was superseded, or reopening the month released held rows.
    Its actuals are deleted and inserted again by one INSERT ... SELECT over the totals (a few
    thousand per file), in this transaction: a crash leaves the old figures, a re-run the same.
    """
    commissioner = run.commissioner
    if connection.vendor == "postgresql":  # one reconciliation of a commissioner at a time
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [RECONCILE_LOCK, commissioner.pk]
            )
    months = _open_months(run)
    localities = list(
        Organisation.objects.filter(parent=commissioner, kind=OrganisationKind.LOCALITY)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    current = actual_sources(year=run.year, months=months, localities=localities)
    summed = {
        (locality, month): uploads
        for locality, month, uploads in ActualSource.objects.filter(
            year=run.year, month__in=months, locality_id__in=localities
        ).values_list("locality_id", "month", "uploads")
    }
    changed: dict[int, list[int]] = defaultdict(list)  # month -> localities
    for locality in localities:
        for month in months:
            if summed.get((locality, month)) != current.get((locality, month), ""):
                changed[month].append(locality)
    if changed:
        pairs = Q()
        for month, ids in changed.items():
            pairs |= Q(month=month, locality_id__in=ids)
        ActualSummary.objects.filter(pairs, year=run.year).delete()
        ActualSource.objects.filter(pairs, year=run.year).delete()
        sql = " OR ".join(
            f"(t.month = %s AND t.locality_id IN ({', '.join(['%s'] * len(ids))}))"
            for ids in changed.values()
        )
        params = [p for month, ids in changed.items() for p in (month, *ids)]
        with connection.cursor() as cursor:
            cursor.execute(
                ACTUALS_SQL.format(pairs=sql),
                [run.year, False, UploadStatus.COMPLETE, *params],
            )
        now = timezone.now()
        ActualSource.objects.bulk_create(
            ActualSource(
                year=run.year,
                month=month,
                locality_id=locality,
                uploads=current.get((locality, month), ""),
                summed_at=now,
            )
            for month, ids in changed.items()
            for locality in ids
        )
    rows = (
        ActualSummary.objects.filter(
            year=run.year, month__in=months, locality_id__in=localities
        ).aggregate(n=Sum("rows"))["n"]
        or 0
    )
    ReconciliationRun.objects.filter(pk=run.pk).update(localities_done=len(localities), rows=rows)
    return rows


def thresholds(commissioner: Organisation) -> tuple[Decimal, Decimal]:
    row = RagThresholds.objects.filter(
        commissioner=commissioner, effective_from__lte=timezone.localdate()
    ).first()
    return (row.amber_percent, row.red_percent) if row else (DEFAULT_AMBER, DEFAULT_RED)


def rag(forecast_variance: int, annual: int, amber: Decimal, red: Decimal) -> str:
    """Green unless the forecast overspend exceeds amber% (amber) or red% (red) of the budget."""
    if annual <= 0:
        return RagStatus.RED if forecast_variance > 0 else RagStatus.GREEN
    percent = Decimal(forecast_variance) * 100 / Decimal(annual)
    if percent > red:
        return RagStatus.RED
    if percent > amber:
        return RagStatus.AMBER
    return RagStatus.GREEN


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def forecasts(*, ytd_actual: int, month: int, annual: int, ytd_budget: int) -> tuple[int, int]:
    """(run-rate, profile-based) forecast outturns.

    Run-rate: the year-to-date actual continues at the same monthly rate: ytd × 12 / M.
    Profile-based: the actual keeps its ratio to the phased budget: ytd × annual / ytd budget.
    """
    run_rate = _round(Decimal(ytd_actual) * 12 / month)
    profile = _round(Decimal(ytd_actual) * annual / ytd_budget) if ytd_budget else run_rate
    return run_rate, profile


@transaction.atomic
def reconciliation_finish(*, run: ReconciliationRun) -> ReconciliationRun:
    """Compute every position for the run's month from the summaries, then alert."""
    commissioner = run.commissioner
    amber, red = thresholds(commissioner)
    nodes = list(
        Organisation.objects.filter(
            path__startswith=commissioner.path,
            kind__in=[
                OrganisationKind.COMMISSIONER,
                OrganisationKind.LOCALITY,
                OrganisationKind.SUB_LOCALITY,
            ],
        )
    )
    # Hard budgets are the delegated lines; collective lines are managed at county level.
    lines = list(
        BudgetLine.objects.filter(commissioner=commissioner, category=LineCategory.DELEGATED)
    )
    profiles = {
        p.line_id: [Decimal(s) for s in p.shares]
        for p in PhasingProfile.objects.filter(line__in=lines, year=run.year)
    }
    # Annual budgets: balances of budget and risk-pool accounts, by account (one query).
    budget_by_path_line: dict[tuple[str, int], int] = defaultdict(int)
    for path, line_id, amount in (
        Leg.objects.filter(
            account__year=run.year,
            account__line__in=lines,
            account__purpose__in=[AccountPurpose.BUDGET, AccountPurpose.RISK_POOL],
            account__organisation__path__startswith=commissioner.path,
        )
        .values_list("account__organisation__path", "account__line_id")
        .annotate(s=Sum("amount"))
        .values_list("account__organisation__path", "account__line_id", "s")
    ):
        for ancestor in _ancestors(path):
            budget_by_path_line[(ancestor, line_id)] += amount
    # Actuals by organisation path, line and month (one query).
    actual_by: dict[tuple[str, int, int], int] = defaultdict(int)
    for path, line_id, month, amount in (
        ActualSummary.objects.filter(year=run.year, month__lte=run.month)
        .values_list("organisation__path", "line_id", "month")
        .annotate(s=Sum("actual"))
        .values_list("organisation__path", "line_id", "month", "s")
    ):
        for ancestor in _ancestors(path):
            actual_by[(ancestor, line_id, month)] += amount
    Position.objects.filter(run=run).delete()
    positions = []
    for node in nodes:
        totals = defaultdict(int)
        for line in lines:
            annual = budget_by_path_line.get((node.path, line.pk), 0)
            phased = (
                split_exactly(annual, profiles.get(line.pk, [Decimal(1)] * 12))
                if annual > 0
                else [0] * 12
            )
            monthly = [
                actual_by.get((node.path, line.pk, month), 0) for month in range(1, run.month + 1)
            ]
            if not annual and not any(monthly):
                continue
            ytd_budget, ytd_actual = sum(phased[: run.month]), sum(monthly)
            run_rate, profile = forecasts(
                ytd_actual=ytd_actual, month=run.month, annual=annual, ytd_budget=ytd_budget
            )
            method = "profile" if line.pk in profiles else "run_rate"
            outturn = profile if method == "profile" else run_rate
            position = Position(
                run=run,
                year=run.year,
                month=run.month,
                organisation=node,
                line=line,
                annual_budget=annual,
                month_budget=phased[run.month - 1],
                month_actual=monthly[-1],
                ytd_budget=ytd_budget,
                ytd_actual=ytd_actual,
                variance=ytd_actual - ytd_budget,
                variance_percent=_percent(ytd_actual - ytd_budget, ytd_budget),
                forecast_run_rate=run_rate,
                forecast_profile=profile,
                forecast_method=method,
                forecast_outturn=outturn,
                forecast_variance=outturn - annual,
                status=rag(outturn - annual, annual, amber, red),
            )
            positions.append(position)
            for name in (
                "annual_budget",
                "month_budget",
                "month_actual",
                "ytd_budget",
                "ytd_actual",
                "forecast_run_rate",
                "forecast_profile",
                "forecast_outturn",
            ):
                totals[name] += getattr(position, name)
        if not totals:
            continue
        positions.append(
            Position(
                run=run,
                year=run.year,
                month=run.month,
                organisation=node,
                line=None,
                annual_budget=totals["annual_budget"],
                month_budget=totals["month_budget"],
                month_actual=totals["month_actual"],
                ytd_budget=totals["ytd_budget"],
                ytd_actual=totals["ytd_actual"],
                variance=totals["ytd_actual"] - totals["ytd_budget"],
                variance_percent=_percent(
                    totals["ytd_actual"] - totals["ytd_budget"], totals["ytd_budget"]
                ),
                forecast_run_rate=totals["forecast_run_rate"],
                forecast_profile=totals["forecast_profile"],
                forecast_method="by line",
                forecast_outturn=totals["forecast_outturn"],
                forecast_variance=totals["forecast_outturn"] - totals["annual_budget"],
                status=rag(
                    totals["forecast_outturn"] - totals["annual_budget"],
                    totals["annual_budget"],
                    amber,
                    red,
                ),
            )
        )
    Position.objects.bulk_create(positions)
    run.status = RunStatusReco.SUCCEEDED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    _alert(
        run,
        [
            p
            for p in positions
            if p.line is None and p.organisation.kind == OrganisationKind.LOCALITY
        ],
    )
    audit_record(
        actor=run.started_by,
        actor_label="" if run.started_by else "reconciliation",
        event="reconciliation.succeeded",
        subject=run,
        organisation=commissioner,
        after={"rows": run.rows, "positions": len(positions)},
    )
    return run


def _ancestors(path: str) -> list[str]:
    """A node's path and its ancestors' paths: "/5NE/5NE-CAR/A1/" -> "/5NE/", "/5NE/5NE-CAR/", ..."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def _percent(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.01"))


def _alert(run: ReconciliationRun, positions: list[Position]) -> None:
    """Tell a locality's lead GP(s) and PCT finance when its status changes (once per month and
    status): to amber or red, or back to green from either."""
    states = {
        s.organisation_id: s
        for s in AlertState.objects.filter(
            year=run.year, month=run.month, organisation__in=[p.organisation for p in positions]
        )
    }
    finance = list(
        User.objects.filter(
            role_assignments__role=Role.PCT_FINANCE, role_assignments__organisation=run.commissioner
        ).distinct()
    )
    leads = defaultdict(list)
    for assignment in RoleAssignment.objects.filter(
        role=Role.LOCALITY_LEAD,
        organisation__in=[p.organisation for p in positions],
        ends_on__isnull=True,
    ).select_related("user"):
        leads[assignment.organisation_id].append(assignment.user)
    now = timezone.now()
    for position in positions:
        state = states.get(position.organisation_id)
        previous = state.status if state else RagStatus.GREEN
        if previous == position.status:
            continue
        label = RagStatus(position.status).label.lower()
        notify(
            users=[*leads[position.organisation_id], *finance],
            subject=f"{position.organisation.name}: {label} at {month_label(run.year, run.month)}",
            body=(
                f"Forecast outturn {format_money(position.forecast_outturn)} against a budget "
                f"of {format_money(position.annual_budget)} for {year_label(run.year)} "
                f"({format_money(position.forecast_variance, sign=True)}). Status was "
                f"{RagStatus(previous).label.lower()}."
            ),
            url=f"/positions/{run.year}/{run.month}/{position.organisation.code}/",
        )
        AlertState.objects.update_or_create(
            organisation=position.organisation,
            year=run.year,
            month=run.month,
            defaults={"status": position.status, "alerted_at": now},
        )


@transaction.atomic
def reconciliation_fail(*, run: ReconciliationRun, error: str) -> ReconciliationRun:
    run.status = RunStatusReco.FAILED
    run.finished_at = timezone.now()
    run.errors = error[:5000]
    run.save(update_fields=["status", "finished_at", "errors"])
    audit_record(
        actor=run.started_by,
        actor_label="" if run.started_by else "reconciliation",
        event="reconciliation.failed",
        subject=run,
        organisation=run.commissioner,
        after={"error": run.errors[:500]},
    )
    return run


# --- Month-end close --------------------------------------------------------------------------


def _require_finance(actor: User, commissioner: Organisation) -> None:
    if not holds_role_over(actor, Role.PCT_FINANCE, commissioner):
        raise PermissionDenied("Only PCT finance closes and reopens months.")
    require(actor, Action.CHANGE_MONEY, commissioner)


@transaction.atomic
def month_close(*, actor: User, commissioner: Organisation, year: int, month: int) -> MonthClose:
    """Close a month: its figures freeze; late data for it is held until it is reopened."""
    _require_finance(actor, commissioner)
    if month in closed_months(commissioner, year):
        raise ApplicationError(f"{month_label(year, month)} is already closed.")
    close = MonthClose.objects.create(
        commissioner=commissioner, year=year, month=month, closed_at=timezone.now(), closed_by=actor
    )
    audit_record(
        actor=actor,
        event="month.closed",
        subject=close,
        organisation=commissioner,
        after={"year": year, "month": month},
    )
    return close


@transaction.atomic
def month_reopen(
    *, actor: User, commissioner: Organisation, year: int, month: int, reason: str
) -> MonthClose:
    """Reopen a closed month, with a reason; data held for it is released into the actuals."""
    _require_finance(actor, commissioner)
    if not reason.strip():
        raise ApplicationError("Say why the month is reopened.", extra={"field": "reason"})
    close = (
        MonthClose.objects.select_for_update()
        .filter(commissioner=commissioner, year=year, month=month, reopened_at__isnull=True)
        .first()
    )
    if close is None:
        raise ApplicationError(f"{month_label(year, month)} is not closed.")
    close.reopened_at, close.reopened_by, close.reopen_reason = timezone.now(), actor, reason
    close.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
    uploads = list(
        Upload.objects.filter(commissioner=commissioner, year=year).values_list("pk", flat=True)
    )
    released = ActivityRow.objects.filter(
        year=year, month=month, held=True, upload_id__in=uploads
    ).update(held=False)
    # The totals follow; the month's next reconciliation sees its sources changed.
    ActivityTotal.objects.filter(year=year, month=month, held=True, upload_id__in=uploads).update(
        held=False
    )
    audit_record(
        actor=actor,
        event="month.reopened",
        subject=close,
        organisation=commissioner,
        before={"closed": True},
        after={"closed": False, "reason": reason, "held_rows_released": released},
    )
    return close


# --- Timetable --------------------------------------------------------------------------------


def working_day_after_month_end(*, year: int, month: int, n: int) -> dt.date:
    """The n-th working day after the end of financial month `month` of `year`, skipping
    weekends and England and Wales bank holidays (the `holidays` package)."""
    next_month_start = month_start(year, month + 1) if month < 12 else dt.date(year + 1, 4, 1)
    bank = holidays.country_holidays(
        "GB", subdiv="ENG", years=range(next_month_start.year, next_month_start.year + 2)
    )
    day, found = next_month_start, 0
    while True:
        if day.weekday() < 5 and day not in bank:
            found += 1
            if found == n:
                return day
        day += dt.timedelta(days=1)


def reconciliations_due(*, today: dt.date, working_day: int) -> list[tuple[Organisation, int, int]]:
    """(commissioner, year, month) whose reconciliation is due today on the timetable."""
    from budgets.periods import financial_year_of, month_number

    last_month_day = today.replace(day=1) - dt.timedelta(days=1)
    year, month = financial_year_of(last_month_day), month_number(last_month_day)
    if working_day_after_month_end(year=year, month=month, n=working_day) != today:
        return []
    return [
        (c, year, month)
        for c in Organisation.objects.filter(kind=OrganisationKind.COMMISSIONER)
        if Account.objects.filter(organisation=c, year=year).exists()
    ]
