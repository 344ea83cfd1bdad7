"""Referral and information-event imports: validate every row, then load everything or nothing,
recorded (file hash, period, who, counts) so that re-running is harmless."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from budgets.activity.services.imports import FileProblem, _hash_file, _rows
from budgets.models import Provider
from budgets.periods import financial_year_of, month_number
from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind, User
from consortia.permissions import Action, require
from consortia.services import audit_record

from ..layouts import INFORMATION_KINDS, LAYOUTS, PRIORITIES
from ..models import (
    InformationEvent,
    Referral,
    ReferralImport,
    ReferralImportKind,
    ReferralImportStatus,
)
from ..patients import InvalidNhsNumber, patient_key
from .common import _aware

MAX_STORED_ERRORS = 1000


BATCH = 2000


@transaction.atomic
def referral_import_create(
    *,
    actor: User | None,
    commissioner: Organisation,
    kind: str,
    upload: UploadedFile,
    actor_label: str = "",
) -> ReferralImport:
    """Accept a referrals or information-events file; it is checked and loaded in the
    background. The same file twice is refused (content hash)."""
    if actor is not None:
        require(actor, Action.CHANGE_MONEY, commissioner)
    kind = ReferralImportKind(kind)
    name = os.path.basename(upload.name or "upload")
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ApplicationError("Upload a CSV or XLSX file.", extra={"field": "file"})
    content_hash = _hash_file(upload)
    duplicate = (
        ReferralImport.objects.filter(
            commissioner=commissioner, kind=kind, content_hash=content_hash
        )
        .exclude(status=ReferralImportStatus.FAILED)
        .first()
    )
    if duplicate:
        raise ApplicationError(
            f"This file was already imported as #{duplicate.pk} ({duplicate.original_name}, "
            f"{duplicate.uploaded_at:%d %b %Y}). Nothing was imported again.",
            extra={"field": "file", "duplicate_of": duplicate.pk},
        )
    record = ReferralImport(
        commissioner=commissioner,
        kind=kind,
        original_name=name,
        content_hash=content_hash,
        uploaded_by=actor,
    )
    record.file.save(name, upload, save=False)
    record.save()
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="referral_import.uploaded",
        subject=record,
        organisation=commissioner,
        after={"kind": kind, "file": name, "sha256": content_hash},
    )
    from ..tasks import referral_import_task

    transaction.on_commit(lambda: referral_import_task.delay(record.pk))
    return record


def _xlsx_cell(value) -> str:
    """An XLSX cell as text; dates and times keep their day (ISO), unlike activity months."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    return str(value).strip()


def _file_rows(path: str, name: str) -> Iterator[list[str]]:
    """The header then each row as strings, streaming: the activity import's reader for CSV,
    and for XLSX one that keeps whole dates (the activity reader turns them into months)."""
    if not name.lower().endswith(".xlsx"):
        yield from _rows(path, name)
        return
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FileProblem(1, "", "This is not a readable XLSX workbook.") from exc
    try:
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_xlsx_cell(v) for v in values]
    finally:
        workbook.close()


@dataclass
class _Context:
    record: ReferralImport
    practices: dict[str, tuple[int, str]]  # code -> (id, path)
    localities: dict[str, int]  # path -> id
    providers: dict[str, int]
    today: dt.date
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    seen: dict[tuple, int] = field(default_factory=dict)

    def error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})


def _context(record: ReferralImport) -> _Context:
    commissioner = record.commissioner
    practices = {
        code: (pk, path)
        for pk, code, path in Organisation.objects.filter(
            path__startswith=commissioner.path, kind=OrganisationKind.PRACTICE
        ).values_list("id", "code", "path")
    }
    localities = dict(
        Organisation.objects.filter(
            parent=commissioner, kind=OrganisationKind.LOCALITY
        ).values_list("path", "id")
    )
    providers = dict(Provider.objects.filter(commissioner=commissioner).values_list("code", "id"))
    return _Context(record, practices, localities, providers, timezone.localdate())


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _datetime(value: str) -> dt.datetime | None:
    """ "2010-06-01", "2010-06-01 14:30" or ISO 8601; a date alone is midnight (local)."""
    text = value.strip().replace("T", " ")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return _aware(parsed)


