"""Celery tasks for activity: thin interfaces that load ids and call the services.

Each keeps the name it had in budgets/tasks.py, which re-exports them for Celery's autodiscovery:
queued messages and the beat schedule in the database name a task by it."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(name="budgets.tasks.reconcile_run_task")
def reconcile_run_task(run_id: int) -> None:
    """Sum every locality's actuals (one transaction), then finish: positions and alerts."""
    (reconcile_actuals_task.si(run_id) | reconcile_finish_task.si(run_id)).on_error(
        reconcile_failed_task.s(run_id)
    ).delay()


@shared_task(
    name="budgets.tasks.reconcile_actuals_task",
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def reconcile_actuals_task(self, run_id: int) -> int:
    from .models import ReconciliationRun
    from .services.reconciliation import reconcile_actuals

    run = ReconciliationRun.objects.select_related("commissioner").get(pk=run_id)
    return reconcile_actuals(run=run)


@shared_task(name="budgets.tasks.reconcile_locality_task")
def reconcile_locality_task(run_id: int, locality_id: int) -> int:
    """Queued by a run started before every locality was summed at once: does the same."""
    return reconcile_actuals_task(run_id)


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
