"""Referral and information-event files go through the one import pipeline (consortia/imports):
their layouts, checks and loaders are declared in referrals/layouts.py."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import UploadedFile

from consortia.imports.models import Upload
from consortia.imports.services import upload_create
from consortia.models import Organisation, User

from ..layouts import LAYOUTS


def referral_import_create(
    *,
    actor: User | None,
    commissioner: Organisation,
    kind: str,
    upload: UploadedFile,
    actor_label: str = "",
) -> Upload:
    """Accept a referrals or information-events file ("referrals" or "information"); it is
    checked and loaded in the background. The same file twice is refused (content hash)."""
    return upload_create(
        actor=actor,
        commissioner=commissioner,
        kind=LAYOUTS[kind],
        file=upload,
        actor_label=actor_label,
    )


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    """A small CSV in memory (the demo's and the tests' files)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()
