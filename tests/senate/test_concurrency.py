"""PostgreSQL, real transactions on threads: a member pressing "vote" many times at once gets
exactly one vote (the database's unique constraint), and a vote racing the close is either
counted or refused, never lost."""

import threading

import pytest
from django.db import close_old_connections, connection

from consortia.errors import ApplicationError
from consortia.models import User
from senate.models import Motion, Vote
from senate.services import motion_close, vote_cast

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(calls):
    outcomes, start = [], threading.Barrier(len(calls))

    def run(call):
        try:
            start.wait()
            outcomes.append(call())
        except ApplicationError as exc:
            outcomes.append(exc.message)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_one_vote_per_member_under_concurrent_requests(sitting):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL (CI runs this on PostgreSQL).")
    s = sitting()
    motion = s.open()

    def vote(choice):
        return lambda: vote_cast(
            actor=User.objects.get(username="lead.barrow"), motion=motion, choice=choice
        )

    outcomes = _race([vote(["for", "against"][i % 2]) for i in range(8)])

    assert len(outcomes) == 8
    assert sum(isinstance(o, Vote) for o in outcomes) == 1
    assert sum("already voted" in str(o) for o in outcomes) == 7
    assert Vote.objects.filter(motion=motion).count() == 1


def test_votes_racing_the_close_are_counted_or_refused(sitting):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL (CI runs this on PostgreSQL).")
    s = sitting()
    motion = s.open()
    s.votes(lead_carlisle="for")  # the chair's vote: no tie whatever the race
    voters = ["lead.allerdale", "lead.barrow", "lead.copeland", "lead.eden", "director"]

    def vote(username):
        return lambda: vote_cast(
            actor=User.objects.get(username=username), motion=motion, choice="for"
        )

    def close():
        return motion_close(actor=User.objects.get(username="secretary"), motion=motion)

    _race([*(vote(u) for u in voters), close])

    motion = Motion.objects.get(pk=motion.pk)
    assert motion.status == "closed"
    assert motion.votes_for == Vote.objects.filter(motion=motion).count()
