"""Property-based check of the live OpenAPI schema: every operation, called through the WSGI app with
generated (schema-valid) input as an administrator, never answers 5xx and never answers something
its schema does not describe. Bounded and derandomized, so CI runs the same examples each time."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis import checks as schemathesis_checks
from schemathesis.core.failures import FailureGroup

from tandem.accounts.services import token_create

EXAMPLES_PER_OPERATION = 5
CHECKS = [
    schemathesis_checks.not_a_server_error,
    schemathesis_checks.status_code_conformance,
    schemathesis_checks.content_type_conformance,
    schemathesis_checks.response_schema_conformance,
]

# Known schema gaps, tolerated by exact operation and status only until fixed (none now).
KNOWN_UNDOCUMENTED_STATUSES: set[tuple[str, str]] = set()


def _known(label: str, error: BaseException) -> bool:
    text = str(error)
    return any(
        label == known_label and marker in text and "ST103" in text
        for known_label, marker in KNOWN_UNDOCUMENTED_STATUSES
    )


@contextlib.contextmanager
def _inside_the_test_transaction() -> Iterator[None]:
    """A real WSGI handler closes the connection after each request; Django's test client avoids that
    the same way, so the requests share the test's transaction (rolled back at the end)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_every_operation_answers_as_its_schema_says(admin, make_company, make_contact, settings):
    settings.TANDEM_API_RATE = 1_000_000
    settings.ALLOWED_HOSTS = ["*"]
    company = make_company(owner=admin)
    make_contact(owner=admin, company=company)
    _token, secret = token_create(user=admin, name="schemathesis")
    headers = {"Authorization": f"Bearer {secret}"}
    failures: list[str] = []

    with _inside_the_test_transaction():
        schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
        for result in schema.get_all_operations():
            operation = result.ok()

            @hypothesis.given(case=operation.as_strategy())
            @hypothesis.settings(
                max_examples=EXAMPLES_PER_OPERATION,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                suppress_health_check=list(hypothesis.HealthCheck),
            )
            def run(case: schemathesis.Case) -> None:
                response = case.call(headers=headers)
                try:
                    case.validate_response(response, checks=CHECKS)
                except FailureGroup as error:  # list every operation's failures instead of stopping at one
                    if len(error.exceptions) == 1 and _known(case.operation.label, error):
                        return
                    failures.append(f"{case.operation.label}: {str(error)[:1500]}")

            run()

    assert failures == [], "\n\n".join(failures)
