"""REST API views: thin, each one access helper or selector plus at most one service call."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar

import django_filters
from django.conf import settings
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tandem.accounts.models import User
from tandem.accounts.roles import ROLE_CHOICES
from tandem.accounts.selectors import user_directory
from tandem.accounts.visibility import scope_parts
from tandem.api.errors import ApiError
from tandem.api.filters import (
    CompanyFilterSet,
    ContactFilterSet,
    RecordFilterSet,
    SelectorFilterBackend,
    id_filter,
    list_filters_from,
    validated_filterset,
)
from tandem.api.pagination import IdCursorPagination
from tandem.api.parsers import LimitedJSONParser
from tandem.api.permissions import TokenScopePermission
from tandem.api.schema import TandemAutoSchema, docs_context
from tandem.api.serializers import (
    CompanySerializer,
    ContactSerializer,
    MeSerializer,
    ReferenceItemSerializer,
    UserSerializer,
)
from tandem.api.throttling import TokenRateThrottle
from tandem.contacts import selectors
from tandem.contacts.models import Channel, ClientCategory, Company, Contact, ContactRole, Industry, Tag
from tandem.contacts.selectors import COMPANY_SORTS, CONTACT_SORTS, ListFilters
from tandem.contacts.services import (
    EmailInput,
    PhoneInput,
    company_create,
    company_update,
    contact_create,
    contact_update,
    record_trash,
    tag_get_or_create,
)


class ApiView(APIView):
    """What every endpoint shares: JSON in (size-limited) and out, auth, token scope, error schema."""

    parser_classes = [LimitedJSONParser]
    permission_classes = [IsAuthenticated, TokenScopePermission]
    throttle_classes = [TokenRateThrottle]
    schema = TandemAutoSchema()


class MeView(ApiView):
    @extend_schema(responses=MeSerializer, summary="The user the request is authenticated as")
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        return Response(MeSerializer(user).data)


class RecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
    ApiView,
):
    """Companies and contacts: the same shape over their own selectors and services.

    DELETE moves the record to the trash (it can be restored in the web UI).
    """

    lookup_value_regex = r"[0-9]{1,18}"
    pagination_class = IdCursorPagination
    filter_backends = [SelectorFilterBackend]
    model: ClassVar[type[Company] | type[Contact]]
    filterset_class: ClassVar[type[RecordFilterSet]]
    ordering_choices: ClassVar[dict[str, list[str]]]
    list_selector: ClassVar[Callable[..., QuerySet[Any]]]
    get_for_user: ClassVar[Callable[..., Any]]
    create_service: ClassVar[Callable[..., Any]]
    update_service: ClassVar[Callable[..., Any]]

    @property
    def actor(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def scope_parts(self) -> list[Q]:
        """Disjoint pieces of the visible rows, each paged along its own index (see pagination)."""
        return scope_parts(self.actor, type(self).model)

    def _visible(self, filters: ListFilters) -> QuerySet[Any]:
        # Tags are not in the selectors' prefetches; adding them keeps the list constant-query.
        return type(self).list_selector(actor=self.actor, filters=filters).prefetch_related("tags")

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        if self.action == "list":
            none = self.model._default_manager.none()
            return self._visible(list_filters_from(self.request, self.filterset_class, none))
        return self._visible(ListFilters())

    def _fresh(self, record: Model) -> Model:
        """The record as lists show it, after a write (still the record itself if no longer visible)."""
        return self._visible(ListFilters()).filter(pk=record.pk).first() or record

    def _service_arguments(self, validated: dict[str, Any]) -> dict[str, Any]:
        data = dict(validated)
        phones, emails, tag_names = data.pop("phones", None), data.pop("emails", None), data.pop("tags", None)
        arguments: dict[str, Any] = {"actor": self.actor, "data": data}
        if phones is not None:
            arguments["phones"] = [
                PhoneInput(number=item["number"], label=item.get("label", "")) for item in phones
            ]
        if emails is not None:
            arguments["emails"] = [
                EmailInput(address=item["address"], label=item.get("label", "")) for item in emails
            ]
        if tag_names is not None:
            tags = [tag_get_or_create(actor=self.actor, name=name) for name in tag_names]
            arguments["tags"] = list({tag.pk: tag for tag in tags}.values())
        return arguments

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            record = type(self).create_service(**self._service_arguments(serializer.validated_data))
        return Response(self.get_serializer(self._fresh(record)).data, status=201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = type(self).get_for_user(user=self.actor, pk=kwargs["pk"], for_write=True)
        serializer = self.get_serializer(record, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        validated = dict(serializer.validated_data)
        if "owner" in validated and validated["owner"].pk == record.owner_id:
            # Sending back the owner unchanged is not a hand-over (a colleague may edit a shared record).
            del validated["owner"]
        key = str(self.model._meta.model_name)
        with transaction.atomic():
            arguments = self._service_arguments(validated)
            record = type(self).update_service(**{key: record}, **arguments)
        return Response(self.get_serializer(self._fresh(record)).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = type(self).get_for_user(user=self.actor, pk=kwargs["pk"], for_write=True)
        record_trash(actor=self.actor, record=record)
        return Response(status=204)


def record_summaries(plural: str, singular: str) -> Any:
    """One-line summaries of a record endpoint's operations for the schema and the docs page."""
    return extend_schema_view(
        list=extend_schema(summary=f"List the {plural} you can see (cursor-paginated, filterable)"),
        retrieve=extend_schema(summary=f"One {singular} (404 if you may not see it)"),
        create=extend_schema(summary=f"Create a {singular}"),
        update=extend_schema(summary=f"Replace a {singular}'s fields (required fields must be sent)"),
        partial_update=extend_schema(summary=f"Change some fields of a {singular}"),
        destroy=extend_schema(summary=f"Move a {singular} to the trash"),
    )


