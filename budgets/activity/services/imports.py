"""Activity files go through the one import pipeline (consortia/imports): their layouts, checks
and loader are declared in budgets/activity/layouts.py and loader.py. This names a file's
provider and kind the way the activity pages and API speak of them."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile

from consortia.errors import ApplicationError
from consortia.imports.layouts import layout_for
from consortia.imports.models import Upload, UploadStatus
from consortia.imports.services import upload_create
from consortia.models import Organisation, User
from consortia.money import to_pence

from ..layouts import kind_of
from ..models import Provider


def activity_import_create(
    *,
    actor: User | None,
    commissioner: Organisation,
    kind: str,
    year: int,
    month: int,
    upload: UploadedFile,
    provider: Provider | None = None,
    replaces: Upload | None = None,
    actor_label: str = "",
    declared_rows: int | None = None,
    declared_total_pence: int | None = None,
) -> Upload:
    """Accept an activity file for a month (and provider); checked and loaded in the background.
    A second file for the same month and provider must say which it revises (`replaces`)."""
    return upload_create(
        actor=actor,
        commissioner=commissioner,
        kind=kind_of(kind),
        file=upload,
        year=year,
        month=month,
        source=provider.code if provider else "",
        revision_of=replaces,
        actor_label=actor_label,
        declared_rows=declared_rows,
        declared_total_pence=declared_total_pence,
    )


def activity_file_receive(
    *,
    actor: User,
    commissioner: Organisation,
    kind: str,
    year: int,
    month: int,
    provider_code: str,
    upload: UploadedFile,
    revision: bool,
    control_rows: int | None = None,
    control_total: str = "",
) -> Upload:
    """What the upload page and the API do with a file: find its provider by code and, for a
    revision, the current file it replaces; then accept it, with the provider's control totals
    (rows, and pounds as text) if given."""
    provider = None
    if provider_code.strip() and not layout_for(kind_of(kind)).source:
        raise ApplicationError(
            f"A {layout_for(kind_of(kind)).label.lower()} file has no provider: leave the "
            "provider blank.",
            extra={"field": "provider"},
        )
    if provider_code.strip():
        provider = Provider.objects.filter(
            commissioner=commissioner, code=provider_code.strip().upper()
        ).first()
        if provider is None:
            raise ApplicationError(
                f"Unknown provider '{provider_code.strip()}'.", extra={"field": "provider"}
            )
    replaces = None
    if revision:
        replaces = Upload.objects.filter(
            commissioner=commissioner,
            kind=kind_of(kind),
            year=year,
            month=month,
            source=provider.code if provider else "",
            status=UploadStatus.COMPLETE,
        ).first()
        if replaces is None:
            raise ApplicationError(
                f"There is no current file for M{month}"
                + (f" from {provider.code}" if provider else "")
                + " to revise: untick 'revision' to send it as the month's first file.",
                extra={"field": "revision_of"},
            )
    return activity_import_create(
        actor=actor,
        commissioner=commissioner,
        kind=kind,
        year=year,
        month=month,
        provider=provider,
        upload=upload,
        replaces=replaces,
        declared_rows=control_rows,
        declared_total_pence=to_pence(control_total, field="control_total")
        if control_total.strip()
        else None,
    )
