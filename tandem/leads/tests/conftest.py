"""Web-form fixtures: a form whose leads go to Rita Rep, and a clean rate-limit cache per test."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tandem.accounts.models import User
from tandem.contacts.models import Channel
from tandem.deals.models import Pipeline
from tandem.leads.models import WebForm
from tandem.leads.services import webform_save

THANKS = "Thank you, we will call you back within the hour."


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def pipeline(db) -> Pipeline:
    return Pipeline.objects.filter(is_active=True).order_by("position", "id").first()


@pytest.fixture
def channel(db) -> Channel:
    return Channel.objects.get_or_create(name="Website")[0]


@pytest.fixture
def make_form(pipeline, channel):
    def make(owner: User | None = None, **data) -> WebForm:
        values = {
            "name": "Contact us",
            "fields": ["name", "company", "phone", "email", "message"],
            "required_fields": ["name"],
            "pipeline": pipeline,
            "owner": owner,
            "channel": channel,
            "thank_you_text": THANKS,
            "allowed_origins": ["https://shop.example.com"],
            **data,
        }
        return webform_save(actor=None, form=None, data=values)

    return make


@pytest.fixture
def webform(make_form, rep_a) -> WebForm:
    return make_form(owner=rep_a)
