"""Activity imports: check every row, then load everything or nothing.

Upload (`activity_import_create`) stores the file and queues `activity_import_process` (a Celery
task calls it). Processing streams the file (CSV or XLSX) row by row — never whole into memory —
checks each row, and writes the normalised rows to a temporary CSV file. Only if no row has an
error are they loaded: on PostgreSQL through COPY into an unlogged staging table, elsewhere in
batches; duplicates are found set-based in staging; one INSERT ... SELECT moves them into the
activity table (partitioned by year on PostgreSQL). A failed file leaves nothing behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from budgets.ledger.models import BudgetLine
from budgets.periods import month_number, year_label
from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind, User
from consortia.permissions import Action, require
from consortia.services import audit_record

from ..layouts import LAYOUTS, LINE_CODES
from ..models import (
    ActivityImport,
    ActivityStaging,
    ImportKind,
    ImportStatus,
    MonthClose,
    PointOfDelivery,
    Provider,
    TariffPrice,
)

logger = logging.getLogger(__name__)
MAX_STORED_ERRORS = 1000
PROGRESS_EVERY = 5000
STAGING_COLUMNS = ["activity_import_id", "row_number", "year", "month", "locality_id", "organisation_id",
                   "line_id", "provider_id", "pod", "code", "activity", "cost", "row_key"]  # fmt: skip
YES, NO = {"Y", "YES", "TRUE", "1"}, {"N", "NO", "FALSE", "0"}


def _hash_file(handle) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


@transaction.atomic
def activity_import_create(
    *,
    actor: User | None,
    commissioner: Organisation,
    kind: str,
    year: int,
    month: int,
    upload: UploadedFile,
    provider: Provider | None = None,
    replaces: ActivityImport | None = None,
    actor_label: str = "",
) -> ActivityImport:
    """Accept a file for import (checked and loaded in the background).

    The same file twice is refused (content hash). A file for a provider and month that already
    has an import must say it is a revision (`replaces`): the earlier one is kept in history.
    """
    if actor is not None:
        require(actor, Action.CHANGE_MONEY, commissioner)
    kind = ImportKind(kind)
    if not 1 <= month <= 12:
        raise ApplicationError(
            "Choose a month from M1 (April) to M12 (March).", extra={"field": "month"}
        )
    if kind in (ImportKind.HOSPITAL, ImportKind.EXCLUDED) and provider is None:
        raise ApplicationError(
            "Choose the provider this file comes from.", extra={"field": "provider"}
        )
    name = os.path.basename(upload.name or "upload")
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ApplicationError("Upload a CSV or XLSX file.", extra={"field": "file"})
    content_hash = _hash_file(upload)
    duplicate = (
        ActivityImport.objects.filter(
            commissioner=commissioner, kind=kind, content_hash=content_hash
        )
        .exclude(status=ImportStatus.FAILED)
        .first()
    )
    if duplicate:
        raise ApplicationError(
            f"This file was already imported as #{duplicate.pk} ({duplicate.original_name}, "
            f"{duplicate.uploaded_at:%d %b %Y}). Nothing was imported again.",
            extra={"field": "file", "duplicate_of": duplicate.pk},
        )
    earlier = ActivityImport.objects.filter(
        commissioner=commissioner,
        kind=kind,
        year=year,
        month=month,
        provider=provider,
        status__in=[ImportStatus.COMPLETE, ImportStatus.QUEUED, ImportStatus.RUNNING],
    ).first()
    if earlier and (replaces is None or replaces.pk != earlier.pk):
        raise ApplicationError(
            f"{earlier} already covers {year_label(year)} M{month}"
            + (f" for {provider.name}" if provider else "")
            + ". If this file is a revision, say so and it will replace that one (both are kept"
            " in the history).",
            extra={"field": "replaces", "earlier": earlier.pk},
        )
    if replaces is not None and earlier is None:
        raise ApplicationError(
            "The file it replaces is not a current import for this period.",
            extra={"field": "replaces"},
        )
    record = ActivityImport(
        commissioner=commissioner,
        kind=kind,
        year=year,
        month=month,
        provider=provider,
        original_name=name,
        content_hash=content_hash,
        replaces=replaces,
        uploaded_by=actor,
    )
    record.file.save(name, upload, save=False)
    record.save()
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="activity_import.uploaded",
        subject=record,
        organisation=commissioner,
        after={
            "kind": kind,
            "year": year,
            "month": month,
            "file": name,
            "sha256": content_hash,
            "replaces": replaces.pk if replaces else None,
        },
    )
    from ..tasks import activity_import_task

    transaction.on_commit(lambda: activity_import_task.delay(record.pk))
    return record


# --- Reading rows -----------------------------------------------------------------------------


class FileProblem(Exception):
    """The file cannot be read further (encoding, format)."""

    def __init__(self, row: int, column: str, message: str):
        super().__init__(message)
        self.error = {"row": row, "column": column, "message": message}


def _cell(value) -> str:
    """An XLSX cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m")
    return str(value).strip()


