"""Loading checked activity rows into the activity table, inside the import's transaction.

On PostgreSQL each batch is written by COPY (the table is partitioned by year, then locality);
elsewhere by bulk inserts. If the import fails after some batches, its transaction rolls back
and nothing remains. Only the partitions written are analysed afterwards.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import polars as pl
from django.db import connection

from consortia.models import Organisation, OrganisationKind

from .models import ActivityRow

ROW_ID_SHIFT = 2**32  # a row's id: upload id × 2³² + its row number in the file
COLUMNS = ("id", "upload_id", "year", "month", "locality_id", "organisation_id", "line_id",
           "provider_id", "pod", "code", "activity", "cost", "held")  # fmt: skip


def activity_partition_ensure(year: int, commissioner: Organisation) -> None:
    """On PostgreSQL, create the partition for a financial year (if missing) and, inside it, one
    partition per locality of the commissioner: each locality's reconciliation then reads only
    its own rows."""
    if connection.vendor != "postgresql":
        return
    year = int(year)
    localities = Organisation.objects.filter(
        parent=commissioner, kind=OrganisationKind.LOCALITY
    ).values_list("pk", flat=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS budgets_activityrow_y{year} PARTITION OF "  # noqa: S608
            f"budgets_activityrow FOR VALUES IN ({year}) PARTITION BY LIST (locality_id)"
        )
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS budgets_activityrow_y{year}_other PARTITION OF "  # noqa: S608
            f"budgets_activityrow_y{year} DEFAULT"
        )
        for pk in localities:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS budgets_activityrow_y{year}_l{int(pk)} "  # noqa: S608
                f"PARTITION OF budgets_activityrow_y{year} FOR VALUES IN ({int(pk)})"
            )


def _rows(upload, year: int, batch: pl.DataFrame, closed: list[int]) -> pl.DataFrame:
    return batch.select(
        (pl.lit(upload.pk * ROW_ID_SHIFT, dtype=pl.Int64) + pl.col("row_number")).alias("id"),
        pl.lit(upload.pk, dtype=pl.Int64).alias("upload_id"),
        pl.lit(year, dtype=pl.Int16).alias("year"),
        "month",
        "locality_id",
        "organisation_id",
        "line_id",
        "provider_id",
        "pod",
        "code",
        "activity",
        "cost",
        pl.col("month").is_in(closed).alias("held"),
    )


def activity_rows_load(
    *, upload, year: int, batches: Iterable[pl.DataFrame], closed_months: set[int]
) -> tuple[int, int]:
    """Write every checked row; (rows loaded, rows held for closed months)."""
    closed = sorted(closed_months)
    loaded = held = 0
    postgres = connection.vendor == "postgresql"
    if postgres:
        activity_partition_ensure(year, upload.commissioner)
    localities: set[int] = set()
    for batch in batches:
        rows = _rows(upload, year, batch, closed)
        loaded += rows.height
        held += int(rows["held"].sum())
        if postgres:
            localities.update(rows["locality_id"].unique().to_list())
            buffer = io.BytesIO()
            rows.write_csv(buffer, include_header=False)
            buffer.seek(0)
            with connection.cursor() as cursor:
                cursor.cursor.copy_expert(
                    f"COPY budgets_activityrow ({', '.join(COLUMNS)}) FROM STDIN "  # noqa: S608
                    "WITH (FORMAT csv, FORCE_NOT_NULL (pod, code))",
                    buffer,
                )
        else:
            ActivityRow.objects.bulk_create(
                (
                    ActivityRow(**dict(zip(COLUMNS, values, strict=True)))
                    for values in rows.iter_rows()
                ),
                batch_size=5000,
            )
    if postgres and localities:
        with connection.cursor() as cursor:
            for locality in sorted(localities):
                cursor.execute(f"ANALYZE budgets_activityrow_y{int(year)}_l{int(locality)}")
    return loaded, held
