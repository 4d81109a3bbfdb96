"""Inbound generic webhook: other sources (landing pages, marketplaces) post leads with an API token.

The same intake as the website forms: the submission is stored first, then matched to a contact by
phone or email and turned into a new deal in the form's pipeline.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from tandem.accounts.models import User
from tandem.api.errors import ApiError, error_response
from tandem.api.schema import ErrorSerializer
from tandem.api.views import ApiView
from tandem.core.errors import PermissionDenied
from tandem.leads.models import LeadSubmission
from tandem.leads.services import lead_capture, webform_for_inbound


class InboundLeadSerializer(serializers.Serializer):
    """Documents the body; the intake service validates it (unknown keys are refused)."""

    form = serializers.CharField(
        required=False, help_text="The web form's public key; omitted: the form marked as the API default."
    )
    name = serializers.CharField(required=False, max_length=200)
    company = serializers.CharField(required=False, max_length=255)
    phone = serializers.CharField(
        required=False, max_length=64, help_text="Any common format; stored as E.164."
    )
    email = serializers.EmailField(required=False, max_length=254)
    message = serializers.CharField(required=False, max_length=5000)
    utm_source = serializers.CharField(required=False, max_length=200)
    utm_medium = serializers.CharField(required=False, max_length=200)
    utm_campaign = serializers.CharField(required=False, max_length=200)
    utm_term = serializers.CharField(required=False, max_length=200)
    utm_content = serializers.CharField(required=False, max_length=200)


class InboundLeadResultSerializer(serializers.Serializer):
    submission = serializers.IntegerField()
    status = serializers.ChoiceField(choices=LeadSubmission.Status.choices)
    contact = serializers.IntegerField(allow_null=True)
    contact_matched = serializers.BooleanField(
        help_text="True when an existing contact had this phone or email."
    )
    deal = serializers.IntegerField(allow_null=True)


class InboundLeadView(ApiView):
    @extend_schema(
        request=InboundLeadSerializer,
        responses={
            201: InboundLeadResultSerializer,
            202: InboundLeadResultSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No active form with this key."),
            409: OpenApiResponse(
                ErrorSerializer,
                description="`duplicate_request`: this `Idempotency-Key` was already received for the form.",
            ),
        },
        summary="Send a lead from another source",
        description=(
            "Stores the request, matches the contact by phone (E.164) or email (case-insensitive) or "
            "creates it (and its company), and opens a deal in the first stage of the form's pipeline, "
            "owned per the form's rule. 201: processed; 202: stored but not processed (e.g. no active "
            "owner) — staff see it among the form's submissions. Needs a token with write scope. "
            "Send an `Idempotency-Key` header (any unique text, e.g. your own lead id) to make retries "
            "safe: a second request with the same key gets 409 `duplicate_request` and creates nothing."
        ),
    )
    def post(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        if not user.has_perm("deals.add_deal"):
            raise PermissionDenied(_("Your role cannot create deals."))
        if not isinstance(request.data, dict):
            raise ApiError("invalid", _("Send a JSON object."))
        payload = dict(request.data)
        key = payload.pop("form", None)
        if key is not None and not isinstance(key, str):
            raise ApiError(
                "invalid", _("Send the form key as text."), fields={"form": [_("Send this as text.")]}
            )
        form = webform_for_inbound(key=key)
        idempotency_key = request.headers.get("Idempotency-Key", "").strip()
        if len(idempotency_key) > 100 or not idempotency_key.isprintable():
            raise ApiError("invalid", _("Send an Idempotency-Key of at most 100 printable characters."))
        submission = lead_capture(
            form=form,
            source=LeadSubmission.Source.API,
            payload=payload,
            ip=request.META.get("REMOTE_ADDR") or None,
            idempotency_key=idempotency_key,
        )
        if submission.status == LeadSubmission.Status.REJECTED:
            return error_response(submission.error_code, submission.error, 400, submission.field_errors)
        body = {
            "submission": submission.pk,
            "status": submission.status,
            "contact": submission.contact_id,
            "contact_matched": submission.contact_matched,
            "deal": submission.deal_id,
        }
        accepted = submission.status == LeadSubmission.Status.ACCEPTED
        return Response(body, status=status.HTTP_201_CREATED if accepted else status.HTTP_202_ACCEPTED)
