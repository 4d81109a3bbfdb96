"""Payments on a deal: conversion to the base currency, who may record them, the block on the card."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from tandem.analytics.models import Payment
from tandem.analytics.services import payment_add, payment_remove
from tandem.core.errors import PermissionDenied, ValidationError
from tandem.deals.models import Currency

PAID_ON = datetime.date(2026, 3, 5)


@pytest.fixture
def usd(db) -> Currency:
    currency, _created = Currency.objects.update_or_create(code="USD", defaults={"rate": Decimal("0.92345")})
    return currency


@pytest.fixture
def eur(db) -> Currency:
    return Currency.objects.get(pk="EUR")


def test_a_payment_is_converted_to_the_base_currency_at_the_currencys_rate(rep_a, make_deal, usd):
    deal = make_deal(rep_a, amount=Decimal("5000"))

    payment = payment_add(actor=rep_a, deal=deal, paid_on=PAID_ON, amount=Decimal("1000.01"), currency=usd)

    assert payment.amount_base == Decimal("923.46")  # 1000.01 × 0.92345 = 923.4592… rounded half up
    assert (payment.deal_id, payment.paid_on, payment.created_by_id) == (deal.pk, PAID_ON, rep_a.pk)


def test_only_someone_who_may_change_the_deal_records_payments(
    rep_a, rep_b, head_a, readonly, make_deal, eur
):
    deal = make_deal(rep_a)
    for outsider in (rep_b, readonly):
        with pytest.raises(PermissionDenied):
            payment_add(actor=outsider, deal=deal, paid_on=PAID_ON, amount=Decimal("10"), currency=eur)
    assert Payment.objects.count() == 0
    payment = payment_add(actor=head_a, deal=deal, paid_on=PAID_ON, amount=Decimal("10"), currency=eur)
    with pytest.raises(PermissionDenied):
        payment_remove(actor=rep_b, payment=payment)
    payment_remove(actor=rep_a, payment=payment)
    assert Payment.objects.count() == 0


def test_a_payment_must_be_a_positive_amount(rep_a, make_deal, eur):
    deal = make_deal(rep_a)
    for amount in (Decimal("0"), Decimal("-5")):
        with pytest.raises(ValidationError):
            payment_add(actor=rep_a, deal=deal, paid_on=PAID_ON, amount=amount, currency=eur)
    assert Payment.objects.count() == 0


def test_the_payments_block_lists_payments_with_their_sum_and_adds_one(client, rep_a, make_deal, usd, eur):
    deal = make_deal(rep_a)
    payment_add(actor=rep_a, deal=deal, paid_on=PAID_ON, amount=Decimal("100"), currency=eur)
    client.force_login(rep_a)

    response = client.post(
        reverse("deal_payments", args=[deal.pk]),
        {"paid_on": "2026-03-06", "amount": "200", "currency": "USD", "note": "second"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert Payment.objects.count() == 2
    assert "284.69 EUR" in html  # 100 + 200 × 0.92345
    assert "second" in html


def test_a_wrong_payment_form_shows_errors_and_saves_nothing(client, rep_a, make_deal):
    deal = make_deal(rep_a)
    client.force_login(rep_a)
    response = client.post(
        reverse("deal_payments", args=[deal.pk]),
        {"paid_on": "soon", "amount": "abc", "currency": "EUR"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and response.content.decode().count("invalid-feedback") == 2
    assert Payment.objects.count() == 0


def test_other_teams_reps_cannot_see_or_add_payments(client, rep_a, rep_b, make_deal):
    deal = make_deal(rep_a)
    client.force_login(rep_b)
    assert client.get(reverse("deal_payments", args=[deal.pk])).status_code == 404
    response = client.post(
        reverse("deal_payments", args=[deal.pk]), {"paid_on": "2026-03-06", "amount": "1", "currency": "EUR"}
    )
    assert response.status_code == 404
    assert Payment.objects.count() == 0


def test_a_readonly_user_sees_payments_without_the_form(client, rep_a, readonly, make_deal, eur):
    deal = make_deal(rep_a)
    payment_add(actor=rep_a, deal=deal, paid_on=PAID_ON, amount=Decimal("100"), currency=eur)
    client.force_login(readonly)
    html = client.get(reverse("deal_payments", args=[deal.pk])).content.decode()
    assert "100.00 EUR" in html and 'name="amount"' not in html
    response = client.post(
        reverse("deal_payments", args=[deal.pk]), {"paid_on": "2026-03-06", "amount": "1", "currency": "EUR"}
    )
    assert response.status_code == 403 and Payment.objects.count() == 1


def test_the_deal_card_loads_the_payments_block(client, rep_a, make_deal):
    deal = make_deal(rep_a)
    client.force_login(rep_a)
    html = client.get(reverse("deal_detail", args=[deal.pk])).content.decode()
    assert reverse("deal_payments", args=[deal.pk]) in html
