"""REST API of activities, their types and outcomes, and the user's notifications. Thin: an access
helper or selector plus one service call, so the API sees and refuses exactly what the web app does."""

from __future__ import annotations

import contextlib
import zoneinfo
from typing import Any

from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from tandem.accounts.models import User
from tandem.activities.attachments import attachment_add, attachment_remove
from tandem.activities.models import Activity, ActivityType, Attachment, Outcome
from tandem.activities.selectors import activity_get_for_user, activity_list, activity_scope_parts
from tandem.activities.services import activity_create, activity_done, activity_trash, activity_update
from tandem.api.errors import ApiError
from tandem.api.filters import SelectorFilterBackend, validated_filterset
from tandem.api.filters_activities import ActivityFilterSet, NotificationFilterSet
from tandem.api.pagination import IdCursorPagination
from tandem.api.parsers import LimitedMultiPartParser
from tandem.api.serializers_activities import (
    ActivityDoneSerializer,
    ActivitySerializer,
    ActivityTypeSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    NotificationReadResultSerializer,
    NotificationReadSerializer,
    NotificationSerializer,
)
from tandem.api.serializers_deals import EmptySerializer
from tandem.api.views import ApiView, ReferenceViewSet, reference_viewset
from tandem.core.errors import PermissionDenied, ValidationError
from tandem.notifications.models import Notification
from tandem.notifications.selectors import notification_list, unread_count
from tandem.notifications.services import notifications_mark_read

ID_REGEX = r"[0-9]{1,18}"
LINKS = ("deal", "contact", "company", "type", "assignee", "outcome")


