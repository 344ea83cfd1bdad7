"""PCT finance imports NHS England's published weighted populations in the browser, and a
list-size file that contradicts the figures held is refused by row, nothing changed."""

import pytest

from localities.models import ListSizeSnapshot, WeightedPopulation
from localities.services import DATA_DIR
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_imports_weighted_populations_and_a_contradicting_list_size_is_refused(
    page, screenshot, tmp_path, cumbria
):
    log_in(page, "finance")
    page.get_by_role("heading", level=1).wait_for()
    page.goto("/reference/")  # in the header's menu (under "More" on a narrow screen)
    page.get_by_label("What the file holds").select_option("reference.weighted_populations")
    page.get_by_label("Financial year (weighted populations)").fill("2022")
    page.get_by_label("File", exact=True).set_input_files(
        str(DATA_DIR / "cumbria_practices_nhse_weighted_population_2022_23.csv")
    )
    page.get_by_role("button", name="Import and check").click()
    page.get_by_test_id("import-rows").wait_for()
    screenshot("weighted-populations")
    assert page.get_by_test_id("import-status").inner_text() == "Imported"
    assert "63 imported" in page.get_by_test_id("import-rows").inner_text()
    assert WeightedPopulation.objects.filter(year=2022).count() == 63

    lines = (DATA_DIR / "cumbria_practice_list_sizes_2013_apr_jun.csv").read_text().splitlines()
    altered = tmp_path / "list-sizes-altered.csv"
    altered.write_text("\n".join([lines[0], lines[1].replace(",248,", ",249,", 1), *lines[2:]]))
    before = ListSizeSnapshot.objects.count()
    page.get_by_role("link", name="Back to reference data").click()
    page.get_by_label("What the file holds").select_option("reference.list_sizes")
    page.get_by_label("Date of the figures (list sizes)").fill("2013-04-01")
    page.get_by_label("File", exact=True).set_input_files(str(altered))
    page.get_by_role("button", name="Import and check").click()
    page.get_by_test_id("import-errors").wait_for()
    screenshot("list-sizes-refused")
    errors = page.get_by_test_id("import-errors").inner_text()
    assert "already has list sizes for 01 Apr 2013 with other figures" in errors
    assert "A82003" in errors and "practice_code" in errors  # the practice whose band changed
    assert ListSizeSnapshot.objects.count() == before
