"""Activity imports: a valid file loads; each class of bad input imports nothing and names the
row and column; the same file twice is refused; a revision replaces, keeping both."""

import io

import pytest
from openpyxl import Workbook

from budgets.models import ActivityRow
from consortia.errors import ApplicationError
from consortia.imports.models import UploadStatus
from tests.budgets.scenario import HOSPITAL_HEADER, build, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def s(cumbria):
    return build()


def rows_of(record):
    return ActivityRow.objects.filter(upload_id=record.pk)


def test_a_valid_hospital_file_is_priced_at_tariff_and_loaded(s):
    record = upload(
        s,
        HOSPITAL_HEADER
        + "RXX,Y00001,2010-04,EL,AA11A,3,,Y,N\n"  # 3 × £100 tariff
        + "RXX,Y00002,M1,OPFA,130,10,480.50,Y,N\n"  # priced by the provider
        + "RXX,Y00002,M1,NEL,XX99Z,1,2000,N,N\n",
    )  # non-contract

    assert record.status == UploadStatus.COMPLETE, record.errors
    assert record.rows_loaded == 3 and record.rows_total == 3
    costs = {
        (r.organisation.code, r.line.code): r.cost
        for r in rows_of(record).select_related("organisation", "line")
    }
    assert costs == {
        ("Y00001", "SC-PBR"): 300_00,
        ("Y00002", "SC-PBR"): 480_50,
        ("Y00002", "SC-NCA"): 2_000_00,
    }


def test_an_xlsx_file_loads_the_same_way(s):
    book = Workbook()
    sheet = book.active
    sheet.append(["practice_code", "month", "items", "nic", "actual_cost"])
    sheet.append(["Y00001", "2010-04", 120, 250.75, 230.10])
    buffer = io.BytesIO()
    book.save(buffer)

    record = upload(s, buffer.getvalue(), kind="prescribing", name="presc.xlsx", provider=False)

    assert record.status == UploadStatus.COMPLETE, record.errors
    row = rows_of(record).get()
    assert (row.cost, row.activity, row.line.code) == (230_10, 120, "PRESC")


BAD = [
    ("unknown practice", "RXX,Z99999,M1,EL,AA11A,1,,Y,N\n", "practice_code", "Unknown practice"),
    ("unknown provider", "RZZ,Y00001,M1,EL,AA11A,1,,Y,N\n", "provider_code", "Unknown provider"),
    (
        "month outside the year",
        "RXX,Y00001,2011-04,EL,AA11A,1,,Y,N\n",
        "month",
        "not a month of 2010-11",
    ),
    ("negative count", "RXX,Y00001,M1,EL,AA11A,-2,,Y,N\n", "activity", "whole number"),
    ("non-numeric count", "RXX,Y00001,M1,EL,AA11A,three,,Y,N\n", "activity", "whole number"),
    ("unknown tariff code", "RXX,Y00001,M1,EL,ZZ99Z,1,,Y,N\n", "code", "No national tariff"),
    ("bad money", "RXX,Y00001,M1,EL,AA11A,1,12.345,Y,N\n", "cost", "two decimal places"),
    ("bad flag", "RXX,Y00001,M1,EL,AA11A,1,,maybe,N\n", "contract", "Y or N"),
]


@pytest.mark.parametrize(("case", "bad_row", "column", "message"), BAD, ids=[b[0] for b in BAD])
def test_each_bad_row_imports_nothing_and_names_row_and_column(s, case, bad_row, column, message):
    record = upload(s, HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,1,,Y,N\n" + bad_row)

    assert record.status == UploadStatus.FAILED
    assert not rows_of(record).exists()
    assert record.errors[0]["row"] == 3 and record.errors[0]["column"] == column
    assert message in record.errors[0]["message"]


def test_every_bad_row_is_reported_not_just_the_first(s):
    record = upload(s, HOSPITAL_HEADER + "RXX,Z1,M1,EL,AA11A,1,,Y,N\n" * 3)

    assert record.error_count == 3
    assert [e["row"] for e in record.errors] == [2, 3, 4]


def test_missing_columns_are_named(s):
    record = upload(s, "provider_code,practice_code,month\nRXX,Y00001,M1\n")

    assert record.status == UploadStatus.FAILED
    assert {e["column"] for e in record.errors} == {
        "pod",
        "code",
        "activity",
        "contract",
        "independent_sector",
    }
    assert all(e["row"] == 1 for e in record.errors)


def test_a_file_in_the_wrong_encoding_is_refused_with_what_to_do(s):
    content = (HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,1,,Y,N\n").encode() + "Caf\xe9\n".encode(
        "latin-1"
    )

    record = upload(s, content)

    assert record.status == UploadStatus.FAILED
    assert "UTF-8" in record.errors[0]["message"]
    assert not rows_of(record).exists()


def test_duplicate_rows_are_found_and_nothing_is_imported(s):
    line = "RXX,Y00001,M1,EL,AA11A,1,,Y,N\n"
    record = upload(s, HOSPITAL_HEADER + line + "RXX,Y00002,M1,EL,AA11A,1,,Y,N\n" + line)

    assert record.status == UploadStatus.FAILED
    assert record.errors == [
        {"row": 4, "column": "", "message": "Duplicate of row 2: the same activity twice."}
    ]
    assert not rows_of(record).exists()


def test_the_same_file_twice_is_refused(s):
    content = HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,1,,Y,N\n"
    first = upload(s, content)

    with pytest.raises(ApplicationError, match=f"already imported as #{first.pk}"):
        upload(s, content, month=2)


def test_a_second_file_for_the_same_provider_and_month_must_say_it_is_a_revision(s):
    first = upload(s, HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,1,,Y,N\n")

    with pytest.raises(ApplicationError, match="revision"):
        upload(s, HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,2,,Y,N\n")
    revision = upload(s, HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,2,,Y,N\n", replaces=first)

    first.refresh_from_db()
    assert (first.status, revision.status) == (UploadStatus.SUPERSEDED, UploadStatus.COMPLETE)
    assert rows_of(first).count() == 1  # kept in history
    assert rows_of(revision).get().cost == 200_00


def test_a_file_for_a_provider_must_only_hold_that_providers_rows(s):
    from budgets.models import Provider

    Provider.objects.create(commissioner=s["icb"], code="ROT", name="Other", kind="nhs_trust")
    record = upload(s, HOSPITAL_HEADER + "ROT,Y00001,M1,EL,AA11A,1,,Y,N\n")

    assert record.errors[0]["column"] == "provider_code"
    assert "This file is for RXX" in record.errors[0]["message"]


def test_rows_of_another_month_than_the_file_declares_are_refused_by_row(s):
    record = upload(
        s,
        HOSPITAL_HEADER
        + "RXX,Y00001,M12,EL,AA11A,1,,Y,N\n"
        + "RXX,Y00001,2011-02,EL,AA11A,2,,Y,N\n"  # February: M11
        + "RXX,Y00002,2011-03,EL,AA11A,3,,Y,N\n",
        month=12,
    )

    assert record.status == UploadStatus.FAILED
    assert record.errors == [
        {
            "row": 3,
            "column": "month",
            "message": "'2011-02' is M11, but this file was declared as M12 of 2010-11: each "
            "file holds one month.",
        }
    ]
    assert not rows_of(record).exists()


def test_a_header_only_file_is_refused_and_does_not_block_the_month(s):
    empty = upload(s, HOSPITAL_HEADER, name="empty.csv")

    assert empty.status == UploadStatus.FAILED
    assert "header but no rows" in empty.message
    assert upload(s, HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,1,,Y,N\n").status == "complete"
