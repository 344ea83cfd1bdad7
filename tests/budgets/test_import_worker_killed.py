"""A real Celery worker killed in the middle of an import: nothing of the file is loaded, and the
upload is failed (not left running for ever) so the month can take the file again."""

import datetime as dt
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from budgets.activity.services.imports import activity_import_create
from budgets.models import ActivityRow
from consortia.imports.models import Upload, UploadStatus
from consortia.imports.services import progress_key, uploads_reap
from tests.budgets.scenario import HOSPITAL_HEADER, build

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
ROWS = 600_000


@pytest.fixture
def small_batch_worker(monkeypatch, request):
    """A worker that checks and loads in batches of 2,000 rows: a large file takes long enough
    to be killed in the middle."""
    monkeypatch.setenv("IMPORT_BATCH_ROWS", "2000")
    return request.getfixturevalue("celery_worker_process")


def _wait_for_the_workers_transaction_to_end() -> None:
    """PostgreSQL rolls back a killed client's transaction once it sees the socket close."""
    deadline = time.monotonic() + 60
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            )
            if cursor.fetchone()[0] == 0:
                return
            assert time.monotonic() < deadline, "the killed worker's transaction is still open"
            time.sleep(0.1)


def _big_file() -> bytes:
    lines = [HOSPITAL_HEADER.rstrip("\n")]
    lines += [f"RXX,Y0000{1 + n % 2},M1,EL,AA11A,{n + 1},,Y,N" for n in range(ROWS)]
    return ("\n".join(lines) + "\n").encode()


def test_a_worker_killed_mid_import_leaves_nothing_loaded_and_the_upload_failed(
    cumbria, small_batch_worker
):
    s = build()
    upload = activity_import_create(
        actor=s["finance"],
        commissioner=s["icb"],
        kind="hospital",
        year=2010,
        month=1,
        provider=s["provider"],
        upload=SimpleUploadedFile("big.csv", _big_file()),
    )
    deadline = time.monotonic() + 120
    while (cache.get(progress_key(upload.pk)) or 0) < 10_000:  # the worker is loading
        assert time.monotonic() < deadline, "the worker never started the file"
        upload.refresh_from_db()
        assert upload.status in (UploadStatus.QUEUED, UploadStatus.RUNNING), upload.message
        time.sleep(0.05)

    small_batch_worker.kill()
    small_batch_worker.wait(timeout=30)

    upload.refresh_from_db()
    assert upload.status == UploadStatus.RUNNING  # as the worker left it
    _wait_for_the_workers_transaction_to_end()
    assert not ActivityRow.objects.filter(upload_id=upload.pk).exists()
    later = timezone.now() + dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    assert uploads_reap(now=later) == [upload.pk]
    upload = Upload.objects.get(pk=upload.pk)
    assert upload.status == UploadStatus.FAILED and "nothing was imported" in upload.message
