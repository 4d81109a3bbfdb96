"""Imports over the API: upload a file (multipart) to start an import or its dry run, follow it, undo it.

The same engine and checks as the web wizard; the job runs on the worker, so the answer is 202 with
the job, and `GET /imports/{id}/` reports its status, counts and per-row errors.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from tandem.accounts.models import User
from tandem.accounts.roles import Role
from tandem.api.errors import ApiError, RequestTooLarge
from tandem.api.pagination import IdCursorPagination
from tandem.api.parsers import MULTIPART_OVERHEAD_BYTES, LimitedMultiPartParser
from tandem.api.views import ApiView
from tandem.imports import services
from tandem.imports.fields import FIELD_KEYS
from tandem.imports.models import ImportJob, MappingProfile, OnDuplicate
from tandem.imports.selectors import import_get_for_user, import_issues

ERRORS_IN_DETAIL = 1000


class ImportIssueSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    value = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()
    rejected = serializers.BooleanField()


class ImportJobSerializer(serializers.ModelSerializer):
    created_by = serializers.IntegerField(source="created_by_id", read_only=True)
    headers = serializers.SerializerMethodField()
    percent = serializers.IntegerField(read_only=True)
    dry_run_counts = serializers.JSONField(source="preview", read_only=True)
    counts = serializers.JSONField(read_only=True)
    mapping = serializers.ListField(child=serializers.CharField(allow_null=True), read_only=True)

    class Meta:
        model = ImportJob
        fields: list[str] = [
            "id",
            "status",
            "filename",
            "created_by",
            "created_at",
            "headers",
            "mapping",
            "region",
            "on_duplicate",
            "rows_total",
            "rows_done",
            "percent",
            "dry_run_counts",
            "counts",
            "error",
            "started_at",
            "finished_at",
            "undone_at",
        ]
        read_only_fields = fields

    def get_headers(self, job: ImportJob) -> list[str]:
        return list(job.table.get("headers", []))


class ImportDetailSerializer(ImportJobSerializer):
    errors = serializers.SerializerMethodField()  # type: ignore[assignment]
    errors_truncated = serializers.SerializerMethodField()

    class Meta(ImportJobSerializer.Meta):
        fields = [*ImportJobSerializer.Meta.fields, "errors", "errors_truncated"]
        read_only_fields = fields

    def _issues(self, job: ImportJob) -> list[Any]:
        if not hasattr(self, "_cached_issues"):
            dry_run = job.status in (ImportJob.Status.PREVIEWING, ImportJob.Status.PREVIEWED)
            self._cached_issues = list(import_issues(job, dry_run=dry_run)[: ERRORS_IN_DETAIL + 1])
        return self._cached_issues

    @extend_schema_field(ImportIssueSerializer(many=True))
    def get_errors(self, job: ImportJob) -> list[dict[str, Any]]:
        """Rejected rows and warnings by row: the dry run's while it is the latest run, else the import's."""
        return list(ImportIssueSerializer(self._issues(job)[:ERRORS_IN_DETAIL], many=True).data)

    @extend_schema_field(serializers.BooleanField())
    def get_errors_truncated(self, job: ImportJob) -> bool:
        return len(self._issues(job)) > ERRORS_IN_DETAIL


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True, help_text="CSV (any delimiter and encoding), XLSX, XLS or ODS"
    )
    region = serializers.CharField(
        required=False, max_length=2, help_text="country of national phone numbers"
    )
    on_duplicate = serializers.ChoiceField(choices=OnDuplicate.choices, required=False)
    sheet = serializers.CharField(required=False, max_length=200)
    profile = serializers.CharField(
        required=False, max_length=100, help_text="a saved mapping profile's name"
    )
    mapping = serializers.CharField(
        required=False,
        help_text="JSON: a list with a field key (or null) per column, or an object header → field key. "
        f"Field keys: {', '.join(FIELD_KEYS)}",
    )
    dry_run = serializers.BooleanField(default=False, help_text="only report what the import would do")


class ImportUploadParser(LimitedMultiPartParser):
    """Import files may be larger than attachments: up to TANDEM_MAX_IMPORT_BYTES."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            declared = 0
        if declared > services.max_import_bytes() + MULTIPART_OVERHEAD_BYTES:
            raise RequestTooLarge()
        return super(LimitedMultiPartParser, self).parse(stream, media_type, parser_context)


