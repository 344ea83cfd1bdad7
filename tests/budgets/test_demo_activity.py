"""`make demo` generates a deterministic, plausible, synthetic year of activity and reconciles it."""

import pytest

from budgets.activity.demo import MONTHS_CLOSED, MONTHS_LOADED, OUT_OF_LINE, cumbria_activity_load
from budgets.models import MonthClose, Position, RunStatusReco
from consortia.imports.models import Upload, UploadStatus

pytestmark = pytest.mark.django_db


def test_the_demo_year_is_imported_reconciled_and_shows_practices_out_of_line(cumbria):
    run = cumbria_activity_load()

    assert run.status == RunStatusReco.SUCCEEDED and run.month == MONTHS_LOADED
    assert not Upload.objects.exclude(status=UploadStatus.COMPLETE).exists()
    assert all(
        name.startswith("SYNTHETIC-")
        for name in Upload.objects.values_list("original_name", flat=True)
    )
    localities = Position.objects.filter(run=run, line__isnull=True, organisation__kind="locality")
    assert localities.count() == 6
    # Close to budget overall (plausible), but the out-of-line practices push their localities
    # (Carlisle's A82017, Allerdale's A82047) over the amber threshold.
    for position in localities:
        assert abs(position.variance_percent) < 5
    flagged = {p.organisation.code for p in localities if p.status != "green"}
    assert {"5NE-CAR", "5NE-ALL"} <= flagged
    assert {"A82017", "A82047"} <= set(OUT_OF_LINE)
    assert set(MonthClose.objects.values_list("month", flat=True)) == set(
        range(1, MONTHS_CLOSED + 1)
    )


def test_loading_the_demo_activity_twice_changes_nothing(cumbria):
    first = cumbria_activity_load()
    imports = Upload.objects.count()

    assert cumbria_activity_load().pk == first.pk
    assert Upload.objects.count() == imports
