"""The secretary runs a meeting from one screen, and members vote and declare on it."""

import pytest

from senate.models import Meeting, Motion, Result, Vote, VoteMethod

from .conftest import VOTERS

pytestmark = pytest.mark.django_db


def test_the_secretary_runs_a_meeting_from_one_screen(client, person, member, cumbria):
    client.force_login(person("secretary"))
    response = client.post(
        "/senate/meetings/new/",
        {"title": "Senate, June", "starts_at": "2030-06-01T14:00", "location": "Penrith",
         "chair": member("lead.carlisle").pk},
    )  # fmt: skip
    meeting = Meeting.objects.get(title="Senate, June")
    page = f"/senate/meetings/{meeting.pk}/"
    assert response["Location"] == page

    client.post(f"{page}items/", {"title": "Tender the GPSI dermatology service"})
    item = meeting.items.get()
    client.post(f"{page}publish/")
    client.post(f"{page}open/")
    client.post(
        f"{page}attendance/",
        {f"attendance_{member(u).pk}": "present" for u in VOTERS}
        | {f"attendance_{member('nurse.lead').pk}": "apologies"},
    )
    client.post(f"/senate/items/{item.pk}/declarations/",
                {"member": member("lead.eden").pk, "interest": "GPSI dermatologist"})  # fmt: skip
    client.post(f"/senate/items/{item.pk}/motions/",
                {"kind": "general", "text": "That the senate tenders the service."})  # fmt: skip
    motion = Motion.objects.get(item=item)
    client.post(f"/senate/motions/{motion.pk}/open/")

    html = client.get(page).content.decode()
    assert "Quorate" in html and "Record a show of hands" in html
    assert "GPSI dermatologist. Does not vote on this item" in html

    client.post(f"/senate/motions/{motion.pk}/record/",
                {f"hand_{member(u).pk}": "for" for u in ["lead.allerdale", "lead.barrow"]}
                | {f"hand_{member('director').pk}": "against"})  # fmt: skip
    client.post(f"/senate/motions/{motion.pk}/close/", {"casting_vote": ""})
    response = client.post(f"{page}close/", follow=True)

    motion.refresh_from_db()
    meeting.refresh_from_db()
    assert (motion.result, motion.votes_for, motion.votes_against) == (Result.CARRIED, 2, 1)
    assert meeting.status == "closed"
    assert "Minutes (printable)" in response.content.decode()


def test_a_refusal_is_shown_on_the_page_with_what_to_do(client, person, sitting):
    s = sitting(present=["lead.allerdale", "director"])
    client.force_login(person("secretary"))

    response = client.post(f"/senate/motions/{s.motion.pk}/open/")

    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and "not quorate" in html
    assert "Record attendance" in html


def test_members_cannot_run_the_meeting(client, person, sitting):
    s = sitting()
    client.force_login(person("lead.carlisle"))

    assert client.post(f"/senate/motions/{s.motion.pk}/open/").status_code == 403
    assert client.post(f"/senate/meetings/{s.meeting.pk}/close/").status_code == 403


def test_a_member_votes_on_the_page_and_sees_their_vote(client, person, sitting):
    s = sitting()
    s.open()
    client.force_login(person("lead.barrow"))

    home = client.get("/senate/").content.decode()
    assert f"Vote now on {s.motion.reference}" in home
    client.post(f"/senate/motions/{s.motion.pk}/vote/", {"choice": "against"})

    vote = Vote.objects.get(motion=s.motion)
    assert (vote.choice, vote.method) == ("against", VoteMethod.BROWSER)
    page = client.get(f"/senate/meetings/{s.meeting.pk}/").content.decode()
    assert "You voted: <strong>Against</strong>" in page
    assert f"Vote now on {s.motion.reference}" not in client.get("/senate/").content.decode()


def test_a_member_declares_their_own_interest(client, person, sitting, member):
    s = sitting()
    client.force_login(person("lead.eden"))

    client.post(f"/senate/items/{s.item.pk}/declarations/", {"interest": "Partner at a bidder"})
    s.open()

    assert s.motion.quorum["declared"] == ["Dr Eve Eden"]
    page = client.get(f"/senate/meetings/{s.meeting.pk}/").content.decode()
    assert "You declared an interest in this item: you do not vote on it." in page


def test_a_draft_meeting_is_the_secretarys_only(client, person, cumbria, member):
    client.force_login(person("secretary"))
    client.post("/senate/meetings/new/", {"title": "Draft senate", "starts_at": "2030-07-01T10:00",
                                          "chair": member("director").pk})  # fmt: skip
    meeting = Meeting.objects.get(title="Draft senate")
    client.logout()

    assert client.get(f"/senate/meetings/{meeting.pk}/").status_code == 404
    assert "Draft senate" not in client.get("/senate/meetings/").content.decode()
