"""The ledger's rules, held by the database itself.

- Transactions and legs are append-only (no UPDATE or DELETE), on PostgreSQL and SQLite.
- On PostgreSQL, a deferred constraint trigger checks at commit that every transaction touched
  has at least two legs summing to exactly zero, so no code path (raw SQL included) can commit an
  unbalanced transaction. SQLite has no deferred triggers; there `ledger_post` is the guard.
"""

from django.db import migrations

from consortia.db import AppendOnly

BALANCE_SQL = """
CREATE OR REPLACE FUNCTION budgets_transaction_balanced() RETURNS trigger AS $$
DECLARE
    txn_id bigint;
    total bigint;
    legs integer;
BEGIN
    IF TG_TABLE_NAME = 'budgets_leg' THEN txn_id := NEW.transaction_id; ELSE txn_id := NEW.id; END IF;
    SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO total, legs
      FROM budgets_leg WHERE transaction_id = txn_id;
    IF total <> 0 OR legs < 2 THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced: % legs summing to % pence',
            txn_id, legs, total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER budgets_leg_balanced AFTER INSERT ON budgets_leg
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION budgets_transaction_balanced();
CREATE CONSTRAINT TRIGGER budgets_transaction_balanced AFTER INSERT ON budgets_transaction
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION budgets_transaction_balanced();
"""
DROP_BALANCE_SQL = """
DROP TRIGGER IF EXISTS budgets_leg_balanced ON budgets_leg;
DROP TRIGGER IF EXISTS budgets_transaction_balanced ON budgets_transaction;
DROP FUNCTION IF EXISTS budgets_transaction_balanced();
"""


def balance_forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCE_SQL, params=None)


def balance_reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_BALANCE_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("budgets", "0001_initial")]

    operations = [
        AppendOnly("budgets_transaction"),
        AppendOnly("budgets_leg"),
        migrations.RunPython(balance_forward, balance_reverse),
    ]
