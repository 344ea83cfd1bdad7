"""A deterministic, plausible, SYNTHETIC year of activity for the Cumbria demo.

Sized to each practice's share of its locality's budget, seasonal (winter pressures on
non-elective care), with a few practices clearly out of line. Files go through the real import
pipeline, then the year is reconciled. Everything here is labelled synthetic in the UI.
"""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from budgets.allocation.models import ModelRun, ModelRunLine, ModelRunPractice
from consortia.imports.models import Upload
from consortia.imports.services import upload_process
from consortia.models import Organisation, OrganisationKind, User

from .layouts import ACTIVITY_KINDS
from .models import (
    ImportKind,
    Provider,
    ProviderKind,
    ReconciliationRun,
    TariffPrice,
)
from .services.imports import activity_import_create
from .services.reconciliation import month_close, reconciliation_start

YEAR = 2010
MONTHS_LOADED = 9  # April to December 2010: the demo sits at M9
MONTHS_CLOSED = 6  # April to September closed
OUT_OF_LINE = {"A82017": Decimal("1.22"), "A82047": Decimal("1.28"), "A82005": Decimal("1.18")}
SEASON = [Decimal(x) for x in ("0.96", "0.97", "0.97", "1.00", "0.98", "1.00", "1.03", "1.05",
                               "1.12", "1.08", "1.00", "0.94")]  # fmt: skip
PROVIDERS = [
    ("RNL", "North Cumbria University Hospitals NHS Trust", ProviderKind.NHS_TRUST, True),
    ("RTX", "University Hospitals of Morecambe Bay NHS Trust", ProviderKind.NHS_TRUST, True),
    ("RNN", "Cumbria Partnership NHS Foundation Trust", ProviderKind.FOUNDATION_TRUST, True),
    ("NVC", "Ramsay Health Care UK (independent sector)", ProviderKind.INDEPENDENT, True),
]
SOUTH = {"5NE-BAR", "5NE-SLA"}  # served by Morecambe Bay; the north by North Cumbria
# SYNTHETIC tariff for the demo (real 2010-11 PbR prices are not in our reference data).
TARIFF = [  # code, pod, description, price in pounds, share of contracted PbR spend
    ("100", "OPFA", "General surgery, first outpatient (synthetic price)", 148, "0.05"),
    ("130", "OPFA", "Ophthalmology, first outpatient (synthetic price)", 103, "0.04"),
    ("130", "OPFU", "Ophthalmology, follow-up (synthetic price)", 62, "0.03"),
    ("300", "OPFU", "General medicine, follow-up (synthetic price)", 96, "0.05"),
    ("BZ02Z", "DC", "Cataract, day case (synthetic price)", 845, "0.07"),
    ("HB12C", "EL", "Major hip procedure, elective (synthetic price)", 5690, "0.14"),
    ("LA08E", "NEL", "Chronic kidney disease, non-elective (synthetic price)", 1870, "0.17"),
    ("DZ19A", "NEL", "Other respiratory disorders, non-elective (synthetic price)", 2210, "0.24"),
    ("VB08Z", "AE", "A&E attendance category 2 (synthetic price)", 76, "0.11"),
    ("PA14A", "OTH", "Other (synthetic price)", 500, "0.10"),
]
SOURCE = "SYNTHETIC demo tariff: not the national tariff"


def _providers(cumbria) -> dict[str, Provider]:
    out = {}
    for code, name, kind, contracted in PROVIDERS:
        out[code], _ = Provider.objects.get_or_create(
            commissioner=cumbria,
            code=code,
            defaults={"name": name, "kind": kind, "contracted": contracted},
        )
    for code, pod, description, pounds, _ in TARIFF:
        TariffPrice.objects.get_or_create(
            year=YEAR,
            code=code,
            pod=pod,
            defaults={"description": description, "price": pounds * 100, "source": SOURCE},
        )
    return out


