"""Logins resist guessing: a locked account or address is refused, on the page and the API;
failures, lockouts and denials are audited; the API throttles clients."""

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from consortia.models import AuditEvent

pytestmark = pytest.mark.django_db

LIMIT = 5  # AXES_FAILURE_LIMIT


def _page_login(client, username, password, address="10.0.0.1"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _token(client, username, password, address="10.0.0.1"):
    return client.post(
        "/api/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_the_login_page_locks_an_account_after_the_stated_failures(cumbria):
    client = Client()
    for _ in range(LIMIT - 1):
        assert _page_login(client, "finance", "wrong").status_code == 200  # the form again
    locked = _page_login(client, "finance", "wrong")
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content

    # The right password is refused too, from any address, until the cool-off ends.
    again = _page_login(Client(), "finance", "demo", address="10.9.9.9")
    assert again.status_code == 429
    assert "_auth_user_id" not in again.client.session


def test_the_token_api_locks_an_account_after_the_stated_failures(cumbria):
    client = APIClient()
    for _ in range(LIMIT - 1):
        assert _token(client, "finance", "wrong").status_code == 400
    locked = _token(client, "finance", "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.json()["message"]
    assert int(locked["Retry-After"]) > 0

    right = _token(APIClient(), "finance", "demo", address="10.9.9.9")
    assert right.status_code == 429
    assert "token" not in right.json()


def test_one_address_guessing_many_accounts_is_locked_out(cumbria):
    client = APIClient()
    for n in range(LIMIT):
        _token(client, f"guess{n}", "wrong", address="10.6.6.6")
    assert _token(client, "lead.carlisle", "demo", address="10.6.6.6").status_code == 429
    # Others, elsewhere, still log in.
    assert _token(APIClient(), "lead.carlisle", "demo", address="10.7.7.7").status_code == 200


def test_a_success_before_the_limit_starts_the_count_again(cumbria):
    client = Client()
    for _ in range(LIMIT - 1):
        _page_login(client, "finance", "wrong")
    assert _page_login(client, "finance", "demo").status_code == 302
    for _ in range(LIMIT - 1):
        assert _page_login(Client(), "finance", "wrong").status_code == 200


def test_failed_logins_and_lockouts_are_audited_without_the_password(cumbria):
    for _ in range(LIMIT + 1):
        _token(APIClient(), "finance", "s3cret-guess")
    failed = AuditEvent.objects.filter(subject_type="auth.login", subject_id="finance")
    assert failed.filter(event="auth.login_failed").count() >= LIMIT - 1
    assert failed.filter(event="auth.login_locked_out").exists()
    event = failed.first()
    assert event.after["address"] == "10.0.0.1"
    assert "s3cret-guess" not in str(event.before) + str(event.after) + event.subject_label


def test_a_denied_request_is_audited(person):
    client = APIClient()
    client.force_authenticate(person("practice.a82015"))
    response = client.get("/api/audit-events/")
    assert response.status_code == 403
    denial = AuditEvent.objects.get(event="access.denied")
    assert denial.actor == person("practice.a82015")
    assert denial.after["path"] == "/api/audit-events/"


@pytest.fixture
def fresh_throttles(monkeypatch):
    """Throttle counts of this test only (the suite's other requests are counted elsewhere)."""
    cache = LocMemCache("throttle-test", {})
    monkeypatch.setattr(AnonRateThrottle, "cache", cache)
    monkeypatch.setattr(UserRateThrottle, "cache", cache)


def test_the_api_throttles_anonymous_clients(cumbria, monkeypatch, fresh_throttles):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    client = APIClient()
    answers = [client.get("/api/senate/decisions/").status_code for _ in range(4)]
    assert answers[:3] == [200, 200, 200]
    assert answers[3] == 429


def test_the_api_throttles_each_signed_in_person(person, monkeypatch, fresh_throttles):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute"})
    finance, lead = APIClient(), APIClient()
    finance.force_authenticate(person("finance"))
    lead.force_authenticate(person("lead.carlisle"))
    answers = [finance.get("/api/me/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert "message" in finance.get("/api/me/").json()
    assert lead.get("/api/me/").status_code == 200
