"""Referral and information files: every row checked, errors by row and column, all or nothing,
the same file refused twice; information arriving later is recorded against its reference."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from consortia.errors import ApplicationError
from consortia.imports.layouts import layout_for
from consortia.imports.models import Upload
from referrals.layouts import LAYOUTS
from referrals.models import InformationEvent, Referral, ReferralImportKind
from referrals.services import csv_bytes, referral_import_create
from tests.referrals.conftest import import_rows, referral_rows, valid_nhs_number

pytestmark = pytest.mark.django_db
R, INFO = ReferralImportKind.REFERRALS, ReferralImportKind.INFORMATION


def test_a_good_file_imports_every_row(tic):
    record = import_rows(tic["finance"], tic["icb"], R, referral_rows("Y00001", 5))

    assert record.status == "complete" and record.rows_loaded == 5
    assert Referral.objects.filter(practice=tic["p1"], year=2010, month=1).count() == 5


def test_every_bad_row_is_listed_and_nothing_is_imported(tic):
    rows = referral_rows("Y00001", 2) + [
        ["Y99999", "2010-04-31", "13", "NOPE", "soon", "", valid_nhs_number(50)],
        referral_rows("Y00001", 1)[0],  # the same referral as the first row
    ]
    record = import_rows(tic["finance"], tic["icb"], R, rows)

    assert record.status == "failed"
    assert [(e["row"], e["column"]) for e in record.errors] == [
        (4, "practice_code"),
        (4, "referred_on"),
        (4, "specialty"),
        (4, "provider_code"),
        (4, "priority"),
        (5, ""),
    ]
    assert "Duplicate of row 2" in record.errors[-1]["message"]
    assert not Referral.objects.filter(practice=tic["p1"]).exists()


def test_a_missing_column_is_named(tic):
    upload = SimpleUploadedFile("x.csv", b"practice_code,referred_on\nY00001,2010-04-01\n")
    record = referral_import_create(actor=tic["finance"], commissioner=tic["icb"], kind=R,
                                    upload=upload)  # fmt: skip
    from consortia.imports.services import upload_process

    record = upload_process(upload_id=record.pk)
    assert record.status == "failed"
    assert {e["column"] for e in record.errors} >= {"specialty", "nhs_number"}


def test_the_same_file_twice_is_refused(tic):
    rows = referral_rows("Y00001", 2)
    import_rows(tic["finance"], tic["icb"], R, rows, name="a.csv")

    with pytest.raises(ApplicationError, match="already imported"):
        import_rows(tic["finance"], tic["icb"], R, rows, name="b.csv")


def test_an_xlsx_file_keeps_its_dates(tic, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([c.name for c in layout_for(LAYOUTS[R]).columns])
    import datetime as dt

    sheet.append(["Y00002", dt.date(2010, 5, 17), 130, "RXX", "urgent", "", "943 476 5919"])
    path = tmp_path / "referrals.xlsx"
    workbook.save(path)
    record = referral_import_create(
        actor=tic["finance"],
        commissioner=tic["icb"],
        kind=R,
        upload=SimpleUploadedFile("referrals.xlsx", path.read_bytes()),
    )
    from consortia.imports.services import upload_process

    assert upload_process(upload_id=record.pk).status == "complete"
    referral = Referral.objects.get(practice=tic["p2"])
    assert (str(referral.referred_on), referral.month, referral.priority) == (
        "2010-05-17",
        2,
        "urgent",
    )


def test_information_that_arrives_later_is_recorded_against_its_reference(tic):
    first = [["RXX", "A1", "Y00001", "clinic_letter", "130", "2010-04-01 10:00", "", ""],
             ["RXX", "A2", "Y00001", "discharge", "300", "2010-04-02 16:00", "2010-04-03 09:30",
              ""]]  # fmt: skip
    assert import_rows(tic["finance"], tic["icb"], INFO, first).status == "complete"
    later = [["RXX", "A1", "Y00001", "clinic_letter", "130", "2010-04-01 10:00",
              "2010-04-06 10:00", ""], first[1]]  # fmt: skip

    record = import_rows(tic["finance"], tic["icb"], INFO, later, name="later.csv")

    assert (record.status, record.rows_loaded, record.rows_updated) == ("complete", 0, 1)
    a1, a2 = InformationEvent.objects.order_by("reference")
    assert a1.delay_hours == 120 and a2.delay_hours == 18  # 17.5 hours, rounded up
    assert (a1.year, a1.month, a2.kind) == (2010, 1, "discharge_summary")


def test_information_contradicting_what_was_recorded_is_a_row_error(tic):
    first = [["RXX", "A1", "Y00001", "clinic_letter", "130", "2010-04-01 10:00",
              "2010-04-02 10:00", ""]]  # fmt: skip
    import_rows(tic["finance"], tic["icb"], INFO, first)
    bad = [["RXX", "A1", "Y00001", "clinic_letter", "130", "2010-04-01 10:00",
            "2010-04-09 10:00", ""],
           ["RXX", "A9", "Y00001", "clinic_letter", "130", "2010-04-01 10:00", "", ""],
           ["RXX", "A8", "Y00001", "letter", "130", "2010-04-05 10:00", "2010-04-04 10:00",
            ""]]  # fmt: skip

    record = import_rows(tic["finance"], tic["icb"], INFO, bad, name="bad.csv")

    assert record.status == "failed"
    assert [(e["row"], e["column"]) for e in record.errors] == [(2, "received"), (4, "received")]
    assert not InformationEvent.objects.filter(reference="A9").exists()  # nothing half-imported


def test_finance_uploads_on_the_page_and_sees_errors_by_row(tic, client,
                                                            django_capture_on_commit_callbacks):  # fmt: skip
    client.force_login(tic["finance"])
    header = [c.name for c in layout_for(LAYOUTS[R]).columns]
    data = csv_bytes(header, [["Y00001", "2010-04-01", "130", "RXX", "routine", "", "123"]])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/referrals/imports/",
            {"kind": "referrals", "file": SimpleUploadedFile("r.csv", data)},
        )

    record = Upload.objects.get(original_name="r.csv")
    assert response["Location"] == f"/referrals/imports/{record.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "Failed: nothing imported" in html and "10 digits" in html
    report = client.get(f"/imports/{record.pk}/errors.csv").content.decode()
    assert report.splitlines()[1].startswith("2,nhs_number,")


def test_a_lead_gp_may_not_upload(tic, client):
    client.force_login(tic["lead"])
    upload = SimpleUploadedFile("r.csv", b"x")

    assert (
        client.post("/referrals/imports/", {"kind": "referrals", "file": upload}).status_code == 403
    )


def test_referrals_posted_through_the_api(tic, api):
    response = api(tic["finance"]).post(
        "/api/referrals/referrals/",
        {
            "practice": "Y00001",
            "referred_on": "2010-04-01",
            "specialty": "130",
            "provider": "RXX",
            "priority": "two_week_wait",
            "nhs_number": "943-476-5919",
        },  # fmt: skip
        format="json",
    )

    assert response.status_code == 201 and "nhs_number" not in response.json()
    bad = api(tic["finance"]).post(
        "/api/referrals/referrals/",
        {
            "practice": "Y00001",
            "referred_on": "2010-04-01",
            "specialty": "130",
            "provider": "RXX",
            "priority": "routine",
            "nhs_number": "9434765918",
        },  # fmt: skip
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["extra"]["field"] == "nhs_number"