def _rows(path: str, name: str) -> Iterator[list[str]]:
    """Yield the header, then each row, as lists of strings, streaming."""
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise FileProblem(1, "", "This is not a readable XLSX workbook.") from exc
        try:
            for values in workbook.worksheets[0].iter_rows(values_only=True):
                yield [_cell(v) for v in values]
        finally:
            workbook.close()
        return
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        line = 1
        try:
            for row in reader:
                yield [v.strip() for v in row]
                line += 1
        except UnicodeDecodeError as exc:
            raise FileProblem(
                line,
                "",
                "The file is not UTF-8 text. In Excel choose 'Save As' > "
                "'CSV UTF-8 (Comma delimited)', then upload it again.",
            ) from exc
        except csv.Error as exc:
            raise FileProblem(line, "", f"The CSV is malformed: {exc}.") from exc


def _count_rows(path: str, name: str) -> int | None:
    """Data rows in the file (for the progress bar), counted without holding it in memory."""
    if name.lower().endswith(".xlsx"):
        return None
    count = 0
    with open(path, "rb") as raw:
        for chunk in iter(lambda: raw.read(1024 * 1024), b""):
            count += chunk.count(b"\n")
    return max(count - 1, 0)


# --- Checking rows ----------------------------------------------------------------------------


@dataclass
class Context:
    record: ActivityImport
    practices: dict[str, int]
    nodes: dict[str, int]  # locality and sub-locality codes (community)
    providers: dict[str, Provider]
    tariff: dict[tuple[str, str], int]
    lines: dict[str, int]
    closed_months: set[int]
    locality_of: dict[int, int]  # organisation id -> its locality's id
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0

    def error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})


def _context(record: ActivityImport) -> Context:
    commissioner = record.commissioner
    nodes = Organisation.objects.filter(path__startswith=commissioner.path)
    paths = dict(nodes.values_list("id", "path"))
    locality_ids = {path: pk for pk, path in paths.items() if path.count("/") == 3}
    locality_of = {
        pk: locality_ids["/".join(path.split("/")[:3]) + "/"]
        for pk, path in paths.items()
        if path.count("/") >= 3
    }
    lines = dict(BudgetLine.objects.filter(commissioner=commissioner).values_list("code", "id"))
    return Context(
        record=record,
        practices=dict(nodes.filter(kind=OrganisationKind.PRACTICE).values_list("code", "id")),
        nodes=dict(
            nodes.filter(
                kind__in=[OrganisationKind.LOCALITY, OrganisationKind.SUB_LOCALITY]
            ).values_list("code", "id")
        ),
        providers={p.code: p for p in Provider.objects.filter(commissioner=commissioner)},
        tariff={
            (code, pod): price
            for code, pod, price in TariffPrice.objects.filter(year=record.year).values_list(
                "code", "pod", "price"
            )
        },
        lines=lines,
        locality_of=locality_of,
        closed_months=set(
            MonthClose.objects.filter(
                commissioner=commissioner, year=record.year, reopened_at__isnull=True
            ).values_list("month", flat=True)
        ),
    )


# The rules for numbers and months, as regular expressions shared with the PostgreSQL path
# (imports_pg.py), so both accept exactly the same text.
COUNT_RE = r"^[0-9]+$"  # after removing thousands separators
MONEY_RE = r"^[0-9]+(\.[0-9]{1,2})?$"  # after removing "£" and thousands separators
MONTH_M_RE = r"^M([1-9]|1[0-2])$"  # upper-cased
MONTH_CAL_RE = r"^([0-9]{4})-([0-9]{2})"


