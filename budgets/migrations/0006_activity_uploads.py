"""Activity files move to the one import pipeline (consortia/imports), and the activity table
loses its identity column and primary-key index.

Every ActivityImport becomes an imports.Upload with the same id (kind "activity.<kind>", the
provider's code as its source), so the rows keep pointing at their file. On PostgreSQL the id
column keeps its values but is no longer an identity, and the primary key (an index on every
partition, maintained on every load) is dropped: rows are append-only and read by sequential
scans of a (year, locality) partition. New rows take upload id × 2³² + row number.
"""

import django.db.models.deletion
from django.db import migrations, models

COPY_UPLOADS = """
INSERT INTO imports_upload (id, commissioner_id, kind, year, month, source, file, original_name,
    size_bytes, content_hash, revision_of_id, status, uploaded_by_id, uploaded_at, claimed_at,
    finished_at, rows_total, rows_loaded, rows_held, rows_updated, total_pence, error_count,
    errors, message, file_kept)
SELECT a.id, a.commissioner_id, 'activity.' || a.kind, a.year, a.month, coalesce(p.code, ''),
    a.file, a.original_name, 0, a.content_hash, a.replaces_id, a.status, a.uploaded_by_id,
    a.uploaded_at, a.claimed_at, a.finished_at, a.rows_total, a.rows_imported, a.rows_held, 0,
    NULL, a.error_count, a.errors, a.message,
    CASE WHEN a.status = 'failed' THEN 'deleted' ELSE 'kept' END
FROM budgets_activityimport a LEFT JOIN budgets_provider p ON p.id = a.provider_id
ORDER BY a.id
"""


def copy_uploads(apps, schema_editor):
    schema_editor.execute(COPY_UPLOADS)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "SELECT setval(pg_get_serial_sequence('imports_upload', 'id'), "
            "coalesce((SELECT max(id) FROM imports_upload), 1))"
        )


def drop_primary_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE budgets_activityrow DROP CONSTRAINT IF EXISTS budgets_activityrow_pkey"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0005_one_approved_run_per_year"),
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_uploads, migrations.RunPython.noop),
        migrations.RenameField("activityrow", "activity_import", "upload"),
        migrations.AlterField(
            model_name="activityrow",
            name="upload",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="imports.upload",
            ),
        ),
        migrations.AlterField(
            model_name="activityrow",
            name="id",
            field=models.BigIntegerField(primary_key=True, serialize=False),
        ),
        migrations.RunPython(drop_primary_key, migrations.RunPython.noop),
        migrations.DeleteModel(name="ActivityStaging"),
        migrations.DeleteModel(name="ActivityImport"),
    ]
