from __future__ import annotations

import re

from django.core.management import call_command
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient


def test_schema_is_valid_openapi(db):
    response = APIClient().get(reverse("api_schema"), {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert sorted(schema["paths"]) == [
        "/api/v1/activities/",
        "/api/v1/activities/{id}/",
        "/api/v1/activities/{id}/attachments/",
        "/api/v1/activities/{id}/attachments/{attachment_pk}/",
        "/api/v1/activities/{id}/done/",
        "/api/v1/activity-types/",
        "/api/v1/activity-types/{id}/",
        "/api/v1/channels/",
        "/api/v1/channels/{id}/",
        "/api/v1/client-categories/",
        "/api/v1/client-categories/{id}/",
        "/api/v1/companies/",
        "/api/v1/companies/{id}/",
        "/api/v1/contact-roles/",
        "/api/v1/contact-roles/{id}/",
        "/api/v1/contacts/",
        "/api/v1/contacts/{id}/",
        "/api/v1/currencies/",
        "/api/v1/currencies/{id}/",
        "/api/v1/deals/",
        "/api/v1/deals/{id}/",
        "/api/v1/deals/{id}/move/",
        "/api/v1/deals/{id}/take/",
        "/api/v1/imports/",
        "/api/v1/imports/{id}/",
        "/api/v1/imports/{id}/resume/",
        "/api/v1/imports/{id}/start/",
        "/api/v1/imports/{id}/undo/",
        "/api/v1/inbound/lead/",  # views_inbound.py (the web forms and inbound leads task)
        "/api/v1/industries/",
        "/api/v1/industries/{id}/",
        "/api/v1/lost-reasons/",
        "/api/v1/lost-reasons/{id}/",
        "/api/v1/me/",
        "/api/v1/notifications/",
        "/api/v1/notifications/read/",
        "/api/v1/notifications/{id}/read/",
        "/api/v1/outcomes/",
        "/api/v1/outcomes/{id}/",
        "/api/v1/pipelines/",
        "/api/v1/pipelines/{id}/",
        "/api/v1/product-categories/",
        "/api/v1/product-categories/{id}/",
        "/api/v1/products/",
        "/api/v1/products/{id}/",
        "/api/v1/stages/",
        "/api/v1/stages/{id}/",
        "/api/v1/tags/",
        "/api/v1/tags/{id}/",
        "/api/v1/users/",
        "/api/v1/users/{id}/",
    ]


def test_schema_generation_has_no_warnings_or_errors(tmp_path):
    # --fail-on-warn makes the command exit non-zero on any warning or error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.0.3")


def test_schema_documents_the_error_format_and_bearer_auth(db):
    schema = APIClient().get(reverse("api_schema"), {"format": "json"}).json()

    assert '{"error": {"code"' in schema["info"]["description"]
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    create = schema["paths"]["/api/v1/companies/"]["post"]
    assert sorted(create["responses"]) == ["201", "400", "401", "403", "413", "415", "429"]
    assert create["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_schema_lists_the_filters_of_the_contact_list(db):
    schema = APIClient().get(reverse("api_schema"), {"format": "json"}).json()

    parameters = schema["paths"]["/api/v1/contacts/"]["get"]["parameters"]

    assert sorted(parameter["name"] for parameter in parameters) == [
        "category", "company", "created_after", "created_before", "cursor", "industry", "ordering", "owner",
        "page_size", "search", "tag", "team",
    ]  # fmt: skip


def test_docs_page_renders_endpoints_without_any_cdn(db):
    response = APIClient().get(reverse("api_docs"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<code>POST /api/v1/companies/</code>" in html
    assert "<code>phones[].number</code>" in html
    assert "duplicate_tax_id" in html
    external = re.findall(r'(?:src|href)="(https?:)?//', html)
    assert external == []
    assert all(url.startswith("/static/") for url in re.findall(r'<link[^>]+href="([^"]+)"', html))
    assert "<script" not in html


def test_schema_documents_the_deal_list_filters_and_the_move_errors(db):
    schema = APIClient().get(reverse("api_schema"), {"format": "json"}).json()

    parameters = schema["paths"]["/api/v1/deals/"]["get"]["parameters"]
    move = schema["paths"]["/api/v1/deals/{id}/move/"]["post"]

    assert sorted(parameter["name"] for parameter in parameters) == [
        "channel", "close_from", "close_to", "company", "contact", "cursor", "ordering", "owner", "page_size",
        "pipeline", "product", "search", "stage", "status", "team",
    ]  # fmt: skip
    ordering = next(parameter for parameter in parameters if parameter["name"] == "ordering")
    assert ordering["schema"]["enum"] == ["-id", "-updated", "-created", "created", "title"]
    assert sorted(move["responses"]) == ["200", "400", "401", "403", "404", "409", "413", "415", "429"]
    assert "missing_fields" in move["description"]
