"""The activity and reconciliation pages and API, as finance and a lead GP use them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from budgets.models import ReconciliationRun
from consortia.imports.models import Upload, UploadStatus
from tests.budgets.scenario import HOSPITAL_HEADER, build
from tests.budgets.test_reconciliation import load_months, reconcile

pytestmark = pytest.mark.django_db


@pytest.fixture
def s(cumbria):
    return build()


def test_finance_uploads_a_file_and_sees_it_imported(client, s, django_capture_on_commit_callbacks):
    client.force_login(s["finance"])
    upload = SimpleUploadedFile(
        "m1.csv", (HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,3,,Y,N\n").encode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/activity/",
            {"kind": "hospital", "year": 2010, "month": 1, "provider": "rxx", "file": upload},
        )

    record = Upload.objects.get(original_name="m1.csv")
    assert response["Location"] == f"/activity/imports/{record.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "Imported" in html and "1 row imported" in html


def test_a_bad_file_shows_each_problem_by_row_and_column(
    client, s, django_capture_on_commit_callbacks
):
    client.force_login(s["finance"])
    upload = SimpleUploadedFile(
        "bad.csv",
        (
            HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,3,,Y,N\n" + "RXX,Q12345,M1,EL,AA11A,x,,Y,N\n"
        ).encode(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/activity/",
            {"kind": "hospital", "year": 2010, "month": 1, "provider": "RXX", "file": upload},
        )

    html = client.get(response["Location"]).content.decode()
    assert "2 problems: nothing was imported" in html
    assert "Unknown practice &#x27;Q12345&#x27;" in html
    record = Upload.objects.get(original_name="bad.csv")
    report = client.get(f"/imports/{record.pk}/errors.csv").content.decode()
    assert report.splitlines()[0] == "row,column,problem"
    assert report.splitlines()[1].startswith("3,practice_code,Unknown practice")


def test_an_unknown_provider_on_the_form_is_named(client, s):
    client.force_login(s["finance"])
    upload = SimpleUploadedFile("x.csv", HOSPITAL_HEADER.encode())
    html = client.post(
        "/activity/",
        {"kind": "hospital", "year": 2010, "month": 1, "provider": "NOPE", "file": upload},
    ).content.decode()

    assert "Unknown provider &#x27;NOPE&#x27;" in html
    assert not Upload.objects.filter(original_name="x.csv").exists()


def test_templates_download_with_the_documented_columns(client):
    csv_text = client.get("/imports/templates/activity.prescribing.csv").content.decode()

    assert csv_text.splitlines()[0] == "practice_code,month,items,nic,actual_cost"
    assert client.get("/imports/templates/activity.hospital.xlsx")["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )


def test_a_lead_gp_cannot_upload(client, s):
    client.force_login(s["lead"])
    upload = SimpleUploadedFile("m1.csv", HOSPITAL_HEADER.encode())

    response = client.post(
        "/activity/",
        {"kind": "hospital", "year": 2010, "month": 1, "provider": "RXX", "file": upload},
    )

    assert response.status_code == 403


def test_the_api_takes_a_file_reports_progress_and_reconciles(
    s, django_capture_on_commit_callbacks
):
    api = APIClient()
    api.force_authenticate(s["finance"])
    upload = SimpleUploadedFile(
        "api.csv", (HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,3,,Y,N\n").encode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/activity-imports/",
            {
                "kind": "hospital",
                "year": 2010,
                "month": 1,
                "provider": "RXX",
                "file": upload,
                "commissioner": "TIC",
            },
            format="multipart",
        )
    assert created.status_code == 202
    detail = api.get(f"/api/activity-imports/{created.json()['id']}/").json()
    assert (detail["status"], detail["rows_loaded"], detail["errors"]) == ("complete", 1, [])

    with django_capture_on_commit_callbacks(execute=True):
        run = api.post("/api/reconciliations/", {"year": 2010, "month": 1, "commissioner": "TIC"})
    assert run.status_code == 202
    assert ReconciliationRun.objects.get(pk=run.json()["id"]).status == "succeeded"
    positions = api.get("/api/positions/2010/1/TIC-N/").json()
    assert positions["total"]["ytd_actual"] == 300_00
    assert {p["line"] for p in positions["lines"]} >= {"SC-PBR", "PRESC"}


def test_the_api_reports_the_row_errors_of_a_failed_file(s, django_capture_on_commit_callbacks):
    api = APIClient()
    api.force_authenticate(s["finance"])
    upload = SimpleUploadedFile(
        "bad.csv", (HOSPITAL_HEADER + "RXX,Y00001,M13,EL,AA11A,3,,Y,N\n").encode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/activity-imports/",
            {
                "kind": "hospital",
                "year": 2010,
                "month": 1,
                "provider": "RXX",
                "file": upload,
                "commissioner": "TIC",
            },
            format="multipart",
        )

    detail = api.get(f"/api/activity-imports/{created.json()['id']}/").json()
    assert detail["status"] == UploadStatus.FAILED
    assert detail["errors"][0]["row"] == 2 and detail["errors"][0]["column"] == "month"


def test_positions_page_shows_each_line_and_the_lead_sees_other_places(client, s):
    load_months(s)
    reconcile(s)
    client.force_login(s["lead"])

    html = client.get("/positions/2010/2/TIC-N/").content.decode()
    assert "Overspending" in html and "£10,800.00" in html  # prescribing red; PbR forecast
    assert client.get("/positions/2010/2/TIC-S/").status_code == 200  # leads see the county
    assert client.get("/positions/2010/2/TIC/").status_code == 200


def test_only_finance_closes_months_through_the_api(s):
    api = APIClient()
    api.force_authenticate(s["lead"])
    assert (
        api.post(
            "/api/reconciliations/close-month/", {"year": 2010, "month": 1, "commissioner": "TIC"}
        ).status_code
        == 403
    )
    api.force_authenticate(s["finance"])
    assert (
        api.post(
            "/api/reconciliations/close-month/", {"year": 2010, "month": 1, "commissioner": "TIC"}
        ).status_code
        == 201
    )
    refused = api.post("/api/reconciliations/", {"year": 2010, "month": 1, "commissioner": "TIC"})
    assert refused.status_code == 400 and "closed" in refused.json()["message"]


def test_control_totals_on_the_page_refuse_a_file_that_does_not_match_them(
    client, s, django_capture_on_commit_callbacks
):
    client.force_login(s["finance"])
    content = (HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,3,,Y,N\n").encode()  # 3 × £100
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/activity/",
            {"kind": "hospital", "year": 2010, "month": 1, "provider": "RXX",
             "file": SimpleUploadedFile("short.csv", content), "control_rows": 1,
             "control_total": "£310.00"},
        )  # fmt: skip

    html = client.get(response["Location"]).content.decode()
    assert "The file&#x27;s rows add up to £300.00; its control total says £310.00" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/activity/",
            {"kind": "hospital", "year": 2010, "month": 1, "provider": "RXX",
             "file": SimpleUploadedFile("right.csv", content + b"\n"), "control_rows": 1,
             "control_total": "300"},
        )  # fmt: skip
    html = client.get(response["Location"]).content.decode()
    assert "1 row imported" in html and "£300.00" in html and "matched" in html


def test_finance_downloads_a_kept_file_and_a_lead_gp_may_not(
    client, s, django_capture_on_commit_callbacks
):
    content = (HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,3,,Y,N\n").encode()
    client.force_login(s["finance"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/activity/",
            {"kind": "hospital", "year": 2010, "month": 1, "provider": "RXX",
             "file": SimpleUploadedFile("kept.csv", content)},
        )  # fmt: skip
    record = Upload.objects.get(original_name="kept.csv")

    download = client.get(f"/imports/{record.pk}/file")
    assert download.status_code == 200 and b"".join(download.streaming_content) == content
    client.force_login(s["lead"])
    assert client.get(f"/imports/{record.pk}/file").status_code == 404


def test_a_provider_for_a_file_without_one_and_a_revision_of_nothing_are_refused(
    client, s, django_capture_on_commit_callbacks
):
    client.force_login(s["finance"])
    prescribing = b"practice_code,month,items,nic,actual_cost\nY00001,M1,10,260,250\n"
    response = client.post(
        "/activity/",
        {"kind": "prescribing", "year": 2010, "month": 1, "provider": "RXX",
         "file": SimpleUploadedFile("p.csv", prescribing)},
    )  # fmt: skip
    assert response.status_code == 200
    assert (
        "A prescribing file has no provider: leave the provider blank." in response.content.decode()
    )
    response = client.post(
        "/activity/",
        {"kind": "hospital", "year": 2010, "month": 5, "provider": "RXX", "revision": "on",
         "file": SimpleUploadedFile("h.csv", (HOSPITAL_HEADER + "RXX,Y00001,M5,EL,AA11A,1,,Y,N\n").encode())},
    )  # fmt: skip
    assert "There is no current file for M5 from RXX to revise" in response.content.decode()
    assert not Upload.objects.filter(original_name__in=["p.csv", "h.csv"]).exists()
