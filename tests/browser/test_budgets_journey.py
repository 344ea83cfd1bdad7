"""A lead GP finds their locality's budget and asks to move £1,000; the chief operating officer
approves the £120,000 virement that is above the lead GP's limit. In a real browser."""

import re

import pytest

from budgets.models import Virement, VirementStatus
from tests.browser.conftest import AXE_URL, log_in, origin
from tests.budgets.budgets_demo import budgets_demo_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def menu(page, name: str):
    """A link in the header menu."""
    return page.get_by_role("navigation", name="Menu").get_by_role("link", name=name, exact=True)


def serious_accessibility_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the current page."""
    page.add_script_tag(url=origin(page) + AXE_URL)
    results = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']}: {v['help']}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_lead_gp_requests_a_virement_and_the_coo_approves_the_big_one(page, screenshot):
    budgets_demo_load()  # budgets.demo.cumbria_budgets_load(), approved, with the virements
    pending = Virement.objects.get(amount=120_000_00, status=VirementStatus.REQUESTED)

    log_in(page, "lead.carlisle")
    menu(page, "Budgets").click()
    screenshot("allocations")

    assert page.get_by_role("heading", level=1).inner_text() == "Budgets 2010-11"
    assert page.get_by_text("Demo figures").is_visible()
    carlisle = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Carlisle"))
    assert carlisle.get_by_role(
        "link", name=re.compile(r"Carlisle, Contracted PbR activity")
    ).is_visible()
    assert serious_accessibility_violations(page) == []

    menu(page, "Virements").click()
    page.get_by_role("button", name="Request virement").click()
    screenshot("virement-errors")
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    assert page.get_by_role("link", name="Select the budget the money comes from").is_visible()

    page.get_by_label("Move money from").select_option(
        label="Carlisle · Independent sector · 2010-11"
    )
    page.get_by_label("Move money to").select_option(
        label="Carlisle · Community services (incl. Care Closer to Home) · 2010-11"
    )
    page.get_by_label("Amount, in pounds").fill("1,000")
    page.get_by_label("Why should the money move?").fill("Fund a falls clinic in Carlisle")
    page.get_by_role("button", name="Request virement").click()
    screenshot("virement-requested")

    assert page.get_by_role("heading", level=1).inner_text() == (
        "£1,000.00 from Independent sector to Community services (incl. Care Closer to Home)"
    )
    assert page.get_by_test_id("virement-status").inner_text() == "Awaiting approval"
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Log out").click()

    log_in(page, "coo")
    menu(page, "Virements").click()
    page.get_by_role("link", name=f"#{pending.pk} of £120,000.00").click()
    page.wait_for_url(f"**/budgets/virements/{pending.pk}/")
    screenshot("virement-to-approve")
    page.get_by_role("button", name="Approve virement").click()
    screenshot("virement-approved")

    assert page.get_by_test_id("virement-status").inner_text() == "Approved"
    assert page.get_by_text(f"Virement #{pending.pk} approved: £120,000.00 moved").is_visible()
    pending.refresh_from_db()
    assert pending.status == VirementStatus.APPROVED and pending.decided_by.username == "coo"


def test_the_model_run_page_explains_the_allocation(page, screenshot):
    run = budgets_demo_load()

    log_in(page, "lead.carlisle")
    page.goto(f"/budgets/runs/{run.pk}/")
    screenshot("model-run")

    assert page.get_by_test_id("sources").get_by_text("CHOSEN", exact=False).first.is_visible()
    assert page.get_by_role(
        "table", name="Carlisle: target, pace of change and proposal by line"
    ).is_visible()
    assert serious_accessibility_violations(page) == []
