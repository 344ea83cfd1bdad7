"""Writes for outcome counts: comparators, and the import of a file of counts (through the
import pipeline: its layout and loader are in layouts.py)."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile

from consortia.errors import ApplicationError
from consortia.imports.models import Upload
from consortia.imports.services import upload_receive
from consortia.models import Organisation, User
from consortia.permissions import Action, require
from consortia.services import audit_record

from .layouts import KIND
from .models import OutcomeComparator
from .periods import PERIOD_HELP, parse_period

__all__ = ["PERIOD_HELP", "outcome_comparator_create", "outcome_import_create", "parse_period"]


def outcome_comparator_create(
    *, actor: User | None, commissioner: Organisation, code: str, name: str, actor_label: str = ""
) -> OutcomeComparator:
    """Name an area outside the tree that outcomes are compared with (idempotent by code)."""
    if actor is not None:
        require(actor, Action.MANAGE_TREE, commissioner)
    code = code.strip().upper()
    if not code or not name.strip():
        raise ApplicationError("Give the comparator a code and a name.", {"field": "code"})
    if Organisation.objects.filter(code=code).exists():
        raise ApplicationError(f"{code} is already an organisation's code.", {"field": "code"})
    comparator, created = OutcomeComparator.objects.get_or_create(
        commissioner=commissioner, code=code, defaults={"name": name.strip()}
    )
    if created:
        audit_record(
            actor=actor,
            actor_label=actor_label,
            event="outcome_comparator.created",
            subject=comparator,
            organisation=commissioner,
            after={"code": code, "name": comparator.name},
        )
    return comparator


def outcome_import_create(
    *, actor: User | None, commissioner: Organisation, upload: UploadedFile, actor_label: str = ""
) -> Upload:
    """Check every row of a file of outcome counts, then import all of it or none, at once
    (the sender waits for the answer). The upload's `status` says which, and `errors` lists each
    problem by row and column. The same file twice is refused (its content hash)."""
    return upload_receive(
        actor=actor,
        commissioner=commissioner,
        kind=KIND,
        file=upload,
        actor_label=actor_label,
    )
