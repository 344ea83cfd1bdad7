"""Writes for outcome counts: comparators, and the import of a file of counts.

A file (CSV or XLSX) has the columns area, measure, period and count. Every row is checked, then
everything is written or nothing (as activity imports do, with their streaming file reader), and
the import is recorded with the file's hash, who, and row counts: the same file twice is refused,
and a later file's count for the same area, measure and period replaces the earlier one (the
import says how many it replaced).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from budgets.activity.services.imports import FileProblem, _rows
from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind, User
from consortia.permissions import Action, require
from consortia.services import audit_record

from .models import (
    OutcomeComparator,
    OutcomeCount,
    OutcomeImport,
    OutcomeImportStatus,
    OutcomeMeasure,
    period_label,
)

MAX_STORED_ERRORS = 1000
COLUMNS = ["area", "measure", "period", "count"]
AREA_KINDS = [
    OrganisationKind.COMMISSIONER,
    OrganisationKind.LOCALITY,
    OrganisationKind.SUB_LOCALITY,
]
# What a measure may be called in a file: its code, its name, or the activity files' short code.
MEASURE_NAMES = {
    **{m.value: m.value for m in OutcomeMeasure},
    **{m.label.lower(): m.value for m in OutcomeMeasure},
    "nel": OutcomeMeasure.NON_ELECTIVE_ADMISSIONS,
    "ae": OutcomeMeasure.AE_ATTENDANCES,
    "a&e": OutcomeMeasure.AE_ATTENDANCES,
    "opfa": OutcomeMeasure.FIRST_OUTPATIENTS,
    "first outpatients": OutcomeMeasure.FIRST_OUTPATIENTS,
}
PERIOD = re.compile(r"^(\d{4})-(\d{2})(?:\s*M(\d{1,2}))?$", re.IGNORECASE)
PERIOD_HELP = "Write the period as a financial year (2009-10) or a month of one (2010-11 M1)."


def parse_period(text: str) -> tuple[int, int]:
    """ "2009-10" -> (2009, 0), the whole year; "2010-11 M1" -> (2010, 1), April 2010.

    M1 is April: the NHS financial year. Raises ValueError with what to write instead.
    """
    match = PERIOD.match(text.strip())
    if not match:
        raise ValueError(PERIOD_HELP)
    year, second, month = int(match[1]), int(match[2]), int(match[3] or 0)
    if second != (year + 1) % 100:
        raise ValueError(f"{text.strip()} is not a financial year: {period_label(year, 0)}?")
    if month and not 1 <= month <= 12:
        raise ValueError("A month is M1 (April) to M12 (March).")
    return year, month


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


@dataclass
class _Checked:
    area: str
    organisation_id: int | None
    comparator_id: int | None
    measure: str
    year: int
    month: int
    count: int


class _Errors:
    def __init__(self):
        self.items: list[dict] = []
        self.count = 0

    def add(self, row: int, column: str, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_STORED_ERRORS:
            self.items.append({"row": row, "column": column, "message": message})


def _hash(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _check(path: str, name: str, commissioner: Organisation, errors: _Errors) -> list[_Checked]:
    nodes = dict(
        Organisation.objects.filter(
            path__startswith=commissioner.path, kind__in=AREA_KINDS
        ).values_list("code", "id")
    )
    practices = set(
        Organisation.objects.filter(
            path__startswith=commissioner.path, kind=OrganisationKind.PRACTICE
        ).values_list("code", flat=True)
    )
    comparators = dict(
        OutcomeComparator.objects.filter(commissioner=commissioner).values_list("code", "id")
    )
    checked: list[_Checked] = []
    seen: dict[tuple, int] = {}
    rows = _rows(path, name)
    header = [h.strip().lower() for h in next(rows, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        errors.add(
            1, ", ".join(missing), "The header must name the columns " + ", ".join(COLUMNS) + "."
        )
        return []
    where = {c: header.index(c) for c in COLUMNS}
    for number, values in enumerate(rows, start=2):
        if not any(v.strip() for v in values):
            continue

        def cell(column: str, values=values) -> str:
            i = where[column]
            return values[i].strip() if i < len(values) else ""

        ok = True
        area = cell("area").upper()
        organisation_id = nodes.get(area)
        comparator_id = comparators.get(area)
        if organisation_id is None and comparator_id is None:
            ok = False
            if not area:
                errors.add(number, "area", "Give the area's code.")
            elif area in practices:
                errors.add(
                    number,
                    "area",
                    f"{area} is a practice: outcomes are counted for {commissioner.code}, its "
                    "localities and sub-localities, or a comparator.",
                )
            else:
                known = ", ".join(sorted(comparators)) or "none yet"
                errors.add(
                    number,
                    "area",
                    f"Unknown area '{area}': use {commissioner.code}, a locality or sub-locality "
                    f"code (e.g. {next(iter(sorted(c for c in nodes if c != commissioner.code)), '')}"
                    f"), or a comparator ({known}).",
                )
        measure = MEASURE_NAMES.get(cell("measure").lower())
        if measure is None:
            ok = False
            errors.add(
                number,
                "measure",
                f"Unknown measure '{cell('measure')}': use one of "
                + ", ".join(m.value for m in OutcomeMeasure)
                + ".",
            )
        try:
            year, month = parse_period(cell("period"))
        except ValueError as exc:
            ok = False
            errors.add(number, "period", str(exc))
            year = month = 0
        text = cell("count").replace(",", "")
        if not text.isdigit():
            ok = False
            errors.add(number, "count", f"'{cell('count')}' is not a whole number of 0 or more.")
        if not ok:
            continue
        key = (area, measure, year, month)
        if key in seen:
            errors.add(
                number,
                "period",
                f"{area} {measure} {period_label(year, month)} is also on row {seen[key]}.",
            )
            continue
        seen[key] = number
        checked.append(
            _Checked(area, organisation_id, comparator_id, measure, year, month, int(text))
        )
    if not checked and not errors.count:
        errors.add(2, "", "The file has no rows of counts.")
    return checked


def outcome_import_create(
    *, actor: User | None, commissioner: Organisation, upload: UploadedFile, actor_label: str = ""
) -> OutcomeImport:
    """Check every row of a file of outcome counts, then import all of it or none.

    Returns the import record: `status` says which, and `errors` lists each problem by row and
    column. The same file twice is refused (its content hash).
    """
    if actor is not None:
        require(actor, Action.MANAGE_TREE, commissioner)
    name = os.path.basename(upload.name or "upload")
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ApplicationError("Upload a CSV or XLSX file.", {"field": "file"})
    content_hash = _hash(upload)
    earlier = OutcomeImport.objects.filter(
        commissioner=commissioner, content_hash=content_hash, status=OutcomeImportStatus.COMPLETE
    ).first()
    if earlier:
        raise ApplicationError(
            f"This file was already imported as #{earlier.pk} ({earlier.original_name}, "
            f"{earlier.uploaded_at:%d %b %Y}). Nothing was imported again.",
            {"field": "file", "duplicate_of": earlier.pk},
        )
    errors = _Errors()
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        try:
            checked = _check(handle.name, name, commissioner, errors)
        except FileProblem as problem:
            checked = []
            errors.add(problem.error["row"], problem.error["column"], problem.error["message"])
    if errors.count:
        return _failed(actor, actor_label, commissioner, name, content_hash, errors, len(checked))
    return _complete(actor, actor_label, commissioner, name, content_hash, checked)


@transaction.atomic
def _failed(actor, actor_label, commissioner, name, content_hash, errors: _Errors, good: int):
    record = OutcomeImport.objects.create(
        commissioner=commissioner,
        original_name=name,
        content_hash=content_hash,
        status=OutcomeImportStatus.FAILED,
        uploaded_by=actor,
        rows_total=good + errors.count,
        error_count=errors.count,
        errors=errors.items,
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="outcome_import.failed",
        subject=record,
        organisation=commissioner,
        after={"file": name, "sha256": content_hash, "errors": errors.count},
    )
    return record


@transaction.atomic
def _complete(actor, actor_label, commissioner, name, content_hash, checked: list[_Checked]):
    record = OutcomeImport.objects.create(
        commissioner=commissioner,
        original_name=name,
        content_hash=content_hash,
        status=OutcomeImportStatus.COMPLETE,
        uploaded_by=actor,
        rows_total=len(checked),
    )
    # One import at a time per commissioner, so two files adding the same count queue.
    Organisation.objects.select_for_update().filter(pk=commissioner.pk).first()
    existing = {
        (c.area, c.measure, c.year, c.month): c
        for c in OutcomeCount.objects.filter(commissioner=commissioner)
    }
    added, replaced = [], []
    for row in checked:
        current = existing.get((row.area, row.measure, row.year, row.month))
        if current is None:
            added.append(
                OutcomeCount(
                    commissioner=commissioner,
                    area=row.area,
                    organisation_id=row.organisation_id,
                    comparator_id=row.comparator_id,
                    measure=row.measure,
                    year=row.year,
                    month=row.month,
                    count=row.count,
                    outcome_import=record,
                )
            )
        else:
            current.count, current.outcome_import = row.count, record
            replaced.append(current)
    OutcomeCount.objects.bulk_create(added, batch_size=1000)
    OutcomeCount.objects.bulk_update(replaced, ["count", "outcome_import"], batch_size=1000)
    record.rows_added, record.rows_replaced = len(added), len(replaced)
    record.save(update_fields=["rows_added", "rows_replaced"])
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="outcome_import.completed",
        subject=record,
        organisation=commissioner,
        after={
            "file": name,
            "sha256": content_hash,
            "added": len(added),
            "replaced": len(replaced),
        },
    )
    return record
