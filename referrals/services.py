"""Every write of the referrals app: imports, referrals and information events through the API,
peer reviews, local schemes and their activity, interests and justifications, and the rules
(age weights, outlier rule, information standards, payment on information).

Each function is one use case in one transaction, takes the acting person, checks permission
through consortia.permissions and records an audit event in the same transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from budgets.activity.services.imports import FileProblem, _hash_file, _rows
from budgets.models import Provider, TariffPrice
from budgets.periods import financial_year_of, month_number
from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind, Role, RoleAssignment, User
from consortia.permissions import Action, holds_role_over, require
from consortia.services import audit_record, notify
from localities.models import AGE_BANDS

from .layouts import INFORMATION_KINDS, LAYOUTS, PRIORITIES
from .models import (
    AgeWeighting,
    ConflictJustification,
    InformationEvent,
    InformationKind,
    InformationStandard,
    Interest,
    InterestKind,
    LocalScheme,
    OutlierRule,
    Overdispersion,
    PeerReview,
    PeerReviewNote,
    Referral,
    ReferralImport,
    ReferralImportKind,
    ReferralImportStatus,
    ReviewStatus,
    SchemeActivity,
    SchemeKind,
)
from .patients import InvalidNhsNumber, patient_key
from .periods import Period

MAX_STORED_ERRORS = 1000
BATCH = 2000


def _locality_of(node: Organisation) -> Organisation:
    return Organisation.objects.get(path="/".join(node.path.split("/")[:3]) + "/")


def _commissioner_of(node: Organisation) -> Organisation:
    return Organisation.objects.get(path="/" + node.commissioner_code + "/")


def _aware(value: dt.datetime) -> dt.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


# --- Imports ------------------------------------------------------------------------------------


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
    from .tasks import referral_import_task

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


# --- Referrals and information events through the API ----------------------------------------


def _require_data_entry(actor: User, practice: Organisation) -> None:
    """Referral and information records come from finance's feeds (county) or a locality's."""
    if practice.kind != OrganisationKind.PRACTICE:
        raise ApplicationError("Choose a practice.", extra={"field": "practice"})
    require(actor, Action.CHANGE_MONEY, practice)


@transaction.atomic
def referral_create(
    *,
    actor: User,
    practice: Organisation,
    referred_on: dt.date,
    specialty: str,
    provider: Provider,
    priority: str,
    nhs_number: str,
    clinician: str = "",
) -> Referral:
    """Record one referral. The NHS number is checked and replaced by its keyed hash."""
    _require_data_entry(actor, practice)
    if referred_on > timezone.localdate():
        raise ApplicationError(
            "The referral date is in the future.", extra={"field": "referred_on"}
        )
    if len(specialty) != 3 or not specialty.isdigit():
        raise ApplicationError(
            "The specialty is a treatment function code (3 digits).", extra={"field": "specialty"}
        )
    commissioner = _commissioner_of(practice)
    if provider.commissioner_id != commissioner.pk:
        raise ApplicationError("Unknown provider.", extra={"field": "provider"})
    try:
        key = patient_key(nhs_number)
    except InvalidNhsNumber as exc:
        raise ApplicationError(str(exc), extra={"field": "nhs_number"}) from exc
    referral = Referral.objects.create(
        commissioner=commissioner,
        locality=_locality_of(practice),
        practice=practice,
        referred_on=referred_on,
        year=financial_year_of(referred_on),
        month=month_number(referred_on),
        specialty=specialty,
        provider=provider,
        priority=priority,
        clinician=clinician.strip()[:20],
        patient_key=key,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        event="referral.recorded",
        subject=referral,
        organisation=practice,
        after={"specialty": specialty, "provider": provider.code, "priority": priority},
    )
    return referral


@transaction.atomic
def information_event_create(
    *,
    actor: User,
    practice: Organisation,
    provider: Provider,
    reference: str,
    kind: str,
    specialty: str,
    occurred_at: dt.datetime,
    received_at: dt.datetime | None = None,
    nhs_number: str = "",
) -> InformationEvent:
    """Record an attendance or discharge the GP is owed information about (and its arrival,
    if known)."""
    _require_data_entry(actor, practice)
    commissioner = _commissioner_of(practice)
    if provider.commissioner_id != commissioner.pk:
        raise ApplicationError("Unknown provider.", extra={"field": "provider"})
    if InformationEvent.objects.filter(provider=provider, reference=reference).exists():
        raise ApplicationError(
            f"{provider.code} reference {reference} is already recorded; record its arrival "
            "instead.",
            extra={"field": "reference"},
        )
    occurred_at = _aware(occurred_at)
    received_at = _aware(received_at) if received_at else None
    if received_at and received_at < occurred_at:
        raise ApplicationError(
            "The information cannot arrive before the event.", extra={"field": "received_at"}
        )
    key = ""
    if nhs_number:
        try:
            key = patient_key(nhs_number)
        except InvalidNhsNumber as exc:
            raise ApplicationError(str(exc), extra={"field": "nhs_number"}) from exc
    local = timezone.localtime(occurred_at).date()
    event = InformationEvent.objects.create(
        commissioner=commissioner,
        locality=_locality_of(practice),
        practice=practice,
        provider=provider,
        reference=reference,
        kind=InformationKind(kind),
        specialty=specialty,
        occurred_at=occurred_at,
        received_at=received_at,
        delay_hours=_delay_hours(occurred_at, received_at),
        year=financial_year_of(local),
        month=month_number(local),
        patient_key=key,
    )
    audit_record(
        actor=actor,
        event="information_event.recorded",
        subject=event,
        organisation=practice,
        after={"provider": provider.code, "reference": reference, "kind": kind},
    )
    return event


@transaction.atomic
def information_received_record(
    *, actor: User, event: InformationEvent, received_at: dt.datetime
) -> InformationEvent:
    """The information has reached the GP: any payment held for it is released."""
    _require_data_entry(actor, event.practice)
    event = InformationEvent.objects.select_for_update().get(pk=event.pk)
    received_at = _aware(received_at)
    if event.received_at is not None:
        raise ApplicationError(
            f"Already received on {timezone.localtime(event.received_at):%d %b %Y %H:%M}.",
            extra={"field": "received_at"},
        )
    if received_at < event.occurred_at:
        raise ApplicationError(
            "The information cannot arrive before the event.", extra={"field": "received_at"}
        )
    event.received_at = received_at
    event.delay_hours = _delay_hours(event.occurred_at, received_at)
    event.save(update_fields=["received_at", "delay_hours"])
    audit_record(
        actor=actor,
        event="information_event.received",
        subject=event,
        organisation=event.practice,
        before={"received_at": None},
        after={"received_at": received_at.isoformat(), "delay_hours": event.delay_hours},
    )
    return event


@transaction.atomic
def provider_payment_on_information_set(
    *, actor: User | None, provider: Provider, enabled: bool, actor_label: str = ""
) -> Provider:
    """Switch payment on information on or off for a provider's contract (finance)."""
    if actor is not None:
        if not holds_role_over(actor, Role.PCT_FINANCE, provider.commissioner):
            raise PermissionDenied("Only PCT finance changes a contract's payment terms.")
        require(actor, Action.CHANGE_MONEY, provider.commissioner)
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if provider.payment_on_information == enabled:
        return provider
    provider.payment_on_information = enabled
    provider.save(update_fields=["payment_on_information"])
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="provider.payment_on_information",
        subject=provider,
        organisation=provider.commissioner,
        before={"payment_on_information": not enabled},
        after={"payment_on_information": enabled},
    )
    return provider


