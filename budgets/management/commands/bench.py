"""`make bench`: import and reconciliation measured against raw-SQL baselines, on PostgreSQL.

Builds a synthetic commissioner (its own, so the demo is untouched), writes one hospital activity
file, then measures in one run:
- import rows/second, against a raw COPY of the same file into an unindexed table;
- peak memory (RSS) of the import process, at a tenth of the file and the whole file;
- reconciliation seconds, against one hand-written INSERT ... SELECT ... GROUP BY.
Figures are printed as ratios against those baselines. Nothing here is a test.
"""

from __future__ import annotations

import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from budgets.activity.services.imports import activity_import_create
from budgets.activity.services.reconciliation import reconciliation_start
from budgets.ledger.services import account_get_or_create, budget_line_create, ledger_post
from budgets.models import (
    AccountPurpose,
    LineCategory,
    Provider,
    TariffPrice,
)
from consortia import celery_app
from consortia.imports.models import Upload
from consortia.imports.services import upload_process
from consortia.models import Organisation, OrganisationKind

SCALES = {  # practices, localities, months, rows
    "cumbria-year": (82, 6, 12, 1_500_000),
    "england-month": (7_000, 42, 1, 15_000_000),
    "small": (82, 6, 12, 150_000),
}
PODS = ["EL", "DC", "NEL", "OPFA", "OPFU", "AE", "OTH"]
HEADER = ["provider_code", "practice_code", "month", "pod", "code", "activity", "cost",
          "contract", "independent_sector"]  # fmt: skip


class Command(BaseCommand):
    help = "Benchmark import and reconciliation on PostgreSQL (SCALE=cumbria-year|england-month)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", default="cumbria-year", choices=sorted(SCALES))
        parser.add_argument("--import-only", type=int, default=None, help=argparse_hidden())

    def handle(self, *args, scale, import_only, **options):
        if import_only is not None:  # child process: import one file, report peak memory
            started = time.perf_counter()
            upload_process(upload_id=import_only)
            seconds = time.perf_counter() - started
            peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.stdout.write(f"SECONDS {seconds} PEAK_KIB {peak_kib}")
            return
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL: set DATABASE_URL.")
        # The import must run in the child process that measures it, not eagerly on upload.
        celery_app.conf.task_always_eager = False
        practices, localities, months, rows = SCALES[scale]
        out = self.stdout.write
        out(
            f"Benchmark '{scale}': {rows:,} hospital activity rows, {practices:,} practices, "
            f"{months} month(s). Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]},"
            f" {_pg_version()}."
        )
        world = _world(practices, localities)
        tmp = Path(tempfile.mkdtemp(prefix="consortia-bench-"))
        small_rows = rows // 10
        small_path, big_path = tmp / "small.csv", tmp / "activity.csv"
        started = time.perf_counter()
        seed = time.time_ns()  # new content each run: the same file twice would be refused
        _write_file(small_path, world, months, small_rows, seed=seed)
        _write_file(big_path, world, months, rows, seed=seed + 1)
        out(
            f"Generated the files in {time.perf_counter() - started:.1f}s "
            f"({big_path.stat().st_size / 1e6:.0f} MB)."
        )

        copy_seconds = _raw_copy(big_path)
        small_import, small_peak = _import(world, small_path, month=1)
        big_import, big_peak = _import(world, big_path, month=2)
        out("")
        out(
            f"Raw COPY into an unindexed table: {rows / copy_seconds:,.0f} rows/s "
            f"({copy_seconds:.1f}s)"
        )
        out(
            f"Import (check every row, COPY to staging, move): {rows / big_import:,.0f} rows/s "
            f"({big_import:.1f}s) — {big_import / copy_seconds:.2f}× raw COPY (target ≤ 2×)"
        )
        out(
            f"Peak memory of the import process: {small_peak / 1024:.0f} MiB at {small_rows:,} "
            f"rows, {big_peak / 1024:.0f} MiB at {rows:,} rows "
            f"({big_peak / small_peak:.2f}× for {rows / small_rows:.0f}× the rows; flat is 1×)"
        )

        month = months if months > 1 else 1
        reco_seconds = _reconcile(world, month)
        sql_seconds = _hand_sql(world, month)
        out(
            f"Reconciliation (per-locality rebuild + positions): {reco_seconds:.2f}s — "
            f"{reco_seconds / sql_seconds:.2f}× one hand-written INSERT ... SELECT ... GROUP BY "
            f"({sql_seconds:.2f}s; target ≤ 1.5×)"
        )
        for path in (small_path, big_path):
            path.unlink()


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS


def _pg_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return "PostgreSQL " + cursor.fetchone()[0].split()[0]


