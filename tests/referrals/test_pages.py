"""The referrals pages run the same number of queries whatever the data size, and every page
answers for the people who use it."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consortia.models import OrganisationKind
from consortia.services import organisation_create
from localities.models import AGE_BANDS
from localities.services import list_size_record
from referrals.models import ReferralImportKind
from tests.referrals.conftest import import_rows, referral_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def some_referrals(cumbria, person):
    from budgets.models import Provider

    Provider.objects.get_or_create(
        commissioner=cumbria, code="RNL", defaults={"name": "North Cumbria", "kind": "nhs_trust"}
    )
    rows = referral_rows("A82015", 10, provider="RNL") + referral_rows(
        "A82016", 30, provider="RNL", start=10, specialty="110"
    )
    import_rows(person("finance"), cumbria, ReferralImportKind.REFERRALS, rows)


def _grow(node, person, cumbria, how_many):
    """40 more practices in Carlisle, each with a list size and referrals."""
    rows = []
    for i in range(how_many):
        practice = organisation_create(actor=None, kind=OrganisationKind.PRACTICE,
                                       code=f"Z{90000 + i}", name=f"Extra {i}",
                                       parent=node("5NE-CAR"))  # fmt: skip
        list_size_record(actor=None, practice=practice, as_of=dt.date(2013, 4, 1),
                         bands={("M", band): 100 for band in AGE_BANDS}, source="test")  # fmt: skip
        rows += referral_rows(practice.code, 5, provider="RNL", start=100 + 5 * i)
    import_rows(person("finance"), cumbria, ReferralImportKind.REFERRALS, rows, name="more.csv")


@pytest.mark.parametrize(
    "url",
    [
        "/referrals/",
        "/referrals/comparison/?measure=130&period=2010-Q1",
        "/referrals/comparison/?measure=130&period=2010-Q1&peers=5NE-CAR&overdispersion=additive",
        "/referrals/practices/A82015/trend/?measure=130&year=2010",
        "/referrals/timeliness/?year=2010",
        "/referrals/held/?year=2010&month=12",
        "/referrals/schemes/",
    ],
)
def test_pages_run_the_same_queries_whatever_the_data_size(
    some_referrals, client, person, node, cumbria, url
):
    client.force_login(person("lead.carlisle"))
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200

    _grow(node, person, cumbria, 40)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)

    assert response.status_code == 200
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]


@pytest.mark.parametrize(
    "url",
    [
        "/referrals/",
        "/referrals/comparison/",
        "/referrals/prescribing/",
        "/referrals/reviews/",
        "/referrals/timeliness/",
        "/referrals/held/",
        "/referrals/schemes/",
        "/referrals/interests/",
        "/referrals/imports/",
        "/referrals/register/",
    ],
)
@pytest.mark.parametrize("username", ["lead.carlisle", "practice.a82015", "finance", "director"])
def test_every_page_answers_every_role(some_referrals, client, person, url, username):
    client.force_login(person(username))
    assert client.get(url).status_code == 200


def test_the_header_links_to_referrals(client, person, cumbria):
    client.force_login(person("practice.a82015"))
    assert 'href="/referrals/"' in client.get("/").content.decode()


def test_the_templates_download(client):
    text = client.get("/imports/templates/referrals.referrals.csv").content.decode()
    assert text.splitlines()[0] == (
        "practice_code,referred_on,specialty,provider_code,priority,clinician,nhs_number"
    )
    assert client.get("/imports/templates/referrals.information.xlsx").status_code == 200