def _practice(ctx: _Context, number: int, code: str) -> tuple[int, int] | None:
    found = ctx.practices.get(code.strip().upper())
    if found is None:
        ctx.error(number, "practice_code", f"Unknown practice '{code}'.")
        return None
    pk, path = found
    return pk, ctx.localities["/".join(path.split("/")[:3]) + "/"]


def _specialty(ctx: _Context, number: int, value: str) -> str | None:
    code = value.strip()
    if len(code) != 3 or not code.isdigit():
        ctx.error(number, "specialty", f"'{value}' is not a treatment function code (3 digits).")
        return None
    return code


def _provider(ctx: _Context, number: int, code: str) -> int | None:
    found = ctx.providers.get(code.strip().upper())
    if found is None:
        ctx.error(number, "provider_code", f"Unknown provider '{code}'.")
    return found


def _patient(ctx: _Context, number: int, value: str, *, required: bool) -> str | None:
    if not value.strip() and not required:
        return ""
    try:
        return patient_key(value)
    except InvalidNhsNumber as exc:
        ctx.error(number, "nhs_number", str(exc))
        return None


def _check_referral(ctx: _Context, number: int, row: dict[str, str]) -> list | None:
    before = ctx.error_count
    practice = _practice(ctx, number, row["practice_code"])
    referred_on = _date(row["referred_on"])
    if referred_on is None:
        ctx.error(number, "referred_on", f"'{row['referred_on']}' is not a date (YYYY-MM-DD).")
    elif referred_on > ctx.today:
        ctx.error(number, "referred_on", f"{referred_on} is in the future.")
    specialty = _specialty(ctx, number, row["specialty"])
    provider = _provider(ctx, number, row["provider_code"])
    priority = PRIORITIES.get(row["priority"].strip().lower())
    if priority is None:
        ctx.error(
            number, "priority", f"'{row['priority']}' is not routine, urgent or two-week wait."
        )
    clinician = row.get("clinician", "").strip()
    if len(clinician) > 20:
        ctx.error(number, "clinician", "A clinician code has at most 20 characters.")
    key = _patient(ctx, number, row["nhs_number"], required=True)
    if ctx.error_count > before:
        return None
    duplicate = (practice[0], referred_on, specialty, provider, key)
    if duplicate in ctx.seen:
        ctx.error(number, "", f"Duplicate of row {ctx.seen[duplicate]}: the same referral twice.")
        return None
    ctx.seen[duplicate] = number
    return [number, practice[0], practice[1], referred_on.isoformat(), specialty, provider,
            priority, clinician, key]  # fmt: skip


def _check_event(ctx: _Context, number: int, row: dict[str, str]) -> list | None:
    before = ctx.error_count
    provider = _provider(ctx, number, row["provider_code"])
    reference = row["reference"].strip()
    if not reference or len(reference) > 40:
        ctx.error(number, "reference", "Give the provider's reference (at most 40 characters).")
    practice = _practice(ctx, number, row["practice_code"])
    kind = INFORMATION_KINDS.get(row["kind"].strip().lower())
    if kind is None:
        ctx.error(number, "kind", f"'{row['kind']}' is not clinic_letter or discharge_summary.")
    specialty = _specialty(ctx, number, row["specialty"])
    occurred = _datetime(row["occurred"])
    if occurred is None:
        ctx.error(number, "occurred", f"'{row['occurred']}' is not a date (YYYY-MM-DD HH:MM).")
    received = None
    if row.get("received", "").strip():
        received = _datetime(row["received"])
        if received is None:
            ctx.error(number, "received", f"'{row['received']}' is not a date (YYYY-MM-DD HH:MM).")
        elif occurred is not None and received < occurred:
            ctx.error(number, "received", "The information cannot arrive before the event.")
    key = _patient(ctx, number, row.get("nhs_number", ""), required=False)
    if ctx.error_count > before:
        return None
    if (provider, reference) in ctx.seen:
        ctx.error(
            number,
            "reference",
            f"Duplicate of row {ctx.seen[(provider, reference)]}: reference {reference} twice.",
        )
        return None
    ctx.seen[(provider, reference)] = number
    return [number, provider, reference, practice[0], practice[1], kind, specialty,
            occurred.isoformat(), received.isoformat() if received else "", key]  # fmt: skip


