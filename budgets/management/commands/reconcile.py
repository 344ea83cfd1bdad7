from django.core.management.base import BaseCommand, CommandError

from budgets.activity.services.reconciliation import reconciliation_start
from budgets.periods import month_label
from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind


class Command(BaseCommand):
    help = (
        "Reconcile a month's activity against the hard budgets, e.g. "
        "`reconcile --year 2010 --month 1` (M1 = April 2010). Queues it on Celery unless --now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="Financial year, e.g. 2010")
        parser.add_argument("--month", type=int, required=True, help="1 (April) .. 12 (March)")
        parser.add_argument("--commissioner", default=None, help="Commissioner code (default: all)")
        parser.add_argument("--now", action="store_true", help="Run here instead of on Celery")

    def handle(self, *args, year, month, commissioner, now, **options):
        commissioners = Organisation.objects.filter(kind=OrganisationKind.COMMISSIONER)
        if commissioner:
            commissioners = commissioners.filter(code=commissioner)
        if not commissioners.exists():
            raise CommandError("No such commissioner.")
        for org in commissioners:
            try:
                run = reconciliation_start(
                    actor=None,
                    commissioner=org,
                    year=year,
                    month=month,
                    trigger="command",
                    run_now=now,
                )
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
            state = run.get_status_display().lower()
            self.stdout.write(
                f"{org.name}: {month_label(year, month)} reconciliation #{run.pk} "
                f"{state} ({run.rows} activity rows)."
            )
