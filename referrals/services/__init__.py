"""Every write to referrals, split by part: imports, referrals and information events through the
API (information.py), the rules clinicians approve (rules.py), peer review, and local schemes
with conflicts of interest (schemes.py). Callers import from here."""

from .imports import csv_bytes, referral_import_create
from .information import (
    information_event_create,
    information_received_record,
    provider_payment_on_information_set,
    referral_create,
)
from .peer_review import (
    peer_review_close,
    peer_review_note_add,
    peer_review_open,
)
from .rules import (
    age_weighting_record,
    information_standard_record,
    outlier_rule_record,
)
from .schemes import (
    conflict_justify,
    interest_declare,
    interest_end,
    scheme_activity_record,
    scheme_register,
)

__all__ = [
    "age_weighting_record",
    "conflict_justify",
    "csv_bytes",
    "information_event_create",
    "information_received_record",
    "information_standard_record",
    "interest_declare",
    "interest_end",
    "outlier_rule_record",
    "peer_review_close",
    "peer_review_note_add",
    "peer_review_open",
    "provider_payment_on_information_set",
    "referral_create",
    "referral_import_create",
    "scheme_activity_record",
    "scheme_register",
]
