"""`make bench`: import and reconciliation measured against raw-SQL baselines, on PostgreSQL.

Creates the benchmark database if it is missing and migrates it, builds a synthetic commissioner
there (its own database: the demo is untouched), writes hospital activity files (one per month,
as providers send them), then measures in one run:
- the import of each file (read, check, find duplicates, load, through the import pipeline, in a
  child process as a worker runs it) against a raw COPY of the same file into an unindexed text
  table, before and after the imports;
- the peak memory (RSS) of the import process: for one month, at a tenth of its rows (a second
  provider's file) and at all of them;
- reconciliation (actuals of every locality, then positions) against one hand-written
  INSERT ... SELECT ... GROUP BY over the activity rows, and a second reconciliation with
  nothing changed.
Figures are printed as ratios against those baselines. The benchmark's earlier rows are removed
first (its own locality partitions are truncated), so runs do not pile up. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import psycopg2
from django.conf import settings
from django.core.files import File
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection, transaction
from django.test.utils import override_settings

from budgets.activity.loader import activity_partition_name
from budgets.activity.services.imports import activity_import_create
from budgets.activity.services.reconciliation import reconciliation_start
from budgets.ledger.services import account_get_or_create, budget_line_create, ledger_post
from budgets.models import (
    AccountPurpose,
    ActivityTotal,
    ActualSource,
    ActualSummary,
    LineCategory,
    Provider,
    TariffPrice,
)
from consortia import celery_app
from consortia.imports.models import Upload, UploadStatus
from consortia.imports.services import upload_process
from consortia.models import Organisation, OrganisationKind

SCALES = {  # practices, localities, months, rows
    "cumbria-year": (82, 6, 12, 1_500_000),
    "england-month": (7_000, 42, 1, 15_000_000),
    "small": (82, 6, 12, 150_000),
}
YEAR = 2010
PODS = ["EL", "DC", "NEL", "OPFA", "OPFU", "AE", "OTH"]
CODES = 400  # tariff codes B0000..B0399: with 7 PODs, 2,800 rows per practice and month
HEADER = ["provider_code", "practice_code", "month", "pod", "code", "activity", "cost",
          "contract", "independent_sector"]  # fmt: skip
CHUNK_ROWS = 1_000_000  # generated and written at a time


class Command(BaseCommand):
    help = "Benchmark import and reconciliation on PostgreSQL (SCALE=cumbria-year|england-month)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", default="cumbria-year", choices=sorted(SCALES))
        parser.add_argument("--import-only", type=int, default=None, help=argparse.SUPPRESS)

    def handle(self, *args, scale, import_only, **options):
        if import_only is not None:  # child process: import one file, report time and memory
            with connection.cursor() as cursor:
                pg_cpu = _backend_cpu(cursor)
            cpu, started = _own_cpu(), time.perf_counter()
            upload_process(upload_id=import_only)
            seconds, cpu = time.perf_counter() - started, _own_cpu() - cpu
            peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.stdout.write(
                f"SECONDS {seconds} PEAK_KIB {peak_kib} CPU {cpu} PG_CPU {pg_cpu() or 0}"
            )
            return
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL: set DATABASE_URL.")
        _database_ensure()
        call_command("migrate", verbosity=0, interactive=False)
        # The import must run in the child process that measures it, not eagerly on upload.
        celery_app.conf.task_always_eager = False
        media = Path(tempfile.mkdtemp(prefix="consortia-bench-"))
        try:
            with override_settings(MEDIA_ROOT=str(media / "media")):
                self._run(scale, media)
        finally:
            shutil.rmtree(media, ignore_errors=True)

    def _run(self, scale: str, tmp: Path) -> None:
        practices, localities, months, rows = SCALES[scale]
        out = self.stdout.write
        out(
            f"Benchmark '{scale}': {rows:,} hospital activity rows, {practices:,} practices in "
            f"{localities} localities, {months} monthly file(s). Machine: {os.cpu_count()} "
            f"cores, Python {sys.version.split()[0]}, {_pg_version()}."
        )
        world = _world(practices, localities)
        _clear(world)
        started = time.perf_counter()
        seed = time.time_ns() % 1_000_000_007  # new content each run: the same file is refused
        files = []
        for month in range(1, months + 1):
            files.append(tmp / f"RBN-M{month}.csv")
            _write_file(
                files[-1], practices, world["letter"], month, rows // months, seed=seed + month
            )
        small = tmp / "RBS-M1.csv"  # a tenth of a month's rows, for the memory at two sizes
        _write_file(small, practices, world["letter"], 1, rows // months // 10, seed=seed)
        out(
            f"Generated the files in {time.perf_counter() - started:.1f}s "
            f"({sum(f.stat().st_size for f in files) / 1e6:.0f} MB)."
        )

        copies = [_raw_copy(f) for f in files]
        small_import = _import(world, small, month=1, provider=world["second_provider"])
        imports = [
            _import(world, f, month=month, provider=world["provider"])
            for month, f in enumerate(files, start=1)
        ]
        copies += [_raw_copy(f) for f in files]
        copy_before = sum(c.seconds for c in copies[: len(files)])
        copy_after = sum(c.seconds for c in copies[len(files) :])
        copy_seconds = (copy_before + copy_after) / 2
        copy_cpu = sum(c.pg_cpu for c in copies) / 2
        import_seconds = sum(i.seconds for i in imports)
        peak, small_peak = max(i.peak_kib for i in imports), small_import.peak_kib
        out("")
        out(
            f"Raw COPY into an unindexed text table: {rows / copy_seconds:,.0f} rows/s "
            f"({copy_seconds:.2f}s: {copy_before:.2f}s before the imports, {copy_after:.2f}s "
            "after)"
        )
        out(
            f"Import (read, check, duplicates, load): {rows / import_seconds:,.0f} rows/s "
            f"({import_seconds:.2f}s) — {import_seconds / copy_seconds:.2f}× raw COPY "
            "(target ≤ 2×)"
        )
        for line in imports[-1].phases:
            out(f"    {line}")
        own, pg = sum(i.cpu for i in imports), sum(i.pg_cpu for i in imports)
        if copy_cpu:
            out(
                f"    CPU time, whatever else the machine runs: import {own:.1f}s in its process "
                f"+ {pg:.1f}s in PostgreSQL = {(own + pg) / copy_cpu:.2f}× the raw COPY's "
                f"{copy_cpu:.1f}s in PostgreSQL (its own share: {pg / copy_cpu:.2f}×)"
            )
        small_rows, file_rows = rows // months // 10, rows // months
        out(
            f"Peak memory of the import process: {small_peak / 1024:.0f} MiB for {small_rows:,} "
            f"rows, {peak / 1024:.0f} MiB for {file_rows:,} "
            f"({peak / small_peak:.2f}× for {file_rows / small_rows:.0f}× the rows; flat is 1×; "
            "target < 300 MiB)"
        )

        sql_seconds = _hand_sql(world, months)
        reco_seconds, pairs = _reconcile(world, months)
        again_seconds, again_pairs = _reconcile(world, months)
        out(
            f"Reconciliation (actuals of every locality + positions): {reco_seconds:.2f}s, "
            f"{pairs} (locality, month) re-summed — {reco_seconds / sql_seconds:.2f}× one "
            f"hand-written INSERT ... SELECT ... GROUP BY over the rows ({sql_seconds:.2f}s; "
            "target ≤ 1.5×)"
        )
        out(f"Reconciliation again, nothing changed: {again_seconds:.2f}s, {again_pairs} re-summed")
        both = (import_seconds + reco_seconds) / (copy_seconds + sql_seconds)
        out(
            f"Import + reconciliation: {import_seconds + reco_seconds:.1f}s — {both:.2f}× raw "
            f"COPY + hand SQL ({copy_seconds + sql_seconds:.1f}s; target for England ≤ 3×)"
        )


def _database_ensure() -> None:
    """Create the benchmark database if it does not exist (from the `postgres` database)."""
    params = connection.settings_dict
    try:
        connection.ensure_connection()
        return
    except OperationalError as exc:  # only "does not exist" is ours to fix
        if "does not exist" not in str(exc):
            raise
        connection.close()
    admin = psycopg2.connect(
        dbname="postgres",
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )
    admin.autocommit = True
    name = params["NAME"]
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise CommandError(f"Create the database {name!r} yourself; then run the benchmark.")
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    admin.close()
    print(f"Created the database {name}.")  # noqa: T201 - the benchmark's report


def _pg_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return "PostgreSQL " + cursor.fetchone()[0].split()[0]


@transaction.atomic
def _world(practices: int, localities: int) -> dict:
    """A synthetic commissioner with its tree, lines, budgets, provider and tariff (idempotent)."""
    code = f"BN{practices}"
    letter = "ABCDEFGH"[len(str(practices))]  # practice codes apart from the other scale's
    icb = Organisation.objects.filter(code=code).first()
    if icb is None:
        icb = Organisation.objects.create(
            kind=OrganisationKind.COMMISSIONER,
            code=code,
            name=f"Benchmark ICB ({practices:,} practices)",
            path=f"/{code}/",
        )
        locs = Organisation.objects.bulk_create(
            Organisation(
                kind=OrganisationKind.LOCALITY,
                code=f"{code}-L{i:02d}",
                name=f"Place {i}",
                parent=icb,
                path=f"/{code}/{code}-L{i:02d}/",
            )
            for i in range(localities)
        )
        Organisation.objects.bulk_create(
            Organisation(
                kind=OrganisationKind.PRACTICE,
                code=f"{letter}{i:05d}",
                name=f"Practice {i}",
                parent=locs[i % localities],
                path=f"{locs[i % localities].path}{letter}{i:05d}/",
            )
            for i in range(practices)
        )
        lines = {
            c: budget_line_create(
                actor=None, commissioner=icb, code=c, name=c, category=cat, order=n
            )
            for n, (c, cat) in enumerate(
                [
                    ("RRL", LineCategory.FUNDING),
                    ("SC-PBR", LineCategory.DELEGATED),
                    ("SC-NCA", LineCategory.DELEGATED),
                    ("SC-IS", LineCategory.DELEGATED),
                ]
            )
        }
        funding = account_get_or_create(
            organisation=icb, year=YEAR, line=lines["RRL"], purpose=AccountPurpose.FUNDING
        )
        legs = [
            (
                account_get_or_create(organisation=loc, year=YEAR, line=lines["SC-PBR"]),
                50_000_000_00,
            )
            for loc in locs
        ]
        ledger_post(
            legs=[(funding, -sum(a for _, a in legs)), *legs],
            kind="allocation",
            memo="benchmark budgets",
            actor=None,
        )
        Provider.objects.create(commissioner=icb, code="RBN", name="Bench Trust", kind="nhs_trust")
    Provider.objects.get_or_create(
        commissioner=icb, code="RBS", defaults={"name": "Second Trust", "kind": "nhs_trust"}
    )
    existing = set(TariffPrice.objects.filter(year=YEAR, source="bench").values_list("code", "pod"))
    TariffPrice.objects.bulk_create(
        TariffPrice(year=YEAR, code=f"B{n:04d}", pod=pod, price=100_00 + n, source="bench")
        for n in range(CODES)
        for pod in PODS
        if (f"B{n:04d}", pod) not in existing
    )
    return {
        "icb": icb,
        "provider": Provider.objects.get(commissioner=icb, code="RBN"),
        "second_provider": Provider.objects.get(commissioner=icb, code="RBS"),
        "letter": Organisation.objects.filter(parent__parent=icb)
        .values_list("code", flat=True)
        .first()[0],
        "localities": list(
            Organisation.objects.filter(parent=icb).order_by("pk").values_list("pk", flat=True)
        ),
    }


def _clear(world: dict) -> None:
    """Remove the benchmark's earlier rows, totals and actuals; its uploads are superseded."""
    uploads = Upload.objects.filter(commissioner=world["icb"])
    ActivityTotal.objects.filter(upload__in=uploads).delete()
    ActualSummary.objects.filter(locality_id__in=world["localities"]).delete()
    ActualSource.objects.filter(locality_id__in=world["localities"]).delete()
    uploads.exclude(status=UploadStatus.FAILED).update(status=UploadStatus.SUPERSEDED)
    with connection.cursor() as cursor:
        for locality in world["localities"]:
            cursor.execute("SELECT to_regclass(%s)", [activity_partition_name(YEAR, locality)])
            if cursor.fetchone()[0]:
                cursor.execute(f"TRUNCATE {activity_partition_name(YEAR, locality)}")


