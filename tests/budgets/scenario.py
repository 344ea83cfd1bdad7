"""A small commissioner with hand-checkable numbers, for import and reconciliation tests.

Tiny ICB (code TIC): places North (practice Y00001) and South (practice Y00002).
Budgets for 2010-11: contracted PbR £12,000 each place (flat: £1,000 a month), prescribing
£2,400 North only (£200 a month), community £1,200 South (£100 a month).
Tariff 2010: HRG AA11A at EL £100; treatment function 130 at OPFA £50.
Provider RXX (an NHS trust). Finance user `tic.finance`, lead GP `tic.lead.north`.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.files.uploadedfile import SimpleUploadedFile

from budgets.activity.services.imports import activity_import_create
from budgets.ledger.services import account_get_or_create, budget_line_create, ledger_post
from budgets.models import AccountPurpose, LineCategory, Provider, TariffPrice
from consortia.imports.models import UploadStatus
from consortia.imports.services import upload_process
from consortia.models import OrganisationKind, Role, User
from consortia.services import organisation_create, role_assign

HOSPITAL_HEADER = (
    "provider_code,practice_code,month,pod,code,activity,cost,contract,independent_sector\n"
)


def build():
    icb = organisation_create(
        actor=None,
        kind=OrganisationKind.COMMISSIONER,
        code="TIC",
        name="Tiny ICB",
        locality_level_name="Place",
    )
    north = organisation_create(
        actor=None, kind=OrganisationKind.LOCALITY, code="TIC-N", name="North", parent=icb
    )
    south = organisation_create(
        actor=None, kind=OrganisationKind.LOCALITY, code="TIC-S", name="South", parent=icb
    )
    p1 = organisation_create(
        actor=None,
        kind=OrganisationKind.PRACTICE,
        code="Y00001",
        name="North Practice",
        parent=north,
    )
    p2 = organisation_create(
        actor=None,
        kind=OrganisationKind.PRACTICE,
        code="Y00002",
        name="South Practice",
        parent=south,
    )
    lines = {}
    for order, (code, category) in enumerate(
        [
            ("RRL", LineCategory.FUNDING),
            ("SC-PBR", LineCategory.DELEGATED),
            ("SC-NCA", LineCategory.DELEGATED),
            ("SC-IS", LineCategory.DELEGATED),
            ("SC-EXCL", LineCategory.DELEGATED),
            ("PRESC", LineCategory.DELEGATED),
            ("COMM", LineCategory.DELEGATED),
        ]
    ):
        lines[code] = budget_line_create(
            actor=None, commissioner=icb, code=code, name=code, category=category, order=order
        )
    funding = account_get_or_create(
        organisation=icb, year=2010, line=lines["RRL"], purpose=AccountPurpose.FUNDING
    )
    allocation = [
        (north, "SC-PBR", 12_000_00),
        (south, "SC-PBR", 12_000_00),
        (north, "PRESC", 2_400_00),
        (south, "COMM", 1_200_00),
    ]
    legs = [
        (account_get_or_create(organisation=org, year=2010, line=lines[code]), amount)
        for org, code, amount in allocation
    ]
    ledger_post(
        legs=[(funding, -sum(a for _, a in legs)), *legs],
        kind="allocation",
        memo="Tiny ICB 2010-11",
        actor=None,
    )
    provider = Provider.objects.create(
        commissioner=icb, code="RXX", name="Riverside Trust", kind="nhs_trust"
    )
    TariffPrice.objects.create(year=2010, code="AA11A", pod="EL", price=100_00, source="test")
    TariffPrice.objects.create(year=2010, code="130", pod="OPFA", price=50_00, source="test")
    finance = User.objects.create_user("tic.finance", email="tic.finance@example.nhs.uk")
    lead = User.objects.create_user("tic.lead.north", email="tic.lead@example.nhs.uk")
    role_assign(
        actor=None,
        user=finance,
        role=Role.PCT_FINANCE,
        organisation=icb,
        starts_on=dt.date(2010, 1, 1),
    )
    role_assign(
        actor=None,
        user=lead,
        role=Role.LOCALITY_LEAD,
        organisation=north,
        starts_on=dt.date(2010, 1, 1),
    )
    return {
        "icb": icb,
        "north": north,
        "south": south,
        "p1": p1,
        "p2": p2,
        "lines": lines,
        "provider": provider,
        "finance": finance,
        "lead": lead,
    }


def upload(
    s,
    content: str | bytes,
    *,
    kind="hospital",
    month=1,
    name="file.csv",
    replaces=None,
    provider=True,
):
    data = content.encode() if isinstance(content, str) else content
    record = activity_import_create(
        actor=s["finance"],
        commissioner=s["icb"],
        kind=kind,
        year=2010,
        month=month,
        provider=s["provider"] if provider else None,
        upload=SimpleUploadedFile(name, data),
        replaces=replaces,
    )
    upload_process(upload_id=record.pk)
    # With a real worker, the worker may have claimed the file first: wait for it.
    deadline = time.monotonic() + 60
    record.refresh_from_db()
    while record.status in (UploadStatus.QUEUED, UploadStatus.RUNNING):
        assert time.monotonic() < deadline, f"{record} did not finish"
        time.sleep(0.1)
        record.refresh_from_db()
    return record
