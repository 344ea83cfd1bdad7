"""The activity loader: every row lands in its locality's partition with its id and held flag, the
upload's totals add up to its rows, and nothing remains when the caller stops or rolls back.

On PostgreSQL the rows go through the COPY threads (with small buffers here, so that partitions
are written by several COPYs); on SQLite through bulk inserts."""

from __future__ import annotations

import polars as pl
import pytest
from django.db import connection, transaction

from budgets.activity import loader
from budgets.models import ActivityRow, ActivityTotal
from consortia.imports.models import Upload
from consortia.models import Organisation
from tests.budgets.scenario import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def s(cumbria, monkeypatch):
    monkeypatch.setattr(loader, "FLUSH_BYTES", 200)
    monkeypatch.setattr(loader, "PENDING_BYTES", 500)
    return build()


def an_upload(s, name="t.csv") -> Upload:
    return Upload.objects.create(
        commissioner=s["icb"],
        kind="activity.hospital",
        year=2010,
        month=3,
        source="RXX",
        original_name=name,
        content_hash=name,
        status="running",
    )


def batch(rows: list[tuple]) -> pl.DataFrame:
    """Rows of (row number, month, locality, organisation, line, provider, pod, code, activity,
    cost), typed as the import pipeline hands them over."""
    return pl.DataFrame(
        rows,
        schema={
            "row_number": pl.Int64,
            "month": pl.Int16,
            "locality_id": pl.Int64,
            "organisation_id": pl.Int64,
            "line_id": pl.Int64,
            "provider_id": pl.Int64,
            "pod": pl.String,
            "code": pl.String,
            "activity": pl.Int64,
            "cost": pl.Int64,
        },
        orient="row",
    )


def generated(s, count: int, start: int = 2) -> list[tuple]:
    """`count` rows over both places, months 1-3, with and without a provider, odd codes."""
    places = [(s["north"].pk, s["p1"].pk), (s["south"].pk, s["p2"].pk)]
    line, provider = s["lines"]["SC-PBR"].pk, s["provider"].pk
    codes = ["AA11A", "", 'say "x", y', "130"]
    return [
        (
            start + n,
            n % 3 + 1,
            *places[n % 2],
            line,
            provider if n % 5 else None,
            "EL" if n % 4 else "",
            codes[n % 4],
            n % 7,
            100 * n + 1,
        )
        for n in range(count)
    ]


def partition_counts(year: int) -> dict[str, int]:
    """Rows per leaf partition of the year (PostgreSQL), by table name."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text, count(*) FROM budgets_activityrow "
            "WHERE year = %s GROUP BY 1",
            [year],
        )
        return dict(cursor.fetchall())


def test_every_row_is_loaded_into_its_locality_partition_with_its_totals(s):
    upload = an_upload(s)
    rows = generated(s, 40)
    elsewhere = Organisation.objects.get(code="5NE-ALL")  # a locality of another commissioner
    stray = (99, 1, elsewhere.pk, s["p1"].pk, s["lines"]["SC-PBR"].pk, None, "", "", 1, 5)

    loaded, held = loader.activity_rows_load(
        upload=upload,
        year=2010,
        batches=iter([batch(rows[:25]), batch(rows[25:] + [stray])]),
        closed_months={2},
    )

    assert (loaded, held) == (41, sum(1 for r in rows if r[1] == 2))
    stored = {
        r.id: r
        for r in ActivityRow.objects.filter(upload=upload).order_by("id")  # every row, once
    }
    assert len(stored) == 41
    for number, month, locality, organisation, line, provider, pod, code, activity, cost in [
        *rows,
        stray,
    ]:
        row = stored[upload.pk * 2**32 + number]
        assert (row.year, row.month, row.locality_id, row.organisation_id, row.line_id) == (
            2010,
            month,
            locality,
            organisation,
            line,
        )
        assert (row.provider_id, row.pod, row.code, row.activity, row.cost) == (
            provider,
            pod,
            code,
            activity,
            cost,
        )
        assert row.held == (month == 2)
    if connection.vendor == "postgresql":
        assert partition_counts(2010) == {
            f"budgets_activityrow_y2010_l{s['north'].pk}": 20,
            f"budgets_activityrow_y2010_l{s['south'].pk}": 20,
            "budgets_activityrow_y2010_other": 1,
        }
    # The totals are the rows summed (the plain-Python twin of the loader's polars sums).
    expected: dict[tuple, list[int]] = {}
    for _, month, locality, organisation, line, _, _, _, activity, cost in [*rows, stray]:
        key = (month, locality, organisation, line, month == 2)
        total = expected.setdefault(key, [0, 0, 0])
        total[0], total[1], total[2] = total[0] + cost, total[1] + activity, total[2] + 1
    assert {
        (t.month, t.locality_id, t.organisation_id, t.line_id, t.held): [
            t.cost,
            t.activity,
            t.rows,
        ]
        for t in ActivityTotal.objects.filter(upload=upload)
    } == expected


def test_nothing_remains_when_the_caller_stops_after_some_batches(s):
    upload = an_upload(s)
    rows = generated(s, 60)

    def batches():
        yield batch(rows[:20])
        yield batch(rows[20:40])
        raise RuntimeError("a later batch had errors")

    with pytest.raises(RuntimeError, match="later batch"), transaction.atomic():
        loader.activity_rows_load(upload=upload, year=2010, batches=batches(), closed_months=set())

    assert not ActivityRow.objects.filter(upload_id=upload.pk).exists()
    assert not ActivityTotal.objects.filter(upload_id=upload.pk).exists()


def test_nothing_remains_when_the_caller_rolls_back_after_the_load(s):
    upload = an_upload(s)

    with transaction.atomic():
        loaded, _ = loader.activity_rows_load(
            upload=upload, year=2010, batches=iter([batch(generated(s, 30))]), closed_months=set()
        )
        assert ActivityRow.objects.filter(upload=upload).count() == loaded == 30
        transaction.set_rollback(True)  # as the pipeline does when rows repeat

    assert not ActivityRow.objects.filter(upload_id=upload.pk).exists()
    assert not ActivityTotal.objects.filter(upload_id=upload.pk).exists()


def test_a_failed_copy_is_raised_in_the_callers_thread_and_loads_nothing(s):
    upload = an_upload(s)
    bad = generated(s, 10)
    bad[4] = (*bad[4][:8], 1, None)  # a row without a cost: refused by the table

    with pytest.raises(Exception, match="cost"), transaction.atomic():
        loader.activity_rows_load(
            upload=upload,
            year=2010,
            batches=iter([batch(bad), batch(generated(s, 10, start=20))]),
            closed_months=set(),
        )

    assert not ActivityRow.objects.filter(upload_id=upload.pk).exists()