def _money(value: str) -> int | None:
    text = value.replace(",", "").replace("£", "")
    if not re.match(MONEY_RE, text):
        return None
    return int(Decimal(text) * 100)


def _count(value: str) -> int | None:
    text = value.replace(",", "")
    return int(text) if re.match(COUNT_RE, text) else None


def _month(value: str, year: int) -> int | None:
    """M1..M12, or a calendar month "2010-04" within the financial year, as M1..M12."""
    text = value.strip().upper()
    if re.match(MONTH_M_RE, text):
        return int(text[1:])
    match = re.match(MONTH_CAL_RE, text)
    if not match:
        return None
    calendar_year, calendar_month = int(match[1]), int(match[2])
    if not 1 <= calendar_month <= 12:
        return None
    index = calendar_year * 12 + calendar_month
    if not year * 12 + 4 <= index <= (year + 1) * 12 + 3:
        return None
    return month_number(dt.date(calendar_year, calendar_month, 1))


def _check(ctx: Context, number: int, row: dict[str, str]) -> list | None:
    """Check one row; return its staging values, or None after recording its errors."""
    kind, record = ctx.record.kind, ctx.record
    errors_before = ctx.error_count
    month = _month(row["month"], record.year)
    if month is None:
        ctx.error(
            number,
            "month",
            f"'{row['month']}' is not a month of {year_label(record.year)} "
            "(use 2010-04 or M1..M12).",
        )
    provider_id, pod, code, activity = None, "", "", 0
    if kind in (ImportKind.HOSPITAL, ImportKind.EXCLUDED):
        provider = ctx.providers.get(row["provider_code"].upper())
        if provider is None:
            ctx.error(number, "provider_code", f"Unknown provider '{row['provider_code']}'.")
        elif record.provider_id and provider.pk != record.provider_id:
            ctx.error(
                number,
                "provider_code",
                f"This file is for {record.provider.code}; the row says {provider.code}.",
            )
        else:
            provider_id = provider.pk
    if kind == ImportKind.COMMUNITY:
        organisation_id = ctx.nodes.get(row["organisation_code"].upper())
        if organisation_id is None:
            ctx.error(
                number,
                "organisation_code",
                f"Unknown locality or sub-locality '{row['organisation_code']}'.",
            )
        code = row["service"][:20]
        if not code:
            ctx.error(number, "service", "Name the service.")
    else:
        organisation_id = ctx.practices.get(row["practice_code"].upper())
        if organisation_id is None:
            ctx.error(number, "practice_code", f"Unknown practice '{row['practice_code']}'.")
    cost = None
    if kind == ImportKind.HOSPITAL:
        pod = row["pod"].upper()
        if pod not in PointOfDelivery.values:
            ctx.error(
                number,
                "pod",
                f"'{row['pod']}' is not a point of delivery ({', '.join(PointOfDelivery.values)}).",
            )
        code = row["code"].upper()
        activity = _count(row["activity"])
        if activity is None:
            ctx.error(number, "activity", f"'{row['activity']}' is not a whole number, 0 or more.")
        contract, independent = row["contract"].upper(), row["independent_sector"].upper()
        for column, value in (("contract", contract), ("independent_sector", independent)):
            if value not in YES | NO:
                ctx.error(number, column, f"'{row[column]}' should be Y or N.")
        if row.get("cost", ""):
            cost = _money(row["cost"])
            if cost is None:
                ctx.error(
                    number,
                    "cost",
                    f"'{row['cost']}' is not an amount in pounds (0 or "
                    "more, at most two decimal places).",
                )
        elif activity is not None and pod in PointOfDelivery.values:
            price = ctx.tariff.get((code, pod))
            if price is None:
                ctx.error(
                    number,
                    "code",
                    f"No national tariff for '{code}' at {pod} in "
                    f"{year_label(record.year)}: give a cost, or check the code.",
                )
            else:
                cost = price * activity
        line_key = (
            "hospital_independent"
            if independent in YES
            else "hospital_contract"
            if contract in YES
            else "hospital_non_contract"
        )
    elif kind == ImportKind.PRESCRIBING:
        activity = _count(row["items"])
        if activity is None:
            ctx.error(number, "items", f"'{row['items']}' is not a whole number, 0 or more.")
        if _money(row["nic"]) is None:
            ctx.error(number, "nic", f"'{row['nic']}' is not an amount in pounds.")
        cost = _money(row["actual_cost"])
        if cost is None:
            ctx.error(number, "actual_cost", f"'{row['actual_cost']}' is not an amount in pounds.")
        line_key = kind
    else:
        cost = _money(row["cost"])
        if cost is None:
            ctx.error(
                number,
                "cost",
                f"'{row['cost']}' is not an amount in pounds (0 or more, "
                "at most two decimal places).",
            )
        line_key = kind
    line_id = ctx.lines.get(LINE_CODES[line_key])
    if line_id is None:
        ctx.error(number, "", f"The commissioner has no budget line {LINE_CODES[line_key]}.")
    if ctx.error_count > errors_before:
        return None
    values = [
        record.pk,
        number,
        record.year,
        month,
        ctx.locality_of.get(organisation_id),
        organisation_id,
        line_id,
        provider_id,
        pod,
        code,
        activity,
        cost,
    ]
    key = hashlib.sha1(
        "|".join(str(v) for v in values[2:]).encode(),  # noqa: S324 - not security
        usedforsecurity=False,
    ).hexdigest()
    return [*values, key]


