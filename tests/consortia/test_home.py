"""The home page answers each person's question at a glance, one section per kind of role:
finance and executives the county's money, a lead GP their locality, a senate member what the
senate needs of them, a practice member their practice; with a constant number of queries."""

import datetime as dt
import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consortia.models import OrganisationKind, Role, User
from consortia.services import organisation_create, role_assign
from senate import services as senate
from senate.models import SenateMembership
from tests.budgets.scenario import HOSPITAL_HEADER, build, upload
from tests.budgets.test_reconciliation import load_months, reconcile

pytestmark = pytest.mark.django_db


@pytest.fixture
def s(cumbria):
    s = build()
    load_months(s)
    reconcile(s, month=2)
    return s


@pytest.fixture
def home(client):
    def get(user):
        client.force_login(user)
        return client.get("/").content.decode()

    return get


def _seat(username):
    return SenateMembership.objects.get(user__username=username, ends_on__isnull=True)


@pytest.fixture
def meeting(cumbria):
    """A published, opened meeting with two items; a vote open on the first."""
    secretary = User.objects.get(username="secretary")
    meeting = senate.meeting_create(
        actor=secretary,
        commissioner=cumbria,
        title="Clinical senate, January 2011",
        starts_at=timezone.now() + dt.timedelta(days=1),
        chair=_seat("lead.carlisle"),
    )
    first = senate.agenda_item_add(actor=secretary, meeting=meeting, title="GPSI dermatology")
    senate.agenda_item_add(actor=secretary, meeting=meeting, title="Rapid response pilot")
    senate.meeting_publish(actor=secretary, meeting=meeting)
    senate.meeting_open(actor=secretary, meeting=meeting)
    for username in ("lead.allerdale", "lead.barrow", "lead.carlisle", "lead.copeland",
                     "director"):  # fmt: skip
        senate.attendance_record(
            actor=secretary, meeting=meeting, member=_seat(username), status="present"
        )
    motion = senate.motion_propose(
        actor=secretary, item=first, kind="general", text="That the senate funds GPSI dermatology."
    )
    senate.motion_open(actor=secretary, motion=motion)
    return meeting


def test_finance_sees_where_the_countys_money_stands(home, s):
    html = home(s["finance"])

    assert 'data-testid="home-county"' in html
    assert "Tiny ICB: where the money stands" in html
    assert "Forecast to underspend by £3,240.00" in html
    assert "North" in html and "-£100.00 (-4.17%)" in html and "On track" in html
    assert "No activity file is waiting to be corrected." in html
    assert 'href="/dashboard/"' in html


def test_a_failed_file_is_on_finances_home(home, s):
    upload(s, HOSPITAL_HEADER + "RXX,Y99999,M3,EL,AA11A,3,,Y,N\n", month=3, name="bad.csv")

    assert "1 activity file with errors not yet replaced" in home(s["finance"])


def test_a_lead_gp_sees_their_locality_at_a_glance(home, s):
    html = home(s["lead"])

    assert 'data-testid="home-locality"' in html and "North at a glance" in html
    assert "North&#x27;s year-end position" in html
    assert "£2,300.00 spent against a budget of £2,400.00" in html
    assert "What the senate asks of you next" in html
    assert 'data-testid="home-county"' not in html  # the county is a click away, not first


def test_referral_figures_say_when_they_are_not_available(home, s, monkeypatch):
    monkeypatch.setitem(sys.modules, "referrals.selectors", None)  # as if not installed

    assert "Referral figures are not available yet." in home(s["lead"])


def test_a_practice_member_sees_their_practice(home, s):
    member = User.objects.create_user("member.y00001")
    role_assign(actor=None, user=member, role=Role.PRACTICE_MEMBER, organisation=s["p1"])

    html = home(member)

    assert 'data-testid="home-practice"' in html and "North Practice" in html
    assert "£2,300.00 spent this year to M2" in html
    assert 'data-testid="home-county"' not in html and 'data-testid="home-locality"' not in html


def test_a_senate_member_sees_the_meeting_the_vote_and_what_to_declare(home, person, meeting):
    html = home(person("lead.barrow"))

    assert 'data-testid="home-senate"' in html
    assert "Vote now on CS-" in html and "That the senate funds GPSI dermatology." in html
    assert "Clinical senate, January 2011" in html
    assert "1. GPSI dermatology" in html and "2. Rapid response pilot" in html
    declare = html.split('data-testid="home-to-declare"')[1].split("</ul>")[0]
    assert "Rapid response pilot" in declare  # its vote has not opened
    assert "GPSI dermatology" not in declare  # too late: its vote is open


def test_a_lead_gp_on_the_senate_sees_both_sections(home, person, meeting):
    html = home(person("lead.eden"))

    assert "Eden at a glance" in html and "The clinical senate: what needs you" in html
    assert "1 vote open to you" not in html  # Eden's lead is not recorded present
    assert "Next meeting: <a" in html


def test_a_coopted_clinician_without_a_role_sees_the_senate(home, person, meeting):
    html = home(person("nurse.lead"))

    assert "No role yet" in html and 'data-testid="home-senate"' in html
    assert "None: no item of a published meeting is waiting for your declaration." in html


def test_a_person_with_several_roles_sees_each_section(home, person, cumbria, meeting):
    director = person("director")
    role_assign(
        actor=None,
        user=director,
        role=Role.LOCALITY_LEAD,
        organisation=cumbria.children.get(code="5NE-COP"),
    )

    html = home(director)

    assert 'data-testid="home-county"' in html
    assert "Copeland at a glance" in html
    assert 'data-testid="home-senate"' in html


def _more(s):
    """Thirty more practices with a month of activity, and a new run."""
    codes = ["Y00001"]
    for i in range(30):
        code = f"Y{20000 + i}"
        organisation_create(
            actor=None, kind=OrganisationKind.PRACTICE, code=code, name=f"More {i}",
            parent=s["north"] if i % 2 else s["south"],
        )  # fmt: skip
        codes.append(code)
    rows = "".join(f"RXX,{c},M3,EL,AA11A,{n},,Y,N\n" for c in codes for n in (1, 2, 3))
    upload(s, HOSPITAL_HEADER + rows, month=3, name="more.csv")
    reconcile(s, month=3)


@pytest.mark.parametrize("who", ["finance", "lead", "member"])
def test_the_home_page_runs_the_same_queries_whatever_the_data_size(client, s, who):
    if who == "member":
        user = User.objects.create_user("member.y00001")
        role_assign(actor=None, user=user, role=Role.PRACTICE_MEMBER, organisation=s["p1"])
    else:
        user = s[who]
    client.force_login(user)
    client.get("/")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/").status_code == 200

    _more(s)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/").status_code == 200

    assert len(large) == len(small)


def test_the_senate_section_runs_the_same_queries_whatever_the_meetings(
    client, person, cumbria, meeting
):
    client.force_login(person("lead.barrow"))
    client.get("/")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/").status_code == 200

    secretary = person("secretary")
    for day in (2, 3, 4):
        later = senate.meeting_create(
            actor=secretary,
            commissioner=cumbria,
            title=f"Clinical senate, day {day}",
            starts_at=timezone.now() + dt.timedelta(days=day),
            chair=_seat("lead.carlisle"),
        )
        for n in range(3):
            senate.agenda_item_add(actor=secretary, meeting=later, title=f"Item {n}")
        senate.meeting_publish(actor=secretary, meeting=later)
    with CaptureQueriesContext(connection) as large:
        html = client.get("/").content.decode()

    assert "Clinical senate, day 4" in html
    assert len(large) == len(small)
