"""Outcome files move to the one import pipeline (consortia/imports): each OutcomeImport becomes
an imports.Upload (kind "outcomes.counts") and its counts point at it."""

import django.db.models.deletion
from django.db import migrations, models


def copy_uploads(apps, schema_editor):
    OutcomeImport = apps.get_model("localities", "OutcomeImport")
    OutcomeCount = apps.get_model("localities", "OutcomeCount")
    Upload = apps.get_model("imports", "Upload")
    for old in OutcomeImport.objects.order_by("pk"):
        new = Upload.objects.create(
            commissioner_id=old.commissioner_id,
            kind="outcomes.counts",
            original_name=old.original_name,
            content_hash=old.content_hash,
            status=old.status,
            uploaded_by_id=old.uploaded_by_id,
            rows_total=old.rows_total,
            rows_loaded=old.rows_added,
            rows_updated=old.rows_replaced,
            error_count=old.error_count,
            errors=old.errors,
            file_kept="deleted",  # outcome files were never kept
        )
        Upload.objects.filter(pk=new.pk).update(uploaded_at=old.uploaded_at)
        OutcomeCount.objects.filter(outcome_import_id=old.pk).update(upload_id=new.pk)


class Migration(migrations.Migration):
    dependencies = [
        ("localities", "0002_outcomes"),
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="outcomecount",
            name="upload",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="imports.upload",
            ),
        ),
        migrations.RunPython(copy_uploads, migrations.RunPython.noop),
        migrations.RemoveField(model_name="outcomecount", name="outcome_import"),
        migrations.AlterField(
            model_name="outcomecount",
            name="upload",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="imports.upload",
            ),
        ),
        migrations.DeleteModel(name="OutcomeImport"),
    ]
