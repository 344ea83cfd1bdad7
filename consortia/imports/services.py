"""Every write of the import pipeline: receive a file, process it, keep or delete it.

The rules, the same for every kind of file:
- **Duplicates of files.** The same file (SHA-256 of its bytes) is accepted once per commissioner
  and kind, unless the earlier attempt failed or was superseded (sent again as a revision, it
  restores the earlier figures).
- **Revisions.** Where a layout has a period, a second file for the same period (and sender)
  must say which upload it revises; when it completes, the earlier one is marked superseded. Its
  rows stay in history; readers count only complete uploads.
- **All or nothing.** Every row is checked; with any error (or any row repeating an earlier one)
  nothing is loaded, and the report names the row and column of each problem (the first 1000 are
  kept, and the count of all).
- **Retention.** A failed file is deleted once its report is written; a file holding patient
  identifiers is deleted once checked (only keyed hashes reach the database); other files are
  kept for `IMPORT_FILE_RETENTION_DAYS` (six years: NHS Records Management Code of Practice,
  financial records), then deleted by a scheduled task. The upload record itself is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import time
from dataclasses import dataclass, field

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from consortia.errors import ApplicationError
from consortia.models import Organisation, User
from consortia.money import format_money
from consortia.permissions import Action, require
from consortia.services import audit_record

from .checking import check_batch
from .duplicates import DuplicateFinder
from .layouts import Layout, LoadResult, layout_for, year_label
from .models import FileKept, Upload, UploadStatus
from .reading import FileProblem, estimate_rows, file_batches

logger = logging.getLogger(__name__)
MAX_STORED_ERRORS = 1000
CURRENT = (UploadStatus.QUEUED, UploadStatus.RUNNING, UploadStatus.COMPLETE)


def _hash_file(handle) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def progress_key(upload_id: int) -> str:
    return f"imports:progress:{upload_id}"


def _period_check(layout: Layout, year: int | None, month: int | None) -> None:
    if layout.period in ("month", "year") and year is None:
        raise ApplicationError("Choose the financial year of the file.", extra={"field": "year"})
    if layout.period == "month" and (month is None or not 1 <= month <= 12):
        raise ApplicationError(
            "Choose a month from M1 (April) to M12 (March).", extra={"field": "month"}
        )


@transaction.atomic
def upload_create(
    *,
    actor: User | None,
    commissioner: Organisation,
    kind: str,
    file: UploadedFile,
    year: int | None = None,
    month: int | None = None,
    source: str = "",
    revision_of: Upload | None = None,
    actor_label: str = "",
    declared_rows: int | None = None,
    declared_total_pence: int | None = None,
    as_of: dt.date | None = None,
    enqueue: bool = True,
) -> Upload:
    """Accept a file for import; it is checked and loaded in the background (unless `enqueue`
    is false: see `upload_receive`).

    Refused at once: a file that is not CSV or XLSX, empty, or over the size limit; the same
    file a second time; a second file for a period without saying which it revises. The
    sender's control totals (rows, pence), if given, are checked once the file is read.
    """
    layout = layout_for(kind)
    if actor is not None:
        require(actor, Action(layout.permission), commissioner)
    if layout.period is None:
        year = month = None
    elif layout.period == "year":
        month = None
    _period_check(layout, year, month)
    if declared_rows is not None and declared_rows < 0:
        raise ApplicationError(
            "The control total of rows is a whole number, 0 or more.",
            extra={"field": "declared_rows"},
        )
    if declared_total_pence is not None and not layout.money_column:
        raise ApplicationError(
            f"A {layout.label.lower()} file has no money to total.",
            extra={"field": "declared_total"},
        )
    if layout.as_of and as_of is None:
        raise ApplicationError(
            "Give the date the file's figures are for (e.g. the list-size quarter's date).",
            extra={"field": "as_of"},
        )
    if not layout.as_of:
        as_of = None
    if not layout.source:
        source = ""  # a kind without a sender's code: a period has one current file
    if layout.source and not source:
        raise ApplicationError(
            f"Choose the {layout.source} this file comes from.", extra={"field": "source"}
        )
    name = os.path.basename(file.name or "upload")
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ApplicationError("Upload a CSV or XLSX file.", extra={"field": "file"})
    size = file.size or 0
    if size == 0:
        raise ApplicationError("The file is empty.", extra={"field": "file"})
    limit = settings.IMPORT_MAX_FILE_BYTES
    if size > limit:
        raise ApplicationError(
            f"The file is {size / 2**20:,.0f} MB, over the limit of {limit / 2**20:,.0f} MB.",
            extra={"field": "file"},
        )
    content_hash = _hash_file(file)
    # One upload at a time per commissioner passes the checks below, so the same file sent twice
    # at once, or two files for one period, cannot both be accepted.
    Organisation.objects.select_for_update().filter(pk=commissioner.pk).first()
    same = (
        Upload.objects.filter(commissioner=commissioner, kind=kind, content_hash=content_hash)
        .exclude(status__in=[UploadStatus.FAILED, UploadStatus.SUPERSEDED])
        .first()
    )
    if same:
        raise ApplicationError(
            f"This file was already imported as #{same.pk} ({same.original_name}, "
            f"{timezone.localtime(same.uploaded_at):%d %b %Y}). Nothing was imported again.",
            extra={"field": "file", "duplicate_of": same.pk},
        )
    if layout.period is not None:
        earlier = Upload.objects.filter(
            commissioner=commissioner,
            kind=kind,
            year=year,
            month=month,
            source=source,
            status__in=CURRENT,
        ).first()
        if earlier and (revision_of is None or revision_of.pk != earlier.pk):
            period = year_label(year) + (f" M{month}" if month else "")
            raise ApplicationError(
                f"{earlier} already covers {period}"
                + (f" for {source}" if source else "")
                + ". If this file is a revision, say so and it will replace that one (both are "
                "kept in the history).",
                extra={"field": "revision_of", "earlier": earlier.pk},
            )
        if revision_of is not None and earlier is None:
            raise ApplicationError(
                "The file it revises is not a current import for this period.",
                extra={"field": "revision_of"},
            )
        if earlier is not None and earlier.status != UploadStatus.COMPLETE:
            raise ApplicationError(
                f"{earlier} is still being checked: wait for it to finish, then revise it.",
                extra={"field": "revision_of", "earlier": earlier.pk},
            )
    upload = Upload(
        commissioner=commissioner,
        kind=kind,
        year=year,
        month=month,
        source=source,
        original_name=name,
        size_bytes=size,
        content_hash=content_hash,
        revision_of=revision_of,
        uploaded_by=actor,
        declared_rows=declared_rows,
        declared_total_pence=declared_total_pence,
        as_of=as_of,
    )
    upload.file.save(name, file, save=False)
    try:
        with transaction.atomic():
            upload.save()
    except IntegrityError:  # the same file, sent twice at the same moment
        upload.file.delete(save=False)
        raise ApplicationError(
            "This file is being imported already (sent twice at once). Nothing was imported again.",
            extra={"field": "file"},
        ) from None
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="import.uploaded",
        subject=upload,
        organisation=commissioner,
        after={
            "kind": kind,
            "year": year,
            "month": month,
            "source": source,
            "as_of": as_of.isoformat() if as_of else None,
            "file": name,
            "bytes": size,
            "sha256": content_hash,
            "revision_of": revision_of.pk if revision_of else None,
            "control_rows": declared_rows,
            "control_total": None
            if declared_total_pence is None
            else format_money(declared_total_pence),
        },
    )
    if enqueue:
        transaction.on_commit(lambda: upload_enqueue(upload_id=upload.pk))
    return upload


def upload_receive(**kwargs) -> Upload:
    """Accept a small file and process it at once, in this process, for a sender who waits for
    the answer (reference data, outcomes): the same checks and loading as in the background."""
    upload = upload_create(**kwargs, enqueue=False)
    return upload_process(upload_id=upload.pk)


def upload_require_complete(upload: Upload) -> Upload:
    """The upload, if it loaded; else the error an API answers a waiting sender with: how many
    problems, and each by row and column."""
    if upload.status != UploadStatus.COMPLETE:
        raise ApplicationError(
            f"{upload.error_count} problem{'s' if upload.error_count != 1 else ''}: nothing was "
            "imported. Correct the rows listed and import the file again.",
            {"import": upload.pk, "errors": upload.errors},
        )
    return upload


def upload_enqueue(*, upload_id: int) -> None:
    """Queue the processing; if the queue cannot be reached, the upload fails at once and says
    so (it is never left queued with nothing to finish it)."""
    from .tasks import upload_process_task

    try:
        upload_process_task.delay(upload_id)
    except Exception as exc:  # the broker is down: Redis unreachable, or refusing
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.exception("could not queue upload %s", upload_id)
        upload = Upload.objects.get(pk=upload_id)
        if upload.status == UploadStatus.QUEUED:
            _fail(
                upload,
                ErrorLog(),
                "The file could not be queued for checking (the job queue is unreachable): "
                "nothing was imported. Upload it again in a few minutes.",
            )
        del exc


# Ten digits, perhaps spaced or hyphenated as NHS numbers are written.
TEN_DIGITS = re.compile(r"(?<!\d)(?:\d[ -]?){9}\d(?!\d)")


@dataclass
class ErrorLog:
    """The problems found, in row order: all counted, the first 1000 kept. For a file holding
    patient identifiers, anything in a message that could be an NHS number is masked (a number
    typed into the wrong column is quoted back by its column's rule)."""

    count: int = 0
    stored: list[dict] = field(default_factory=list)
    redact: bool = False

    def _message(self, message: str) -> str:
        return TEN_DIGITS.sub("[number not shown]", message) if self.redact else message

    def add(self, row: int, column: str, message: str) -> None:
        self.count += 1
        if len(self.stored) < MAX_STORED_ERRORS:
            self.stored.append({"row": row, "column": column, "message": self._message(message)})

    def add_frame(self, errors) -> None:
        if not errors.height:
            return
        room = MAX_STORED_ERRORS - len(self.stored)
        if room > 0:
            self.stored += [
                {"row": r, "column": c, "message": self._message(m)}
                for r, c, m in errors.head(room).select("row", "column", "message").iter_rows()
            ]
        self.count += errors.height

    def sorted(self) -> list[dict]:
        return sorted(self.stored, key=lambda e: e["row"])[:MAX_STORED_ERRORS]


def _retain(upload: Upload) -> None:
    """Apply the retention rule to a processed file (see the module docstring)."""
    if upload.status == UploadStatus.FAILED:
        outcome = FileKept.DELETED
    elif upload.layout.patient_identifiers:
        outcome = FileKept.NOT_KEPT
    else:
        upload.file_kept = FileKept.KEPT
        return
    if upload.file:
        upload.file.delete(save=False)
    upload.file_kept = outcome
    upload.file_deleted_at = timezone.now()


def _fail(upload: Upload, errors: ErrorLog, message: str) -> Upload:
    upload.status = UploadStatus.FAILED
    upload.finished_at = timezone.now()
    upload.message = message[:500]
    upload.errors = errors.sorted()
    upload.error_count = errors.count
    upload.rows_loaded = upload.rows_held = upload.rows_updated = 0
    _retain(upload)
    upload.save()
    cache.delete(progress_key(upload.pk))
    audit_record(
        actor=upload.uploaded_by,
        event="import.failed",
        subject=upload,
        organisation=upload.commissioner,
        after={"kind": upload.kind, "errors": upload.error_count, "message": upload.message},
    )
    return upload


def _complete(upload: Upload, result: LoadResult, rows: int, total: int | None) -> None:
    upload.status = UploadStatus.COMPLETE
    upload.finished_at = timezone.now()
    upload.rows_total = rows
    upload.rows_loaded, upload.rows_held, upload.rows_updated = (
        result.loaded,
        result.held,
        result.updated,
    )
    upload.total_pence = total
    parts = [f"{result.loaded:,} row{'' if result.loaded == 1 else 's'} imported"]
    if result.updated:
        parts.append(f"{result.updated:,} earlier rows updated")
    if result.held:
        parts.append(f"{result.held:,} held for closed months until they are reopened")
    if result.skipped:
        parts.append(
            f"{result.skipped:,} rows of organisations outside the tree, with nothing "
            "to record, skipped"
        )
    upload.message = "; ".join(parts) + "."
    _retain(upload)
    upload.save()
    cache.delete(progress_key(upload.pk))
    if upload.revision_of_id:
        Upload.objects.filter(pk=upload.revision_of_id).update(status=UploadStatus.SUPERSEDED)
    audit_record(
        actor=upload.uploaded_by,
        event="import.completed",
        subject=upload,
        organisation=upload.commissioner,
        after={
            "kind": upload.kind,
            "rows": result.loaded,
            "held": result.held,
            "updated": result.updated,
            "total": None if total is None else format_money(total),
            "revision_of": upload.revision_of_id,
        },
    )


def _claim(upload_id: int) -> tuple[Upload, bool]:
    """Take the upload for this worker. A claim older than the task time limit belongs to a
    worker that was killed (its load rolled back with its connection): it may be retaken."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimed = (
        Upload.objects.filter(pk=upload_id)
        .filter(
            Q(status=UploadStatus.QUEUED) | Q(status=UploadStatus.RUNNING, claimed_at__lt=stale)
        )
        .update(status=UploadStatus.RUNNING, claimed_at=now)
    )
    upload = Upload.objects.select_related("commissioner").get(pk=upload_id)
    return upload, bool(claimed)


def _still_ours(upload: Upload) -> bool:
    current = Upload.objects.select_for_update().get(pk=upload.pk)
    return current.claimed_at == upload.claimed_at and current.status == UploadStatus.RUNNING


def upload_process(*, upload_id: int) -> Upload:
    """Check every row of an uploaded file, then load it all or nothing. Safe to re-run."""
    upload, claimed = _claim(upload_id)
    if not claimed:
        return upload  # finished already, or another worker has it
    layout = upload.layout
    errors = ErrorLog(redact=layout.patient_identifiers)
    started = time.perf_counter()
    if not upload.file:
        return _fail(upload, errors, "The file is no longer held: upload it again.")
    path = upload.file.path
    try:
        header, batches = file_batches(path, upload.original_name, layout)
    except FileProblem as problem:
        errors.add(**problem.error)
        return _fail(upload, errors, problem.error["message"])
    if header.missing:
        for column in header.missing:
            errors.add(1, column, f"The column '{column}' is missing (see the template).")
        return _fail(upload, errors, f"{len(header.missing)} required column(s) missing.")
    Upload.objects.filter(pk=upload.pk).update(rows_total=estimate_rows(path, upload.original_name))
    ctx = layout.context(upload)
    state = {"rows": 0, "total": 0}

    def checked_batches(duplicates: DuplicateFinder):
        for batch in batches:
            checked = check_batch(layout, batch, ctx)
            state["rows"] += checked.row_count
            state["total"] += checked.money_total
            errors.add_frame(checked.errors)
            if checked.hashes is not None:
                duplicates.add(checked.rows["row_number"], checked.hashes)
            cache.set(progress_key(upload.pk), state["rows"], timeout=24 * 3600)
            if not errors.count or layout.loader_checks:
                yield checked.rows

    try:
        with DuplicateFinder() as duplicates, transaction.atomic():
            if not _still_ours(upload):
                return Upload.objects.get(pk=upload.pk)
            good = checked_batches(duplicates)
            result = layout.loader(upload, good, ctx)
            for _ in good:  # a loader that stopped early: the rest is still checked
                pass
            for row, column, message in result.errors:
                errors.add(row, column, message)
            repeats, pairs = duplicates.duplicates()
            for row, first in pairs:
                errors.add(row, "", f"Duplicate of row {first}: {layout.duplicate_what}.")
            errors.count += repeats - len(pairs)
            if not state["rows"] and not errors.count:
                errors.add(2, "", "The file has a header but no rows of data.")
            if not errors.count:
                _control_totals_check(upload, errors, state["rows"], state["total"])
            if errors.count:
                transaction.set_rollback(True)
            else:
                _complete(
                    upload, result, state["rows"], state["total"] if layout.money_column else None
                )
    except FileProblem as problem:
        errors.add(**problem.error)
        return _fail(upload, errors, problem.error["message"])
    except OperationalError:
        raise  # the database went away: the task retries, and the reaper is the backstop
    except SoftTimeLimitExceeded:
        minutes = settings.CELERY_TASK_SOFT_TIME_LIMIT // 60
        errors.add(1, "", f"Checking the file took longer than {minutes} minutes, the limit.")
        return _fail(
            upload,
            errors,
            f"Stopped after {minutes} minutes (the limit): nothing was imported. Split the file "
            "by month or provider and upload the parts.",
        )
    except Exception:  # a fault of ours, not of the file: say so, never leave it running
        logger.exception("upload %s (%s) stopped by an unexpected error", upload.pk, upload.kind)
        return _fail(
            upload,
            errors,
            "An unexpected error stopped the check: nothing was imported. It has been logged "
            "for the team; try again later or contact support.",
        )
    logger.info(
        "upload %s (%s): %s rows in %.2fs, %s errors",
        upload.pk,
        upload.kind,
        state["rows"],
        time.perf_counter() - started,
        errors.count,
    )
    if errors.count:
        upload.rows_total = state["rows"]
        only_duplicates = all(e["message"].startswith("Duplicate of row") for e in errors.stored)
        if not state["rows"]:
            message = "The file has a header but no rows of data: nothing was imported."
        elif only_duplicates:
            message = f"{errors.count:,} duplicate row(s): nothing was imported."
        else:
            message = (
                f"{errors.count:,} problem(s) found: nothing was imported. Correct the rows "
                "listed and upload the file again."
            )
        return _fail(upload, errors, message)
    return upload


def _control_totals_check(upload: Upload, errors: ErrorLog, rows: int, total: int) -> None:
    """A file must match the control totals its sender declared (rows and pounds)."""
    if upload.declared_rows is not None and rows != upload.declared_rows:
        errors.add(
            1,
            "",
            f"The file has {rows:,} rows of data; its control total says "
            f"{upload.declared_rows:,}. Nothing was imported: check with the sender which is right.",
        )
    if upload.declared_total_pence is not None and total != upload.declared_total_pence:
        errors.add(
            1,
            upload.layout.money_column or "",
            f"The file's rows add up to {format_money(total)}; its control total says "
            f"{format_money(upload.declared_total_pence)}. Nothing was imported: check with the "
            "sender which is right.",
        )


def uploads_reap(*, now: dt.datetime | None = None) -> list[int]:
    """Fail uploads whose worker died or never started (queued or running past the task time
    limit): their load rolled back with the worker's connection, so nothing was imported."""
    now = now or timezone.now()
    limit = dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    stale = Upload.objects.filter(
        Q(status=UploadStatus.RUNNING, claimed_at__lt=now - limit)
        | Q(status=UploadStatus.QUEUED, uploaded_at__lt=now - limit)
    )
    reaped = []
    for upload in stale:
        with transaction.atomic():
            locked = Upload.objects.select_for_update().get(pk=upload.pk)
            if locked.status not in (UploadStatus.QUEUED, UploadStatus.RUNNING):
                continue
            _fail(
                locked,
                ErrorLog(),
                "The check stopped before it finished (the worker stopped or the queue lost "
                "it): nothing was imported. Upload the file again.",
            )
            reaped.append(locked.pk)
    return reaped


def upload_files_expire(*, now: dt.datetime | None = None) -> int:
    """Delete kept files past the retention period; the upload records stay."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    expired = 0
    for upload in Upload.objects.filter(file_kept=FileKept.KEPT, uploaded_at__lt=cutoff):
        if upload.file:
            upload.file.delete(save=False)
        Upload.objects.filter(pk=upload.pk).update(
            file="", file_kept=FileKept.DELETED, file_deleted_at=now
        )
        expired += 1
    return expired
