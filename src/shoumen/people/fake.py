"""Synthetic but valid personal numbers for demo data and tests (never real people)."""

from datetime import date

from stdnum.cn import ric


def id_number(region: str, birth: date, sequence: int) -> str:
    """A check-digit-valid 18-digit ID: region (6 digits) + birth date + 3-digit sequence."""
    body = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def mobile(n: int) -> str:
    """A mobile number in the 1380000xxxx… test range, unique for n < 10**8."""
    return f"13{n % 10**9:09d}"
