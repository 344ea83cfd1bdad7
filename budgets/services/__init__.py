"""The old paths of the budgets services, kept only for budgets/management/commands/bench.py
(owned elsewhere). New code imports from the part: budgets.<ledger|allocation|delegation|
activity>.services. Delete this package when bench.py has moved."""

from ..ledger.services import account_get_or_create, budget_line_create, ledger_post

__all__ = ["account_get_or_create", "budget_line_create", "ledger_post"]
