"""Fixtures for the senate: members of the demo senate, and a sitting of it, made through the
same services the secretary's page uses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from senate import services
from senate.models import MotionKind, SenateMembership

VOTERS = ["lead.allerdale", "lead.barrow", "lead.carlisle", "lead.copeland", "lead.eden",
          "lead.southlakes", "director"]  # fmt: skip
LEADS = VOTERS[:6]


@pytest.fixture(autouse=True)
def _papers_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def secretary(person):
    return person("secretary")


@pytest.fixture
def member(cumbria):
    """The demo senate seat of a user, by username."""
    return lambda username: SenateMembership.objects.get(
        commissioner=cumbria, user__username=username, ends_on__isnull=True
    )


class Sitting:
    """A meeting of the senate today, in session, with one item and a general motion on it."""

    def __init__(self, meeting, item, motion, secretary, member):
        self.meeting, self.item, self.motion = meeting, item, motion
        self.secretary, self.member = secretary, member

    def declare(self, username, interest="Partner in a provider"):
        services.declaration_record(
            actor=self.secretary, item=self.item, member=self.member(username), interest=interest
        )

    def open(self):
        self.motion = services.motion_open(actor=self.secretary, motion=self.motion)
        return self.motion

    def votes(self, **choices):
        """votes(lead_allerdale="for", director="against"): show of hands by the secretary."""
        for key, choice in choices.items():
            services.vote_record(
                actor=self.secretary,
                motion=self.motion,
                member=self.member(key.replace("_", ".")),
                choice=choice,
            )

    def close(self, casting_vote=""):
        self.motion = services.motion_close(
            actor=self.secretary, motion=self.motion, casting_vote=casting_vote
        )
        return self.motion


@pytest.fixture
def sitting(cumbria, secretary, member):
    """make(present=[usernames], kind=..., chair=..., **motion payload) -> Sitting, not yet open."""

    def make(present=tuple(VOTERS), chair="lead.carlisle", kind=MotionKind.GENERAL,
             text="That the senate agrees.", starts_at=None, **payload):  # fmt: skip
        meeting = services.meeting_create(
            actor=secretary,
            commissioner=cumbria,
            title="Clinical senate (test)",
            starts_at=starts_at or timezone.now() + dt.timedelta(minutes=5),
            chair=member(chair),
        )
        item = services.agenda_item_add(actor=secretary, meeting=meeting, title="The item")
        services.meeting_publish(actor=secretary, meeting=meeting)
        services.meeting_open(actor=secretary, meeting=meeting)
        for username in present:
            services.attendance_record(
                actor=secretary, meeting=meeting, member=member(username), status="present"
            )
        motion = services.motion_propose(
            actor=secretary, item=item, kind=kind, text=text, **payload
        )
        return Sitting(meeting, item, motion, secretary, member)

    return make