# --- Processing -------------------------------------------------------------------------------


def activity_partition_ensure(year: int, commissioner: Organisation) -> None:
    """On PostgreSQL, create the partition for a financial year (if missing) and, inside it, one
    partition per locality of the commissioner: each locality's reconciliation then reads only
    its own rows."""
    if connection.vendor != "postgresql":
        return
    year = int(year)
    localities = Organisation.objects.filter(
        parent=commissioner, kind=OrganisationKind.LOCALITY
    ).values_list("pk", flat=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS budgets_activityrow_y{year} PARTITION OF "  # noqa: S608
            f"budgets_activityrow FOR VALUES IN ({year}) PARTITION BY LIST (locality_id)"
        )
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS budgets_activityrow_y{year}_other PARTITION OF "  # noqa: S608
            f"budgets_activityrow_y{year} DEFAULT"
        )
        for pk in localities:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS budgets_activityrow_y{year}_l{int(pk)} "  # noqa: S608
                f"PARTITION OF budgets_activityrow_y{year} FOR VALUES IN ({int(pk)})"
            )


def _fail(record: ActivityImport, ctx: Context | None, message: str) -> ActivityImport:
    record.status = ImportStatus.FAILED
    record.finished_at = timezone.now()
    record.message = message
    if ctx is not None:
        record.errors = ctx.errors
        record.error_count = ctx.error_count
    record.save()
    audit_record(
        actor=record.uploaded_by,
        event="activity_import.failed",
        subject=record,
        organisation=record.commissioner,
        after={"errors": record.error_count, "message": message},
    )
    return record


def _load_staging(record: ActivityImport, staged_path: str, staged: int) -> None:
    if connection.vendor == "postgresql":
        with open(staged_path, encoding="utf-8") as handle, connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY budgets_activitystaging ({', '.join(STAGING_COLUMNS)}) "  # noqa: S608
                "FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (pod, code))",
                handle,
            )
        return
    with open(staged_path, encoding="utf-8", newline="") as handle:
        batch = []
        for values in csv.reader(handle):
            batch.append(
                ActivityStaging(
                    **{
                        c: (None if v == "" and c == "provider_id" else v)
                        for c, v in zip(STAGING_COLUMNS, values, strict=True)
                    }
                )
            )
            if len(batch) >= 5000:
                ActivityStaging.objects.bulk_create(batch)
                batch = []
        ActivityStaging.objects.bulk_create(batch)


def _duplicates(record: ActivityImport, ctx: Context) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.row_number, d.first_row FROM budgets_activitystaging s JOIN ("
            " SELECT row_key, MIN(row_number) AS first_row FROM budgets_activitystaging"
            " WHERE activity_import_id = %s GROUP BY row_key HAVING COUNT(*) > 1) d"
            " ON d.row_key = s.row_key WHERE s.activity_import_id = %s AND s.row_number > d.first_row"
            " ORDER BY s.row_number",
            [record.pk, record.pk],
        )
        for row_number, first_row in cursor.fetchall():
            ctx.error(row_number, "", f"Duplicate of row {first_row}: the same activity twice.")


