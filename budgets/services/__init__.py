"""Every write to budgets. Split by use case: the ledger, allocation, delegation, virements."""

from .allocation import (
    allocation_parameters_create,
    baseline_record,
    model_run_approve,
    model_run_create,
    model_run_reject,
)
from .delegation import delegation_post, risk_pool_create, risk_pool_settle
from .ledger import account_get_or_create, commitment_record, ledger_post, transaction_reverse
from .setup import budget_line_create, phasing_profile_set, scheme_of_delegation_set
from .virements import virement_approve, virement_reject, virement_request

__all__ = [
    "account_get_or_create", "allocation_parameters_create", "baseline_record",
    "budget_line_create", "commitment_record", "delegation_post", "ledger_post",
    "model_run_approve", "model_run_create", "model_run_reject", "phasing_profile_set",
    "risk_pool_create", "risk_pool_settle", "scheme_of_delegation_set", "transaction_reverse",
    "virement_approve", "virement_reject", "virement_request",
]  # fmt: skip
