"""Carlisle's lead GP finds an ophthalmology outlier on the funnel plot, opens a peer review,
sees which provider is slow with letters and the payment held for it, and what the GPSI
ophthalmology clinic saves against tariff."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from budgets.activity.demo import cumbria_activity_load
from referrals.demo import cumbria_referrals_load
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_gp_reviews_an_outlier_and_follows_the_money(page, screenshot):
    cumbria_activity_load()
    cumbria_referrals_load()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    log_in(page, "lead.carlisle")
    page.get_by_role("link", name="Referrals", exact=True).first.click()
    screenshot("referrals-home")
    assert "Fusehill Medical Practice" in page.get_by_test_id("outliers").inner_text()

    page.get_by_test_id("outliers").get_by_role("link", name="Ophthalmology").click()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas'))")
    screenshot("ophthalmology-funnel")
    summary = page.get_by_test_id("outlier-summary").inner_text()
    assert "Fusehill Medical Practice" in summary and "high outlier" in summary
    assert page.get_by_text("The table behind the chart").is_visible()

    page.get_by_role("link", name="Open a peer review of Fusehill Medical Practice").click()
    assert "High outlier" in page.get_by_test_id("review-position").inner_text()
    page.get_by_label("What was discussed").fill(
        "Fusehill's ophthalmology referrals are twice the county's: many are cataract checks."
    )
    page.get_by_label("Agreed actions").fill("Refer to the GPSI clinic first; audit in 3 months.")
    follow_up = timezone.localdate() + dt.timedelta(days=90)
    page.get_by_label("Follow-up date").fill(follow_up.isoformat())
    page.get_by_role("button", name="Open the review").click()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas'))")
    screenshot("peer-review")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Peer review: Fusehill Medical Practice"
    )
    assert page.get_by_test_id("review-status").inner_text() == "Open"
    assert "cataract checks" in page.get_by_test_id("review-history").inner_text()

    page.get_by_role("link", name="Information timeliness").click()
    screenshot("timeliness")
    league = page.get_by_test_id("league-table").inner_text().splitlines()
    worst = [line for line in league if "Clinic letter" in line][-1]
    assert "North Cumbria University Hospitals NHS Trust (RNL)" in worst

    page.get_by_role("link", name="Payment on information").click()
    screenshot("held-payments")
    held = page.get_by_test_id("held-by-provider").inner_text()
    assert "(RNL)" in held
    assert re.search(
        r"Held now: £[1-9][\d,]*\.\d\d", page.get_by_test_id("total-held").inner_text()
    )

    page.get_by_role("link", name="Local schemes").click()
    page.get_by_role("link", name="GPSI ophthalmology clinic, Carlisle").click()
    screenshot("gpsi-scheme")
    saving = page.get_by_test_id("scheme-saving").inner_text()
    percent = float(re.search(r"operating at ([\d.]+)% of the hospital price", saving).group(1))
    assert 50 <= percent <= 65
    assert errors == []