def _fail(record: ReferralImport, ctx: _Context, message: str) -> ReferralImport:
    record.status = ReferralImportStatus.FAILED
    record.finished_at = timezone.now()
    record.message = message
    record.errors = ctx.errors
    record.error_count = ctx.error_count
    record.save()
    audit_record(
        actor=record.uploaded_by,
        event="referral_import.failed",
        subject=record,
        organisation=record.commissioner,
        after={"errors": record.error_count, "message": message},
    )
    return record


def _staged(path: str) -> Iterator[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        yield from csv.reader(handle)


def _load_referrals(record: ReferralImport, path: str) -> int:
    batch, loaded = [], 0
    for (
        _number,
        practice,
        locality,
        referred_on,
        specialty,
        provider,
        priority,
        clinician,
        key,
    ) in _staged(path):
        day = dt.date.fromisoformat(referred_on)
        batch.append(
            Referral(
                referral_import=record,
                commissioner_id=record.commissioner_id,
                locality_id=int(locality),
                practice_id=int(practice),
                referred_on=day,
                year=financial_year_of(day),
                month=month_number(day),
                specialty=specialty,
                provider_id=int(provider),
                priority=priority,
                clinician=clinician,
                patient_key=key,
                created_by=record.uploaded_by,
            )
        )
        if len(batch) >= BATCH:
            loaded += len(Referral.objects.bulk_create(batch))
            batch = []
    loaded += len(Referral.objects.bulk_create(batch))
    return loaded


def _event_fields(values: list[str]) -> dict:
    _, provider, reference, practice, locality, kind, specialty, occurred, received, key = values
    occurred_at = dt.datetime.fromisoformat(occurred)
    received_at = dt.datetime.fromisoformat(received) if received else None
    local = timezone.localtime(occurred_at).date()
    return {
        "provider_id": int(provider),
        "reference": reference,
        "practice_id": int(practice),
        "locality_id": int(locality),
        "kind": kind,
        "specialty": specialty,
        "occurred_at": occurred_at,
        "received_at": received_at,
        "year": financial_year_of(local),
        "month": month_number(local),
        "delay_hours": _delay_hours(occurred_at, received_at),
        "patient_key": key,
    }


def _delay_hours(occurred: dt.datetime, received: dt.datetime | None) -> int | None:
    """Whole hours from the event to receipt, rounded up: 24h 1m is 25 hours, late for a
    24-hour standard."""
    if received is None:
        return None
    seconds = (received - occurred).total_seconds()
    return int(-(-seconds // 3600))


def _load_events(record: ReferralImport, path: str, ctx: _Context) -> tuple[int, int]:
    """Create new events; record arrival for known references that had none. A known
    reference with other details, or a different arrival already recorded, is a row error
    (and then nothing is loaded: the caller rolls back)."""
    rows = list(_staged(path))  # validated rows (the file was checked in a stream)
    existing = {}
    keys = [(int(r[1]), r[2]) for r in rows]
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        for event in InformationEvent.objects.filter(
            provider_id__in={p for p, _ in chunk}, reference__in=[ref for _, ref in chunk]
        ):
            existing[(event.provider_id, event.reference)] = event
    created, updated, new = 0, 0, []
    for values in rows:
        fields = _event_fields(values)
        number = int(values[0])
        event = existing.get((fields["provider_id"], fields["reference"]))
        if event is None:
            new.append(
                InformationEvent(
                    information_import=record, commissioner_id=record.commissioner_id, **fields
                )
            )
            continue
        same = all(
            getattr(event, name) == fields[name]
            for name in ("practice_id", "kind", "specialty", "occurred_at")
        )
        if not same:
            ctx.error(
                number,
                "reference",
                f"Reference {event.reference} was recorded before with other details "
                "(practice, kind, specialty or date).",
            )
        elif fields["received_at"] is None or event.received_at == fields["received_at"]:
            continue  # nothing new
        elif event.received_at is not None:
            ctx.error(
                number,
                "received",
                f"Reference {event.reference} was already received on "
                f"{timezone.localtime(event.received_at):%d %b %Y %H:%M}.",
            )
        else:
            event.received_at = fields["received_at"]
            event.delay_hours = fields["delay_hours"]
            event.save(update_fields=["received_at", "delay_hours"])
            updated += 1
        if len(new) >= BATCH:
            created += len(InformationEvent.objects.bulk_create(new))
            new = []
    created += len(InformationEvent.objects.bulk_create(new))
    return created, updated


def referral_import_process(*, import_id: int) -> ReferralImport:
    """Check every row of an uploaded file (streaming), then load it all or nothing.

    Same rules as activity imports: errors by row and column, at most 1,000 stored; a file with
    any error loads nothing. Safe to re-run: only a queued file is claimed.
    """
    claimed = ReferralImport.objects.filter(
        pk=import_id, status=ReferralImportStatus.QUEUED
    ).update(status=ReferralImportStatus.RUNNING)
    record = ReferralImport.objects.select_related("commissioner").get(pk=import_id)
    if not claimed:
        return record
    ctx = _context(record)
    columns = LAYOUTS[record.kind]
    required = [c.name for c in columns if c.required]
    optional = [c.name for c in columns if not c.required]
    check = _check_referral if record.kind == ReferralImportKind.REFERRALS else _check_event
    number = 1
    with tempfile.NamedTemporaryFile(
        "w", suffix=".csv", delete=False, encoding="utf-8", newline=""
    ) as staging:
        staged_path = staging.name
        writer = csv.writer(staging)
        try:
            rows = _file_rows(record.file.path, record.original_name)
            header = [h.strip().lower() for h in next(rows, [])]
            missing = [c for c in required if c not in header]
            for column in missing:
                ctx.error(1, column, f"The column '{column}' is missing (see the template).")
            if missing:
                os.unlink(staged_path)
                return _fail(record, ctx, f"{len(missing)} required column(s) missing.")
            index = {name: header.index(name) for name in required + optional if name in header}
            for values in rows:
                number += 1
                if not any(values):
                    continue
                row = {name: (values[i] if i < len(values) else "") for name, i in index.items()}
                checked = check(ctx, number, row)
                if checked is not None:
                    writer.writerow(checked)
        except FileProblem as problem:
            ctx.error(**problem.error)
            os.unlink(staged_path)
            return _fail(record, ctx, problem.error["message"])
    record.rows_total = number - 1
    try:
        # Information rows are also checked against what was recorded before (in the load's
        # transaction, rolled back on any error), so every problem is listed at once.
        with transaction.atomic():
            created = updated = 0
            if record.kind == ReferralImportKind.INFORMATION:
                created, updated = _load_events(record, staged_path, ctx)
            elif not ctx.error_count:
                created = _load_referrals(record, staged_path)
            if ctx.error_count:
                transaction.set_rollback(True)
            else:
                record.rows_imported, record.rows_updated = created, updated
                record.status = ReferralImportStatus.COMPLETE
                record.finished_at = timezone.now()
                record.message = f"{created} rows imported" + (
                    f"; {updated} information events now received." if updated else "."
                )
                record.save()
                audit_record(
                    actor=record.uploaded_by,
                    event="referral_import.completed",
                    subject=record,
                    organisation=record.commissioner,
                    after={"created": created, "updated": updated},
                )
    finally:
        os.unlink(staged_path)
    if ctx.error_count:
        ctx.errors.sort(key=lambda e: e["row"])
        return _fail(
            record,
            ctx,
            f"{ctx.error_count} problem(s) found: nothing was imported. "
            "Correct the rows listed and upload the file again.",
        )
    return record


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    """A small CSV in memory (the demo's and the tests' files)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()
