"""PostgreSQL, real transactions on threads: the same file sent six times at once is accepted
once; the others are told it is already being imported (never a server error)."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection

from consortia.errors import ApplicationError
from consortia.imports.models import Upload
from consortia.imports.services import upload_create
from tests.imports.test_pipeline import GOOD

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_file_sent_six_times_at_once_is_accepted_once(cumbria, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL (CI runs this on PostgreSQL).")
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True  # nothing else runs: the queue is not the subject
    outcomes, start = [], threading.Barrier(6)

    def send():
        try:
            start.wait()
            upload_create(
                actor=None,
                commissioner=cumbria,
                kind="tests.toy",
                file=SimpleUploadedFile("toy.csv", GOOD.encode()),
                year=2010,
                month=1,
                enqueue=False,
            )
            outcomes.append("accepted")
        except ApplicationError:
            outcomes.append("refused")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accepted"] + ["refused"] * 5
    assert Upload.objects.filter(kind="tests.toy").count() == 1
