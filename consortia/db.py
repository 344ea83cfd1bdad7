"""Database-level guards shared by the apps: append-only tables, enforced by triggers.

Append-only means no UPDATE, no DELETE (row triggers) and, on PostgreSQL, no TRUNCATE (a
statement trigger: row triggers do not see TRUNCATE).

Used from migrations, so the rule holds for every code path, the admin and raw SQL included.
Both PostgreSQL (production, CI) and SQLite (the demo) get a trigger.
"""

from django.db import migrations


def append_only_sql(table: str, vendor: str) -> tuple[list[str], list[str]]:
    """SQL (forward, reverse) refusing UPDATE and DELETE on `table`."""
    if vendor == "postgresql":
        forward = [
            f"""CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION '{table} is append-only: % refused', TG_OP
                      USING ERRCODE = 'restrict_violation'; END; $$ LANGUAGE plpgsql;""",
            f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_append_only();""",
        ]
        reverse = [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
            f"DROP FUNCTION IF EXISTS {table}_append_only();",
        ]
    elif vendor == "sqlite":
        forward = [
            f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END;""",
            f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END;""",
        ]
        reverse = [
            f"DROP TRIGGER IF EXISTS {table}_no_update;",
            f"DROP TRIGGER IF EXISTS {table}_no_delete;",
        ]
    else:
        forward, reverse = [], []
    return forward, reverse


def truncate_refused_sql(table: str) -> tuple[list[str], list[str]]:
    """SQL (forward, reverse) refusing TRUNCATE on `table` (PostgreSQL; SQLite has no TRUNCATE).

    Row triggers do not fire on TRUNCATE, so an append-only table needs a statement-level one too.
    """
    forward = [
        """CREATE OR REPLACE FUNCTION consortia_truncate_refused() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME
                  USING ERRCODE = 'restrict_violation'; END; $$ LANGUAGE plpgsql;""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION consortia_truncate_refused();""",
    ]
    reverse = [f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};"]
    return forward, reverse


def TruncateRefused(*tables: str) -> migrations.RunPython:  # noqa: N802 - reads like an operation
    """A migration operation refusing TRUNCATE on each of `tables` (PostgreSQL only)."""
    TRUNCATE_REFUSED_TABLES.extend(tables)

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in tables:
                for sql in truncate_refused_sql(table)[0]:
                    schema_editor.execute(sql, params=None)

    def reverse(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in tables:
                for sql in truncate_refused_sql(table)[1]:
                    schema_editor.execute(sql, params=None)

    return migrations.RunPython(forward, reverse)


TRUNCATE_REFUSED_TABLES: list[str] = []  # filled as migrations declare them
APPEND_ONLY_TABLES: list[str] = []  # filled as migrations declare them (see tests/conftest.py)


def AppendOnly(table: str) -> migrations.RunPython:  # noqa: N802 - reads like an operation
    """A migration operation installing the append-only triggers for `table`."""
    APPEND_ONLY_TABLES.append(table)

    def forward(apps, schema_editor):
        for sql in append_only_sql(table, schema_editor.connection.vendor)[0]:
            schema_editor.execute(sql, params=None)

    def reverse(apps, schema_editor):
        for sql in append_only_sql(table, schema_editor.connection.vendor)[1]:
            schema_editor.execute(sql, params=None)

    return migrations.RunPython(forward, reverse)
