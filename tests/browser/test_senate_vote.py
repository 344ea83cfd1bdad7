"""A senate member votes in a real browser while the vote is open; once the secretary closes
it, the public register (no login) shows the result."""

import datetime as dt

import pytest
from django.utils import timezone

from consortia.models import User
from senate import services
from senate.models import SenateMembership
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VOTERS = ["lead.allerdale", "lead.barrow", "lead.carlisle", "lead.copeland", "lead.eden",
          "lead.southlakes", "director"]  # fmt: skip


def _seat(username):
    return SenateMembership.objects.get(user__username=username, ends_on__isnull=True)


@pytest.fixture
def open_vote(cumbria):
    secretary = User.objects.get(username="secretary")
    meeting = services.meeting_create(
        actor=secretary,
        commissioner=cumbria,
        title="Clinical senate, browser test",
        starts_at=timezone.now() + dt.timedelta(minutes=5),
        chair=_seat("lead.carlisle"),
    )
    item = services.agenda_item_add(
        actor=secretary, meeting=meeting, title="GPSI ophthalmology in Barrow"
    )
    services.meeting_publish(actor=secretary, meeting=meeting)
    services.meeting_open(actor=secretary, meeting=meeting)
    for username in VOTERS:
        services.attendance_record(
            actor=secretary, meeting=meeting, member=_seat(username), status="present"
        )
    motion = services.motion_propose(
        actor=secretary,
        item=item,
        kind="general",
        text="That the senate commissions two GPSI ophthalmology sessions a week in Barrow.",
    )
    return services.motion_open(actor=secretary, motion=motion)


def test_a_member_votes_in_the_browser_and_the_register_shows_the_result(
    page, screenshot, open_vote, browser
):
    log_in(page, "lead.barrow")
    page.get_by_role("link", name="Senate").first.click()
    screenshot("what-needs-me")
    page.get_by_role("link", name=f"Vote now on {open_vote.reference}").click()
    page.get_by_label("For", exact=True).check()
    page.get_by_role("button", name="Cast my vote").click()
    screenshot("voted")

    assert page.get_by_text(f"Your vote on {open_vote.reference} is recorded: for.").is_visible()
    assert page.get_by_test_id(f"my-vote-{open_vote.pk}").inner_text().startswith("You voted: For")

    secretary = User.objects.get(username="secretary")
    for username in ("lead.allerdale", "director"):
        services.vote_record(actor=secretary, motion=open_vote, member=_seat(username),
                             choice="for" if username == "director" else "against")  # fmt: skip
    services.motion_close(actor=secretary, motion=open_vote)

    public = browser.new_context(base_url=page.url.split("/senate")[0])
    register = public.new_page()
    register.goto(f"/senate/register/?meeting={open_vote.meeting.reference}")
    decision = register.get_by_test_id("decision").first

    assert open_vote.reference in decision.inner_text()
    assert decision.get_by_text("Carried", exact=True).is_visible()
    assert decision.get_by_test_id("tally").inner_text() == "2 for, 1 against, 0 abstentions"
    decision.get_by_text("How each member voted", exact=True).click()
    register.screenshot(path=str(_artifact("public-register")), full_page=True)
    assert "Dr Ben Barrow, Lead GP, Barrow-in-Furness" in decision.inner_text()
    assert "In the browser" in decision.inner_text()
    public.close()


def _artifact(name):
    from tests.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return (
        ARTIFACTS
        / f"test_a_member_votes_in_the_browser_and_the_register_shows_the_result-{name}.png"
    )
