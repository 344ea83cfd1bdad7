"""Patient identifiers: an NHS number is checked, then replaced by a keyed hash. Never stored.

An NHS number is ten digits whose last is a modulus 11 check digit (NHS Data Dictionary). The
check is the maintained `nhs-number` package's. Numbers of one repeated digit (4444444444) pass
the check but are never issued, so they are refused too.

The stored `patient_key` is HMAC-SHA256(PATIENT_ID_HMAC_KEY, number): the same patient links
across files, but without the key nobody can recover the number. An unkeyed hash would not do:
there are only 10^9 possible numbers, hashed and compared in minutes. The key comes from the
environment (settings), never from the database.
"""

from __future__ import annotations

import hashlib
import hmac

import nhs_number
from django.conf import settings


class InvalidNhsNumber(ValueError):
    pass


def nhs_number_normalise(value: str) -> str:
    """The ten digits of an NHS number given with or without spaces or hyphens
    ("943 476 5919", "943-476-5919"); raises InvalidNhsNumber saying what is wrong."""
    digits = "".join(str(value).split()).replace("-", "")
    if not digits:
        raise InvalidNhsNumber("The NHS number is missing.")
    if not digits.isdigit():
        raise InvalidNhsNumber("An NHS number has only digits (spaces and hyphens are allowed).")
    if len(digits) != 10:
        raise InvalidNhsNumber(f"An NHS number has 10 digits; this has {len(digits)}.")
    if len(set(digits)) == 1:
        raise InvalidNhsNumber("An NHS number of one repeated digit is never issued.")
    if not nhs_number.is_valid(digits):
        raise InvalidNhsNumber("The NHS number's check digit is wrong: check it was typed right.")
    return digits


def patient_key(value: str) -> str:
    """The keyed hash stored in place of a valid NHS number (64 hex characters)."""
    digits = nhs_number_normalise(value)
    key = settings.PATIENT_ID_HMAC_KEY.encode()
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()