def _world(practices: int, localities: int) -> dict:
    """A synthetic commissioner with its tree, lines, budgets, provider and tariff (idempotent)."""
    code = f"BN{practices}"
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
                code=f"B{i:05d}",
                name=f"Practice {i}",
                parent=locs[i % localities],
                path=f"{locs[i % localities].path}B{i:05d}/",
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
            organisation=icb, year=2010, line=lines["RRL"], purpose=AccountPurpose.FUNDING
        )
        legs = [
            (
                account_get_or_create(organisation=loc, year=2010, line=lines["SC-PBR"]),
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
    if not TariffPrice.objects.filter(year=2010, code="B0000").exists():
        TariffPrice.objects.bulk_create(
            TariffPrice(year=2010, code=f"B{n:04d}", pod=pod, price=100_00 + n, source="bench")
            for n in range(300)
            for pod in PODS
        )
    return {
        "icb": icb,
        "provider": Provider.objects.get(commissioner=icb, code="RBN"),
        "practices": list(
            Organisation.objects.filter(
                path__startswith=icb.path, kind=OrganisationKind.PRACTICE
            ).values_list("code", flat=True)
        ),
    }


def _write_file(path: Path, world: dict, months: int, rows: int, seed: int) -> None:
    """Unique rows: every (practice, month, pod, code) once; half priced by tariff."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    combos = [(pod, f"B{n:04d}") for n in range(300) for pod in PODS]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        written = 0
        while written < rows:
            for practice in world["practices"]:
                for month in range(1, months + 1):
                    pod, code = combos[
                        (written // (len(world["practices"]) * months)) % len(combos)
                    ]
                    cost = (
                        "" if written % 2 else f"{rng.randint(50, 5000)}.{rng.randint(0, 99):02d}"
                    )
                    writer.writerow(
                        [
                            "RBN",
                            practice,
                            f"M{month}",
                            pod,
                            code,
                            rng.randint(1, 20),
                            cost,
                            "Y",
                            "N",
                        ]
                    )
                    written += 1
                    if written >= rows:
                        return


def _raw_copy(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_copy")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_raw_copy (" + ", ".join(f"{c} text" for c in HEADER) + ")"
        )
        started = time.perf_counter()
        with path.open() as handle:
            cursor.cursor.copy_expert(
                "COPY bench_raw_copy FROM STDIN WITH (FORMAT csv, HEADER)", handle
            )
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_raw_copy")
    return seconds


def _import(world: dict, path: Path, month: int) -> tuple[float, int]:
    """Import in a child process (as a worker would); return (seconds, peak KiB)."""
    Upload.objects.filter(commissioner=world["icb"], month=month).update(status="superseded")
    with path.open("rb") as handle:
        record = activity_import_create(
            actor=None,
            commissioner=world["icb"],
            kind="hospital",
            year=2010,
            month=month,
            provider=world["provider"],
            upload=File(handle, name=path.name),
        )
    child = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "bench", "--import-only", str(record.pk)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    # The import's own time, as a worker spends it (not the child's start-up).
    seconds = float(child.stdout.split("SECONDS")[-1].split()[0])
    record.refresh_from_db()
    if record.status != "complete":
        raise CommandError(f"The benchmark import failed: {record.message} {record.errors[:3]}")
    peak = int(child.stdout.split("PEAK_KIB")[-1].split()[0])
    phases = [line for line in child.stderr.splitlines() if f"import {record.pk}:" in line]
    if phases:
        print("   ", phases[-1].split(": ", 1)[-1])  # noqa: T201 - the benchmark's report
    return seconds, peak


def _reconcile(world: dict, month: int) -> float:
    started = time.perf_counter()
    reconciliation_start(
        actor=None,
        commissioner=world["icb"],
        year=2010,
        month=month,
        trigger="command",
        run_now=True,
    )
    return time.perf_counter() - started


def _hand_sql(world: dict, month: int) -> float:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_summary")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_summary (year int, month int, "
            "organisation_id bigint, line_id bigint, actual bigint, activity bigint, "
            "rows bigint)"
        )
        cursor.execute("SET work_mem = '64MB'")  # as the reconciliation has: a fair baseline
        started = time.perf_counter()
        cursor.execute(
            "INSERT INTO bench_summary SELECT a.year, a.month, a.organisation_id, a.line_id, "
            "SUM(a.cost), SUM(a.activity), COUNT(*) FROM budgets_activityrow a "
            "JOIN imports_upload i ON i.id = a.upload_id "
            "WHERE a.year = 2010 AND a.month <= %s AND i.status = 'complete' "
            "AND i.commissioner_id = %s GROUP BY a.year, a.month, a.organisation_id, a.line_id",
            [month, world["icb"].pk],
        )
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_summary")
    return seconds
