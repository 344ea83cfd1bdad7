"""Celery finds an app's tasks in `<app>.tasks`: the tasks live with their part
(budgets/activity/tasks.py) and keep their names, budgets.tasks.<name>."""

from .activity.tasks import (
    reconcile_actuals_task,
    reconcile_due_task,
    reconcile_failed_task,
    reconcile_finish_task,
    reconcile_locality_task,
    reconcile_run_task,
)

__all__ = [
    "reconcile_actuals_task",
    "reconcile_due_task",
    "reconcile_failed_task",
    "reconcile_finish_task",
    "reconcile_locality_task",
    "reconcile_run_task",
]
