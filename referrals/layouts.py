"""The referral and information-event files, declared for the import pipeline
(consortia/imports).

Dates are YYYY-MM-DD; times YYYY-MM-DD HH:MM (local time). NHS numbers may have spaces or
hyphens: each is checked (modulus 11) and replaced by a keyed hash before anything is stored, and
the file itself is not kept once checked.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.utils import timezone

from budgets.models import Provider
from consortia.imports.layouts import (
    CheckContext,
    Choice,
    Code,
    Column,
    Date,
    DateTime,
    Layout,
    LoadResult,
    Parsed,
    Pattern,
    Rule,
    Text,
    layout_register,
)
from consortia.models import Organisation, OrganisationKind

from .models import InformationEvent, InformationKind, Priority, Referral
from .patients import InvalidNhsNumber, patient_key

REFERRALS = "referrals.referrals"
INFORMATION = "referrals.information"
BATCH = 2000

PRIORITIES = {
    "routine": Priority.ROUTINE,
    "urgent": Priority.URGENT,
    "two_week_wait": Priority.TWO_WEEK_WAIT,
    "two-week wait": Priority.TWO_WEEK_WAIT,
    "two week wait": Priority.TWO_WEEK_WAIT,
    "2ww": Priority.TWO_WEEK_WAIT,
}
INFORMATION_KINDS = {
    "clinic_letter": InformationKind.CLINIC_LETTER,
    "clinic letter": InformationKind.CLINIC_LETTER,
    "letter": InformationKind.CLINIC_LETTER,
    "discharge_summary": InformationKind.DISCHARGE_SUMMARY,
    "discharge summary": InformationKind.DISCHARGE_SUMMARY,
    "discharge": InformationKind.DISCHARGE_SUMMARY,
}


def _pseudonymise(value: str) -> str:
    """The keyed hash of a valid NHS number; the message of an invalid one never repeats it."""
    try:
        return patient_key(value)
    except InvalidNhsNumber as exc:
        raise ValueError(str(exc)) from None


def _clinician(value: str) -> str:
    """A clinician's code (GMC or GP code): never an NHS number typed in the wrong column."""
    try:
        patient_key(value)
    except InvalidNhsNumber:
        pass
    else:
        raise ValueError(
            "This is an NHS number, not a clinician's code: it was not stored. Put the "
            "patient's number in nhs_number."
        )
    if len(value) > 20:
        raise ValueError("A clinician's code has at most 20 characters.")
    return value


def _context(upload) -> CheckContext:
    commissioner = upload.commissioner
    within = Organisation.objects.filter(path__startswith=commissioner.path)
    paths = dict(within.values_list("id", "path"))
    locality_ids = {path: pk for pk, path in paths.items() if path.count("/") == 3}
    return CheckContext(
        upload=upload,
        lookups={
            "practice": dict(
                within.filter(kind=OrganisationKind.PRACTICE).values_list("code", "id")
            ),
            "provider": dict(
                Provider.objects.filter(commissioner=commissioner).values_list("code", "id")
            ),
            "locality_of": {
                pk: locality_ids["/".join(path.split("/")[:3]) + "/"]
                for pk, path in paths.items()
                if path.count("/") >= 3
            },
        },
        extra={"today": timezone.localdate()},
    )


def _period(day: pl.Expr) -> list[pl.Expr]:
    """The financial year and month (M1 is April) of a date."""
    return [
        (day.dt.year() - (day.dt.month() < 4).cast(pl.Int32)).alias("year"),
        ((day.dt.month().cast(pl.Int32) + 8) % 12 + 1).alias("month"),
    ]


PRACTICE = Column("practice_code", Code(lookup="practice", what="practice"),
                  help="ODS code of the practice", example="A82015")  # fmt: skip
PROVIDER = Column("provider_code", Code(lookup="provider", what="provider"),
                  help="ODS code of the provider", example="RNL")  # fmt: skip
SPECIALTY = Column(
    "specialty",
    Pattern(pattern=r"^[0-9]{3}$", message="is not a treatment function code (3 digits)."),
    help="Treatment function code (3 digits)",
    example="130",
)


def _with_locality(ctx: CheckContext) -> list[pl.Expr]:
    return [
        pl.col("practice_code").alias("practice_id"),
        pl.col("practice_code")
        .replace_strict(ctx.lookups["locality_of"], default=None, return_dtype=pl.Int64)
        .alias("locality_id"),
        pl.col("provider_code").alias("provider_id"),
    ]


# --- Referrals --------------------------------------------------------------------------------


def _load_referrals(upload, batches, ctx: CheckContext) -> LoadResult:
    loaded = 0
    for batch in batches:
        rows = [
            Referral(
                upload=upload,
                commissioner_id=upload.commissioner_id,
                locality_id=row["locality_id"],
                practice_id=row["practice_id"],
                referred_on=row["referred_on"],
                year=row["year"],
                month=row["month"],
                specialty=row["specialty"],
                provider_id=row["provider_id"],
                priority=row["priority"],
                clinician=row["clinician"] or "",
                patient_key=row["nhs_number"],
                created_by=upload.uploaded_by,
            )
            for row in batch.iter_rows(named=True)
        ]
        loaded += len(Referral.objects.bulk_create(rows, batch_size=BATCH))
    return LoadResult(loaded=loaded)


