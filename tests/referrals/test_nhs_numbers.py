"""NHS numbers: checked with the modulus 11 check digit, normalised, never stored."""

import pytest
from django.db import connection

from referrals.models import Referral, ReferralImportKind
from referrals.patients import InvalidNhsNumber, nhs_number_normalise, patient_key
from tests.referrals.conftest import import_rows

pytestmark = pytest.mark.django_db


def test_a_valid_number_passes():
    # 943 476 5919: weights 10..2 on the first nine digits sum to 299; 299 mod 11 = 2;
    # 11 - 2 = 9, the tenth digit.
    assert nhs_number_normalise("9434765919") == "9434765919"


def test_a_wrong_check_digit_is_refused():
    with pytest.raises(InvalidNhsNumber, match="check digit"):
        nhs_number_normalise("9434765918")


@pytest.mark.parametrize("value", ["943476591", "94347659190", ""])
def test_a_wrong_length_is_refused(value):
    with pytest.raises(InvalidNhsNumber, match="10 digits|missing"):
        nhs_number_normalise(value)


@pytest.mark.parametrize("value", ["943 476 5919", "943-476-5919", " 9434765919 ", "94 34 765 919"])
def test_spaces_and_hyphens_are_normalised(value):
    assert nhs_number_normalise(value) == "9434765919"
    assert patient_key(value) == patient_key("9434765919")


def test_a_number_of_one_repeated_digit_is_never_issued():
    import nhs_number

    assert nhs_number.is_valid("4444444444")  # it passes the modulus 11 check...
    with pytest.raises(InvalidNhsNumber, match="repeated digit"):
        nhs_number_normalise("4444444444")


def test_letters_are_refused():
    with pytest.raises(InvalidNhsNumber, match="only digits"):
        nhs_number_normalise("94347659A9")


def test_the_key_is_a_keyed_hash_that_links_the_same_patient(settings):
    key = patient_key("9434765919")

    assert len(key) == 64 and "9434765919" not in key
    settings.PATIENT_ID_HMAC_KEY = "another-key"
    assert patient_key("9434765919") != key  # without the key, no one can rebuild it


def test_the_stored_value_is_never_the_number(tic):
    record = import_rows(
        tic["finance"],
        tic["icb"],
        ReferralImportKind.REFERRALS,
        [["Y00001", "2010-04-02", "130", "RXX", "routine", "", "943 476 5919"]],
    )

    assert record.status == "complete"
    stored = Referral.objects.get(upload=record)
    assert stored.patient_key == patient_key("9434765919")
    with connection.cursor() as cursor:  # no column of any row holds the number
        cursor.execute("SELECT * FROM referrals_referral")
        assert not any("9434765919" in str(v).replace(" ", "") for row in cursor.fetchall()
                       for v in row)  # fmt: skip


def test_an_invalid_number_is_a_row_error_and_nothing_is_imported(tic):
    record = import_rows(
        tic["finance"],
        tic["icb"],
        ReferralImportKind.REFERRALS,
        [
            ["Y00001", "2010-04-02", "130", "RXX", "routine", "", "9434765919"],
            ["Y00001", "2010-04-03", "130", "RXX", "routine", "", "9434765918"],
            ["Y00002", "2010-04-03", "130", "RXX", "2WW", "", "4444444444"],
        ],
    )

    assert record.status == "failed"
    assert [(e["row"], e["column"]) for e in record.errors] == [
        (3, "nhs_number"),
        (4, "nhs_number"),
    ]
    assert "check digit" in record.errors[0]["message"]
    assert not Referral.objects.filter(practice=tic["p1"]).exists()
