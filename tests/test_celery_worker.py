"""A task really leaves the web process, runs in a Celery worker, and its result comes back."""

import os

import pytest

from consortia.tasks import worker_ping

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_task_runs_in_a_real_worker_process_and_returns_its_result(celery_worker_process):
    result = worker_ping.delay().get(timeout=30)

    assert result["pid"] == celery_worker_process.pid
    assert result["pid"] != os.getpid()
