"""The beat schedule (editable in the admin): check daily at 07:00 whether a reconciliation is due
on the working-day timetable."""

from django.db import migrations


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="7", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Europe/London")
    PeriodicTask.objects.get_or_create(
        name="Monthly reconciliation (working day N after month end)",
        defaults={"task": "budgets.tasks.reconcile_due_task", "crontab": crontab,
                  "description": "Starts each commissioner's reconciliation for the previous "
                                 "month on working day RECONCILE_WORKING_DAY after month end, "
                                 "England and Wales bank holidays excluded."})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        task="budgets.tasks.reconcile_due_task").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0003_activity_and_reconciliation"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
