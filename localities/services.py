"""Writes for practice populations, and the loader of the Cumbria tree from public data."""

from __future__ import annotations

import csv
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind, User
from consortia.permissions import Action, require
from consortia.services import audit_record, organisation_create, organisation_update

from .models import AGE_BANDS, DeprivationScore, ListSizeBand, ListSizeSnapshot, Sex

DATA_DIR = Path(__file__).resolve().parent / "data"


@transaction.atomic
def list_size_record(
    *,
    actor: User | None,
    practice: Organisation,
    as_of: dt.date,
    bands: dict[tuple[str, str], int],
    source: str,
    actor_label: str = "",
) -> ListSizeSnapshot:
    """Record a practice's registered population on a date, by (sex, age band).

    History is kept: a later quarter is a new snapshot. Recording the same date again with the
    same figures changes nothing; with different figures it is refused (publish a new date).
    """
    if actor is not None:
        require(actor, Action.MANAGE_TREE, practice)
    if practice.kind != OrganisationKind.PRACTICE:
        raise ApplicationError(f"{practice.name} is not a practice.")
    for (sex, band), patients in bands.items():
        if sex not in Sex.values or band not in AGE_BANDS:
            raise ApplicationError(f"Unknown sex/age band {sex} {band}.", extra={"field": "bands"})
        if not isinstance(patients, int) or patients < 0:
            raise ApplicationError(f"Patients in {sex} {band} must be a whole number, 0 or more.")
    total = sum(bands.values())
    existing = ListSizeSnapshot.objects.filter(practice=practice, as_of=as_of).first()
    if existing:
        old = {(b.sex, b.age_band): b.patients for b in existing.bands.all()}
        if old == bands:
            return existing
        raise ApplicationError(
            f"{practice.code} already has a list size for {as_of}; record the revision under "
            "its own date so the history is kept."
        )
    snapshot = ListSizeSnapshot.objects.create(
        practice=practice, as_of=as_of, registered_patients=total, source=source
    )
    ListSizeBand.objects.bulk_create(
        ListSizeBand(snapshot=snapshot, sex=sex, age_band=band, patients=patients)
        for (sex, band), patients in bands.items()
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="list_size.recorded",
        subject=snapshot,
        organisation=practice,
        after={"as_of": as_of.isoformat(), "registered_patients": total, "source": source},
    )
    return snapshot


@transaction.atomic
def deprivation_record(
    *,
    actor: User | None,
    practice: Organisation,
    as_of: dt.date,
    score: Decimal,
    source: str,
    actor_label: str = "",
) -> DeprivationScore:
    """Record a practice's deprivation (need) score on a date; earlier scores are kept."""
    if actor is not None:
        require(actor, Action.MANAGE_TREE, practice)
    score = Decimal(score).quantize(Decimal("0.001"))
    existing = DeprivationScore.objects.filter(practice=practice, as_of=as_of).first()
    if existing:
        if existing.score == score:
            return existing
        raise ApplicationError(f"{practice.code} already has a deprivation score for {as_of}.")
    record = DeprivationScore.objects.create(
        practice=practice, as_of=as_of, score=score, source=source
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="deprivation.recorded",
        subject=record,
        organisation=practice,
        after={"as_of": as_of.isoformat(), "score": str(score), "source": source},
    )
    return record


# --- The Cumbria demo tree --------------------------------------------------------------------

CUMBRIA_CODE = "5NE"
LOCALITIES = {  # district name -> locality code (one locality per district council, 2010)
    "Allerdale": "5NE-ALL",
    "Barrow-in-Furness": "5NE-BAR",
    "Carlisle": "5NE-CAR",
    "Copeland": "5NE-COP",
    "Eden": "5NE-EDE",
    "South Lakeland": "5NE-SLA",
}
LIST_SIZE_DATE = dt.date(2013, 4, 1)
LIST_SIZE_SOURCE = "NHS BSA practice list sizes, April–June 2013 (OGL)"
DEPRIVATION_DATE = dt.date(2011, 3, 24)
DEPRIVATION_SOURCE = "IMD 2010 score of the practice's district (derived; OGL)"
LOADER = "demo loader: Cumbria public data"