def _move(record: ActivityImport, closed_months: set[int]) -> tuple[int, int]:
    """One set-based INSERT ... SELECT from staging into the activity table; (moved, held)."""
    held_months = sorted(closed_months) or [0]
    placeholders = ", ".join(["%s"] * len(held_months))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM budgets_activitystaging"  # noqa: S608 - placeholders only
            f" WHERE activity_import_id = %s AND month IN ({placeholders})",
            [record.pk, *held_months],
        )
        held = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO budgets_activityrow (activity_import_id, year, month, locality_id, organisation_id,"  # noqa: S608
            " line_id, provider_id, pod, code, activity, cost, held)"
            " SELECT activity_import_id, year, month, locality_id, organisation_id, line_id, provider_id, pod,"
            f" code, activity, cost, CASE WHEN month IN ({placeholders}) THEN %s ELSE %s END"
            " FROM budgets_activitystaging WHERE activity_import_id = %s",
            [*held_months, True, False, record.pk],
        )
        moved = cursor.rowcount
        cursor.execute(
            "DELETE FROM budgets_activitystaging WHERE activity_import_id = %s", [record.pk]
        )
    return moved, held


def _complete(record: ActivityImport, moved: int, held: int) -> None:
    """Mark a loaded file complete, supersede the file it replaces, and audit."""
    record.rows_imported, record.rows_held = moved, held
    record.status = ImportStatus.COMPLETE
    record.finished_at = timezone.now()
    record.message = (
        f"{moved} rows imported"
        + (f"; {held} held for closed months until they are reopened" if held else "")
        + "."
    )
    record.save()
    if record.replaces_id:
        ActivityImport.objects.filter(pk=record.replaces_id).update(status=ImportStatus.SUPERSEDED)
    audit_record(
        actor=record.uploaded_by,
        event="activity_import.completed",
        subject=record,
        organisation=record.commissioner,
        after={"rows": moved, "held": held, "replaces": record.replaces_id},
    )


def _still_ours(record: ActivityImport) -> ActivityImport | None:
    """Lock the import; None if another worker has taken it over since we claimed it."""
    current = ActivityImport.objects.select_for_update().get(pk=record.pk)
    if current.claimed_at != record.claimed_at or current.status != ImportStatus.RUNNING:
        return None
    return current


def _process_postgres(record: ActivityImport, ctx: Context, header: list[str]):
    """Check and load a CSV set-based in PostgreSQL; None means "use the Python path"."""
    from ..services import imports_pg

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if _still_ours(record) is None:
                return ActivityImport.objects.get(pk=record.pk)
            started = time.perf_counter()
            rows = imports_pg.check_and_load(ctx, cursor.cursor, record.file.path, header)
            checked = time.perf_counter()
            record.rows_total = record.rows_done = rows
            if ctx.error_count:
                transaction.set_rollback(True)
            else:
                activity_partition_ensure(record.year, record.commissioner)
                moved, held = imports_pg.move(ctx, cursor.cursor)
                logger.info(
                    "import %s: %s rows; checked %.2fs, moved %.2fs",
                    record.pk,
                    moved,
                    checked - started,
                    time.perf_counter() - checked,
                )
                _complete(record, moved, held)
    except imports_pg.Fallback:
        return None
    except FileProblem as problem:
        ctx.error(**problem.error)
        return _fail(record, ctx, problem.error["message"])
    if ctx.error_count:
        duplicates = all(e["message"].startswith("Duplicate of row") for e in ctx.errors)
        return _fail(
            record,
            ctx,
            f"{ctx.error_count} duplicate row(s): nothing was imported."
            if duplicates
            else f"{ctx.error_count} problem(s) found: nothing was imported. "
            "Correct the rows listed and upload the file again.",
        )
    return record


