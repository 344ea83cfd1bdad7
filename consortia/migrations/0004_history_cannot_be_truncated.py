# History cannot be wiped with TRUNCATE (docs/decisions.md 27). One migration for every
# append-only table, whichever app owns it, so that an auditor reads the whole list in one place.

from django.db import migrations

from consortia.db import TruncateRefused


class Migration(migrations.Migration):

    dependencies = [
        ("consortia", "0003_notices"),
        ("budgets", "0002_ledger_rules_in_the_database"),
        ("referrals", "0001_initial"),
        ("senate", "0002_votes_and_results_immutable"),
    ]

    operations = [
        TruncateRefused(
            "consortia_auditevent",
            "budgets_transaction",
            "budgets_leg",
            "senate_vote",
            "senate_declaration",
            "senate_motion",  # a closed motion's result and tally
            "referrals_peerreviewnote",
            "referrals_conflictjustification",
        ),
    ]
