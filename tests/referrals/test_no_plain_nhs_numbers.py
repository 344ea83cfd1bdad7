"""No plain NHS number remains after a referral import, successful or not: not in the database
(any column of any table), not in the stored files, not in temporary files."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from consortia.imports.models import FileKept
from referrals.models import ReferralImportKind
from tests.referrals.conftest import import_rows, valid_nhs_number

pytestmark = pytest.mark.django_db


def _all_text_in_the_database() -> str:
    """Every value of every table, as text (the test database is small)."""
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            out += [str(value) for row in cursor.fetchall() for value in row]
    return "\n".join(out)


def _files_written_since(started: float, *folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        for root, _, names in os.walk(folder):
            for name in names:
                path = Path(root) / name
                try:
                    if path.stat().st_mtime >= started:
                        found.append(path)
                except OSError:
                    continue
    return found


def _holds(numbers: list[str], text: str) -> list[str]:
    squashed = text.replace(" ", "").replace("-", "")
    return [n for n in numbers if n in squashed]


def test_no_plain_nhs_number_remains_after_an_import_good_or_bad(tic, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    started = time.time() - 1
    numbers = [valid_nhs_number(n) for n in (501, 502, 503, 504)]
    spaced = [f"{n[:3]} {n[3:6]} {n[6:]}" for n in numbers]
    good = import_rows(
        tic["finance"],
        tic["icb"],
        ReferralImportKind.REFERRALS,
        [["Y00001", "2010-04-02", "130", "RXX", "routine", "", spaced[0]],
         ["Y00002", "2010-04-03", "130", "RXX", "urgent", "", numbers[1]]],
        name="good.csv",
    )  # fmt: skip
    bad = import_rows(
        tic["finance"],
        tic["icb"],
        ReferralImportKind.REFERRALS,
        [["Y00001", "2010-04-02", "130", "RXX", "routine", "", numbers[2]],
         ["Y00001", "2010-04-02", "999", "RXX", "soon", "", numbers[3][:-1] + "0"],
         ["Z99999", "2010-04-02", "130", "RXX", "routine", "", spaced[3]]],
        name="bad.csv",
    )  # fmt: skip
    events = import_rows(
        tic["finance"],
        tic["icb"],
        ReferralImportKind.INFORMATION,
        [["RXX", "A1", "Y00001", "clinic_letter", "130", "2010-04-01 10:00", "", numbers[0]]],
        name="events.csv",
    )

    assert (good.status, bad.status, events.status) == ("complete", "failed", "complete")
    assert {good.file_kept, events.file_kept} == {FileKept.NOT_KEPT}
    assert bad.file_kept == FileKept.DELETED
    assert not good.file and not bad.file and not events.file
    assert _holds(numbers, _all_text_in_the_database()) == []
    written = _files_written_since(started, settings.MEDIA_ROOT, Path(tempfile.gettempdir()))
    leaks = [p for p in written if _holds(numbers, p.read_bytes().decode("latin-1"))]
    assert leaks == []


def test_the_page_says_the_file_was_not_kept(tic, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    record = import_rows(
        tic["finance"],
        tic["icb"],
        ReferralImportKind.REFERRALS,
        [["Y00001", "2010-04-02", "130", "RXX", "routine", "", valid_nhs_number(600)]],
    )
    client.force_login(tic["finance"])

    html = client.get(f"/referrals/imports/{record.pk}/").content.decode()

    assert "Not kept: it held NHS numbers" in html


def test_an_nhs_number_in_the_wrong_column_is_neither_stored_nor_quoted_back(
    tic, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    number = valid_nhs_number(700)
    record = import_rows(
        tic["finance"],
        tic["icb"],
        ReferralImportKind.REFERRALS,
        [[number, "2010-04-02", "130", "RXX", "routine", "", valid_nhs_number(701)],
         ["Y00001", "2010-04-02", "130", "RXX", "routine", number, valid_nhs_number(702)]],
    )  # fmt: skip

    assert record.status == "failed"
    assert [(e["row"], e["column"]) for e in record.errors] == [
        (2, "practice_code"),
        (3, "clinician"),
    ]
    assert record.errors[0]["message"] == "Unknown practice '[number not shown]'."
    assert "NHS number, not a clinician's code" in record.errors[1]["message"]
    assert _holds([number], _all_text_in_the_database()) == []
