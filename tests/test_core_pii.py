from datetime import date

import pytest
from django.core.exceptions import ValidationError

from shoumen.core import pii
from shoumen.people import fake

VALID = fake.id_number("370102", date(1990, 1, 1), 123)


def test_valid_id_number_normalises():
    assert pii.validate_id_number(f" {VALID[:6]} {VALID[6:]} ".lower()) == VALID


@pytest.mark.parametrize(
    ("raw", "code", "fragment"),
    [
        (VALID[:17] + ("0" if VALID[17] != "0" else "1"), "checksum", VALID[17]),
        ("370102900101123", "legacy", "18"),
        ("37010219900101", "length", "14"),
        ("3701021990010112AX", "format", "17"),
        ("", "required", ""),
    ],
)
def test_bad_id_numbers_say_what_is_wrong(raw, code, fragment):
    with pytest.raises(ValidationError) as exc:
        pii.validate_id_number(raw)
    assert exc.value.code == code
    assert fragment in exc.value.messages[0]


def test_check_digit_message_in_chinese():
    from django.utils import translation

    bad = VALID[:17] + ("0" if VALID[17] != "0" else "1")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        pii.validate_id_number(bad)
    assert "校验位" in exc.value.messages[0]


def test_impossible_birth_date_and_region():
    body = "370102" + "19901301" + "123"  # month 13
    with pytest.raises(ValidationError) as exc:
        pii.validate_id_number(body + pii.ric.calc_check_digit(body + "0"))
    assert exc.value.code == "birth_date"
    body = "999999" + "19900101" + "123"
    with pytest.raises(ValidationError) as exc:
        pii.validate_id_number(body + pii.ric.calc_check_digit(body + "0"))
    assert exc.value.code == "region"


def test_gender_birth_and_mask():
    assert pii.birth_date_from_id(VALID) == date(1990, 1, 1)
    assert pii.gender_from_id(VALID) == "M"  # 17th digit 3 is odd
    assert pii.mask_id_number(VALID) == VALID[:6] + "********" + VALID[-4:]


@pytest.mark.parametrize("raw", ["13812345678", "+86 138 1234 5678", "0531-86001234"])
def test_phones_accepted(raw):
    assert pii.validate_phone(raw).isdigit()


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "phone", "138123456789"])
def test_phones_rejected(raw):
    with pytest.raises(ValidationError):
        pii.validate_phone(raw)


def test_mask_phone():
    assert pii.mask_phone("13812345678") == "138****5678"


def test_encryption_round_trip_and_ciphertext_differs():
    token = pii.encrypt(VALID)
    assert VALID not in token
    assert pii.decrypt(token) == VALID
    assert pii.encrypt(VALID) != token  # random IV: equal values are not linkable by ciphertext


def test_blind_index_is_keyed_and_deterministic(settings):
    a = pii.blind_index("id", VALID)
    assert a == pii.blind_index("id", VALID)
    assert a != pii.blind_index("phone", VALID)
    settings.PII_KEY = "another-installation"
    assert pii.blind_index("id", VALID) != a


def test_wrong_key_is_an_error_not_empty(settings):
    token = pii.encrypt(VALID)
    settings.PII_KEY = "another-installation"
    with pytest.raises(RuntimeError):
        pii.decrypt(token)
