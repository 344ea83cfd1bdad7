"""The public decision register (page, CSV, API) and the minutes: no login, read-only, names,
roles, votes and declarations only, a fixed number of queries."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from docx import Document
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _decide(sitting, n):
    for i in range(n):
        s = sitting(text=f"Extra decision {i}")
        s.declare("lead.eden", f"Interest {i}")
        s.open()
        s.votes(lead_allerdale="for", lead_barrow="against", director="for")
        s.close()
        from senate.services import meeting_close

        meeting_close(actor=s.secretary, meeting=s.meeting)


def test_anyone_reads_the_register_without_logging_in(client, cumbria):
    html = client.get("/senate/register/").content.decode()

    assert "CS-2010-03-25/M1" in html and "CS-2010-03-25/M2" in html
    assert "5 for, 0 against, 1 abstention" in html  # the allocation
    assert "6 for, 1 against, 0 abstentions" in html  # the diabetes pathway
    assert "Dr Eve Eden" in html and "Director of Eden Health CIC" in html
    assert "Resource allocation model 2010-11 (summary)" in html  # a link to the paper
    assert "posted to the ledger" in html


def test_the_register_filters_by_result_kind_and_words(client, cumbria, sitting):
    s = sitting(text="That the senate tenders the ophthalmology service")
    s.open()
    s.votes(lead_allerdale="against")
    s.close()

    lost = client.get("/senate/register/", {"result": "lost"}).content.decode()
    standards = client.get("/senate/register/", {"kind": "standard"}).content.decode()
    words = client.get("/senate/register/", {"q": "ophthalmology"}).content.decode()

    assert "ophthalmology" in lost and "CS-2010-03-25/M1" not in lost
    assert "CS-2010-03-25/M2" in standards and "CS-2010-03-25/M1" not in standards
    assert "ophthalmology" in words and "CS-2010-03-25" not in words


def test_the_register_exports_csv(client, cumbria):
    response = client.get("/senate/register.csv", {"meeting": "CS-2010-03-25"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response["Content-Disposition"].startswith("attachment")
    assert rows[0][:3] == ["Reference", "Meeting date", "Meeting"]
    by_ref = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_ref["CS-2010-03-25/M1"]["Result"] == "Carried"
    assert by_ref["CS-2010-03-25/M1"]["Meeting date"] == "2010-03-25"
    assert (
        "Dr Eve Eden: Director of Eden Health CIC"
        in by_ref["CS-2010-03-25/M1"]["Declared interests"]
    )
    assert "/senate/papers/" in by_ref["CS-2010-03-25/M2"]["Papers"]


def test_the_register_api_is_public_and_shows_no_private_data(cumbria):
    body = APIClient().get("/api/senate/decisions/", {"meeting": "CS-2010-03-25"}).json()

    decisions = {d["reference"]: d for d in body["results"]}
    m1 = decisions["CS-2010-03-25/M1"]
    assert (m1["result"], m1["votes_for"], m1["votes_against"], m1["abstentions"]) == (
        "carried",
        5,
        0,
        1,
    )
    assert m1["date"] == "2010-03-25"
    assert m1["declarations"][0]["member"] == "Dr Eve Eden"
    assert {v["member"] for v in m1["votes"]} >= {"Dr Anne Allerdale", "Dr Edward Director"}
    assert m1["papers"][0]["url"].startswith("http://testserver/senate/papers/")
    text = str(body)
    assert "example.nhs.uk" not in text and "lead.eden" not in text  # no e-mails, no usernames


def test_the_register_api_filters(cumbria):
    client = APIClient()

    assert client.get("/api/senate/decisions/", {"kind": "standard"}).json()["count"] >= 1
    assert all(
        d["result"] == "lost"
        for d in client.get("/api/senate/decisions/", {"result": "lost"}).json()["results"]
    )
    assert client.get("/api/senate/decisions/", {"until": "2009-12-31"}).json()["count"] == 0


def test_the_register_runs_the_same_queries_whatever_the_number_of_decisions(
    client, cumbria, sitting
):
    client.get("/senate/register/")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/senate/register/").status_code == 200

    _decide(sitting, 4)
    with CaptureQueriesContext(connection) as large:
        response = client.get("/senate/register/")

    assert response.content.decode().count('data-testid="decision"') == 6
    assert len(large) == len(small)


def test_the_api_register_runs_the_same_queries_whatever_the_number_of_decisions(cumbria, sitting):
    client = APIClient()
    with CaptureQueriesContext(connection) as small:
        client.get("/api/senate/decisions/")
    _decide(sitting, 3)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/api/senate/decisions/").json()["count"] == 5

    assert len(large) == len(small)


def test_minutes_are_a_printable_page_and_a_word_document(client, cumbria):
    from senate.models import Meeting

    meeting = Meeting.objects.get(reference="CS-2010-03-25")

    html = client.get(f"/senate/meetings/{meeting.pk}/minutes/").content.decode()
    response = client.get(f"/senate/meetings/{meeting.pk}/minutes.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)

    assert "Minutes: Clinical senate, March 2010" in html
    assert "Nora Nightingale" in html and "(no vote)" in html
    assert response["Content-Disposition"] == 'attachment; filename="minutes-CS-2010-03-25.docx"'
    assert "Dr Eve Eden declared: Director of Eden Health CIC" in text
    assert "CARRIED: 5 for, 0 against, 1 abstention" in text


def test_minutes_wait_until_the_meeting_closes(client, cumbria, sitting):
    s = sitting()

    assert client.get(f"/senate/meetings/{s.meeting.pk}/minutes/").status_code == 404