# --- Rules ----------------------------------------------------------------------------------


@transaction.atomic
def age_weighting_record(
    *,
    actor: User | None,
    commissioner: Organisation,
    measure: str,
    effective_from: dt.date,
    weights: dict[str, str],
    source: str,
    actor_label: str = "",
) -> AgeWeighting:
    """Record relative use by age band for a measure (a new version; history kept)."""
    if actor is not None:
        require(actor, Action.MANAGE_TREE, commissioner)
    if set(weights) != set(AGE_BANDS):
        raise ApplicationError(
            f"Give a weight for every age band: {', '.join(AGE_BANDS)}.",
            extra={"field": "weights"},
        )
    try:
        parsed = {band: Decimal(str(w)) for band, w in weights.items()}
    except InvalidOperation as exc:
        raise ApplicationError("Weights are decimal numbers.", extra={"field": "weights"}) from exc
    if any(w < 0 for w in parsed.values()):
        raise ApplicationError("Weights must not be negative.", extra={"field": "weights"})
    row, created = AgeWeighting.objects.get_or_create(
        commissioner=commissioner,
        measure=measure,
        effective_from=effective_from,
        defaults={"weights": {b: str(w) for b, w in parsed.items()}, "source": source},
    )
    if created:
        audit_record(
            actor=actor,
            actor_label=actor_label,
            event="age_weighting.recorded",
            subject=row,
            organisation=commissioner,
            after={"measure": measure, "weights": row.weights, "source": source},
        )
    return row


