"""Celery tasks: thin interfaces that load ids and call the services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def referral_import_task(self, import_id: int) -> str:
    from .services import referral_import_process

    return referral_import_process(import_id=import_id).status
