"""Finance uploads activity files in the browser, sees errors by row, then the positions."""

import pytest

from tests.browser.conftest import log_in
from tests.budgets.scenario import HOSPITAL_HEADER, build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_uploads_files_sees_errors_by_row_and_reconciles(page, screenshot, tmp_path):
    s = build()
    s["finance"].set_password("demo")
    s["finance"].save()
    bad = tmp_path / "riverside-M1-bad.csv"
    bad.write_text(
        HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,3,,Y,N\nRXX,Y99999,M1,EL,AA11A,x,,Y,N\n"
    )
    good = tmp_path / "riverside-M1.csv"
    good.write_text(
        HOSPITAL_HEADER + "RXX,Y00001,M1,EL,AA11A,3,,Y,N\nRXX,Y00002,M1,OPFA,130,10,,Y,N\n"
    )

    log_in(page, "tic.finance")
    page.get_by_role("link", name="Activity").click()
    for path in (bad, good):
        page.get_by_label("What the file holds").select_option("hospital")
        page.get_by_label("Financial year").fill("2010")
        page.get_by_label("Month", exact=True).fill("1")
        page.get_by_label("Provider", exact=True).select_option("RXX")
        page.get_by_label("File", exact=True).set_input_files(str(path))
        page.get_by_role("button", name="Upload and check").click()
        page.get_by_test_id("import-status").wait_for()
        screenshot(path.stem)
        if path is bad:
            errors = page.get_by_test_id("import-errors").inner_text()
            assert "Unknown practice 'Y99999'" in errors and "practice_code" in errors
            assert page.get_by_test_id("import-status").inner_text() == "Failed: nothing imported"
            page.get_by_role("link", name="Back to activity files").click()
    assert page.get_by_test_id("import-status").inner_text() == "Imported"

    page.get_by_role("link", name="Reconciliation").click()
    page.get_by_label("Financial year").fill("2010")
    page.get_by_label("Month (1 = April)").fill("1")
    page.get_by_role("button", name="Reconcile").click()
    page.get_by_role("link", name="M1 2010-11").click()
    screenshot("positions")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Tiny ICB")
    assert "£800.00" in page.get_by_test_id("position-total").inner_text()  # £300 + £500
