import logging

from django.core.management.base import BaseCommand

from budgets.activity.demo import cumbria_activity_load
from budgets.allocation.selectors import run_envelope_by_category
from budgets.demo import cumbria_budgets_load
from budgets.periods import year_label
from consortia.demo import DEMO_PASSWORD, demo_users_create
from consortia.money import format_money
from localities.demo import cumbria_outcomes_load
from localities.services import cumbria_load
from referrals.demo import cumbria_referrals_load
from senate.demo import cumbria_next_meeting_load, cumbria_senate_load


class Command(BaseCommand):
    help = "Load the NHS Cumbria demo (tree, users, budgets, senate). Safe to run twice."

    def handle(self, *args, **options):
        # Each demo file's import timings would bury the list of users below.
        logging.getLogger("budgets.activity.services.imports").setLevel(logging.WARNING)
        counts = cumbria_load()
        self.stdout.write(
            f"NHS Cumbria: {counts['localities']} localities, {counts['sub_localities']} "
            f"sub-localities, {counts['practices']} practices."
        )
        people = demo_users_create()
        run = cumbria_budgets_load()
        senate = cumbria_senate_load()
        run.refresh_from_db()
        by_category = run_envelope_by_category(run)
        self.stdout.write(
            f"Budgets: {year_label(run.year)} envelope {format_money(sum(by_category.values()))}"
            f" ({run.get_status_display().lower()}): {format_money(by_category['delegated'])} "
            f"delegated to localities as hard budgets, {format_money(by_category['collective'])} "
            f"held collectively, {format_money(by_category['memorandum'])} GP contracts "
            "(memorandum, not spendable). Allerdale delegated with a risk pool."
        )
        self.stdout.write(
            f"Senate: {senate['meeting']} closed; decisions on the public register at "
            "/senate/register/."
        )
        reconciliation = cumbria_activity_load()
        if reconciliation is not None:
            self.stdout.write(
                f"Activity: a SYNTHETIC year to M{reconciliation.month} imported and reconciled "
                f"(run #{reconciliation.pk}); months 1-6 closed."
            )
        referrals = cumbria_referrals_load()
        if referrals is not None:
            self.stdout.write(
                f"Referrals: a SYNTHETIC year ({referrals['referrals']:,} referrals), clinic "
                f"letters and discharge summaries, {referrals['schemes']} local schemes; "
                "see /referrals/."
            )
        if cumbria_next_meeting_load() is not None:
            self.stdout.write("Senate: the January 2011 meeting is published, papers to read.")
        outcomes = cumbria_outcomes_load()
        self.stdout.write(
            f"Outcomes: {outcomes.rows_total} DEMO counts by locality beside the rest of England."
        )
        self.stdout.write(f"\nDemo users (password '{DEMO_PASSWORD}', demo only):")
        for username, role, organisation in people:
            self.stdout.write(f"  {username:<20} {role} — {organisation}")
        self.stdout.write(f"  {'nurse.lead':<20} Co-opted clinician on the senate (no vote)")
