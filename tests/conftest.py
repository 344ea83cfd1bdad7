"""Shared fixtures. The Cumbria tree is loaded once into the test database and reused.

pytest-django runs transactional tests (live server, real Celery worker) after the others; they
flush the database, so `cumbria` reloads the tree when it has gone.
"""

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from budgets.demo import cumbria_budgets_load
from consortia import celery_app
from consortia.demo import demo_users_create
from consortia.models import Organisation, User
from localities.services import cumbria_load
from senate.demo import cumbria_senate_load

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def _load_cumbria() -> None:
    """The tree, demo users, the 2010-11 budgets demo and the senate demo (whose meeting
    approves the allocation, after which Allerdale delegates and the demo virements are made)."""
    if not Organisation.objects.filter(code="5NE").exists():
        cumbria_load()
        demo_users_create()
        cumbria_budgets_load()
        cumbria_senate_load()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _load_cumbria()
        from django.db import connection

        if connection.vendor == "postgresql":  # a reused database may keep them switched off
            _postgres_truncate_triggers(enabled=True)


@pytest.fixture
def cumbria(db):
    """NHS Cumbria's tree and the demo users; returns the commissioner node."""
    _load_cumbria()
    return Organisation.objects.get(code="5NE")


@pytest.fixture
def node(cumbria):
    """Look up an organisation node by code."""
    return lambda code: Organisation.objects.get(code=code)


@pytest.fixture
def person(cumbria):
    """Look up a demo user by username."""
    return lambda username: User.objects.get(username=username)


@pytest.fixture(autouse=True)
def _celery_eager_unless_real_worker(request):
    """Run tasks in-process, except in tests that start a real worker."""
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _flush_past_append_only_tables(request):
    """Let Django's flush after a transactional test clear the append-only tables.

    PostgreSQL flushes with TRUNCATE, which statement triggers refuse on append-only tables;
    SQLite flushes with DELETE, which row triggers refuse. The triggers stay in force for the
    whole test body and are lifted only for the flush that follows it.
    """
    transactional = (
        "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    )
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        transactional = True
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.db import connection

    if connection.vendor == "postgresql":
        _postgres_truncate_triggers(enabled=True)
        yield
        _postgres_truncate_triggers(enabled=False)
        return

    from consortia.db import append_only_sql

    tables = _append_only_tables()
    with connection.cursor() as cursor:
        for table in tables:
            for sql in append_only_sql(table, "sqlite")[1] + append_only_sql(table, "sqlite")[0]:
                cursor.execute(sql)
    yield
    with connection.cursor() as cursor:
        for table in tables:
            for sql in append_only_sql(table, "sqlite")[1]:
                cursor.execute(sql)


def _postgres_truncate_triggers(*, enabled: bool) -> None:
    """Switch the TRUNCATE refusals on or off (the tests connect as the tables' owner)."""
    from django.db import connection

    verb = "ENABLE" if enabled else "DISABLE"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE '%%_no_truncate'"
        )
        for table, trigger in cursor.fetchall():
            cursor.execute(f'ALTER TABLE "{table}" {verb} TRIGGER "{trigger}"')


def _append_only_tables() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE '%_no_delete'"
        )
        found = [row[0] for row in cursor.fetchall()]
    from consortia.db import APPEND_ONLY_TABLES

    return sorted(set(found) | set(APPEND_ONLY_TABLES))


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        user = db.get("USER") or "postgres"
        host = db.get("HOST") or "127.0.0.1"
        return f"postgres://{user}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real Celery worker in its own process, on a queue of its own, against Redis.

    It uses the test database, so tasks see the rows the test committed.
    """
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is unset: the real-worker tests need Redis (CI sets it).")
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("A worker process cannot share the in-memory SQLite test database.")
    queue = f"consortia-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _test_database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    worker = subprocess.Popen(  # noqa: S603
        [
            celery,
            "-A",
            "consortia",
            "worker",
            "-Q",
            queue,
            "-P",
            "solo",
            "-l",
            "warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
    )
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if celery_app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=1):
                break
            if worker.poll() is not None:
                pytest.fail("The Celery worker exited at start-up.")
        else:
            pytest.fail("The Celery worker did not answer within 60 seconds.")
        yield worker
    finally:
        celery_app.conf.task_default_queue = previous_queue
        worker.terminate()
        worker.wait(timeout=30)