def _csv(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _pounds(pence: int) -> str:
    return f"{pence / 100:.2f}" if pence % 100 else str(pence // 100)


def _practice_budgets(run: ModelRun) -> dict[str, dict[str, int]]:
    """Each practice's indicative monthly spend per line: its locality's allocation per line,
    shared by the practices' weighted populations."""
    line_by_locality: dict[str, dict[str, int]] = defaultdict(dict)
    for row_line in ModelRunLine.objects.filter(row__run=run).select_related(
        "row__locality", "line"
    ):
        line_by_locality[row_line.row.locality.code][row_line.line.code] = row_line.proposal
    practices = list(
        ModelRunPractice.objects.filter(run=run).select_related("practice", "locality")
    )
    weight_by_locality: dict[str, Decimal] = defaultdict(Decimal)
    for p in practices:
        weight_by_locality[p.locality.code] += p.weighted_population
    out = {}
    for p in practices:
        share = p.weighted_population / weight_by_locality[p.locality.code]
        out[p.practice.code] = {
            "locality": p.locality.code,
            **{
                line: int(Decimal(amount) * share / 12)
                for line, amount in line_by_locality[p.locality.code].items()
            },
        }
    return out


def cumbria_activity_load() -> ReconciliationRun | None:
    """Generate, import and reconcile the synthetic year. Idempotent."""
    cumbria = Organisation.objects.get(code="5NE")
    run = ModelRun.objects.filter(commissioner=cumbria, year=YEAR, status="approved").first()
    if (
        run is None
        or Upload.objects.filter(commissioner=cumbria, kind__in=ACTIVITY_KINDS, year=YEAR).exists()
    ):
        return ReconciliationRun.objects.filter(commissioner=cumbria, year=YEAR).first()
    finance = User.objects.get(username="finance")
    providers = _providers(cumbria)
    budgets = _practice_budgets(run)
    rng = random.Random(2010)  # noqa: S311 - deterministic demo data, not security
    tariff = {(code, pod): pounds * 100 for code, pod, _, pounds, _ in TARIFF}
    practice_paths = dict(
        Organisation.objects.filter(
            path__startswith=cumbria.path, kind=OrganisationKind.PRACTICE
        ).values_list("code", "path")
    )
    # Community services are charged where their budget sits: the sub-localities where a
    # locality has delegated, otherwise the locality.
    charge_nodes = [
        node
        for node in Organisation.objects.filter(
            path__startswith=cumbria.path,
            kind__in=[OrganisationKind.LOCALITY, OrganisationKind.SUB_LOCALITY],
        ).order_by("code")
        if not node.children.filter(kind=OrganisationKind.SUB_LOCALITY).exists()
    ]
    for month in range(1, MONTHS_LOADED + 1):
        season = SEASON[month - 1]
        hospital = defaultdict(list)
        excluded = defaultdict(list)
        prescribing, community = [], []
        for practice, budget in sorted(budgets.items()):
            factor = OUT_OF_LINE.get(practice, Decimal(1))
            trust = "RTX" if budget["locality"] in SOUTH else "RNL"
            noise = Decimal(rng.randint(96, 104)) / 100

            def spend(
                line, seasonal=True, factor=factor, noise=noise, budget=budget, season=season
            ):
                base = Decimal(budget.get(line, 0)) * factor * noise
                return int(base * (season if seasonal else 1))

            contracted = spend("SC-PBR")
            for code, pod, _, _, mix in TARIFF:
                activity = int(Decimal(contracted) * Decimal(mix) / tariff[(code, pod)])
                hospital[trust].append(
                    [trust, practice, f"M{month}", pod, code, activity, "", "Y", "N"]
                )
            hospital[trust].append(
                [
                    trust,
                    practice,
                    f"M{month}",
                    "NEL",
                    "DZ19A",
                    1,
                    _pounds(spend("SC-NCA")),
                    "N",
                    "N",
                ]
            )
            hospital["NVC"].append(
                [
                    "NVC",
                    practice,
                    f"M{month}",
                    "EL",
                    "HB12C",
                    1,
                    _pounds(spend("SC-IS", seasonal=False)),
                    "Y",
                    "Y",
                ]
            )
            excluded[trust].append(
                [trust, practice, f"M{month}", _pounds(spend("SC-EXCL", seasonal=False))]
            )
            presc = spend("PRESC", seasonal=False)
            prescribing.append(
                [practice, f"M{month}", presc // 950, _pounds(presc * 107 // 100), _pounds(presc)]
            )
        for node in charge_nodes:
            comm = sum(
                b.get("COMM", 0)
                for code, b in budgets.items()
                if practice_paths[code].startswith(node.path)
            )
            for service, mix in (
                ("District nursing", "0.45"),
                ("Community hospitals", "0.35"),
                ("Care Closer to Home", "0.20"),
            ):
                community.append(
                    [
                        node.code,
                        service,
                        f"M{month}",
                        _pounds(
                            int(Decimal(comm) * Decimal(mix) * Decimal(rng.randint(97, 103)) / 100)
                        ),
                    ]
                )
        files = [
            (ImportKind.HOSPITAL, providers[p], rows, "hospital") for p, rows in hospital.items()
        ]
        files += [
            (ImportKind.EXCLUDED, providers[p], rows, "excluded") for p, rows in excluded.items()
        ]
        files += [
            (ImportKind.PRESCRIBING, None, prescribing, "prescribing"),
            (ImportKind.COMMUNITY, None, community, "community"),
        ]
        from .layouts import LAYOUTS

        for kind, provider, rows, label in files:
            header = [c.name for c in LAYOUTS[kind].columns]
            name = (
                f"SYNTHETIC-{label}-{provider.code if provider else 'all'}-{YEAR}-M{month:02d}.csv"
            )
            record = activity_import_create(
                actor=finance,
                commissioner=cumbria,
                kind=kind,
                year=YEAR,
                month=month,
                provider=provider,
                upload=SimpleUploadedFile(name, _csv(header, rows)),
            )
            upload_process(upload_id=record.pk)
    reconciliation = reconciliation_start(
        actor=finance,
        commissioner=cumbria,
        year=YEAR,
        month=MONTHS_LOADED,
        trigger="demo",
        run_now=True,
    )
    for month in range(1, MONTHS_CLOSED + 1):
        month_close(actor=finance, commissioner=cumbria, year=YEAR, month=month)
    return reconciliation
