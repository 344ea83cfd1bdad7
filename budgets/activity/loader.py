"""Loading checked activity rows into the activity table, inside the import's transaction.

On PostgreSQL the table is partitioned by year, then locality, and has no identity column, index
or constraint to maintain (budgets/migrations/0007): a load is COPY straight into the leaf
partitions. Three threads share the work, so that PostgreSQL does not wait for Python, nor
Python for PostgreSQL:
- the caller's thread pulls checked batches from the import pipeline (which reads and checks the
  file as it goes) and hands them on;
- a converter thread adds each batch to the upload's totals (month × locality × node × line)
  and, a few batches at a time, writes them as CSV per leaf partition;
- a copier thread COPYs that CSV on the import's own connection, so in its transaction.
Each leaf partition has its `year` and `locality_id` as column defaults, so they are not sent;
`held` is sent only for rows of closed months. PostgreSQL sets up each COPY statement at a cost of
about a millisecond (a thousand tuple slots), so CSV is gathered per partition into a few
megabytes before it is sent, unless the copier would otherwise wait. Memory stays bounded: two
batches in hand, at most `PENDING_BYTES` of CSV waiting, and the totals (bounded by months ×
nodes × lines, not by rows).

Elsewhere (SQLite: the demo and the tests) rows are inserted with `bulk_create`.

The loader commits nothing: if the caller's iteration raises, or the caller rolls back after it
(a later batch had errors, or rows repeat), no row and no total remains. Afterwards only the
partitions written are analysed, from a small sample: readers scan one partition whole and need
little more than its size.
"""

from __future__ import annotations

import io
import logging
import queue
import threading
import time
from collections.abc import Iterable

import polars as pl
from django.db import connection

from consortia.models import Organisation

from .models import ActivityRow, ActivityTotal

logger = logging.getLogger(__name__)
ROW_ID_SHIFT = 2**32  # a row's id: upload id × 2³² + its row number in the file
SENT = ("id", "upload_id", "month", "organisation_id", "line_id", "provider_id", "pod", "code",
        "activity", "cost")  # fmt: skip
ROUTED = ["locality_id", "year"]  # sent too for a locality without its own partition
TOTAL_KEY = ("month", "locality_id", "organisation_id", "line_id", "held")
SPLIT_ROWS = 100_000  # batches gathered before they are split by partition
FLUSH_BYTES = 2 << 20  # CSV gathered for one partition before it is sent in one COPY
PENDING_BYTES = 8 << 20  # CSV waiting across partitions, at most
IDLE_FLUSH_BYTES = 512 << 10  # ... but sent from this size when the copier has nothing to do
COPY_READ_BYTES = 1 << 20  # what psycopg2 reads from the buffer at a time
# Statistics: a 3,000-row sample of the columns readers join and filter on, taken only when a
# partition grew by more than autovacuum's rule (50 rows + 10%) since it was last analysed.
ANALYZE_STATISTICS_TARGET = 10
ANALYZE_COLUMNS = ("upload_id", "organisation_id", "line_id", "provider_id", "month")
TOTAL_COLUMNS = ("upload_id", "year", *TOTAL_KEY, "cost", "activity", "rows")


def activity_partition_name(year: int, locality_id: int) -> str:
    return f"budgets_activityrow_y{int(year)}_l{int(locality_id)}"


def activity_partition_ensure(
    year: int, commissioner: Organisation, localities: Iterable[int] = ()
) -> set[int]:
    """On PostgreSQL, create the partition for a financial year (if missing) and in it one per
    locality of the commissioner (its children in the tree) and per id in `localities`, each with
    its `year` and `locality_id` as column defaults. Returns the localities that have one."""
    if connection.vendor != "postgresql":
        return set()
    year = int(year)
    wanted = {int(pk) for pk in localities} | set(
        Organisation.objects.filter(parent=commissioner).values_list("pk", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [f"budgets_activityrow_y{year}"],
        )
        existing = {name for (name,) in cursor.fetchall()}
        if not existing:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS budgets_activityrow_y{year} PARTITION OF "
                f"budgets_activityrow FOR VALUES IN ({year}) PARTITION BY LIST (locality_id)"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS budgets_activityrow_y{year}_other PARTITION OF "
                f"budgets_activityrow_y{year} (year WITH OPTIONS DEFAULT {year}) DEFAULT"
            )
        for pk in sorted(wanted):
            name = activity_partition_name(year, pk)
            if name not in existing:
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF budgets_activityrow_y{year} "
                    f"(year WITH OPTIONS DEFAULT {year}, locality_id WITH OPTIONS DEFAULT {pk}) "
                    f"FOR VALUES IN ({pk})"
                )
    return wanted


