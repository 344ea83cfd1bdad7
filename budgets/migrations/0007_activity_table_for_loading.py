"""The activity table rebuilt for loading by COPY, and the per-upload totals reconciliation reads.

On PostgreSQL `budgets_activityrow` is created again, partitioned by year and then locality as
before, but with nothing to maintain while loading: no identity column, no primary key, no index,
no CHECK constraint (the old table's `year >= 0` and `month >= 0` were evaluated on every row).
Its columns are ordered widest first so that rows are not padded. Each leaf partition gives its
`year` and `locality_id` as column defaults, so a COPY into it need not send them (see
budgets/activity/loader.py). The existing rows are copied across with INSERT ... SELECT.

`ActivityTotal` is filled from the existing rows; `ActualSource` starts empty, so the next
reconciliation re-sums every month from the totals.

On SQLite nothing changes but the two new tables.
"""

import django.db.models.deletion
from django.db import migrations, models


ACTIVITY_COLUMNS = ("id, upload_id, locality_id, organisation_id, line_id, provider_id, cost, "
                    "activity, year, month, held, pod, code")  # fmt: skip
ACTIVITY_TABLE_PG = """
ALTER TABLE budgets_activityrow RENAME TO budgets_activityrow_before_0007;
CREATE TABLE budgets_activityrow (
    id bigint NOT NULL,
    upload_id bigint NOT NULL,
    locality_id bigint NOT NULL,
    organisation_id bigint NOT NULL,
    line_id bigint NOT NULL,
    provider_id bigint NULL,
    cost bigint NOT NULL,
    activity integer NOT NULL,
    year smallint NOT NULL,
    month smallint NOT NULL,
    held boolean NOT NULL DEFAULT false,
    pod varchar(4) NOT NULL,
    code varchar(20) NOT NULL
) PARTITION BY LIST (year);
"""


def _partitions_rename(schema_editor, table: str, suffix: str) -> None:
    """Rename every partition under `table` (all levels), so that the new ones can take the
    names the loader gives."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_partition_tree(%s::regclass) t "
            "JOIN pg_class c ON c.oid = t.relid WHERE t.level > 0",
            [table],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE "{name}" RENAME TO "{name[:63 - len(suffix)]}{suffix}"')


def activity_table_rebuild(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _partitions_rename(schema_editor, "budgets_activityrow", "_b7")
    schema_editor.execute(ACTIVITY_TABLE_PG, params=None)
    schema_editor.execute(
        "CREATE TABLE budgets_activityrow_default PARTITION OF budgets_activityrow DEFAULT "
        "PARTITION BY LIST (locality_id)",
        params=None,
    )
    schema_editor.execute(
        "CREATE TABLE budgets_activityrow_default_default PARTITION OF "
        "budgets_activityrow_default DEFAULT",
        params=None,
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT year, locality_id FROM budgets_activityrow_before_0007 ORDER BY 1, 2"
        )
        pairs = cursor.fetchall()
        for year in sorted({int(year) for year, _ in pairs}):
            # As budgets.activity.loader.activity_partition_ensure creates them.
            cursor.execute(
                f"CREATE TABLE budgets_activityrow_y{year} PARTITION OF budgets_activityrow "
                f"FOR VALUES IN ({year}) PARTITION BY LIST (locality_id)"
            )
            cursor.execute(
                f"CREATE TABLE budgets_activityrow_y{year}_other PARTITION OF "
                f"budgets_activityrow_y{year} (year WITH OPTIONS DEFAULT {year}) DEFAULT"
            )
        for year, locality in pairs:
            cursor.execute(
                f"CREATE TABLE budgets_activityrow_y{int(year)}_l{int(locality)} PARTITION OF "
                f"budgets_activityrow_y{int(year)} (year WITH OPTIONS DEFAULT {int(year)}, "
                f"locality_id WITH OPTIONS DEFAULT {int(locality)}) "
                f"FOR VALUES IN ({int(locality)})"
            )
    schema_editor.execute(
        f"INSERT INTO budgets_activityrow ({ACTIVITY_COLUMNS}) "
        f"SELECT {ACTIVITY_COLUMNS} FROM budgets_activityrow_before_0007",
        params=None,
    )
    schema_editor.execute("DROP TABLE budgets_activityrow_before_0007", params=None)
    schema_editor.execute("ANALYZE budgets_activityrow", params=None)


TOTALS_FROM_ROWS = """
INSERT INTO budgets_activitytotal (upload_id, year, month, locality_id, organisation_id, line_id,
                                   held, cost, activity, rows)
SELECT upload_id, year, month, locality_id, organisation_id, line_id, held, SUM(cost),
       SUM(activity), COUNT(*)
FROM budgets_activityrow
GROUP BY upload_id, year, month, locality_id, organisation_id, line_id, held
"""


def activity_totals_fill(apps, schema_editor):
    schema_editor.execute(TOTALS_FROM_ROWS, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('budgets', '0006_activity_uploads'),
        ('consortia', '0003_notices'),
        ('imports', '0002_schedule'),
    ]

    operations = [
        migrations.CreateModel(
            name='ActivityTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('month', models.PositiveSmallIntegerField()),
                ('held', models.BooleanField(default=False)),
                ('cost', models.BigIntegerField()),
                ('activity', models.BigIntegerField()),
                ('rows', models.PositiveIntegerField()),
                ('line', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='budgets.budgetline')),
                ('locality', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='consortia.organisation')),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='consortia.organisation')),
                ('upload', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='imports.upload')),
            ],
            options={
                'indexes': [models.Index(fields=['year', 'month', 'organisation', 'line'], name='budgets_act_year_10cc9e_idx')],
            },
        ),
        migrations.CreateModel(
            name='ActualSource',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('month', models.PositiveSmallIntegerField()),
                ('uploads', models.TextField(blank=True)),
                ('summed_at', models.DateTimeField()),
                ('locality', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='consortia.organisation')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('year', 'month', 'locality'), name='actual_source_unique')],
            },
        ),
        migrations.RunPython(activity_table_rebuild, migrations.RunPython.noop),
        migrations.RunPython(activity_totals_fill, migrations.RunPython.noop),
    ]
