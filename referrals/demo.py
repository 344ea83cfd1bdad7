"""A deterministic, SYNTHETIC year of referrals and information for the Cumbria demo.

Referrals from January to December 2010 for every practice, sized to its registered list and its
age mix (so age-weighted rates are level), Poisson noise, with two Carlisle practices referring
far more to ophthalmology: Fusehill (A82019) throughout, Spencer St (A82018) until its peer review
in July 2010. Clinic letters and discharge summaries for April-December 2010: North Cumbria
(RNL) is slow with clinic letters and has payment on information switched on, so some of its
activity is held. A GPSI ophthalmology clinic in Carlisle at 58% of the tariff it replaces, two
other Carlisle schemes, and an interest declared by Carlisle's lead GP with its justification.
Files go through the real import pipeline. Everything here is labelled synthetic on the pages.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

import nhs_number
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from budgets.models import Provider, ProviderKind, TariffPrice
from budgets.periods import month_start
from consortia.imports.layouts import layout_for
from consortia.imports.models import Upload
from consortia.imports.services import upload_process
from consortia.models import Organisation, OrganisationKind, User
from localities.models import AGE_BANDS

from .layouts import LAYOUTS, REFERRALS
from .models import (
    InformationKind,
    LocalScheme,
    PeerReview,
    ReferralImportKind,
    SchemeKind,
)
from .periods import Period
from .selectors import practice_populations
from .services import (
    age_weighting_record,
    csv_bytes,
    information_standard_record,
    interest_declare,
    outlier_rule_record,
    peer_review_open,
    provider_payment_on_information_set,
    referral_import_create,
    scheme_activity_record,
    scheme_register,
)

LOADER = "demo loader: referrals"
SOURCE = "SYNTHETIC: chosen for the demo, not published figures"
# Referrals per 1,000 registered patients a year at average age mix (synthetic).
BASE_RATES = {"130": Decimal(20), "110": Decimal(26), "330": Decimal(15)}
WEIGHTS = {  # relative use by age band, 1.0 = average (synthetic, rising with age)
    "130": ["0.45", "0.35", "0.3", "0.4", "0.5", "0.8", "1.3", "2.3", "3.4"],
    "110": ["0.3", "0.5", "0.7", "0.8", "0.9", "1.1", "1.3", "1.5", "1.7"],
    "330": ["1.0", "0.9", "1.1", "0.8", "0.8", "0.9", "1.0", "1.2", "1.5"],
    "ALL": ["0.6", "0.5", "0.6", "0.7", "0.8", "1.0", "1.2", "1.6", "2.0"],
    "PRESC": ["0.4", "0.3", "0.4", "0.6", "0.8", "1.1", "1.6", "2.4", "3.0"],
}
HIGH_REFERRERS = {
    "A82019": (Decimal("1.75"), None),
    "A82018": (Decimal("1.8"), dt.date(2010, 7, 1)),
}
REVIEWED = "A82018"
PROVIDER_DELAYS = {  # clinic letters: (share within 7 days, median days if late, never sent)
    "RNL": (Decimal("0.35"), 13, Decimal("0.10")),
    "RTX": (Decimal("0.88"), 9, Decimal("0.01")),
}
DISCHARGE_WITHIN = {"RNL": Decimal("0.7"), "RTX": Decimal("0.9")}
SOUTH = {"5NE-BAR", "5NE-SLA"}


def _months() -> list[tuple[int, int]]:
    """(financial year, month) from January 2010 (2009-10 M10) to December 2010 (M9)."""
    return [(2009, m) for m in (10, 11, 12)] + [(2010, m) for m in range(1, 10)]


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _nhs_number(practice_index: int, patient: int) -> str:
    """A synthetic NHS number in the 999 range (never issued; for test patients)."""
    while True:
        stem = f"999{practice_index:02d}{patient % 10000:04d}"
        check = nhs_number.calculate_checksum(stem)
        if check != 10:
            return stem + str(check)
        patient += 1


def _rules(cumbria: Organisation) -> None:
    start = dt.date(2009, 4, 1)
    for measure, weights in WEIGHTS.items():
        age_weighting_record(
            actor=None,
            actor_label=LOADER,
            commissioner=cumbria,
            measure=measure,
            effective_from=start,
            weights=dict(zip(AGE_BANDS, weights, strict=True)),
            source=SOURCE,
        )
    outlier_rule_record(
        actor=None,
        actor_label=LOADER,
        commissioner=cumbria,
        effective_from=start,
        limit="99.8",
        overdispersion="none",
        approved_by="Demo: 99.8% limits, as the senate's peer review protocol (synthetic)",
    )
    for kind, hours, source in (
        (InformationKind.CLINIC_LETTER, 7 * 24, "NHS Standard Contract: clinic letters in 7 days"),
        (InformationKind.DISCHARGE_SUMMARY, 24, "NHS Standard Contract: discharge summaries in 24 hours"),
    ):  # fmt: skip
        information_standard_record(
            actor=None,
            actor_label=LOADER,
            commissioner=cumbria,
            kind=kind,
            effective_from=start,
            within_hours=hours,
            source=source,
        )


def _import(finance: User, cumbria: Organisation, kind: str, name: str, rows: list) -> None:
    header = [c.name for c in layout_for(LAYOUTS[kind]).columns]
    record = referral_import_create(
        actor=finance,
        commissioner=cumbria,
        kind=kind,
        upload=SimpleUploadedFile(name, csv_bytes(header, rows)),
    )
    record = upload_process(upload_id=record.pk)
    if record.status != "complete":  # a demo bug, not a user's: say so loudly
        raise RuntimeError(f"Demo import {name} failed: {record.errors[:3]}")


def _referrals(rng, practices, populations, finance, cumbria) -> None:
    weights = {m: dict(zip(AGE_BANDS, [Decimal(w) for w in ws], strict=True))
               for m, ws in WEIGHTS.items()}  # fmt: skip
    for year, month in _months():
        first = month_start(year, month)
        days = ((first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - first).days
        rows, seen = [], set()
        for index, practice in enumerate(practices):
            patients, bands = populations[practice.pk]
            trust = "RTX" if practice.path.split("/")[2] in SOUTH else "RNL"
            for specialty, rate in BASE_RATES.items():
                expected = sum(
                    (Decimal(n) * weights[specialty][band] for band, n in bands.items()),
                    Decimal(0),
                ) or Decimal(patients)
                factor = Decimal(1)
                if specialty == "130" and practice.code in HIGH_REFERRERS:
                    high, until = HIGH_REFERRERS[practice.code]
                    factor = high if until is None or first < until else Decimal("1.02")
                mean = float(expected * rate * factor / 1000 / 12)
                for _ in range(_poisson(rng, mean)):
                    day = first + dt.timedelta(days=rng.randrange(days))
                    patient = _nhs_number(index, rng.randrange(max(patients // 3, 1)))
                    priority = rng.choices(
                        ["routine", "urgent", "two_week_wait"], weights=[80, 14, 6]
                    )[0]
                    provider = "CARGPSI" if (
                        specialty == "130" and practice.path.split("/")[2] == "5NE-CAR"
                        and rng.random() < 0.3
                    ) else trust  # fmt: skip
                    if (practice.code, day, specialty, provider, patient) in seen:
                        continue  # the same referral twice would be refused by the import
                    seen.add((practice.code, day, specialty, provider, patient))
                    rows.append([
                        practice.code, day.isoformat(), specialty, provider, priority,
                        f"G{rng.randrange(1000000, 9999999)}" if rng.random() < 0.7 else "",
                        patient,
                    ])  # fmt: skip
        _import(
            finance,
            cumbria,
            ReferralImportKind.REFERRALS,
            f"SYNTHETIC-referrals-{first:%Y-%m}.csv",
            rows,
        )


def _information(rng, practices, populations, finance, cumbria) -> None:
    tz = timezone.get_current_timezone()
    for month in range(1, 10):
        first = month_start(2010, month)
        rows = []
        for practice in practices:
            patients = populations[practice.pk][0]
            trust = "RTX" if practice.path.split("/")[2] in SOUTH else "RNL"
            within, late_median, never = PROVIDER_DELAYS[trust]
            letters = _poisson(rng, patients / 1000 * 2.5)
            discharges = _poisson(rng, patients / 1000 * 0.8)
            for n in range(letters + discharges):
                letter = n < letters
                day = first + dt.timedelta(days=rng.randrange(28))
                occurred = dt.datetime.combine(day, dt.time(rng.randrange(8, 18), 0), tz)
                chance = rng.random()
                if letter:
                    if chance < within:
                        delay = dt.timedelta(hours=rng.randrange(24, 7 * 24))
                    elif chance < 1 - never:
                        delay = dt.timedelta(days=max(8, round(rng.gauss(late_median, 4))))
                    else:
                        delay = None
                else:
                    if chance < DISCHARGE_WITHIN[trust]:
                        delay = dt.timedelta(hours=rng.randrange(2, 24))
                    elif chance < 0.985:
                        delay = dt.timedelta(hours=rng.randrange(25, 120))
                    else:
                        delay = None
                reference = f"{trust}-{'OP' if letter else 'IP'}-{month:02d}{practice.code}{n:03d}"
                rows.append([
                    trust, reference, practice.code,
                    "clinic_letter" if letter else "discharge_summary",
                    rng.choice(["130", "110", "330", "100", "300"]),
                    f"{occurred:%Y-%m-%d %H:%M}",
                    f"{occurred + delay:%Y-%m-%d %H:%M}" if delay else "",
                    "",
                ])  # fmt: skip
        _import(
            finance,
            cumbria,
            ReferralImportKind.INFORMATION,
            f"SYNTHETIC-information-{first:%Y-%m}.csv",
            rows,
        )


def _schemes(cumbria: Organisation, providers: dict[str, Provider]) -> None:
    carlisle = Organisation.objects.get(code="5NE-CAR")
    lead = User.objects.get(username="lead.carlisle")
    interest_declare(
        actor=lead,
        provider=providers["CARGPSI"],
        kind="financial",
        nature="Partner at the practice that hosts the GPSI ophthalmology clinic and is paid "
        "for its sessions (synthetic)",
        declared_on=dt.date(2009, 6, 1),
    )
    tariff = TariffPrice.objects.filter(year=2010, code="130", pod="OPFA").first()
    schemes = [
        {
            "name": "GPSI ophthalmology clinic, Carlisle",
            "kind": SchemeKind.GPSI,
            "provider": providers["CARGPSI"],
            "specialty": "130",
            "started_on": dt.date(2009, 8, 1),
            "price_per_case": 60_00,
            "tariff": tariff,
            "tariff_price": tariff.price if tariff else 103_00,
            "tariff_description": "Ophthalmology first outpatient attendance (130 OPFA)",
            "investment": 12_000_00,
            "description": "Two sessions a week from August 2009 (SYNTHETIC figures).",
            "justification": "Waits fell from 14 weeks at the hospital to 3 weeks in the clinic, at "
            "58% of the hospital price; the locality board approved it on 15 July 2009 with Dr "
            "Carlisle declaring the interest and taking no part in the decision (synthetic).",
            "cases": (96, 108),
        },
        {
            "name": "GPSI dermatology clinic, Carlisle",
            "kind": SchemeKind.GPSI,
            "provider": providers["CARDERM"],
            "specialty": "330",
            "started_on": dt.date(2008, 5, 1),
            "price_per_case": 70_00,
            "tariff_price": 118_00,
            "tariff_description": "Dermatology first outpatient attendance (synthetic price)",
            "investment": 5_000_00,
            "description": "A weekly session of 24 slots from May 2008 (SYNTHETIC figures).",
            "cases": (90, 100),
        },
        {
            "name": "Rapid response pilot, Carlisle",
            "kind": SchemeKind.RAPID_RESPONSE,
            "provider": providers["RNN"],
            "specialty": "",
            "started_on": dt.date(2010, 4, 1),
            "price_per_case": None,
            "tariff_price": 2210_00,
            "tariff_description": "Avoided non-elective admission (DZ19A NEL, synthetic price)",
            "investment": 0,
            "description": "A 12-month pilot; cost £20,000 a month (SYNTHETIC figures).",
            "cases": (13, 17),
        },
    ]
    rng = random.Random(99)  # noqa: S311 - deterministic demo data
    for spec in schemes:
        low, high = spec.pop("cases")
        scheme = scheme_register(
            actor=None, actor_label=LOADER, commissioning_node=carlisle, **spec
        )
        for month in range(1, 10):
            cases = rng.randint(low, high)
            scheme_activity_record(
                actor=None,
                actor_label=LOADER,
                scheme=scheme,
                year=2010,
                month=month,
                cases=cases,
                cost=None if scheme.price_per_case is not None else 20_000_00,
            )


def cumbria_referrals_load() -> dict | None:
    """Generate and import the synthetic referrals, information events, schemes and interests.
    Idempotent: a second run finds the demo's files and changes nothing."""
    cumbria = Organisation.objects.get(code="5NE")
    if Upload.objects.filter(
        commissioner=cumbria, kind__startswith="referrals.", original_name__startswith="SYNTHETIC"
    ).exists():
        return None
    finance = User.objects.get(username="finance")
    providers = {p.code: p for p in Provider.objects.filter(commissioner=cumbria)}
    for code, name in (
        ("CARGPSI", "Carlisle GPSI ophthalmology service"),
        ("CARDERM", "Carlisle GPSI dermatology service"),
    ):
        providers[code], _ = Provider.objects.get_or_create(
            commissioner=cumbria,
            code=code,
            defaults={"name": name, "kind": ProviderKind.GPSI, "contracted": True},
        )
    for code, name, kind in (
        ("RNL", "North Cumbria University Hospitals NHS Trust", ProviderKind.NHS_TRUST),
        ("RTX", "University Hospitals of Morecambe Bay NHS Trust", ProviderKind.NHS_TRUST),
        ("RNN", "Cumbria Partnership NHS Foundation Trust", ProviderKind.FOUNDATION_TRUST),
    ):
        if code not in providers:
            providers[code] = Provider.objects.create(
                commissioner=cumbria, code=code, name=name, kind=kind
            )
    _rules(cumbria)
    provider_payment_on_information_set(
        actor=None, actor_label=LOADER, provider=providers["RNL"], enabled=True
    )
    practices = list(
        Organisation.objects.filter(
            path__startswith=cumbria.path, kind=OrganisationKind.PRACTICE
        ).order_by("code")
    )
    populations = practice_populations([p.pk for p in practices], dt.date(2010, 12, 31))
    practices = [p for p in practices if p.pk in populations]
    rng = random.Random(2010)  # noqa: S311 - deterministic demo data, not security
    _referrals(rng, practices, populations, finance, cumbria)
    _information(rng, practices, populations, finance, cumbria)
    _schemes(cumbria, providers)
    lead = User.objects.get(username="lead.carlisle")
    reviewed = Organisation.objects.get(code=REVIEWED)
    if not PeerReview.objects.filter(practice=reviewed).exists():
        peer_review_open(
            actor=lead,
            practice=reviewed,
            measure="130",
            period=Period(2010, 1),
            peers=cumbria,
            discussion="Spencer St's ophthalmology referrals were well above its peers in "
            "April-June 2010. The partners reviewed 40 referrals together: many were for "
            "cataract checks that the GPSI clinic or the optometrists could see (synthetic).",
            actions="Use the GPSI clinic and the optometrists' cataract pathway first; audit "
            "again in October.",
            follow_up_on=dt.date(2010, 10, 31),
            opened_on=dt.date(2010, 7, 15),
        )
    return {
        "referrals": sum(
            r.rows_loaded for r in Upload.objects.filter(commissioner=cumbria, kind=REFERRALS)
        ),
        "schemes": LocalScheme.objects.filter(
            commissioning_node__path__startswith=cumbria.path
        ).count(),
    }