def _read(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _title(name: str) -> str:
    """ODS names are upper case: "ST PAUL'S MEDICAL PRACTICE" -> "St Paul's Medical Practice"."""
    return re.sub(r"[A-Za-z]+('[A-Za-z]+)?", lambda m: m.group(0).capitalize(), name)


def _slug(name: str) -> str:
    return "".join(ch for ch in name.upper() if ch.isalpha())[:3]


def _upsert(
    *, kind: str, code: str, name: str, parent: Organisation | None, **fields: str
) -> Organisation:
    node = Organisation.objects.filter(code=code).first()
    if node is None:
        return organisation_create(
            actor=None, actor_label=LOADER, kind=kind, code=code, name=name, parent=parent, **fields
        )
    return organisation_update(
        actor=None, actor_label=LOADER, organisation=node, name=name, parent=parent, **fields
    )


@transaction.atomic
def cumbria_load() -> dict[str, int]:
    """Load NHS Cumbria's tree from the public data in localities/data (idempotent).

    Practices are the ODS GP practices (prescribing setting 4) of the county; each is placed in
    the locality of its district, or by DEMO_practice_placement.csv where public data is silent
    (and for Allerdale's five sub-localities). Running it again changes nothing.
    """
    pct = _upsert(
        kind=OrganisationKind.COMMISSIONER,
        code=CUMBRIA_CODE,
        name="NHS Cumbria",
        parent=None,
        locality_level_name="Locality",
        sub_locality_level_name="Sub-locality",
    )
    localities = {
        district: _upsert(kind=OrganisationKind.LOCALITY, code=code, name=district, parent=pct)
        for district, code in LOCALITIES.items()
    }
    placement = {row["practice_code"]: row for row in _read("DEMO_practice_placement.csv")}
    sub_localities: dict[str, Organisation] = {}
    for row in placement.values():
        if row["sub_locality"] and row["sub_locality"] not in sub_localities:
            locality = localities[row["locality"]]
            sub_localities[row["sub_locality"]] = _upsert(
                kind=OrganisationKind.SUB_LOCALITY,
                code=f"{locality.code}-{_slug(row['sub_locality'])}",
                name=row["sub_locality"],
                parent=locality,
            )
    districts = {
        r["practice_code"]: r["district_name"]
        for r in _read("cumbria_practice_district_lookup_DERIVED.csv")
    }
    imd = {
        r["district_name"]: Decimal(r["Score"])
        for r in _read("imd2010_cumbria_districts_DERIVED.csv")
    }
    list_sizes = {
        r["Practice Code"]: r for r in _read("cumbria_practice_list_sizes_2013_apr_jun.csv")
    }

    practices = 0
    for row in _read("cumbria_gp_practices_epraccur_2016.csv"):
        if row["prescribing_setting"] != "4":
            continue  # out-of-hours, walk-in and community services are not practices
        code = row["organisation_code"]
        place = placement.get(code, {})
        district = place.get("locality") or districts[code]
        parent = sub_localities.get(place.get("sub_locality", "")) or localities[district]
        practice = _upsert(
            kind=OrganisationKind.PRACTICE,
            code=code,
            name=_title(row["name"]),
            parent=parent,
            postcode=row["postcode"],
        )
        practices += 1
        sizes = list_sizes[code]
        bands = {
            (sex[0], band): int(sizes[f"{sex} {band}"])
            for sex in ("Male", "Female")
            for band in AGE_BANDS
        }
        list_size_record(
            actor=None,
            actor_label=LOADER,
            practice=practice,
            as_of=LIST_SIZE_DATE,
            bands=bands,
            source=LIST_SIZE_SOURCE,
        )
        district_for_need = districts.get(code) if districts.get(code) in imd else district
        deprivation_record(
            actor=None,
            actor_label=LOADER,
            practice=practice,
            as_of=DEPRIVATION_DATE,
            score=imd[district_for_need],
            source=DEPRIVATION_SOURCE,
        )
    return {
        "localities": len(localities),
        "sub_localities": len(sub_localities),
        "practices": practices,
    }