def activity_rows_load(
    *, upload, year: int, batches: Iterable[pl.DataFrame], closed_months: set[int]
) -> tuple[int, int]:
    """Write every checked row of `upload`, and its totals; (rows loaded, rows held).

    Each batch holds `row_number` (the file's row), `month` (1..12), `locality_id`,
    `organisation_id`, `line_id`, `provider_id` (may be null), `pod`, `code`, `activity` and
    `cost` (pence). A row of a closed month is held: stored, but not counted in the actuals until
    the month is reopened. Runs in the caller's transaction.
    """
    totals = Totals()
    load = _load_postgres if connection.vendor == "postgresql" else _load_orm
    loaded, held = load(
        upload=upload, year=int(year), batches=batches, closed=sorted(closed_months), totals=totals
    )
    started = time.perf_counter()
    _totals_write(upload=upload, year=int(year), totals=totals.frame())
    logger.info(
        "activity load of upload %s: %s rows; totals written in %.2fs",
        upload.pk,
        loaded,
        time.perf_counter() - started,
    )
    return loaded, held


def _rows(upload_id: int, batch: pl.DataFrame, closed: list[int]) -> pl.DataFrame:
    return batch.with_columns(
        (pl.col("row_number") + upload_id * ROW_ID_SHIFT).alias("id"),
        pl.lit(upload_id, dtype=pl.Int64).alias("upload_id"),
        (pl.col("month").is_in(closed) if closed else pl.lit(False)).alias("held"),
    )


class Totals:
    """An upload's rows summed by month × locality × node × line × held, batch by batch: its size
    is bounded by those keys, not by the number of rows."""

    def __init__(self):
        self.parts: list[pl.DataFrame] = []

    def add(self, rows: pl.DataFrame) -> None:
        self.parts.append(_sum(rows.lazy(), pl.len()))
        if len(self.parts) >= 8:
            self.parts = [self.frame()]

    def frame(self) -> pl.DataFrame:
        if not self.parts:
            return pl.DataFrame()
        return _sum(pl.concat(self.parts).lazy(), pl.col("rows").sum())


def _sum(rows: pl.LazyFrame, count: pl.Expr) -> pl.DataFrame:
    return (
        rows.group_by(TOTAL_KEY)
        .agg(pl.col("cost").sum(), pl.col("activity").sum(), count.alias("rows"))
        .collect(engine="in-memory")
    )


def _totals_write(*, upload, year: int, totals: pl.DataFrame) -> None:
    if totals.is_empty():
        return
    if connection.vendor == "postgresql":  # tens of thousands for a national file: COPY them
        data = totals.with_columns(
            pl.lit(upload.pk, dtype=pl.Int64).alias("upload_id"),
            pl.lit(year, dtype=pl.Int16).alias("year"),
        ).select(TOTAL_COLUMNS)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY budgets_activitytotal ({', '.join(TOTAL_COLUMNS)}) FROM STDIN "
                "WITH (FORMAT csv)",
                io.BytesIO(data.write_csv(include_header=False).encode()),
            )
        return
    ActivityTotal.objects.bulk_create(
        (
            ActivityTotal(upload_id=upload.pk, year=year, **values)
            for values in totals.iter_rows(named=True)
        ),
        batch_size=5000,
    )


def _load_orm(*, upload, year: int, batches, closed: list[int], totals: Totals):
    loaded = held = 0
    for batch in batches:
        rows = _rows(upload.pk, batch, closed)
        totals.add(rows)
        loaded += rows.height
        held += int(rows["held"].sum())
        ActivityRow.objects.bulk_create(
            (
                ActivityRow(year=year, **values)
                for values in rows.select(*SENT, "locality_id", "held").iter_rows(named=True)
            ),
            batch_size=2000,
        )
    return loaded, held