@transaction.atomic
def outlier_rule_record(
    *,
    actor: User | None,
    commissioner: Organisation,
    effective_from: dt.date,
    limit: str,
    overdispersion: str,
    approved_by: str,
    actor_label: str = "",
) -> OutlierRule:
    if actor is not None:
        require(actor, Action.MANAGE_TREE, commissioner)
    if limit not in ("95", "99.8"):
        raise ApplicationError("The outlier limit is 95 or 99.8.", extra={"field": "limit"})
    rule, created = OutlierRule.objects.get_or_create(
        commissioner=commissioner,
        effective_from=effective_from,
        defaults={
            "limit": limit,
            "overdispersion": Overdispersion(overdispersion),
            "approved_by": approved_by,
        },
    )
    if created:
        audit_record(
            actor=actor,
            actor_label=actor_label,
            event="outlier_rule.recorded",
            subject=rule,
            organisation=commissioner,
            after={"limit": limit, "overdispersion": overdispersion, "approved_by": approved_by},
        )
    return rule


@transaction.atomic
def information_standard_record(
    *,
    actor: User | None,
    commissioner: Organisation,
    kind: str,
    effective_from: dt.date,
    within_hours: int,
    source: str,
    actor_label: str = "",
) -> InformationStandard:
    if actor is not None:
        require(actor, Action.MANAGE_TREE, commissioner)
    if within_hours <= 0:
        raise ApplicationError("A standard is a positive number of hours.")
    row, created = InformationStandard.objects.get_or_create(
        commissioner=commissioner,
        kind=InformationKind(kind),
        effective_from=effective_from,
        defaults={"within_hours": within_hours, "source": source},
    )
    if created:
        audit_record(
            actor=actor,
            actor_label=actor_label,
            event="information_standard.recorded",
            subject=row,
            organisation=commissioner,
            after={"kind": kind, "within_hours": within_hours, "source": source},
        )
    return row


# --- Peer review ------------------------------------------------------------------------------


