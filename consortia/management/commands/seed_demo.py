from django.core.management.base import BaseCommand

from budgets.demo import cumbria_budgets_load
from budgets.periods import year_label
from consortia.demo import DEMO_PASSWORD, demo_users_create
from consortia.money import format_money
from localities.services import cumbria_load


class Command(BaseCommand):
    help = "Load the NHS Cumbria demo (tree, populations, demo users). Safe to run twice."

    def handle(self, *args, **options):
        counts = cumbria_load()
        self.stdout.write(
            f"NHS Cumbria: {counts['localities']} localities, {counts['sub_localities']} "
            f"sub-localities, {counts['practices']} practices."
        )
        people = demo_users_create()
        run = cumbria_budgets_load()
        total = sum(run.envelopes.values())
        self.stdout.write(
            f"Budgets: {year_label(run.year)} allocation of {format_money(total)} "
            f"({run.get_status_display().lower()}), Allerdale delegated with a risk pool."
        )
        self.stdout.write(f"\nDemo users (password '{DEMO_PASSWORD}', demo only):")
        for username, role, organisation in people:
            self.stdout.write(f"  {username:<20} {role} — {organisation}")
