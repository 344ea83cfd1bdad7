"""Each user's main journey in the Cumbria demo, in Debian's Chromium: every page visited is
checked with axe-core (serious and critical violations fail) and saved as a screenshot.

- finance uploads a month's file, reconciles, and drills from the county to the row it added;
- a lead GP reads their locality's home, opens an outlier and a peer review, and the outcomes;
- a senate member finds the vote waiting on their home page and votes.
"""

import datetime as dt
import importlib

import pytest
from django.utils import timezone

from budgets.activity.demo import cumbria_activity_load
from consortia.models import User
from localities.demo import cumbria_outcomes_load
from senate import services as senate
from senate.models import SenateMembership
from tests.browser.conftest import log_in
from tests.budgets.scenario import HOSPITAL_HEADER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _referrals_demo() -> bool:
    """Load the referrals demo where the referrals app provides one."""
    try:
        demo = importlib.import_module("referrals.demo")
    except ImportError:
        return False
    demo.cumbria_referrals_load()
    return True


def test_finance_uploads_a_file_and_drills_from_the_county_to_its_row(page, visit, tmp_path):
    cumbria_activity_load()
    referrals = _referrals_demo()
    upload = tmp_path / "RNL-2010-M10.csv"
    upload.write_text(HOSPITAL_HEADER + "RNL,A82047,M10,EL,HB12C,2,,Y,N\n")

    log_in(page, "finance")
    visit("home")
    assert page.get_by_test_id("home-county").is_visible()

    page.get_by_role("link", name="Activity", exact=True).click()
    page.get_by_label("What the file holds").select_option("hospital")
    page.get_by_label("Financial year").fill("2010")
    page.get_by_label("Month", exact=True).fill("10")
    page.get_by_label("Provider", exact=True).select_option("RNL")
    page.get_by_label("File", exact=True).set_input_files(str(upload))
    page.get_by_role("button", name="Upload and check").click()
    page.get_by_test_id("import-status").wait_for()
    visit("imported")
    assert page.get_by_test_id("import-status").inner_text() == "Imported"

    page.get_by_role("link", name="Reconciliation", exact=True).click()
    page.get_by_label("Financial year").fill("2010")
    page.get_by_label("Month (1 = April)").fill("10")
    page.get_by_role("button", name="Reconcile").click()
    visit("reconciled")

    page.get_by_role("link", name="Dashboard", exact=True).click()
    visit("county")
    assert "M10 Jan 2011" in page.get_by_test_id("run-caption").inner_text()
    assert "year end" in page.get_by_test_id("outlook").inner_text()
    if referrals:  # North Cumbria is paid on information and slow with clinic letters
        assert (
            "North Cumbria University Hospitals"
            in page.get_by_test_id("held-payments").inner_text()
        )
    chart = page.get_by_test_id("chart-5NE-ALL")
    chart.get_by_text("Table of the figures").click()  # the table behind the chart
    assert chart.get_by_role("rowheader", name="M10 January").is_visible()

    page.get_by_test_id("localities").get_by_role("link", name="Allerdale").click()
    visit("allerdale")
    page.get_by_test_id("children").get_by_role("link", name="Workington").click()
    visit("workington")
    page.get_by_test_id("practices").get_by_role("link", name="James Street Group Pract").click()
    visit("practice")
    page.get_by_role("link", name="rows for Contracted PbR activity, M10").click()
    visit("rows")

    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .startswith("Contracted PbR activity, M10 Jan 2011")
    )
    row = page.get_by_test_id("activity-rows").get_by_role("row").nth(1)
    assert "RNL-2010-M10.csv" in row.inner_text() and "£11,380.00" in row.inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    assert download.value.suggested_filename == "A82047-SC-PBR-2010-11-M10-rows.csv"


def test_a_lead_gp_reads_their_locality_and_opens_an_outlier_and_a_peer_review(page, visit):
    cumbria_activity_load()
    cumbria_outcomes_load()
    referrals = _referrals_demo()

    log_in(page, "lead.carlisle")
    visit("home")
    home = page.get_by_test_id("home-locality")
    assert "Carlisle at a glance" in home.inner_text()
    assert "At risk" in home.get_by_test_id("outlook").inner_text()
    assert "-15.9%" in home.get_by_test_id("home-outcomes").inner_text()  # A&E, Carlisle

    if referrals:
        outliers = home.get_by_test_id("home-outliers")
        outliers.get_by_role("link", name="Fusehill Medical Practice").first.click()
        visit("outlier")
        assert "Fusehill Medical Practice" in page.get_by_role("heading", level=1).inner_text()
        page.go_back()
        page.get_by_role("link", name="Spencer St Surgery, Ophthalmology").click()
        visit("peer-review")
        assert "Spencer St Surgery" in page.get_by_role("main").inner_text()
        page.go_back()
    else:
        assert home.get_by_test_id("referrals-unavailable").is_visible()

    page.get_by_role("link", name="Open Carlisle's dashboard").click()
    visit("carlisle")
    assert page.get_by_test_id("practices").get_by_role("row").count() > 10
    outcomes = page.get_by_role("link", name="Outcomes", exact=True)
    if not outcomes.is_visible():  # the header moves links that do not fit under "More"
        page.get_by_role("button", name="More").click()
    outcomes.click()
    visit("outcomes")
    assert "-2.0%" in page.get_by_test_id("comparison-non_elective_admissions").inner_text()


def _seat(username):
    return SenateMembership.objects.get(user__username=username, ends_on__isnull=True)


@pytest.fixture
def meeting_with_a_vote(cumbria):
    secretary = User.objects.get(username="secretary")
    meeting = senate.meeting_create(
        actor=secretary,
        commissioner=cumbria,
        title="Clinical senate, January 2011",
        starts_at=timezone.now() + dt.timedelta(minutes=5),
        chair=_seat("lead.carlisle"),
    )
    item = senate.agenda_item_add(
        actor=secretary, meeting=meeting, title="GPSI carpal tunnel surgery"
    )
    senate.agenda_item_add(actor=secretary, meeting=meeting, title="Community equipment")
    senate.meeting_publish(actor=secretary, meeting=meeting)
    senate.meeting_open(actor=secretary, meeting=meeting)
    for username in ("lead.allerdale", "lead.barrow", "lead.carlisle", "lead.copeland",
                     "lead.eden", "director"):  # fmt: skip
        senate.attendance_record(
            actor=secretary, meeting=meeting, member=_seat(username), status="present"
        )
    motion = senate.motion_propose(
        actor=secretary,
        item=item,
        kind="general",
        text="That the senate commissions fortnightly GPSI carpal tunnel surgery.",
    )
    return senate.motion_open(actor=secretary, motion=motion)


def test_a_senate_member_finds_the_vote_on_their_home_page_and_votes(
    page, visit, meeting_with_a_vote
):
    motion = meeting_with_a_vote

    log_in(page, "lead.copeland")
    visit("home")
    section = page.get_by_test_id("home-senate")
    assert (
        "Clinical senate, January 2011" in section.get_by_test_id("home-next-meeting").inner_text()
    )
    assert "Community equipment" in section.get_by_test_id("home-to-declare").inner_text()

    section.get_by_role("link", name=f"Vote now on {motion.reference}").click()
    visit("meeting")
    page.get_by_label("Against", exact=True).check()
    page.get_by_role("button", name="Cast my vote").click()
    visit("voted")
    assert page.get_by_text(f"Your vote on {motion.reference} is recorded: against.").is_visible()

    page.get_by_role("link", name="Home", exact=True).click()
    visit("home-after")
    assert "No vote is waiting for you." in page.get_by_test_id("home-senate").inner_text()
