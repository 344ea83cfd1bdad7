"""The REST API: the tree scoped by role, token auth, filters, pagination, the OpenAPI schema."""

import pytest
import yaml
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(person):
    def client_for(username):
        client = APIClient()
        client.force_authenticate(person(username))
        return client

    return client_for


def test_anonymous_callers_are_refused():
    assert APIClient().get("/api/localities/").status_code in (401, 403)


def test_a_lead_gp_lists_the_countys_six_localities(api):
    body = api("lead.carlisle").get("/api/localities/").json()

    assert body["count"] == 6
    assert {row["code"] for row in body["results"]} >= {"5NE-CAR", "5NE-EDE"}


def test_a_practice_member_sees_only_their_own_practice(api):
    body = api("practice.a82015").get("/api/practices/").json()

    assert [row["code"] for row in body["results"]] == ["A82015"]
    assert api("practice.a82015").get("/api/practices/A82016/").status_code == 404
    assert api("practice.a82015").get("/api/localities/").json()["count"] == 0


def test_practices_carry_their_published_list_size(api):
    row = api("finance").get("/api/practices/A82003/").json()

    assert row["list_size"] == 10_613  # 248 + 212 + 540 + ... + 699, the 18 published bands
    assert row["list_size_as_of"] == "2013-04-01"
    assert row["parent"] == "5NE-SLA"


def test_practices_filter_by_ancestor_and_paginate(api):
    client = api("finance")

    allerdale = client.get("/api/practices/", {"within": "5NE-ALL"}).json()
    first_page = client.get("/api/practices/").json()

    assert allerdale["count"] == 15
    assert first_page["count"] == 82 and len(first_page["results"]) == 50
    assert first_page["next"]


def test_token_authentication(person):
    token = Token.objects.create(user=person("lead.eden"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    me = client.get("/api/me/").json()

    assert me["username"] == "lead.eden"
    assert me["roles"] == [
        {
            "role": "locality_lead",
            "organisation": "5NE-EDE",
            "starts_on": me["roles"][0]["starts_on"],
            "ends_on": None,
        }
    ]


def test_only_finance_and_executives_read_the_audit_log(api):
    assert api("lead.carlisle").get("/api/audit-events/").status_code == 403
    events = api("finance").get("/api/audit-events/", {"event": "role."}).json()
    assert events["count"] >= 13
    assert {"actor_label", "event", "before", "after", "at"} <= set(events["results"][0])


def test_errors_have_one_shape(api):
    body = api("practice.a82015").get("/api/audit-events/").json()

    assert set(body) == {"message", "extra"}


def test_the_schema_is_valid_openapi_3(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    assert {"/api/localities/", "/api/practices/", "/api/organisations/"} <= set(schema["paths"])


def test_the_docs_page_is_served_without_a_cdn(client, person):
    client.force_login(person("finance"))
    html = client.get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html
