"""Referral and information-event files move to the one import pipeline (consortia/imports):
each ReferralImport becomes an imports.Upload ("referrals.referrals" or "referrals.information")
and its rows point at it. Their files held NHS numbers: they are deleted, not carried over."""

import django.db.models.deletion
from django.db import migrations, models


def copy_uploads(apps, schema_editor):
    ReferralImport = apps.get_model("referrals", "ReferralImport")
    Referral = apps.get_model("referrals", "Referral")
    InformationEvent = apps.get_model("referrals", "InformationEvent")
    Upload = apps.get_model("imports", "Upload")
    for old in ReferralImport.objects.order_by("pk"):
        new = Upload.objects.create(
            commissioner_id=old.commissioner_id,
            kind=f"referrals.{old.kind}",
            original_name=old.original_name,
            content_hash=old.content_hash,
            status=old.status,
            uploaded_by_id=old.uploaded_by_id,
            finished_at=old.finished_at,
            rows_total=old.rows_total,
            rows_loaded=old.rows_imported,
            rows_updated=old.rows_updated,
            error_count=old.error_count,
            errors=old.errors,
            message=old.message,
            file_kept="not_kept",
        )
        Upload.objects.filter(pk=new.pk).update(uploaded_at=old.uploaded_at)
        Referral.objects.filter(referral_import_id=old.pk).update(upload_id=new.pk)
        InformationEvent.objects.filter(information_import_id=old.pk).update(upload_id=new.pk)
        if old.file:
            old.file.storage.delete(old.file.name)


def _upload_field():
    return models.ForeignKey(
        blank=True,
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="imports.upload",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0001_initial"),
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.AddField(model_name="referral", name="upload", field=_upload_field()),
        migrations.AddField(model_name="informationevent", name="upload", field=_upload_field()),
        migrations.RunPython(copy_uploads, migrations.RunPython.noop),
        migrations.RemoveField(model_name="referral", name="referral_import"),
        migrations.RemoveField(model_name="informationevent", name="information_import"),
        migrations.DeleteModel(name="ReferralImport"),
    ]
