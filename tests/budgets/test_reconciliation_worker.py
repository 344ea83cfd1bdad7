"""Reconciliation through a real Celery worker on PostgreSQL and Redis: the chord fans out per
locality in another process and the figures are the hand-worked ones (see
test_reconciliation.py); a second run gives identical figures."""

import time

import pytest

from budgets.activity.services.reconciliation import reconciliation_start
from budgets.models import ReconciliationRun, RunStatusReco
from tests.budgets.scenario import build
from tests.budgets.test_reconciliation import figures, load_months, position

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def wait_for(run: ReconciliationRun, seconds: int = 90) -> ReconciliationRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status != RunStatusReco.RUNNING:
            return run
        time.sleep(0.2)
    pytest.fail(f"{run} did not finish within {seconds} seconds")


def test_reconciliation_runs_in_the_worker_and_is_idempotent(cumbria, celery_worker_process):
    s = build()
    load_months(s)

    first = wait_for(
        reconciliation_start(
            actor=s["finance"], commissioner=s["icb"], year=2010, month=2, trigger="api"
        )
    )
    second = wait_for(
        reconciliation_start(
            actor=s["finance"], commissioner=s["icb"], year=2010, month=2, trigger="api"
        )
    )

    assert first.status == RunStatusReco.SUCCEEDED, first.errors
    assert (first.localities_done, first.rows) == (2, 8)
    assert position(first, "TIC-N", "SC-PBR").ytd_actual == 1_800_00
    assert position(first, "TIC-N", "PRESC").status == "red"
    assert position(first, "TIC").ytd_actual == 4_060_00
    assert figures(first) == figures(second)
