"""The senate's record, held by the database itself (PostgreSQL and SQLite):

- votes and declarations of interest are append-only (no UPDATE or DELETE);
- a vote can be inserted only while its motion is open (on PostgreSQL the trigger takes a share
  lock on the motion, so a vote racing the close either commits first or is refused);
- a closed motion, which carries the result and tally, refuses every UPDATE (and, on PostgreSQL,
  DELETE; on SQLite its votes' foreign keys and append-only rows keep it).
"""

from django.db import migrations

from consortia.db import AppendOnly

POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION senate_vote_motion_open() RETURNS trigger AS $$
    DECLARE motion_status varchar;
    BEGIN
        SELECT status INTO motion_status FROM senate_motion WHERE id = NEW.motion_id FOR SHARE;
        IF motion_status IS DISTINCT FROM 'open' THEN
            RAISE EXCEPTION 'senate_vote refused: motion % is not open for voting', NEW.motion_id
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER senate_vote_motion_open BEFORE INSERT ON senate_vote
        FOR EACH ROW EXECUTE FUNCTION senate_vote_motion_open();""",
    """CREATE OR REPLACE FUNCTION senate_motion_closed_final() RETURNS trigger AS $$
    BEGIN
        IF OLD.status = 'closed' THEN
            RAISE EXCEPTION 'senate_motion %: a closed motion and its result never change (% refused)',
                OLD.id, TG_OP USING ERRCODE = 'restrict_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER senate_motion_closed_final BEFORE UPDATE OR DELETE ON senate_motion
        FOR EACH ROW EXECUTE FUNCTION senate_motion_closed_final();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS senate_vote_motion_open ON senate_vote;",
    "DROP FUNCTION IF EXISTS senate_vote_motion_open();",
    "DROP TRIGGER IF EXISTS senate_motion_closed_final ON senate_motion;",
    "DROP FUNCTION IF EXISTS senate_motion_closed_final();",
]
SQLITE_FORWARD = [
    """CREATE TRIGGER senate_vote_motion_open BEFORE INSERT ON senate_vote
       WHEN (SELECT status FROM senate_motion WHERE id = NEW.motion_id) IS NOT 'open'
       BEGIN SELECT RAISE(ABORT, 'senate_vote refused: the motion is not open for voting'); END;""",
    """CREATE TRIGGER senate_motion_closed_final BEFORE UPDATE ON senate_motion
       WHEN OLD.status = 'closed'
       BEGIN SELECT RAISE(ABORT, 'senate_motion: a closed motion and its result never change'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS senate_vote_motion_open;",
    "DROP TRIGGER IF EXISTS senate_motion_closed_final;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}.get(vendor, []):
        schema_editor.execute(sql, params=None)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}.get(vendor, []):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("senate", "0001_initial")]

    operations = [
        AppendOnly("senate_vote"),
        AppendOnly("senate_declaration"),
        migrations.RunPython(forward, reverse),
    ]
