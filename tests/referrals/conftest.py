"""Fixtures for the referrals tests: the tiny commissioner with list sizes, NHS numbers."""

import datetime as dt
import functools

import nhs_number
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from consortia.imports.layouts import layout_for
from consortia.imports.services import upload_process
from localities.services import list_size_record
from referrals.layouts import LAYOUTS
from referrals.models import ReferralImportKind
from referrals.services import csv_bytes, referral_import_create
from tests.budgets.scenario import build


@functools.cache
def _valid_numbers(count: int) -> tuple[str, ...]:
    out, stem = [], 999_000_000
    while len(out) < count:
        check = nhs_number.calculate_checksum(str(stem))
        if check != 10:
            out.append(f"{stem}{check}")
        stem += 1
    return tuple(out)


def valid_nhs_number(n: int) -> str:
    """The n-th valid NHS number in the 999 range (never issued: test patients)."""
    return _valid_numbers(20_000)[n]


@pytest.fixture
def tic(cumbria):
    """The tiny commissioner, its practices with list sizes by age band:
    North Practice (Y00001): 600 men aged 0-4 and 400 women aged 75+ (1,000 patients);
    South Practice (Y00002): 2,000 men aged 25-34."""
    s = build()
    list_size_record(
        actor=None,
        practice=s["p1"],
        as_of=dt.date(2010, 4, 1),
        bands={("M", "0-4"): 600, ("F", "75+"): 400},
        source="test",
    )
    list_size_record(
        actor=None,
        practice=s["p2"],
        as_of=dt.date(2010, 4, 1),
        bands={("M", "25-34"): 2000},
        source="test",
    )
    return s


def import_rows(actor, commissioner, kind, rows, name="file.csv"):
    header = [c.name for c in layout_for(LAYOUTS[kind]).columns]
    record = referral_import_create(
        actor=actor,
        commissioner=commissioner,
        kind=kind,
        upload=SimpleUploadedFile(name, csv_bytes(header, rows)),
    )
    return upload_process(upload_id=record.pk)


def referral_rows(practice_code, count, *, specialty="130", provider="RXX", start=0, month=4):
    """`count` routine referrals in a calendar month of 2010 (April: M1), distinct patients."""
    return [
        [
            practice_code,
            f"2010-{month:02d}-{1 + i % 28:02d}",
            specialty,
            provider,
            "routine",
            "",
            valid_nhs_number(start + i),
        ]  # fmt: skip
        for i in range(count)
    ]


@pytest.fixture
def api():
    def client_for(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for


__all__ = ["ReferralImportKind", "import_rows", "referral_rows", "valid_nhs_number"]
