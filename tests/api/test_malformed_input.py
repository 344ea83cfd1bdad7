"""Malformed input is a 4xx in the one error shape, never a server error."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(person):
    client = APIClient()
    client.force_authenticate(person("finance"))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/api/accounts/null,null/ledger/",
        "/api/accounts/abc/",
        "/api/accounts/0.5/",
        "/api/accounts/99999999999999999999/",
        "/api/senate/meetings/null,null/",
        "/api/senate/motions/abc/",
        "/api/referrals/schemes/null,null/",
        "/api/virements/18446744073709551616/",
    ],
)
def test_a_malformed_or_huge_id_is_not_found(finance, url):
    response = finance.get(url)
    assert response.status_code == 404
    assert response.json()["message"]
    assert response.json()["extra"] == {}


def test_a_malformed_id_is_not_found_when_signed_out_too():
    response = APIClient().get("/api/senate/meetings/abc/")
    assert response.status_code == 404
    assert "message" in response.json()


def test_a_malformed_id_in_a_page_address_is_the_not_found_page(finance, person):
    finance.force_login(person("finance"))
    response = finance.get("/senate/meetings/99999999999999999999/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


@pytest.mark.parametrize(
    "url", ["/api/referrals/timeliness/", "/api/referrals/held-payments/", "/api/accounts/"]
)
def test_a_year_that_is_not_a_number_is_refused_naming_it(finance, url):
    response = finance.get(url, {"year": "abc"})
    assert response.status_code == 400
    assert "year" in response.json()["extra"]["fields"]


@pytest.mark.parametrize(
    "url, parameter, allowed",
    [
        ("/api/organisations/", "kind", "commissioner"),
        ("/api/virements/", "status", "requested"),
        ("/api/senate/decisions/", "result", "carried"),
        ("/api/referrals/timeliness/", "by", "specialty"),
        ("/api/referrals/comparison/", "overdispersion", "additive"),
    ],
)
def test_an_unknown_choice_is_refused_with_the_allowed_values(finance, url, parameter, allowed):
    response = finance.get(url, {parameter: "bogus"})
    assert response.status_code == 400
    (message,) = response.json()["extra"]["fields"][parameter]
    assert '"bogus" is not allowed' in message
    assert allowed in message


def test_a_known_choice_still_filters(finance):
    response = finance.get("/api/organisations/", {"kind": "commissioner"})
    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == ["5NE"]


@pytest.mark.parametrize("since", ["0697-01-14T15:32:25-17:41", "2010-04-01T00:00:00+15:00"])
def test_an_implausible_date_and_time_is_refused(finance, since):
    response = finance.get("/api/audit-events/", {"since": since})
    assert response.status_code == 400
    assert "since" in response.json()["extra"]["fields"]


def test_a_date_and_time_with_an_offset_still_filters(finance):
    response = finance.get("/api/audit-events/", {"since": "2000-01-01T00:00:00-05:00"})
    assert response.status_code == 200
    assert response.json()["count"] > 0
