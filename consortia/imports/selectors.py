"""Reads of the import pipeline: which uploads a user may see, and how far one has got."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404

from consortia.permissions import Action, can, filter_by_scope

from .models import FileKept, Upload, UploadStatus
from .services import progress_key


def uploads_visible_to(user, *, kinds: list[str] | None = None) -> QuerySet[Upload]:
    """Uploads of the commissioners where the user may see money (the same for every kind)."""
    uploads = Upload.objects.select_related("commissioner", "uploaded_by")
    if kinds is not None:
        uploads = uploads.filter(kind__in=kinds)
    return filter_by_scope(uploads, user, Action.VIEW_MONEY, prefix="commissioner__")


def upload_may_view(user, upload: Upload) -> bool:
    """Whether the user may see this upload: its layout's rule, else who sees the money."""
    rule = upload.layout.may_view
    if rule is not None:
        return rule(user, upload)
    return can(user, Action.VIEW_MONEY, upload.commissioner)


def upload_get_visible(user, pk, *, kinds: list[str] | None = None) -> Upload:
    """The upload, or 404 alike for one that does not exist and one the user may not see."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk < 2**63:
        raise Http404
    uploads = Upload.objects.select_related("commissioner", "uploaded_by")
    if kinds is not None:
        uploads = uploads.filter(kind__in=kinds)
    upload = uploads.filter(pk=pk).first()
    if upload is None or not upload_may_view(user, upload):
        raise Http404
    return upload


def upload_file_downloadable(user, upload: Upload) -> bool:
    """Whether the user may download the file itself again: it is still kept, and they may
    upload files of its kind for its commissioner (finance, for activity)."""
    return (
        upload.file_kept == FileKept.KEPT
        and bool(upload.file)
        and can(user, Action(upload.layout.permission), upload.commissioner)
    )


def upload_progress(upload: Upload) -> tuple[int, int | None]:
    """(rows checked so far, rows expected) for an upload being processed."""
    if upload.status == UploadStatus.RUNNING:
        return cache.get(progress_key(upload.pk), 0), upload.rows_total
    if upload.status == UploadStatus.QUEUED:
        return 0, upload.rows_total
    return upload.rows_total or 0, upload.rows_total


def upload_status_context(upload: Upload, *, status_url: str) -> dict:
    """What templates/imports/_status.html needs to show an upload's status and progress."""
    done, total = upload_progress(upload)
    running = upload.status in (UploadStatus.QUEUED, UploadStatus.RUNNING)
    return {
        "upload": upload,
        "status_url": status_url,
        "done": done,
        "total": total,
        "percent": min(int(100 * done / total), 99) if running and total else 0,
        "running": running,
    }
