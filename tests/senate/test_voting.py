"""Voting: who may vote, one vote each, the outcome by the motion's rule, and a closed vote that
never changes, down to the database."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from rest_framework.test import APIClient

from consortia.errors import ApplicationError
from consortia.models import AuditEvent, Notice
from senate.models import DocumentKind, Motion, MotionKind, Result, Vote, VoteMethod
from senate.services import document_version_propose, vote_cast

from .conftest import LEADS

pytestmark = pytest.mark.django_db


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_member_votes_in_the_browser_and_the_record_says_so(sitting, person):
    s = sitting()
    s.open()

    response = _api(person("lead.barrow")).post(
        f"/api/senate/motions/{s.motion.pk}/vote/", {"choice": "for"}, format="json"
    )

    assert response.status_code == 201
    vote = Vote.objects.get(motion=s.motion)
    assert vote.method == VoteMethod.BROWSER and vote.recorded_by == person("lead.barrow")


def test_the_secretary_records_a_show_of_hands(sitting, member, secretary):
    s = sitting()
    s.open()

    s.votes(lead_carlisle="against")

    vote = Vote.objects.get(motion=s.motion, member=member("lead.carlisle"))
    assert vote.method == VoteMethod.SHOW_OF_HANDS and vote.recorded_by == secretary


def test_a_member_who_declared_an_interest_cannot_vote(sitting, person):
    s = sitting()
    s.declare("lead.eden", "Director of Eden Health CIC")
    s.open()

    response = _api(person("lead.eden")).post(
        f"/api/senate/motions/{s.motion.pk}/vote/", {"choice": "for"}, format="json"
    )

    assert response.status_code == 400
    assert "declared an interest" in response.json()["message"]
    with pytest.raises(ApplicationError, match="declared an interest"):
        s.votes(lead_eden="for")
    assert not Vote.objects.filter(motion=s.motion).exists()


def test_an_absent_member_and_a_co_opted_clinician_cannot_vote(sitting, person):
    s = sitting(present=[*LEADS[:5], "director", "nurse.lead"])
    s.open()

    with pytest.raises(ApplicationError, match="not recorded as present"):
        vote_cast(actor=person("lead.southlakes"), motion=s.motion, choice="for")
    with pytest.raises(PermissionDenied):
        vote_cast(actor=person("nurse.lead"), motion=s.motion, choice="for")


def test_one_vote_per_member(sitting, person):
    s = sitting()
    s.open()
    vote_cast(actor=person("lead.barrow"), motion=s.motion, choice="for")

    with pytest.raises(ApplicationError, match="already voted"):
        vote_cast(actor=person("lead.barrow"), motion=s.motion, choice="against")
    with pytest.raises(ApplicationError, match="already voted"):
        s.votes(lead_barrow="against")
    assert Vote.objects.get(motion=s.motion).choice == "for"


def test_no_vote_before_the_vote_opens(sitting, person):
    s = sitting()

    with pytest.raises(ApplicationError, match="not open"):
        vote_cast(actor=person("lead.barrow"), motion=s.motion, choice="for")


def test_simple_majority_of_votes_cast(sitting):
    s = sitting()
    s.open()
    s.votes(lead_allerdale="for", lead_barrow="for", lead_carlisle="against")

    motion = s.close()

    assert motion.result == Result.CARRIED
    assert (motion.votes_for, motion.votes_against, motion.abstentions) == (2, 1, 0)


def test_abstentions_are_not_counted(sitting):
    s = sitting()
    s.open()
    s.votes(lead_allerdale="for", lead_barrow="abstain", lead_carlisle="abstain",
            lead_copeland="abstain", director="abstain")  # fmt: skip

    motion = s.close()

    assert motion.result == Result.CARRIED  # 1 for, 0 against: four abstentions do not count
    assert motion.abstentions == 4


def test_a_tie_is_broken_by_the_chairs_casting_vote(sitting):
    s = sitting(chair="lead.carlisle")
    s.open()
    s.votes(lead_allerdale="for", lead_barrow="for", lead_copeland="against",
            director="against", lead_carlisle="abstain")  # fmt: skip

    with pytest.raises(ApplicationError, match="casting vote"):
        s.close()
    motion = s.close(casting_vote="against")

    assert motion.result == Result.LOST
    assert motion.casting_vote == "against"
    assert "chair's casting vote against" in motion.consequence


def test_a_tie_falls_when_the_chair_declared_an_interest(sitting):
    s = sitting(chair="lead.carlisle")
    s.declare("lead.carlisle", "Partner at a practice bidding for the service")
    s.open()
    s.votes(lead_allerdale="for", director="against")

    with pytest.raises(ApplicationError, match="no casting vote"):
        s.close(casting_vote="for")
    motion = s.close()

    assert motion.result == Result.LOST
    assert "motion falls" in motion.consequence


def test_no_casting_vote_without_a_tie(sitting):
    s = sitting()
    s.open()
    s.votes(lead_allerdale="for")

    with pytest.raises(ApplicationError, match="no tie"):
        s.close(casting_vote="for")


def _principles_sitting(sitting, cumbria, secretary):
    version = document_version_propose(
        actor=secretary,
        commissioner=cumbria,
        kind=DocumentKind.PRINCIPLES,
        text="1. The best possible health for Cumbria. 11. Publish every decision.",
        change_summary="Adds principle 11",
    )
    return sitting(kind=MotionKind.PRINCIPLES, document_version=version), version


def test_changing_the_principles_needs_two_thirds_of_voting_members(sitting, cumbria, secretary):
    s, version = _principles_sitting(sitting, cumbria, secretary)
    assert (s.motion.threshold_numerator, s.motion.threshold_denominator) == (2, 3)
    s.open()
    # 4 of the 7 voting members for, none against: a simple majority, but under two-thirds (5).
    s.votes(lead_allerdale="for", lead_barrow="for", lead_carlisle="for", director="for")

    motion = s.close()

    assert motion.result == Result.LOST and motion.entitled_to_vote == 7
    version.refresh_from_db()
    assert version.status == "not_adopted"


def test_two_thirds_reached_adopts_the_new_principles(sitting, cumbria, secretary):
    s, version = _principles_sitting(sitting, cumbria, secretary)
    s.open()
    s.votes(lead_allerdale="for", lead_barrow="for", lead_carlisle="for", lead_copeland="for",
            director="for", lead_eden="against")  # fmt: skip

    motion = s.close()

    assert motion.result == Result.CARRIED
    version.refresh_from_db()
    assert version.status == "adopted"
    assert version.document.versions.get(number=1).status == "superseded"


def test_a_closed_vote_refuses_change_in_the_service(sitting, person):
    s = sitting()
    s.open()
    s.votes(lead_allerdale="for")
    s.close()

    with pytest.raises(ApplicationError, match="not open"):
        vote_cast(actor=person("lead.barrow"), motion=s.motion, choice="against")
    with pytest.raises(ApplicationError, match="not open"):
        s.close()


def test_a_closed_vote_and_result_refuse_change_in_the_database(sitting, member, secretary):
    s = sitting()
    s.open()
    s.votes(lead_allerdale="for")
    motion = s.close()
    vote = Vote.objects.get(motion=motion)

    with pytest.raises(DatabaseError), transaction.atomic():
        Motion.objects.filter(pk=motion.pk).update(result=Result.LOST, votes_for=0)
    with pytest.raises(DatabaseError), transaction.atomic():
        motion.text = "Something else"
        motion.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        Vote.objects.filter(pk=vote.pk).update(choice="against")
    with pytest.raises(DatabaseError), transaction.atomic():
        vote.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Vote.objects.create(
            motion=motion, member=member("lead.barrow"), choice="against",
            method=VoteMethod.SHOW_OF_HANDS, recorded_by=secretary,
        )  # fmt: skip

    motion.refresh_from_db()
    assert (motion.result, motion.votes_for) == (Result.CARRIED, 1)
    assert list(Vote.objects.filter(motion=motion).values_list("choice", flat=True)) == ["for"]


def test_every_step_is_audited(sitting):
    s = sitting()
    s.declare("lead.eden")
    s.open()
    s.votes(lead_allerdale="for")
    s.close()

    events = set(
        AuditEvent.objects.filter(organisation__code="5NE", event__startswith="senate.")
        .filter(at__gte=s.meeting.created_at)
        .values_list("event", flat=True)
    )
    assert events >= {
        "senate.meeting.created", "senate.item.added", "senate.meeting.published",
        "senate.meeting.opened", "senate.attendance.recorded", "senate.declaration.recorded",
        "senate.motion.proposed", "senate.motion.opened", "senate.vote.recorded",
        "senate.motion.closed",
    }  # fmt: skip


def test_members_are_told_when_a_vote_opens_that_concerns_them_and_of_the_result(
    sitting, person, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        s = sitting()
        s.declare("lead.eden")
        s.open()
        s.votes(lead_allerdale="for")
        s.close()

    def subjects(username):
        return list(
            Notice.objects.filter(user=person(username), created_at__gte=s.meeting.created_at)
            .order_by("id")
            .values_list("subject", flat=True)
        )

    ref = s.motion.reference
    assert subjects("lead.barrow") == [
        "Senate papers published: Clinical senate (test)",
        f"Vote open: {ref}",
        f"{ref} carried",
    ]
    assert f"Vote open: {ref}" not in subjects("lead.eden")  # declared: the vote is not theirs
    assert f"{ref} carried" in subjects("nurse.lead")
    assert any(m.subject == f"{ref} carried" for m in mailoutbox)
