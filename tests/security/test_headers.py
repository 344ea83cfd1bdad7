"""Headers and sessions on production settings (the suite runs with DEBUG off)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def signed_in(cumbria):
    client = Client()
    client.post("/accounts/login/", {"username": "finance", "password": "demo"}, secure=True)
    return client


def test_pages_carry_a_policy_refusing_inline_script(signed_in):
    response = signed_in.get("/", secure=True)
    assert response.status_code == 200
    policy = dict(
        d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";") if d
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_no_template_has_an_inline_script():
    """Only scripts from files and JSON data blocks (json_script) are allowed by the policy."""
    inline = []
    for template in TEMPLATES.rglob("*.html"):
        for tag in re.findall(r"<script\b[^>]*>", template.read_text()):
            if "src=" not in tag and 'type="application/json"' not in tag:
                inline.append(f"{template.relative_to(TEMPLATES)}: {tag}")
    assert inline == []


def test_the_api_docs_load_their_script_from_a_file(signed_in):
    page = signed_in.get("/api/docs/", secure=True).content.decode()
    assert "<script>" not in page
    assert signed_in.get("/api/docs/?script", secure=True).status_code == 200


def test_cookies_are_secure_httponly_and_same_site(cumbria):
    client = Client()
    login_page = client.get("/accounts/login/", secure=True)
    csrf = login_page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    response = client.post(
        "/accounts/login/", {"username": "finance", "password": "demo"}, secure=True
    )
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_a_session_ends_after_thirty_minutes_without_a_request(signed_in):
    assert signed_in.get("/", secure=True).status_code == 200
    key = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    expires = Session.objects.get(session_key=key).expire_date
    assert timedelta(minutes=29) < expires - timezone.now() <= timedelta(minutes=30)
    # Thirty-one minutes idle: the stored session has expired.
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    response = signed_in.get("/", secure=True)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_each_request_renews_the_session(signed_in):
    key = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(minutes=5)
    )
    assert signed_in.get("/", secure=True).status_code == 200
    renewed = Session.objects.get(session_key=key).expire_date
    assert renewed - timezone.now() > timedelta(minutes=29)
