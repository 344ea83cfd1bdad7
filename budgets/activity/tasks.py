"""Celery tasks for activity: thin interfaces that load ids and call the services.

Each keeps the name it had in budgets/tasks.py, which re-exports them for Celery's autodiscovery:
queued messages and the beat schedule in the database name a task by it."""

from __future__ import annotations

import logging

from celery import chord, shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from consortia.models import Organisation, OrganisationKind

logger = logging.getLogger(__name__)


@shared_task(name="budgets.tasks.reconcile_run_task")
def reconcile_run_task(run_id: int) -> None:
    """Fan out one task per locality, then finish (positions and alerts) in the chord's body."""
    from .models import ReconciliationRun

    run = ReconciliationRun.objects.get(pk=run_id)
    localities = Organisation.objects.filter(
        parent=run.commissioner, kind=OrganisationKind.LOCALITY
    ).values_list("pk", flat=True)
    header = [reconcile_locality_task.s(run_id, pk) for pk in localities]
    body = reconcile_finish_task.si(run_id).on_error(reconcile_failed_task.s(run_id))
    chord(header)(body)


@shared_task(
    name="budgets.tasks.reconcile_locality_task",
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def reconcile_locality_task(self, run_id: int, locality_id: int) -> int:
    from .models import ReconciliationRun
    from .services.reconciliation import reconcile_locality

    run = ReconciliationRun.objects.select_related("commissioner").get(pk=run_id)
    return reconcile_locality(run=run, locality=Organisation.objects.get(pk=locality_id))


@shared_task(
    name="budgets.tasks.reconcile_finish_task",
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def reconcile_finish_task(self, run_id: int) -> str:
    from .models import ReconciliationRun
    from .services.reconciliation import reconciliation_finish

    run = ReconciliationRun.objects.select_related("commissioner").get(pk=run_id)
    return reconciliation_finish(run=run).status


@shared_task(name="budgets.tasks.reconcile_failed_task")
def reconcile_failed_task(request, exc, traceback, run_id: int) -> None:
    from .models import ReconciliationRun
    from .services.reconciliation import reconciliation_fail

    reconciliation_fail(run=ReconciliationRun.objects.get(pk=run_id), error=repr(exc))


@shared_task(name="budgets.tasks.reconcile_due_task")
def reconcile_due_task() -> list[int]:
    """Beat runs this daily: start the reconciliations due today on the working-day timetable."""
    from .services.reconciliation import reconciliation_start, reconciliations_due

    runs = []
    for commissioner, year, month in reconciliations_due(
        today=timezone.localdate(), working_day=settings.RECONCILE_WORKING_DAY
    ):
        runs.append(
            reconciliation_start(
                actor=None, commissioner=commissioner, year=year, month=month, trigger="schedule"
            ).pk
        )
    return runs