@transaction.atomic
def peer_review_open(
    *,
    actor: User,
    practice: Organisation,
    measure: str,
    period: Period,
    discussion: str,
    actions: str,
    follow_up_on: dt.date,
    peers: Organisation | None = None,
    weighted: bool = True,
    opened_on: dt.date | None = None,
) -> PeerReview:
    """A lead GP opens a review of a practice in their locality: the practice's position
    against its peers is kept as it was seen, with the discussion, the agreed actions and the
    follow-up date. The practice's members are told."""
    from .selectors import commissioner_of, comparison

    if practice.kind != OrganisationKind.PRACTICE:
        raise ApplicationError("Choose a practice.", extra={"field": "practice"})
    require(actor, Action.PEER_REVIEW, practice)
    opened_on = opened_on or timezone.localdate()
    if not discussion.strip():
        raise ApplicationError("Record the discussion.", extra={"field": "discussion"})
    if follow_up_on <= opened_on:
        raise ApplicationError(
            "Choose a follow-up date after today.", extra={"field": "follow_up_on"}
        )
    if PeerReview.objects.filter(
        practice=practice, measure=measure, status=ReviewStatus.OPEN
    ).exists():
        raise ApplicationError(
            f"{practice.name} already has an open review of this measure: add to it instead.",
            extra={"field": "practice"},
        )
    commissioner = commissioner_of(practice)
    data = comparison(
        user=actor,
        commissioner=commissioner,
        measure=measure,
        period=period,
        peers=peers,
        weighted=weighted,
    )
    row = next((r for r in data.rows if r.practice_id == practice.pk), None)
    if row is None:
        raise ApplicationError(
            f"{practice.name} has no figures for {data.measure_name} in {period.label}.",
            extra={"field": "period"},
        )
    key = "998" if data.outlier_limit == "99.8" else "95"
    review = PeerReview.objects.create(
        practice=practice,
        locality=_locality_of(practice),
        measure=measure,
        year=period.year,
        quarter=period.quarter,
        opened_by=actor,
        opened_on=opened_on,
        follow_up_on=follow_up_on,
        position={
            "measure_name": data.measure_name,
            "period": period.code,
            "period_label": period.label,
            "peers": data.peers.code,
            "peers_name": data.peers.name,
            "weighted": weighted,
            "unit": data.unit,
            "observed": row.observed,
            "population": row.population,
            "rate": round(row.rate, 2),
            "peer_rate": round(data.funnel.target, 2),
            "lower": round(getattr(row, f"lower{key}"), 2),
            "upper": round(getattr(row, f"upper{key}"), 2),
            "limit": data.outlier_limit,
            "flag": row.flag,
            "practices": len(data.rows),
        },
    )
    PeerReviewNote.objects.create(
        review=review,
        recorded_by=actor,
        discussion=discussion.strip(),
        actions=actions.strip(),
        follow_up_on=follow_up_on,
    )
    audit_record(
        actor=actor,
        event="peer_review.opened",
        subject=review,
        organisation=practice,
        after={"measure": measure, "period": period.code, "position": review.position},
    )
    members = User.objects.filter(
        role_assignments__role=Role.PRACTICE_MEMBER,
        role_assignments__organisation=practice,
        role_assignments__ends_on__isnull=True,
    ).distinct()
    notify(
        users=list(members),
        subject=f"Peer review opened: {data.measure_name} at {practice.name}",
        body=(
            f"{actor} opened a peer review of {data.measure_name} for {period.label}. "
            f"Follow-up on {follow_up_on:%d %B %Y}."
        ),
        url=f"/referrals/reviews/{review.pk}/",
    )
    return review


def _open_review_for_update(actor: User, review: PeerReview) -> PeerReview:
    require(actor, Action.PEER_REVIEW, review.practice)
    review = PeerReview.objects.select_for_update().get(pk=review.pk)
    if review.status != ReviewStatus.OPEN:
        raise ApplicationError("This review is closed; open a new one if needed.")
    return review


@transaction.atomic
def peer_review_note_add(
    *,
    actor: User,
    review: PeerReview,
    discussion: str,
    actions: str = "",
    follow_up_on: dt.date | None = None,
) -> PeerReviewNote:
    """Add to a review's history: a further discussion, actions, a new follow-up date."""
    review = _open_review_for_update(actor, review)
    if not discussion.strip():
        raise ApplicationError("Record the discussion.", extra={"field": "discussion"})
    before = {"follow_up_on": review.follow_up_on.isoformat()}
    if follow_up_on is not None:
        if follow_up_on < review.opened_on:
            raise ApplicationError(
                "The follow-up cannot be before the review opened.",
                extra={"field": "follow_up_on"},
            )
        review.follow_up_on = follow_up_on
        review.save(update_fields=["follow_up_on"])
    note = PeerReviewNote.objects.create(
        review=review,
        recorded_by=actor,
        discussion=discussion.strip(),
        actions=actions.strip(),
        follow_up_on=follow_up_on,
    )
    audit_record(
        actor=actor,
        event="peer_review.noted",
        subject=review,
        organisation=review.practice,
        before=before,
        after={"follow_up_on": review.follow_up_on.isoformat(), "note": note.pk},
    )
    return note


@transaction.atomic
def peer_review_close(*, actor: User, review: PeerReview, outcome: str) -> PeerReview:
    review = _open_review_for_update(actor, review)
    if not outcome.strip():
        raise ApplicationError("Say what the review concluded.", extra={"field": "outcome"})
    review.status = ReviewStatus.CLOSED
    review.closed_on = timezone.localdate()
    review.outcome = outcome.strip()
    review.save(update_fields=["status", "closed_on", "outcome"])
    audit_record(
        actor=actor,
        event="peer_review.closed",
        subject=review,
        organisation=review.practice,
        before={"status": "open"},
        after={"status": "closed", "outcome": review.outcome},
    )
    return review