def _write_file(path: Path, practices: int, letter: str, month: int, rows: int, seed: int) -> None:
    """One provider's hospital activity for a month, unique by construction: row i is practice
    i mod P and the (POD, code) pair i div P; half are priced by the tariff. Activity and cost
    vary with `seed`, so that each run's files are new."""
    if rows > practices * CODES * len(PODS):
        raise CommandError("More rows than distinct (practice, POD, code): add codes.")
    with path.open("wb") as handle:
        for start in range(0, rows, CHUNK_ROWS):
            index = pl.int_range(start, min(rows, start + CHUNK_ROWS), dtype=pl.Int64, eager=True)
            frame = pl.DataFrame({"i": index}).with_columns(
                pair=pl.col("i") // practices, noise=(pl.col("i") + seed).hash(seed=7)
            )
            frame.select(
                provider_code=pl.lit(path.name[:3]),
                practice_code=pl.format(
                    letter + "{}", (pl.col("i") % practices).cast(pl.String).str.zfill(5)
                ),
                month=pl.lit(f"M{month}"),
                pod=(pl.col("pair") % len(PODS)).replace_strict(
                    list(range(len(PODS))), PODS, return_dtype=pl.String
                ),
                code=pl.format("B{}", (pl.col("pair") // len(PODS)).cast(pl.String).str.zfill(4)),
                activity=pl.col("noise") % 20 + 1,
                cost=pl.when(pl.col("i") % 2 == 0).then(
                    pl.format(
                        "{}.{}",
                        (pl.col("noise") // 20) % 4_951 + 50,
                        ((pl.col("noise") // 99_020) % 100).cast(pl.String).str.zfill(2),
                    )
                ),
                contract=pl.lit("Y"),
                independent_sector=pl.lit("N"),
            ).write_csv(handle, include_header=start == 0)


@dataclass
class Measured:
    seconds: float
    pg_cpu: float = 0.0  # CPU seconds of the PostgreSQL backend (0 if it is on another host)
    cpu: float = 0.0  # CPU seconds of the import process
    peak_kib: int = 0
    phases: list[str] = field(default_factory=list)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _backend_cpu(cursor):
    """A function giving the CPU seconds this connection's PostgreSQL backend has used since
    now (None if the server is not on this machine)."""
    cursor.execute("SELECT pg_backend_pid()")
    stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")

    def used() -> float | None:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    start = used()
    return lambda: None if start is None else used() - start


def _raw_copy(path: Path) -> Measured:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_copy")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_raw_copy (" + ", ".join(f"{c} text" for c in HEADER) + ")"
        )
        pg_cpu, started = _backend_cpu(cursor), time.perf_counter()
        with path.open("rb") as handle:
            cursor.cursor.copy_expert(
                "COPY bench_raw_copy FROM STDIN WITH (FORMAT csv, HEADER)", handle, size=1 << 20
            )
        measured = Measured(time.perf_counter() - started, pg_cpu() or 0.0)
        cursor.execute("DROP TABLE bench_raw_copy")
    return measured


def _import(world: dict, path: Path, month: int, provider) -> Measured:
    """Import in a child process (as a worker would): its seconds, CPU, memory and phases."""
    with path.open("rb") as handle:
        upload = activity_import_create(
            actor=None,
            commissioner=world["icb"],
            kind="hospital",
            year=YEAR,
            month=month,
            provider=provider,
            upload=File(handle, name=path.name),
        )
    child = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "bench", "--import-only", str(upload.pk)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "MEDIA_ROOT": settings.MEDIA_ROOT},
    )
    if child.returncode:
        raise CommandError(f"The benchmark import crashed:\n{child.stderr[-3000:]}")
    upload.refresh_from_db()
    if upload.status != UploadStatus.COMPLETE:
        raise CommandError(f"The benchmark import failed: {upload.message} {upload.errors[:3]}")
    # The import's own time, as a worker spends it (not the child's start-up).
    report = child.stdout.split()
    value = {
        name: report[report.index(name) + 1] for name in ("SECONDS", "PEAK_KIB", "CPU", "PG_CPU")
    }
    if upload.file:
        upload.file.delete(save=False)
    return Measured(
        seconds=float(value["SECONDS"]),
        pg_cpu=float(value["PG_CPU"]),
        cpu=float(value["CPU"]),
        peak_kib=int(value["PEAK_KIB"]),
        phases=[
            line.split(": ", 1)[-1]
            for line in child.stderr.splitlines()
            if line.startswith(("activity load", f"upload {upload.pk} "))
        ],
    )


def _reconcile(world: dict, month: int) -> tuple[float, int]:
    """Seconds of a reconciliation run, and how many (locality, month) it re-summed."""
    before = dict(
        ActualSource.objects.filter(locality_id__in=world["localities"]).values_list(
            "pk", "summed_at"
        )
    )
    started = time.perf_counter()
    reconciliation_start(
        actor=None,
        commissioner=world["icb"],
        year=YEAR,
        month=month,
        trigger="command",
        run_now=True,
    )
    seconds = time.perf_counter() - started
    after = ActualSource.objects.filter(locality_id__in=world["localities"])
    return seconds, sum(1 for s in after if before.get(s.pk) != s.summed_at)


def _hand_sql(world: dict, month: int) -> float:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_summary")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_summary (year int, month int, "
            "organisation_id bigint, line_id bigint, actual bigint, activity bigint, "
            "rows bigint)"
        )
        cursor.execute("SET work_mem = '64MB'")  # aggregate in memory, not on disk
        started = time.perf_counter()
        cursor.execute(
            "INSERT INTO bench_summary SELECT a.year, a.month, a.organisation_id, a.line_id, "
            "SUM(a.cost), SUM(a.activity), COUNT(*) FROM budgets_activityrow a "
            "JOIN imports_upload i ON i.id = a.upload_id "
            "WHERE a.year = %s AND a.month <= %s AND NOT a.held AND i.status = 'complete' "
            "AND i.commissioner_id = %s GROUP BY a.year, a.month, a.organisation_id, a.line_id",
            [YEAR, month, world["icb"].pk],
        )
        seconds = time.perf_counter() - started
        cursor.execute("RESET work_mem")
        cursor.execute("DROP TABLE bench_summary")
    return seconds
