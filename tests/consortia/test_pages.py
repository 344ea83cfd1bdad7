"""The pages: log in, a home per role, the tree with populations, the audit log."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consortia.models import OrganisationKind
from consortia.services import organisation_create
from localities.models import AGE_BANDS
from localities.services import list_size_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_as(client, person):
    def log_in(username):
        client.force_login(person(username))
        return client

    return log_in


def test_logging_in_with_the_demo_password_lands_on_the_home_page(client, cumbria):
    response = client.post(
        "/accounts/login/", {"username": "lead.carlisle", "password": "demo"}, follow=True
    )

    html = response.content.decode()
    assert "Hello, Dr Clare" in html
    assert "Locality lead GP" in html and "Carlisle" in html


def test_a_wrong_password_says_what_to_do(client, cumbria):
    html = client.post("/accounts/login/", {"username": "lead.carlisle", "password": "x"}).content

    assert b"Enter a correct username and password" in html


def test_pages_need_a_login(client):
    response = client.get("/organisations/5NE/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("username", "starts_at"),
    [
        ("finance", "/organisations/5NE/"),
        ("lead.carlisle", "/organisations/5NE/"),
        ("practice.a82015", "/organisations/A82015/"),
    ],
)
def test_the_tree_starts_at_the_highest_node_a_person_may_see(browser_as, username, starts_at):
    assert browser_as(username).get("/organisations/")["Location"] == starts_at


def test_the_county_page_lists_localities_with_their_populations(browser_as):
    html = browser_as("lead.carlisle").get("/organisations/5NE/").content.decode()

    assert "522,395" in html  # the county's registered patients
    for name in [
        "Allerdale",
        "Barrow-in-Furness",
        "Carlisle",
        "Copeland",
        "Eden",
        "South Lakeland",
    ]:
        assert name in html


def test_allerdale_shows_its_sub_localities(browser_as):
    html = browser_as("finance").get("/organisations/5NE-ALL/").content.decode()

    for name in ["Workington", "Maryport", "Cockermouth", "Keswick", "Wigton &amp; Solway"]:
        assert name in html
    assert "Sub-locality" in html


def test_a_practice_page_shows_its_population_by_age_and_sex(browser_as):
    html = browser_as("practice.a82015").get("/organisations/A82015/").content.decode()

    assert "Warwick Road Surgery" in html
    assert "75+" in html and "Deprivation score" in html


def test_a_practice_member_cannot_open_another_practice(browser_as):
    assert browser_as("practice.a82015").get("/organisations/A82016/").status_code == 404


def test_the_audit_log_is_for_finance_and_executives(browser_as):
    assert browser_as("lead.carlisle").get("/audit/").status_code == 403
    html = browser_as("finance").get("/audit/?event=role").content.decode()
    assert "role.assigned" in html


def _add_practices(parent, how_many):
    for i in range(how_many):
        practice = organisation_create(
            actor=None,
            kind=OrganisationKind.PRACTICE,
            code=f"Z{90000 + i}",
            name=f"Extra {i}",
            parent=parent,
        )
        list_size_record(
            actor=None,
            practice=practice,
            as_of=dt.date(2013, 4, 1),
            bands={("M", band): 10 for band in AGE_BANDS},
            source="test",
        )


@pytest.mark.parametrize("url", ["/organisations/5NE/", "/organisations/5NE-CAR/", "/"])
def test_tree_pages_run_the_same_queries_whatever_the_tree_size(browser_as, node, url):
    client = browser_as("lead.carlisle")
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200

    _add_practices(node("5NE-CAR"), 40)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)

    assert response.status_code == 200
    assert len(large) == len(small)


def test_notices_reach_a_person_in_the_app_and_by_email(
    browser_as, person, mailoutbox, django_capture_on_commit_callbacks
):
    from consortia.services import notify

    with django_capture_on_commit_callbacks(execute=True):
        notify(
            users=[person("lead.eden")], subject="Papers published", body="Senate, 1 June", url="/"
        )
    client = browser_as("lead.eden")

    assert "Notices (1 new)" in client.get("/").content.decode()
    assert "Papers published" in client.get("/notices/").content.decode()
    assert "Notices (1 new)" not in client.get("/").content.decode()
    assert mailoutbox[0].subject == "Papers published"
    assert mailoutbox[0].to == ["lead.eden@example.nhs.uk"]