# --- Local schemes and conflicts of interest --------------------------------------------------


def _require_commissioning(actor: User | None, node: Organisation) -> None:
    if node.kind == OrganisationKind.PRACTICE:
        raise ApplicationError(
            "A scheme is commissioned by a locality, a sub-locality or the commissioner.",
            extra={"field": "commissioning_node"},
        )
    if actor is not None:
        require(actor, Action.CHANGE_MONEY, node)


def _justify_conflicts(
    *, actor: User | None, scheme: LocalScheme, justification: str
) -> list[ConflictJustification]:
    from .selectors import scheme_conflicts

    unjustified = [
        c for c in scheme_conflicts(schemes=[scheme]).get(scheme.pk, []) if c.justification is None
    ]
    if not unjustified:
        return []
    if not justification.strip():
        names = "; ".join(f"{c.holder}: {c.interest.nature}" for c in unjustified)
        raise ApplicationError(
            f"A decision maker has declared an interest in {scheme.provider.name} ({names}). "
            "Record the good medical reason for commissioning from this provider.",
            extra={
                "field": "justification",
                "conflicts": [
                    {"interest": c.interest.pk, "holder": c.holder, "nature": c.interest.nature}
                    for c in unjustified
                ],
            },
        )
    out = []
    for conflict in unjustified:
        row = ConflictJustification.objects.create(
            scheme=scheme,
            interest=conflict.interest,
            justification=justification.strip(),
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            event="conflict.justified",
            subject=row,
            organisation=scheme.commissioning_node,
            after={
                "scheme": scheme.name,
                "interest": conflict.interest.pk,
                "holder": conflict.holder,
                "justification": row.justification,
            },
        )
        out.append(row)
    return out


@transaction.atomic
def scheme_register(
    *,
    actor: User | None,
    commissioning_node: Organisation,
    name: str,
    kind: str,
    provider: Provider,
    started_on: dt.date,
    tariff_price: int,
    tariff_description: str,
    price_per_case: int | None = None,
    investment: int = 0,
    specialty: str = "",
    tariff: TariffPrice | None = None,
    description: str = "",
    justification: str = "",
    actor_label: str = "",
) -> LocalScheme:
    """Register a local scheme. If one of the commissioning locality's decision makers has an
    interest in the provider, a justification (the good medical reason) is required and
    recorded; it appears on the public register of interests."""
    _require_commissioning(actor, commissioning_node)
    if not name.strip():
        raise ApplicationError("Name the scheme.", extra={"field": "name"})
    if provider.commissioner.path != "/" + commissioning_node.commissioner_code + "/":
        raise ApplicationError("Unknown provider.", extra={"field": "provider"})
    if tariff_price <= 0:
        raise ApplicationError(
            "Give the tariff price of the activity the scheme replaces.",
            extra={"field": "tariff_price"},
        )
    if price_per_case is not None and price_per_case < 0:
        raise ApplicationError("A price cannot be negative.", extra={"field": "price_per_case"})
    scheme = LocalScheme.objects.create(
        commissioning_node=commissioning_node,
        name=name.strip(),
        kind=SchemeKind(kind),
        provider=provider,
        specialty=specialty,
        started_on=started_on,
        price_per_case=price_per_case,
        tariff=tariff,
        tariff_price=tariff_price,
        tariff_description=tariff_description,
        investment=investment,
        description=description,
        registered_by=actor,
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="scheme.registered",
        subject=scheme,
        organisation=commissioning_node,
        after={
            "provider": provider.code,
            "price_per_case": price_per_case,
            "tariff_price": tariff_price,
            "investment": investment,
        },
    )
    _justify_conflicts(actor=actor, scheme=scheme, justification=justification)
    return scheme


@transaction.atomic
def conflict_justify(
    *, actor: User | None, scheme: LocalScheme, justification: str
) -> list[ConflictJustification]:
    """Record the justification for a scheme's conflicts of interest not yet justified (e.g.
    an interest declared after the scheme was registered)."""
    _require_commissioning(actor, scheme.commissioning_node)
    rows = _justify_conflicts(actor=actor, scheme=scheme, justification=justification)
    if not rows:
        raise ApplicationError("This scheme has no conflict of interest awaiting justification.")
    return rows


