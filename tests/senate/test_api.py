"""The senate through the API: the secretary runs a meeting; members vote; errors in one shape."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from senate.demo import _demo_pdf

from .conftest import VOTERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(person):
    def client_for(username):
        client = APIClient()
        client.force_authenticate(person(username))
        return client

    return client_for


def test_a_meeting_run_through_the_api(api, member, cumbria):
    sec = api("secretary")
    meeting = sec.post(
        "/api/senate/meetings/",
        {"title": "Senate (API)", "starts_at": (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
         .isoformat(), "chair": member("lead.carlisle").pk},
        format="json",
    ).json()  # fmt: skip
    item = sec.post(f"/api/senate/meetings/{meeting['id']}/items/", {"title": "An item"},
                    format="json").json()  # fmt: skip
    paper = sec.post(
        f"/api/senate/items/{item['id']}/papers/",
        {"title": "The paper", "file": SimpleUploadedFile("p.pdf", _demo_pdf("P", ["x"]))},
        format="multipart",
    )
    assert paper.status_code == 201 and paper.json()["content_type"] == "application/pdf"
    assert sec.post(f"/api/senate/meetings/{meeting['id']}/publish/").status_code == 200
    assert sec.post(f"/api/senate/meetings/{meeting['id']}/open/").json()["status"] == "in_session"
    for username in VOTERS:
        sec.post(f"/api/senate/meetings/{meeting['id']}/attendance/",
                 {"member": member(username).pk, "status": "present"}, format="json")  # fmt: skip
    declared = api("lead.eden").post(f"/api/senate/items/{item['id']}/declarations/",
                                     {"interest": "A directorship"}, format="json")  # fmt: skip
    assert declared.status_code == 201
    motion = sec.post(f"/api/senate/items/{item['id']}/motions/",
                      {"kind": "general", "text": "That we agree."}, format="json").json()  # fmt: skip
    assert sec.post(f"/api/senate/motions/{motion['id']}/open/").json()["status"] == "open"

    assert api("lead.barrow").post(f"/api/senate/motions/{motion['id']}/vote/",
                                   {"choice": "for"}, format="json").status_code == 201  # fmt: skip
    assert sec.post(f"/api/senate/motions/{motion['id']}/record/",
                    {"member": member("director").pk, "choice": "abstain"},
                    format="json").status_code == 201  # fmt: skip
    me = api("lead.allerdale").get("/api/senate/me/").json()
    assert [m["reference"] for m in me["open_votes"]] == [motion["reference"]]
    closed = sec.post(f"/api/senate/motions/{motion['id']}/close/", {}, format="json").json()

    assert (closed["result"], closed["votes_for"], closed["abstentions"]) == ("carried", 1, 1)
    assert api("lead.allerdale").get("/api/senate/me/").json()["open_votes"] == []


def test_refusals_come_back_in_one_shape(api, sitting):
    s = sitting(present=["director"])

    response = api("secretary").post(f"/api/senate/motions/{s.motion.pk}/open/")

    assert response.status_code == 400
    assert "not quorate" in response.json()["message"]
    assert response.json()["extra"]["quorum"]["met"] is False


def test_only_the_secretary_schedules_meetings(api, member):
    response = api("lead.carlisle").post(
        "/api/senate/meetings/",
        {"title": "x", "starts_at": "2030-01-01T10:00:00Z", "chair": member("director").pk},
        format="json",
    )

    assert response.status_code == 403


def test_members_and_standards_are_public(cumbria):
    client = APIClient()

    members = client.get("/api/senate/members/").json()
    standards = client.get("/api/senate/standards/", {"status": "adopted"}).json()

    assert sum(m["votes"] for m in members) == 7
    assert {m["kind"] for m in members} == {"lead_gp", "executive_director", "co_opted"}
    assert standards["results"][0]["code"] == "LTC-DIAB"
    assert [e["mandatory"] for e in standards["results"][0]["elements"]].count(True) == 4