def _mapping(text: str, headers: list[str]) -> list[str | None]:
    try:
        value = json.loads(text)
    except ValueError as error:
        message = _("The mapping is not valid JSON.")
        raise ApiError("invalid_mapping", message, fields={"mapping": [message, str(error)]}) from error
    if isinstance(value, dict):
        return [value.get(header) if isinstance(value.get(header), str) else None for header in headers]
    if isinstance(value, list) and all(item is None or isinstance(item, str) for item in value):
        return value
    message = _("The mapping must be a list of field keys (or null) or an object of header → field key.")
    raise ApiError("invalid_mapping", message, fields={"mapping": [message]})


class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet, ApiView):
    """Your imports (an admin sees everyone's), newest first."""

    serializer_class = ImportJobSerializer
    parser_classes = [ImportUploadParser]
    lookup_value_regex = r"[0-9]{1,18}"
    pagination_class = IdCursorPagination
    ordering_choices = {"-id": ["-id"]}

    @property
    def actor(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def get_queryset(self) -> QuerySet[ImportJob]:
        if getattr(self, "swagger_fake_view", False):
            return ImportJob.objects.none()
        jobs = ImportJob.objects.all()
        return jobs if self.actor.role == Role.ADMIN else jobs.filter(created_by=self.actor)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return ImportDetailSerializer if self.action == "retrieve" else ImportJobSerializer

    def get_object(self) -> ImportJob:
        return import_get_for_user(self.actor, int(self.kwargs["pk"]))

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: ImportJobSerializer},
        summary="Upload a file and start its import (or its dry run) on the worker",
        description="The columns are mapped from their headers (en/bg/ru), from `profile`, or by `mapping`. "
        "Refused with 400 `empty_file`, `not_a_table`, `too_many_columns`, `no_rows`, `too_large`, "
        "`invalid_mapping`; 403 when your role cannot create companies or contacts.",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        profile = None
        if data.get("profile"):
            profile = MappingProfile.objects.filter(owner=self.actor, name=data["profile"]).first()
            if profile is None:
                message = _("You have no mapping profile with this name.")
                raise ApiError("invalid_profile", message, fields={"profile": [message]})
        upload = data["file"]
        job = services.import_upload(
            actor=self.actor, stream=upload, filename=upload.name, sheet=data.get("sheet"), profile=profile
        )
        mapping = _mapping(data["mapping"], job.table["headers"]) if data.get("mapping") else None
        job = services.import_configure(
            actor=self.actor,
            job=job,
            mapping=mapping,
            region=data.get("region"),
            on_duplicate=data.get("on_duplicate"),
        )
        if data["dry_run"]:
            services.import_preview(actor=self.actor, job=job)
        else:
            services.import_start(actor=self.actor, job=job)
        job.refresh_from_db()
        return Response(ImportJobSerializer(job).data, status=202)

    @extend_schema(
        request=None, responses={202: ImportJobSerializer}, summary="Import a dry-run file for real"
    )
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        return self._then(services.import_start)

    @extend_schema(
        request=None,
        responses={202: ImportJobSerializer},
        summary="Undo an import: remove what it created, restore what it changed",
    )
    @action(detail=True, methods=["post"])
    def undo(self, request: Request, pk: str) -> Response:
        return self._then(services.import_undo)

    @extend_schema(
        request=None,
        responses={202: ImportJobSerializer},
        summary="Continue a failed or interrupted import after its last complete batch",
    )
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        return self._then(services.import_resume)

    def _then(self, service: Any) -> Response:
        job = service(actor=self.actor, job=self.get_object())
        job.refresh_from_db()
        return Response(ImportJobSerializer(job).data, status=202)