@transaction.atomic
def scheme_activity_record(
    *,
    actor: User | None,
    scheme: LocalScheme,
    year: int,
    month: int,
    cases: int,
    cost: int | None = None,
    actor_label: str = "",
) -> SchemeActivity:
    """Record a month's cases (cost = cases × price per case unless given). Recording a month
    again replaces its figures (audited, before and after)."""
    _require_commissioning(actor, scheme.commissioning_node)
    if not 1 <= month <= 12:
        raise ApplicationError("Choose a month from M1 (April) to M12 (March).")
    if cases < 0:
        raise ApplicationError("Cases cannot be negative.", extra={"field": "cases"})
    if cost is None:
        if scheme.price_per_case is None:
            raise ApplicationError(
                "This scheme has no price per case: give the month's cost.",
                extra={"field": "cost"},
            )
        cost = cases * scheme.price_per_case
    if cost < 0:
        raise ApplicationError("A cost cannot be negative.", extra={"field": "cost"})
    existing = (
        SchemeActivity.objects.select_for_update()
        .filter(scheme=scheme, year=year, month=month)
        .first()
    )
    before = {"cases": existing.cases, "cost": existing.cost} if existing else None
    if existing and before == {"cases": cases, "cost": cost}:
        return existing
    row, _ = SchemeActivity.objects.update_or_create(
        scheme=scheme,
        year=year,
        month=month,
        defaults={"cases": cases, "cost": cost, "recorded_by": actor},
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="scheme.activity_recorded",
        subject=scheme,
        organisation=scheme.commissioning_node,
        before=before,
        after={"year": year, "month": month, "cases": cases, "cost": cost},
    )
    return row


@transaction.atomic
def interest_declare(
    *,
    actor: User,
    provider: Provider,
    kind: str,
    nature: str,
    declared_on: dt.date | None = None,
    practice: Organisation | None = None,
) -> Interest:
    """Declare the actor's own interest in a provider, or their practice's (a member of the
    practice or its locality's lead GP declares for a practice). Public once declared."""
    if not nature.strip():
        raise ApplicationError("Describe the interest.", extra={"field": "nature"})
    if practice is not None:
        if practice.kind != OrganisationKind.PRACTICE:
            raise ApplicationError("Choose a practice.", extra={"field": "practice"})
        if not (
            holds_role_over(actor, Role.PRACTICE_MEMBER, practice)
            or holds_role_over(actor, Role.LOCALITY_LEAD, practice)
        ):
            raise PermissionDenied("Only the practice's members or lead GP declare for it.")
    elif not RoleAssignment.objects.filter(user=actor).exists():
        raise PermissionDenied("Only people with a role in the consortium declare interests.")
    interest = Interest.objects.create(
        clinician=None if practice else actor,
        practice=practice,
        provider=provider,
        kind=InterestKind(kind),
        nature=nature.strip(),
        declared_on=declared_on or timezone.localdate(),
        declared_by=actor,
    )
    audit_record(
        actor=actor,
        event="interest.declared",
        subject=interest,
        organisation=practice or provider.commissioner,
        after={
            "holder": str(practice or actor),
            "provider": provider.code,
            "kind": kind,
            "nature": interest.nature,
        },
    )
    return interest


@transaction.atomic
def interest_end(*, actor: User, interest: Interest, ended_on: dt.date) -> Interest:
    """An interest has ended (kept on the register with its end date)."""
    if interest.declared_by_id != actor.pk and not (
        interest.practice and holds_role_over(actor, Role.LOCALITY_LEAD, interest.practice)
    ):
        raise PermissionDenied("Only whoever declared an interest ends it.")
    if ended_on < interest.declared_on:
        raise ApplicationError(
            "An interest cannot end before it was declared.", extra={"field": "ended_on"}
        )
    before = {"ended_on": interest.ended_on.isoformat() if interest.ended_on else None}
    interest.ended_on = ended_on
    interest.save(update_fields=["ended_on"])
    audit_record(
        actor=actor,
        event="interest.ended",
        subject=interest,
        organisation=interest.practice or interest.provider.commissioner,
        before=before,
        after={"ended_on": ended_on.isoformat()},
    )
    return interest


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    """A small CSV in memory (the demo's and the tests' files)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()
