"""Celery tasks of the import pipeline: thin interfaces that call the services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def upload_process_task(self, upload_id: int) -> str:
    from .services import upload_process

    return upload_process(upload_id=upload_id).status


@shared_task
def uploads_reap_task() -> list[int]:
    """Beat runs this: fail uploads whose worker died, so a month is never blocked by them."""
    from .services import uploads_reap

    return uploads_reap()


@shared_task
def upload_files_expire_task() -> int:
    """Beat runs this daily: delete kept files past the retention period."""
    from .services import upload_files_expire

    return upload_files_expire()