layout_register(
    Layout(
        kind=REFERRALS,
        label="Referrals",
        description="One row per referral from a practice to a provider.",
        columns=(
            PRACTICE,
            Column("referred_on", Date(), help="Date of the referral (YYYY-MM-DD)",
                   example="2010-06-01"),
            SPECIALTY,
            Column("provider_code", Code(lookup="provider", what="provider"),
                   help="ODS code of the provider referred to", example="RNL"),
            Column("priority", Choice(choices=PRIORITIES,
                                      message="is not routine, urgent or two-week wait."),
                   help="routine, urgent or two_week_wait (2WW)", example="routine"),
            Column("clinician", Parsed(parse=_clinician), required=False,
                   help="Referring clinician's code (optional)", example="G1234567"),
            Column("nhs_number", Parsed(parse=_pseudonymise),
                   help="Patient's NHS number: checked, then stored only as a keyed hash",
                   example="943 476 5919"),
        ),
        output=("practice_id", "locality_id", "referred_on", "year", "month", "specialty",
                "provider_id", "priority", "clinician", "nhs_number"),
        derive=lambda ctx: [_with_locality(ctx), _period(pl.col("referred_on"))],
        rules=lambda ctx: [
            Rule("referred_on", pl.col("referred_on") > pl.lit(ctx.extra["today"]),
                 pl.format("{} is in the future.", pl.col("referred_on").dt.to_string("%Y-%m-%d")))
        ],
        unique_by=("practice_id", "referred_on", "specialty", "provider_id", "nhs_number"),
        duplicate_what="the same referral twice",
        loader=_load_referrals,
        context=_context,
        patient_identifiers=True,
    )
)  # fmt: skip


# --- Information events -----------------------------------------------------------------------


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _delay_hours(occurred: dt.datetime, received: dt.datetime | None) -> int | None:
    """Whole hours from the event to receipt, rounded up: 24h 1m is 25 hours, late for a
    24-hour standard."""
    if received is None:
        return None
    seconds = (received - occurred).total_seconds()
    return int(-(-seconds // 3600))


def _load_events(upload, batches, ctx: CheckContext) -> LoadResult:
    """Create new events; record arrival for known references that had none. A known
    reference with other details, or a different arrival already recorded, is a row error (and
    then nothing is loaded: the pipeline rolls back)."""
    created, updated, errors = 0, 0, []
    for batch in batches:
        rows = list(batch.iter_rows(named=True))
        existing = {
            (e.provider_id, e.reference): e
            for e in InformationEvent.objects.filter(
                provider_id__in={r["provider_id"] for r in rows},
                reference__in=[r["reference"] for r in rows],
            )
        }
        new = []
        for row in rows:
            occurred, received = _aware(row["occurred"]), _aware(row["received"])
            event = existing.get((row["provider_id"], row["reference"]))
            if event is None:
                local = timezone.localtime(occurred).date()
                new.append(
                    InformationEvent(
                        upload=upload,
                        commissioner_id=upload.commissioner_id,
                        provider_id=row["provider_id"],
                        reference=row["reference"],
                        practice_id=row["practice_id"],
                        locality_id=row["locality_id"],
                        kind=row["kind"],
                        specialty=row["specialty"],
                        occurred_at=occurred,
                        received_at=received,
                        year=local.year - (local.month < 4),
                        month=(local.month + 8) % 12 + 1,
                        delay_hours=_delay_hours(occurred, received),
                        patient_key=row["nhs_number"] or "",
                    )
                )
                continue
            same = (event.practice_id, event.kind, event.specialty, event.occurred_at) == (
                row["practice_id"],
                row["kind"],
                row["specialty"],
                occurred,
            )
            if not same:
                errors.append(
                    (
                        row["row_number"],
                        "reference",
                        f"Reference {event.reference} was recorded before with other details "
                        "(practice, kind, specialty or date).",
                    )
                )
            elif received is None or event.received_at == received:
                continue  # nothing new
            elif event.received_at is not None:
                errors.append(
                    (
                        row["row_number"],
                        "received",
                        f"Reference {event.reference} was already received on "
                        f"{timezone.localtime(event.received_at):%d %b %Y %H:%M}.",
                    )
                )
            else:
                event.received_at = received
                event.delay_hours = _delay_hours(occurred, received)
                event.save(update_fields=["received_at", "delay_hours"])
                updated += 1
        created += len(InformationEvent.objects.bulk_create(new, batch_size=BATCH))
    return LoadResult(loaded=created, updated=updated, errors=errors)


layout_register(
    Layout(
        kind=INFORMATION,
        label="Information events (clinic letters, discharge summaries)",
        description="Attendances and discharges after which the GP is owed information, and "
        "when it arrived. A later file with the same reference records the arrival.",
        columns=(
            PROVIDER,
            Column("reference", Text(max_length=40),
                   help="Provider's reference of the attendance or spell", example="RNL-OP-000123"),
            PRACTICE,
            Column("kind", Choice(choices=INFORMATION_KINDS,
                                  message="is not clinic_letter or discharge_summary."),
                   help="clinic_letter or discharge_summary", example="clinic_letter"),
            SPECIALTY,
            Column("occurred", DateTime(), help="Attendance or discharge (YYYY-MM-DD HH:MM)",
                   example="2010-06-01 10:30"),
            Column("received", DateTime(), required=False,
                   help="When the GP received it; blank if not yet", example="2010-06-04 09:00"),
            Column("nhs_number", Parsed(parse=_pseudonymise), required=False,
                   help="Patient's NHS number (optional; stored only as a keyed hash)", example=""),
        ),
        output=("provider_id", "reference", "practice_id", "locality_id", "kind", "specialty",
                "occurred", "received", "nhs_number"),
        derive=lambda ctx: [_with_locality(ctx)],
        rules=lambda ctx: [
            Rule("received", pl.col("received") < pl.col("occurred"),
                 pl.lit("The information cannot arrive before the event."))
        ],
        unique_by=("provider_id", "reference"),
        duplicate_what="the same reference twice",
        loader=_load_events,
        loader_checks=True,
        context=_context,
        patient_identifiers=True,
    )
)  # fmt: skip

LAYOUTS = {"referrals": REFERRALS, "information": INFORMATION}
