from __future__ import annotations

import json
import logging

from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions

from tandem.api.errors import exception_handler
from tandem.contacts.models import Company
from tandem.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationError

URL = "/api/v1/companies/"


def test_malformed_json_is_400_parse_error(api, rep_a):
    response = api(rep_a).post(URL, '{"name": "Acme",', content_type="application/json")

    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "parse_error"
    assert body["message"].startswith("JSON parse error")
    assert body["fields"] == {}
    assert Company.objects.count() == 0


def test_json_array_instead_of_object_is_400(api, rep_a):
    response = api(rep_a).post(URL, "[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == ["non_field_errors"]


def test_form_body_is_415(api, rep_a):
    response = api(rep_a).post(URL, "name=Acme", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert Company.objects.count() == 0


def test_plain_text_body_is_415(api, rep_a, make_company):
    company = make_company(rep_a, "Acme")

    response = api(rep_a).patch(f"{URL}{company.pk}/", "name: Other", content_type="text/plain")

    assert response.status_code == 415
    company.refresh_from_db()
    assert company.name == "Acme"


def test_body_over_five_megabytes_is_413(api, rep_a):
    body = json.dumps({"name": "Acme", "notes": "x" * (5 * 1024 * 1024)})

    response = api(rep_a).post(URL, body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert Company.objects.count() == 0


def test_body_limit_follows_the_setting(api, rep_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    client = api(rep_a)

    small = client.post(URL, {"name": "Small", "notes": "x" * 1000}, format="json")
    large = client.post(URL, {"name": "Large", "notes": "x" * 3000}, format="json")

    assert (small.status_code, large.status_code) == (201, 413)
    assert list(Company.objects.values_list("name", flat=True)) == ["Small"]


def test_wrong_method_is_405(api, rep_a):
    response = api(rep_a).delete(URL)

    assert response.status_code == 405
    assert response.json()["error"] == {
        "code": "method_not_allowed",
        "message": 'Method "DELETE" not allowed.',
        "fields": {},
    }


def test_write_to_me_is_405(api, rep_a):
    assert api(rep_a).post("/api/v1/me/", {}, format="json").status_code == 405


def _handle(exc: Exception):
    return exception_handler(exc, {"view": None, "request": None})


def test_throttled_is_429_with_retry_after():
    response = _handle(exceptions.Throttled(wait=30))

    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert response.data["error"]["code"] == "throttled"


def test_service_errors_map_to_status_and_code():
    cases = [
        (ValidationError({"tax_id": "Taken."}, code="duplicate_tax_id"), 400, "duplicate_tax_id"),
        (ValidationError("Bad."), 400, "invalid"),
        (PermissionDenied("No."), 403, "permission_denied"),
        (PermissionDenied("No.", code="owner_not_allowed"), 403, "owner_not_allowed"),
        (NotFound("Gone."), 404, "not_found"),
        (Conflict("Changed meanwhile."), 409, "conflict"),
        (ApplicationError("Refused.", code="self_lockout"), 400, "self_lockout"),
        (RequestDataTooBig("big"), 413, "request_too_large"),
    ]

    results = [
        (_handle(exc).status_code, _handle(exc).data["error"]["code"]) for exc, _status, _code in cases
    ]

    assert results == [(status, code) for _exc, status, code in cases]


def test_service_validation_error_keeps_fields():
    response = _handle(ValidationError({"tax_id": "Taken."}, code="duplicate_tax_id"))

    assert response.data == {
        "error": {"code": "duplicate_tax_id", "message": "Taken.", "fields": {"tax_id": ["Taken."]}}
    }


def test_unexpected_error_is_json_500_and_logged(caplog):
    with caplog.at_level(logging.ERROR, logger="tandem.api.errors"):
        response = _handle(RuntimeError("boom"))

    assert response.status_code == 500
    assert response.data["error"]["code"] == "server_error"
    assert "boom" not in response.data["error"]["message"]
    assert caplog.records[0].exc_info[1].args == ("boom",)


def test_nested_errors_are_dotted_field_names(api, rep_a):
    body = {"name": "Acme", "phones": [{"number": "0888 123 456"}, {"label": "no number"}]}

    response = api(rep_a).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"phones.1.number": ["This field is required."]}
