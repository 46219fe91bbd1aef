"""A body temperature as a guard or a follow-up enters it: a number with one decimal, within
``settings.TEMPERATURE_RANGE_C`` (registration and fever follow-up both read it so)."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def parse_temperature(value) -> Decimal:
    low, high = settings.TEMPERATURE_RANGE_C
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise InvalidOperation
        temp = Decimal(str(value).strip())
        if not temp.is_finite():  # "NaN" and "Infinity" parse, but compare with an exception
            raise InvalidOperation
        temp = temp.quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"temperature": _("Enter the temperature as a number, e.g. 36.5.")}
                              ) from None
    if not Decimal(str(low)) <= temp <= Decimal(str(high)):
        raise ValidationError({"temperature": _(
            "%(t)s °C is not a body temperature: measure again (it must be between %(low)s and "
            "%(high)s °C).") % {"t": temp, "low": low, "high": high}})
    return temp
