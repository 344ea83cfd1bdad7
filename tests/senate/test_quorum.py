"""Quorum: at least four of the six lead GPs and one executive director present (the default
rule, held as data); members who declared an interest do not count; no vote opens without it."""

import datetime as dt

import pytest
from django.utils import timezone

from consortia.errors import ApplicationError
from senate.models import MotionStatus
from senate.services import rules_set

from .conftest import LEADS

pytestmark = pytest.mark.django_db


def test_four_lead_gps_and_an_executive_director_are_quorate(sitting):
    s = sitting(present=[*LEADS[:4], "director"])

    motion = s.open()

    assert motion.status == MotionStatus.OPEN
    assert motion.quorum["met"] is True
    assert motion.quorum["lead_gps"] == 4 and motion.quorum["executives"] == 1


@pytest.mark.parametrize(
    "present",
    [LEADS[:3] + ["director"], LEADS],  # three lead GPs; six lead GPs but no executive director
    ids=["three-lead-gps", "no-executive-director"],
)
def test_without_quorum_no_vote_opens(sitting, present):
    s = sitting(present=present)

    with pytest.raises(ApplicationError, match="not quorate"):
        s.open()

    s.motion.refresh_from_db()
    assert s.motion.status == MotionStatus.DRAFT


def test_a_member_who_declared_an_interest_does_not_count_toward_quorum(sitting):
    s = sitting(present=[*LEADS[:4], "director"])
    s.declare("lead.allerdale", "Director of a provider bidding for the service")

    with pytest.raises(ApplicationError, match=r"3 lead GPs \(4 needed\)") as refused:
        s.open()

    assert refused.value.extra["quorum"]["declared"] == ["Dr Anne Allerdale"]


def test_a_co_opted_clinician_never_counts(sitting):
    s = sitting(present=[*LEADS[:3], "director", "nurse.lead"])

    with pytest.raises(ApplicationError, match="not quorate"):
        s.open()


def test_the_record_says_who_counted_when_the_vote_opened(sitting):
    s = sitting(present=[*LEADS, "director"])
    s.declare("lead.eden")

    motion = s.open()

    assert "Dr Eve Eden" not in motion.quorum["eligible"]
    assert motion.quorum["declared"] == ["Dr Eve Eden"]
    assert motion.quorum["lead_gps"] == 5


def test_the_quorum_is_a_rule_the_senate_can_change(sitting, cumbria, secretary):
    rules_set(
        actor=secretary,
        commissioner=cumbria,
        effective_from=timezone.localdate() - dt.timedelta(days=1),
        approved_by="Senate decision CS-TEST/M1: quorum of three lead GPs",
        quorum_lead_gps=3,
    )
    s = sitting(present=[*LEADS[:3], "director"])

    assert s.open().quorum["lead_gps_needed"] == 3


def test_only_the_secretary_runs_the_senate(sitting, person):
    from django.core.exceptions import PermissionDenied

    from senate.services import motion_open

    s = sitting()

    with pytest.raises(PermissionDenied):
        motion_open(actor=person("lead.carlisle"), motion=s.motion)
