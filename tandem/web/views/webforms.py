"""Website lead capture: the public form endpoint /f/<key>/ and the admin pages under /settings/forms/.

The public endpoint is CSRF-exempt by design (other sites post to it); it answers JSON to scripts
(the embeddable snippet's fetch) and HTML to plain form posts, so the form works without JavaScript.
CORS headers go only to the form's configured site origins.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from tandem.core.errors import ApplicationError
from tandem.leads.models import LEAD_FIELDS, UTM_FIELDS, LeadSubmission, WebForm
from tandem.leads.services import (
    HONEYPOT_FIELD,
    MAX_BODY_BYTES,
    lead_capture,
    lead_rate_limited,
    webform_save,
)
from tandem.web.forms.sales import add_service_error
from tandem.web.forms.webforms import WebFormForm
from tandem.web.views.records import AuthedRequest
from tandem.web.views.sales_settings import settings_admin

RECENT_SUBMISSIONS = 25
CORS_MAX_AGE = "86400"

# --- the public endpoint -------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return (
        "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json"
    )


def _own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _with_cors(response: HttpResponse, request: HttpRequest, form: WebForm) -> HttpResponse:
    """Let the browser hand the answer to the embedding page only when that site is configured."""
    origin = request.headers.get("Origin", "")
    patch_vary_headers(response, ["Origin", "Accept"])
    if origin and origin in (form.allowed_origins or []):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type, Accept"
        response["Access-Control-Max-Age"] = CORS_MAX_AGE
    return response


def _error(
    request: HttpRequest, form: WebForm | None, code: str, message: str, status: int, **extra: Any
) -> HttpResponse:
    fields: dict[str, list[str]] = extra.pop("fields", None) or {}
    if _wants_json(request) or form is None:
        response: HttpResponse = JsonResponse(
            {"error": {"code": code, "message": message, "fields": fields}}, status=status
        )
    else:
        context = {"form": form, "message": message, "errors": fields, **extra}
        response = render(
            request, "web/settings/webforms_public.html", _public_context(form, context), status=status
        )
    return _with_cors(response, request, form) if form is not None else response


def _public_context(form: WebForm, extra: dict[str, Any]) -> dict[str, Any]:
    values = extra.pop("values", {})
    errors = extra.get("errors", {})
    rows = [
        {
            "name": name,
            "label": LEAD_FIELDS[name],
            "required": name in form.required_fields,
            "value": values.get(name, ""),
            "errors": errors.get(name, []),
        }
        for name in form.fields
    ]
    return {"form": form, "rows": rows, "honeypot": HONEYPOT_FIELD, "utm_fields": UTM_FIELDS, **extra}


def _payload(request: HttpRequest) -> dict[str, Any] | None:
    """The submitted fields; None when a JSON body is not an object."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None
    return {name: request.POST.get(name, "") for name in request.POST}


def _client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


@csrf_exempt
def webform_public(request: HttpRequest, key: str) -> HttpResponse:
    """GET: a plain page with the form. POST: one submission. OPTIONS: the CORS preflight."""
    form = WebForm.objects.filter(key=key, is_active=True).first()
    if form is None:
        if _wants_json(request) or request.method != "GET":
            return _error(request, None, "not_found", _("This form does not exist or is switched off."), 404)
        raise Http404
    if request.method == "OPTIONS":
        return _with_cors(HttpResponse(status=204), request, form)
    if request.method == "GET":
        return _with_cors(
            render(request, "web/settings/webforms_public.html", _public_context(form, {})), request, form
        )
    if request.method != "POST":
        response = _error(request, form, "method_not_allowed", _("Send the form with POST."), 405)
        response["Allow"] = "GET, POST, OPTIONS"
        return response
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return _error(request, form, "request_too_large", _("The request body is too large."), 413)
    if lead_rate_limited(_client_address(request)):
        response = _error(request, form, "throttled", _("Too many submissions. Please try again later."), 429)
        response["Retry-After"] = "600"
        return response
    payload = _payload(request)
    if payload is None:
        return _error(request, form, "parse_error", _("Send a JSON object or a form."), 400)
    origin = request.headers.get("Origin", "")
    origin_allowed = not origin or origin == _own_origin(request) or origin in (form.allowed_origins or [])
    submission = lead_capture(
        form=form,
        source=LeadSubmission.Source.FORM,
        payload=payload,
        ip=_client_address(request) or None,
        origin_allowed=origin_allowed,
    )
    if submission.status == LeadSubmission.Status.REJECTED:
        status = 403 if submission.error_code in ("origin_not_allowed", "form_inactive") else 400
        return _error(
            request,
            form,
            submission.error_code,
            _("Please correct the marked fields.") if submission.field_errors else submission.error,
            status,
            fields=submission.field_errors,
            values=payload,
        )
    # Accepted, spam (bots are not told) and failed (stored; staff see it) all thank the visitor.
    if _wants_json(request):
        response = JsonResponse({"status": "ok", "message": form.thank_you_text})
    else:
        response = render(
            request, "web/settings/webforms_public.html", _public_context(form, {"thanked": True})
        )
    return _with_cors(response, request, form)


# --- the admin pages -----------------------------------------------------------------------------


def webform_snippet(form: WebForm, base_url: str) -> str:
    """The HTML a site owner pastes into a page: a plain form posting to /f/<key>/ and the tiny script."""
    context = _public_context(form, {})
    context["action"] = base_url + reverse("webform_public", args=[form.key])
    context["script"] = base_url + static("tandem/webform.js")
    return render_to_string("web/settings/webforms_snippet.html", context).strip() + "\n"


def _recent(form: WebForm | None) -> list[LeadSubmission]:
    queryset = LeadSubmission.objects.select_related("form", "contact", "deal").order_by("-created_at", "-id")
    if form is not None:
        queryset = queryset.filter(form=form)
    return list(queryset[:RECENT_SUBMISSIONS])


@settings_admin
def webform_list(request: AuthedRequest) -> HttpResponse:
    forms = list(
        WebForm.objects.select_related("pipeline", "owner", "team", "channel").order_by("name", "id")
    )
    return render(request, "web/settings/webforms.html", {"forms": forms, "submissions": _recent(None)})


def _save(request: AuthedRequest, form: WebForm | None) -> HttpResponse:
    if request.method == "POST":
        bound = WebFormForm(request.POST)
        if bound.is_valid():
            try:
                saved = webform_save(actor=request.user, form=form, data=bound.service_data())
            except ApplicationError as error:
                add_service_error(bound, error)
            except DjangoValidationError as error:
                renamed = {"fields": "fields_shown", "required_fields": "fields_required"}
                if hasattr(error, "error_dict"):
                    for name, messages in error.message_dict.items():
                        field = renamed.get(name, name)
                        bound.add_error(field if field in bound.fields else None, messages)
                else:
                    bound.add_error(None, error.messages)
            else:
                return redirect("webform_edit", pk=saved.pk)
    else:
        bound = WebFormForm(instance=form)
    context = {
        "form": bound,
        "webform": form,
        "title": form.name if form else _("New web form"),
        "cancel_url": reverse("webform_list"),
        "snippet": webform_snippet(form, request.build_absolute_uri("/").rstrip("/")) if form else "",
        "public_url": request.build_absolute_uri(reverse("webform_public", args=[form.key])) if form else "",
        "submissions": _recent(form) if form else [],
    }
    return render(request, "web/settings/webforms_form.html", context, status=400 if bound.errors else 200)


@settings_admin
def webform_create(request: AuthedRequest) -> HttpResponse:
    return _save(request, None)


@settings_admin
def webform_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _save(request, get_object_or_404(WebForm, pk=pk))
