"""A lead GP logs in in a real browser and finds their locality and its practices."""

import pytest

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_gp_logs_in_and_sees_their_locality(page, screenshot):
    log_in(page, "lead.carlisle")
    screenshot("home")

    assert page.get_by_role("heading", name="Hello, Dr Clare").is_visible()
    page.get_by_role("link", name="Carlisle").first.click()
    screenshot("locality")

    assert page.get_by_role("heading", level=1).inner_text() == "Carlisle"
    assert page.get_by_role("link", name="Warwick Road Surgery").is_visible()
    assert page.get_by_test_id("population").inner_text() == "108,822"


def test_a_practice_member_sees_their_practice_and_not_the_others(page, screenshot):
    log_in(page, "practice.a82015")
    page.get_by_role("link", name="Organisations").click()
    screenshot("practice")

    assert page.get_by_role("heading", level=1).inner_text() == "Warwick Road Surgery"
    page.goto("/organisations/A82016/")
    assert page.get_by_role("heading", name="Page not found").is_visible()
