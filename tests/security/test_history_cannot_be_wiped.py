"""Append-only history (ledger, audit, votes, results, peer-review notes) refuses TRUNCATE.

Row triggers refuse UPDATE and DELETE on both databases; TRUNCATE exists only on PostgreSQL,
where a statement trigger refuses it. The test tries it the way an intruder would: raw SQL.
"""

import pytest
from django.db import DatabaseError, connection, transaction

from consortia.models import AuditEvent

APPEND_ONLY = [
    "consortia_auditevent",
    "budgets_transaction",
    "budgets_leg",
    "senate_vote",
    "senate_declaration",
    "senate_motion",
    "referrals_peerreviewnote",
    "referrals_conflictjustification",
]

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL (SQLite's triggers refuse DELETE).")


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_truncate_is_refused(cumbria, table):
    refused = pytest.raises(DatabaseError, match="append-only: TRUNCATE refused")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")


def test_the_audit_log_survives_an_attempt(cumbria):
    before = AuditEvent.objects.count()
    assert before > 0
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE consortia_auditevent CASCADE")
    assert AuditEvent.objects.count() == before


def test_every_append_only_table_refuses_truncate():
    """A table made append-only later must be added to the TRUNCATE refusal too."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE '%%_append_only'"
        )
        row_guarded = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE '%%_no_truncate' AND t.tgenabled <> 'D'"
        )
        truncate_guarded = {row[0] for row in cursor.fetchall()}
    assert row_guarded <= truncate_guarded
    assert set(APPEND_ONLY) <= truncate_guarded