def _load_postgres(*, upload, year: int, batches, closed: list[int], totals: Totals):
    with_partition = activity_partition_ensure(year, upload.commissioner)
    raw = connection.connection  # the import's psycopg2 connection: COPY joins its transaction
    checked: queue.Queue[pl.DataFrame | None] = queue.Queue(maxsize=1)
    converted: queue.Queue[tuple[str, io.BytesIO] | None] = queue.Queue(maxsize=3)
    failures: list[BaseException] = []
    counts = {"loaded": 0, "held": 0}
    written: dict[int, int] = {}  # locality -> rows written
    spent = {"copy": 0.0, "copies": 0, "convert": 0.0, "waiting": 0.0}  # for the log

    def statement(locality: int, held: bool) -> str:
        columns = [*SENT, "held"] if held else list(SENT)
        if locality in with_partition:
            table = activity_partition_name(year, locality)
        else:  # not a child of the commissioner (never, as the checks stand): let PostgreSQL route
            table, columns = "budgets_activityrow", [*columns, *ROUTED]
        return f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"

    def convert() -> None:
        grouped: list[pl.DataFrame] = []  # batches not yet split by partition
        pending: dict[tuple[int, bool], io.BytesIO] = {}  # CSV written straight into them
        sizes: dict[tuple[int, bool], int] = {}

        def send(key: tuple[int, bool]) -> None:
            data = pending.pop(key)
            del sizes[key]
            data.seek(0)
            converted.put((statement(*key), data))

        def split() -> None:
            """CSV per partition of the batches gathered (one split for several batches: splitting
            a 50,000-row batch 42 ways costs twice the CSV itself)."""
            rows = pl.concat(grouped) if len(grouped) > 1 else grouped[0]
            grouped.clear()
            for (locality, held), part in rows.partition_by(
                "locality_id", "held", as_dict=True
            ).items():
                key = (int(locality), bool(held))
                written[key[0]] = written.get(key[0], 0) + part.height
                columns = [*SENT, "held"] if held else list(SENT)
                if key[0] not in with_partition:
                    part = part.with_columns(pl.lit(year, dtype=pl.Int16).alias("year"))
                    columns += ROUTED
                buffer = pending.setdefault(key, io.BytesIO())
                part.select(columns).write_csv(buffer, include_header=False)
                sizes[key] = buffer.tell()
                if sizes[key] >= FLUSH_BYTES:
                    send(key)
            while sum(sizes.values()) > PENDING_BYTES:
                send(max(sizes, key=sizes.__getitem__))

        try:
            while (batch := checked.get()) is not None:
                if failures:
                    continue  # the copier failed: drain until the caller stops
                started = time.perf_counter()
                rows = _rows(upload.pk, batch, closed)
                totals.add(rows)
                counts["loaded"] += rows.height
                counts["held"] += int(rows["held"].sum())
                grouped.append(rows.select(*SENT, "locality_id", "held"))
                idle = converted.empty()  # PostgreSQL waits: better small COPYs than none
                if idle or sum(g.height for g in grouped) >= SPLIT_ROWS:
                    split()
                if idle and converted.empty():
                    for key in [k for k, size in sizes.items() if size >= IDLE_FLUSH_BYTES]:
                        send(key)
                spent["convert"] += time.perf_counter() - started
            if not failures:
                if grouped:
                    split()
                for key in list(pending):
                    send(key)
        except BaseException as exc:  # handed to the caller's thread  # noqa: BLE001
            failures.append(exc)
        finally:
            converted.put(None)

    def copy() -> None:
        with raw.cursor() as cursor:
            while (item := converted.get()) is not None:
                if failures:
                    continue
                sql, data = item
                started = time.perf_counter()
                try:
                    cursor.copy_expert(sql, data, size=COPY_READ_BYTES)
                except BaseException as exc:  # handed to the caller's thread  # noqa: BLE001
                    failures.append(exc)
                spent["copy"] += time.perf_counter() - started
                spent["copies"] += 1

    workers = [threading.Thread(target=convert), threading.Thread(target=copy)]
    for worker in workers:
        worker.start()
    try:
        for batch in batches:
            if failures:
                break
            started = time.perf_counter()
            checked.put(batch)
            spent["waiting"] += time.perf_counter() - started
    finally:
        checked.put(None)
        for worker in workers:
            worker.join()
    if failures:
        raise failures[0]
    finished = time.perf_counter()
    analysed = _analyse(year, written, with_partition)
    logger.info(
        "activity load of upload %s: %s COPYs into %s partitions took %.2fs in PostgreSQL; "
        "CSV and totals %.2fs; the checks waited %.2fs for the loader; ANALYZE of %s %.2fs",
        upload.pk,
        spent["copies"],
        len(written),
        spent["copy"],
        spent["convert"],
        spent["waiting"],
        analysed,
        time.perf_counter() - finished,
    )
    return counts["loaded"], counts["held"]


def _analyse(year: int, written: dict[int, int], with_partition: set[int]) -> int:
    """ANALYZE the partitions written that grew by more than 50 rows + 10% since their last
    statistics (autovacuum's rule; this server's autovacuum is not relied on). Returns how many."""
    rows: dict[str, int] = {}
    for locality, count in written.items():
        name = (
            activity_partition_name(year, locality)
            if locality in with_partition
            else f"budgets_activityrow_y{year}_other"
        )
        rows[name] = rows.get(name, 0) + count
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, greatest(reltuples, 0) FROM pg_class WHERE relname = ANY(%s)",
            [sorted(rows)],
        )
        known = dict(cursor.fetchall())
        due = [name for name in sorted(rows) if rows[name] > 50 + 0.1 * known.get(name, 0)]
        cursor.execute(f"SET LOCAL default_statistics_target = {ANALYZE_STATISTICS_TARGET}")
        for name in due:
            cursor.execute(f"ANALYZE {name} ({', '.join(ANALYZE_COLUMNS)})")
        cursor.execute("RESET default_statistics_target")
    return len(due)