class UserTimeZoneMixin:
    """Work in the user's time zone, as the web app does (the middleware only sees session users):
    date-times come back with the user's offset, and a deal's next step date is the user's day."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        user = request.user
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))  # type: ignore[union-attr]
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc, no-any-return]
        finally:
            timezone.deactivate()


@extend_schema_view(
    list=extend_schema(
        summary="List the activities you can see (cursor-paginated, filterable)",
        description="Activities assigned to you or your scope, and those you wrote. `ordering=due_at` "
        "lists the activities that have a due time, soonest first; `-occurred_at` is the timeline's order.",
    ),
    retrieve=extend_schema(summary="One activity (404 if you may not see it)"),
    create=extend_schema(
        summary="Plan (`due_at`) or log (`done_at`) an activity",
        description="Refused with 400 `no_time` (neither `due_at` nor `done_at`), `not_linked` (no deal, "
        "contact or company), `invalid_link`, `future_done`, `inactive_assignee`; 403 when your role "
        "cannot add activities.",
    ),
    partial_update=extend_schema(
        summary="Change some fields of an activity",
        description="A new `due_at` moves `remind_at` along and re-arms the reminder. Refused like create.",
    ),
    destroy=extend_schema(summary="Move an activity to the trash"),
)
class ActivityViewSet(
    UserTimeZoneMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
    ApiView,
):
    """Calls, meetings, letters, emails, tasks and notes. DELETE moves an activity to the trash."""

    serializer_class = ActivitySerializer
    lookup_value_regex = ID_REGEX
    pagination_class = IdCursorPagination
    filter_backends = [SelectorFilterBackend]
    filterset_class = ActivityFilterSet
    ordering_choices = {"due_at": ["due_at", "id"], "-occurred_at": ["-occurred_at", "-id"]}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @property
    def actor(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def scope_parts(self) -> list[Q]:
        """Disjoint pieces of the visible rows, each paged along its own index (see pagination)."""
        return activity_scope_parts(self.actor)

    def get_queryset(self) -> QuerySet[Activity]:
        if getattr(self, "swagger_fake_view", False):
            return Activity.objects.none()
        filterset = validated_filterset(self.request, ActivityFilterSet, Activity.objects.none())
        activities = activity_list(actor=self.actor, filters=filterset.activity_filters())  # type: ignore[attr-defined]
        if self.request.query_params.get("ordering") == "due_at":
            activities = activities.filter(due_at__isnull=False)  # a keyset needs a value to compare
        return activities

    def _respond(self, activity: Activity, status: int = 200) -> Response:
        """The activity as reads show it, after a write."""
        # Handed to someone outside the actor's sight: answer with what was written.
        with contextlib.suppress(Http404):
            activity = activity_get_for_user(user=self.actor, pk=activity.pk)
        return Response(self.get_serializer(activity).data, status=status)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        activity = activity_get_for_user(user=self.actor, pk=kwargs["pk"])
        return Response(self.get_serializer(activity).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Checked before validation so a refused role learns that first, not a field error.
        if not self.actor.has_perm("activities.add_activity"):
            raise PermissionDenied(_("You are not allowed to add activities."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        activity = activity_create(actor=self.actor, **serializer.validated_data)
        return self._respond(activity, status=201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        activity = activity_get_for_user(user=self.actor, pk=kwargs["pk"], for_write=True)
        serializer = self.get_serializer(activity, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        for name in LINKS:
            # Sending back what the GET returned is no change (and no re-check of an old link).
            if name in data and getattr(data[name], "pk", None) == getattr(activity, f"{name}_id"):
                del data[name]
        activity = activity_update(actor=self.actor, activity=activity, data=data)
        return self._respond(activity)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        activity = activity_get_for_user(user=self.actor, pk=kwargs["pk"], for_write=True)
        activity_trash(actor=self.actor, activity=activity)
        return Response(status=204)

    @extend_schema(
        request=ActivityDoneSerializer,
        responses=ActivitySerializer,
        summary="Mark a planned activity done, with its outcome and a note",
        description="Done already: nothing changes and the activity is returned as it is. Refused with "
        "400 `future_done` when `done_at` is in the future.",
    )
    @action(detail=True, methods=["post"])
    def done(self, request: Request, pk: str) -> Response:
        activity = activity_get_for_user(user=self.actor, pk=pk, for_write=True)
        serializer = ActivityDoneSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        validated = serializer.validated_data
        activity = activity_done(
            actor=self.actor,
            activity=activity,
            done_at=validated.get("done_at"),
            outcome=validated.get("outcome"),
            note=validated.get("note", ""),
            duration_minutes=validated.get("duration_minutes"),
        )
        return self._respond(activity)

    # --- attachments ------------------------------------------------------------------------------

    def _attachment(self, activity: Activity, attachment_pk: str) -> Attachment:
        attachment = activity.attachments.filter(pk=int(attachment_pk)).first()
        if attachment is None:
            raise Http404
        return attachment

    @extend_schema(
        methods=["GET"],
        request=None,
        responses=AttachmentSerializer(many=True),
        summary="The files on an activity you can see, oldest first",
        operation_id="activities_attachments_list",
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer},
        summary="Attach a file to an activity you may change (multipart/form-data, field `file`)",
        description="The same checks as the web app: documents, images and audio only, judged by the name "
        "and the content; refused with 400 `program`, `forbidden_type`, `content_mismatch`, `empty` or "
        "`too_large` (over `TANDEM_MAX_UPLOAD_BYTES`); a body far over the limit is 413.",
        operation_id="activities_attachments_create",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="attachments",
        parser_classes=[LimitedMultiPartParser],
        pagination_class=None,
    )
    def attachments(self, request: Request, pk: str) -> Response:
        if request.method == "GET":
            activity = activity_get_for_user(user=self.actor, pk=pk)
            data = AttachmentSerializer(
                activity.attachments.all(), many=True, context=self.get_serializer_context()
            ).data
            return Response(data)
        activity = activity_get_for_user(user=self.actor, pk=pk, for_write=True)
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            attachment = attachment_add(
                actor=self.actor, activity=activity, file=serializer.validated_data["file"]
            )
        except ValidationError as error:
            # The checks report one list for many files; one file has one reason, with its own code.
            reason = error.error_list[0]
            message = " ".join(reason.messages)
            raise ApiError(reason.code or "invalid", message, fields={"file": [message]}) from error
        return Response(
            AttachmentSerializer(attachment, context=self.get_serializer_context()).data, status=201
        )

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        summary="Download a file of an activity you can see (streamed)",
        description="The body is the file with its own `Content-Type` (e.g. `application/pdf`) and a "
        "`Content-Disposition: attachment` naming it.",
        operation_id="activities_attachments_download",
        parameters=[OpenApiParameter("attachment_pk", int, OpenApiParameter.PATH)],
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        responses={204: None},
        summary="Remove a file from an activity you may change",
        operation_id="activities_attachments_destroy",
        parameters=[OpenApiParameter("attachment_pk", int, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["get", "delete"],
        url_path=rf"attachments/(?P<attachment_pk>{ID_REGEX})",
        url_name="attachment",
    )
    def attachment(self, request: Request, pk: str, attachment_pk: str) -> HttpResponseBase:
        if request.method == "DELETE":
            activity = activity_get_for_user(user=self.actor, pk=pk, for_write=True)
            attachment_remove(actor=self.actor, attachment=self._attachment(activity, attachment_pk))
            return Response(status=204)
        attachment = self._attachment(activity_get_for_user(user=self.actor, pk=pk), attachment_pk)
        try:
            handle = attachment.file.open("rb")
        except OSError as error:
            raise Http404 from error
        response = FileResponse(
            handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
        )
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response


class ActivityTypeViewSet(ReferenceViewSet):
    """Activity types (built-in and added by administrators); inactive ones are flagged."""

    serializer_class = ActivityTypeSerializer  # type: ignore[assignment]
    model = ActivityType


@extend_schema_view(
    list=extend_schema(summary="Your notifications, newest first (cursor-paginated)"),
)
class NotificationViewSet(UserTimeZoneMixin, mixins.ListModelMixin, viewsets.GenericViewSet, ApiView):
    """Your own notifications only; nobody reads another person's."""

    serializer_class = NotificationSerializer
    lookup_value_regex = ID_REGEX
    pagination_class = IdCursorPagination
    filter_backends = [SelectorFilterBackend]
    filterset_class = NotificationFilterSet
    # Newest first along the (recipient, -created_at, -id) index.
    ordering_choices = {"-id": ["-created_at", "-id"]}

    @property
    def actor(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        filterset = validated_filterset(self.request, NotificationFilterSet, Notification.objects.none())
        unread_only = filterset.form.cleaned_data.get("unread") == "true"
        return notification_list(actor=self.actor, unread_only=unread_only)

    @extend_schema(
        request=NotificationReadSerializer,
        responses=NotificationReadResultSerializer,
        summary="Mark your notifications read: some by id, or all",
        operation_id="notifications_read_many",
    )
    @action(detail=False, methods=["post"], url_path="read", url_name="read-many")
    def read_many(self, request: Request) -> Response:
        serializer = NotificationReadSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data.get("ids")
        marked = notifications_mark_read(actor=self.actor, ids=None if ids is None else list(ids))
        return Response({"marked": marked, "unread": unread_count(actor=self.actor)})

    @extend_schema(
        request=EmptySerializer,
        responses=NotificationSerializer,
        summary="Mark one of your notifications read (404 if it is not yours)",
        operation_id="notifications_read",
    )
    @action(detail=True, methods=["post"], url_path="read", url_name="read")
    def read(self, request: Request, pk: str) -> Response:
        EmptySerializer(data=request.data or {}).is_valid(raise_exception=True)
        notification = notification_list(actor=self.actor).filter(pk=int(pk)).first()
        if notification is None:
            raise Http404
        notifications_mark_read(actor=self.actor, ids=[notification.pk])
        notification.refresh_from_db(fields=["read_at"])
        return Response(NotificationSerializer(notification).data)


ACTIVITY_REFERENCE_VIEWSETS: dict[str, type[ReferenceViewSet]] = {
    "activity-types": ActivityTypeViewSet,
    "outcomes": reference_viewset(Outcome),
}
