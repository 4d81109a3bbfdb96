"""Amounts in the base currency: every sum on the board and in reports is converted with these."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from tandem.deals.models import Currency

CENT = Decimal("0.01")


def base_currency_code() -> str:
    return str(settings.BASE_CURRENCY)


def to_base(amount: Decimal | None, currency: Currency) -> Decimal | None:
    if amount is None:
        return None
    return (amount * currency.rate).quantize(CENT, rounding=ROUND_HALF_UP)