def activity_import_process(*, import_id: int, set_based: bool | None = None) -> ActivityImport:
    """Check every row of an uploaded file, then load it all or nothing. Safe to re-run.

    On PostgreSQL a CSV is checked set-based in SQL (imports_pg); elsewhere, or for XLSX, or
    when `set_based` is False, row by row in Python. Both apply the same rules.
    """
    # Claim the file: only one worker processes it. A claim older than the task time limit
    # belongs to a worker that was killed (its load was all-or-nothing), so it may be retaken.
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimed = (
        ActivityImport.objects.filter(pk=import_id)
        .filter(
            Q(status=ImportStatus.QUEUED) | Q(status=ImportStatus.RUNNING, claimed_at__lt=stale)
        )
        .update(status=ImportStatus.RUNNING, claimed_at=now, rows_done=0)
    )
    record = ActivityImport.objects.select_related("commissioner", "provider").get(pk=import_id)
    if not claimed:
        return record  # done already, or another worker has it
    record.rows_total = _count_rows(record.file.path, record.original_name)
    record.save(update_fields=["rows_total"])
    ctx = _context(record)
    timings = {"start": time.perf_counter()}
    required = [c.name for c in LAYOUTS[record.kind] if c.required]
    optional = [c.name for c in LAYOUTS[record.kind] if not c.required]
    staged = 0
    with tempfile.NamedTemporaryFile(
        "w", suffix=".csv", delete=False, encoding="utf-8", newline=""
    ) as staging_file:
        staged_path = staging_file.name
        writer = csv.writer(staging_file)
        try:
            rows = _rows(record.file.path, record.original_name)
            header = [h.strip().lower() for h in next(rows, [])]
            missing = [c for c in required if c not in header]
            for column in missing:
                ctx.error(1, column, f"The column '{column}' is missing (see the template).")
            if missing:
                os.unlink(staged_path)
                return _fail(record, ctx, f"{len(missing)} required column(s) missing.")
            if set_based is None:
                set_based = connection.vendor == "postgresql"
            if set_based and record.original_name.lower().endswith(".csv"):
                rows.close()
                done = _process_postgres(record, ctx, header)
                if done is not None:
                    os.unlink(staged_path)
                    return done
                rows = _rows(record.file.path, record.original_name)
                next(rows, None)  # the header again: the Python path reads on from here
            index = {name: header.index(name) for name in required + optional if name in header}
            number = 1
            for values in rows:
                number += 1
                if not any(values):
                    continue  # blank line
                row = {name: (values[i] if i < len(values) else "") for name, i in index.items()}
                checked = _check(ctx, number, row)
                if checked is not None:
                    writer.writerow(["" if v is None else v for v in checked])
                    staged += 1
                if number % PROGRESS_EVERY == 0:
                    ActivityImport.objects.filter(pk=record.pk).update(rows_done=number - 1)
        except FileProblem as problem:
            ctx.error(**problem.error)
            os.unlink(staged_path)
            return _fail(record, ctx, problem.error["message"])
    record.rows_done = number - 1
    record.rows_total = number - 1
    if ctx.error_count:
        os.unlink(staged_path)
        return _fail(
            record,
            ctx,
            f"{ctx.error_count} problem(s) found: nothing was imported. "
            "Correct the rows listed and upload the file again.",
        )
    try:
        with transaction.atomic():
            if _still_ours(record) is None:  # another worker took the file over: it loads it
                return ActivityImport.objects.get(pk=record.pk)
            timings["checked"] = time.perf_counter()
            _load_staging(record, staged_path, staged)
            timings["staged"] = time.perf_counter()
            _duplicates(record, ctx)
            timings["deduplicated"] = time.perf_counter()
            if ctx.error_count:
                transaction.set_rollback(True)
            else:
                activity_partition_ensure(record.year, record.commissioner)
                moved, held = _move(record, ctx.closed_months)
                timings["moved"] = time.perf_counter()
                logger.info(
                    "import %s: %s rows; %s",
                    record.pk,
                    moved,
                    ", ".join(
                        f"{b} {timings[b] - timings[a]:.2f}s"
                        for a, b in zip(timings, list(timings)[1:], strict=False)
                    ),
                )
                _complete(record, moved, held)
    finally:
        os.unlink(staged_path)
    if ctx.error_count:
        return _fail(record, ctx, f"{ctx.error_count} duplicate row(s): nothing was imported.")
    return record
