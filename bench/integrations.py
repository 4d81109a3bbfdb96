"""Bench scenarios of issue 7: API list endpoints with a bearer token, and a web-form submission.

The API is measured through `django.test.Client` like the views (token lookup, throttling, JSON
rendering included). A submission posts to the public form URL as a website visitor would: a new
visitor (contact, company and deal created) and a returning one (matched by phone, a new deal).
Both write to the bench database (a form, two tokens, the leads); rerunning adds more leads.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

API_BUDGET_MS = 100.0
FORM_BUDGET_MS = 150.0
_phones = itertools.count(1)


def _tokens(samples: Any) -> dict[str, str]:
    from tandem.accounts.services import token_create

    return {
        "rep": token_create(user=samples.rep(0), name="bench")[1],
        "head": token_create(user=samples.head(0), name="bench")[1],
        "admin": token_create(user=samples.admin, name="bench")[1],
    }


def _form() -> Any:
    from tandem.accounts.models import User
    from tandem.deals.models import Pipeline
    from tandem.leads.models import WebForm
    from tandem.leads.services import webform_save

    form = WebForm.objects.filter(name="Bench form").first()
    if form is not None:
        return form
    pipeline = Pipeline.objects.order_by("position", "id").first()
    owner = User.objects.filter(role="rep").order_by("id").first()
    return webform_save(
        actor=None,
        form=None,
        data={"name": "Bench form", "pipeline": pipeline, "owner": owner, "thank_you_text": "Thank you."},
    )


def integration_view_scenarios(samples: Any) -> list[Any]:
    from django.conf import settings
    from django.test import Client

    from bench.run import Scenario, url_or_none

    if url_or_none("api_contact-list") is None:
        return []
    settings.TANDEM_API_RATE = 1_000_000  # the bench is one client firing as fast as it can
    tokens = _tokens(samples)
    client = Client(raise_request_exception=True)

    def api_get(role: str, path: str, params: dict[str, Any] | None = None) -> Callable[[int], None]:
        header = {"Authorization": f"Bearer {tokens[role]}"}

        def run(index: int) -> None:
            response = client.get(path, params or {}, headers=header)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} as {role}: HTTP {response.status_code}")
            len(response.content)

        return run

    scenarios = [
        Scenario(
            f"api {name}{' ' + '&'.join(params) if params else ''}, {role}",
            "view",
            api_get(role, f"/api/v1/{name}/", params),
            API_BUDGET_MS,
        )
        for name, role, params in (
            ("contacts", "rep", None),
            ("contacts", "head", None),
            ("contacts", "admin", None),
            ("companies", "admin", None),
            ("deals", "rep", None),
            ("deals", "admin", None),
            ("activities", "rep", None),
            ("activities", "admin", {"status": "planned", "ordering": "due_at"}),
            ("contacts", "admin", {"search": "0888"}),
        )
    ]
    form = _form()
    form_url = f"/f/{form.key}/"

    def submit(returning: bool) -> Callable[[int], None]:
        def run(index: int) -> None:
            number = 1 if returning else next(_phones)
            response = client.post(
                form_url,
                {
                    "name": f"Bench Visitor {number}",
                    "phone": f"+35988{9000000 + number % 1000000:07d}",
                    "email": f"visitor{number}@bench.example",
                    "message": "Please call me back",
                },
                headers={"Accept": "application/json"},
                REMOTE_ADDR=f"10.{index % 250}.{number % 250}.1",
            )
            if response.status_code not in (200, 201):
                raise RuntimeError(f"POST {form_url}: HTTP {response.status_code} {response.content[:200]!r}")

        return run

    scenarios += [
        Scenario("web form submission, new visitor", "view", submit(False), FORM_BUDGET_MS),
        Scenario("web form submission, returning", "view", submit(True), FORM_BUDGET_MS),
    ]
    return scenarios
