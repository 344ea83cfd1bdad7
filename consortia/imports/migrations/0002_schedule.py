"""The beat schedule (editable in the admin): every 10 minutes fail uploads whose worker died;
daily at 03:00 delete kept files past the retention period."""

from django.db import migrations

TASKS = {
    "Fail uploads whose worker stopped": ("consortia.imports.tasks.uploads_reap_task", "*/10", "*"),
    "Delete import files past retention": (
        "consortia.imports.tasks.upload_files_expire_task",
        "0",
        "3",
    ),
}


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (task, minute, hour) in TASKS.items():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*",
            timezone="Europe/London",
        )
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=TASKS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