@record_summaries("companies", "company")
class CompanyViewSet(RecordViewSet):
    """Companies (legal entities) you can see."""

    model = Company
    serializer_class = CompanySerializer
    filterset_class = CompanyFilterSet
    ordering_choices = COMPANY_SORTS
    list_selector = staticmethod(selectors.company_list)
    get_for_user = staticmethod(selectors.company_get_for_user)
    create_service = staticmethod(company_create)
    update_service = staticmethod(company_update)


@record_summaries("contacts", "contact")
class ContactViewSet(RecordViewSet):
    """Contacts (people) you can see, with or without a company."""

    model = Contact
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    ordering_choices = CONTACT_SORTS
    list_selector = staticmethod(selectors.contact_list)
    get_for_user = staticmethod(selectors.contact_get_for_user)
    create_service = staticmethod(contact_create)
    update_service = staticmethod(contact_update)


class ReferenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet, ApiView):
    """An admin-maintained list everyone reads (small: returned whole, not paginated)."""

    serializer_class = ReferenceItemSerializer
    pagination_class = None
    lookup_value_regex = r"[0-9]{1,18}"
    model: ClassVar[type[Model]]

    def get_queryset(self) -> QuerySet[Any]:
        # Reference lists hold no owned data: every role reads all of them, so there is no scope to apply.
        return self.model._default_manager.order_by("position", "name", "id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if request.query_params:
            message = _("This list takes no query parameters.")
            fields = {name: [message] for name in sorted(request.query_params)}
            raise ApiError("unknown_filter", message, fields=fields)
        return super().list(request, *args, **kwargs)


def reference_viewset(reference_model: type[Model]) -> type[ReferenceViewSet]:
    plural = str(reference_model._meta.verbose_name_plural)
    return type(
        f"{reference_model.__name__}ViewSet",
        (ReferenceViewSet,),
        {"model": reference_model, "__doc__": f"The {plural} list."},
    )


REFERENCE_VIEWSETS = {
    "tags": reference_viewset(Tag),
    "industries": reference_viewset(Industry),
    "client-categories": reference_viewset(ClientCategory),
    "contact-roles": reference_viewset(ContactRole),
    "channels": reference_viewset(Channel),
}


class UserFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(max_length=200, help_text="A fragment of the name or email.")
    team = id_filter("Team id.")
    role = django_filters.ChoiceFilter(choices=ROLE_CHOICES, help_text="Role.")


@extend_schema_view(
    list=extend_schema(summary="List the active users (cursor-paginated, filterable)"),
    retrieve=extend_schema(summary="One active user (404 for a deactivated or unknown one)"),
)
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet, ApiView):
    """Colleagues: the people records can be owned by and activities assigned to. Read-only."""

    serializer_class = UserSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    pagination_class = IdCursorPagination
    filter_backends = [SelectorFilterBackend]
    filterset_class = UserFilterSet
    ordering_choices = {"full_name": ["full_name", "id"]}

    def get_queryset(self) -> QuerySet[User]:
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        if self.action != "list":
            return user_directory()
        data = validated_filterset(self.request, UserFilterSet, User.objects.none()).form.cleaned_data
        return user_directory(
            query=data.get("search") or "", team=data.get("team"), role=data.get("role") or ""
        )


@functools.lru_cache(maxsize=1)
def _cached_schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """The API reference as a plain server-rendered page: no Swagger UI, nothing from a CDN."""
    schema = SchemaGenerator().get_schema(request=None, public=True) if settings.DEBUG else _cached_schema()
    return render(request, "api/docs.html", docs_context(schema))
