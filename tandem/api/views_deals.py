"""REST API of the sales pipeline: deals (with the move between stages), pipelines, stages, products,
currencies and the deal reference lists. Thin: an access helper or selector plus one service call."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from tandem.accounts.models import User
from tandem.accounts.visibility import scope_parts
from tandem.api.errors import ApiError
from tandem.api.filters import SelectorFilterBackend, validated_filterset
from tandem.api.filters_deals import DealFilterSet, ProductFilterSet, StageFilterSet
from tandem.api.pagination import IdCursorPagination
from tandem.api.serializers_deals import (
    CurrencySerializer,
    DealMoveSerializer,
    DealSerializer,
    EmptySerializer,
    PipelineSerializer,
    ProductSerializer,
    StageSerializer,
    StaleErrorSerializer,
)
from tandem.api.views import ApiView, ReferenceViewSet, reference_viewset
from tandem.core.errors import PermissionDenied
from tandem.deals.models import (
    Currency,
    Deal,
    DealContact,
    LostReason,
    Pipeline,
    Product,
    ProductCategory,
    Stage,
)
from tandem.deals.selectors import DEAL_SORTS, DealFilters, deal_get_for_user, deal_list
from tandem.deals.services import (
    ContactInput,
    LineInput,
    deal_create,
    deal_move,
    deal_take,
    deal_trash,
    deal_update,
    product_save,
)

ID_REGEX = r"[0-9]{1,18}"


def _refuse_query_parameters(request: Request) -> None:
    if request.query_params:
        message = _("This list takes no query parameters.")
        fields = {name: [message] for name in sorted(request.query_params)}
        raise ApiError("unknown_filter", message, fields=fields)


@extend_schema_view(
    list=extend_schema(summary="List the deals you can see (cursor-paginated, filterable)"),
    retrieve=extend_schema(summary="One deal with its lines and contacts (404 if you may not see it)"),
    create=extend_schema(summary="Create a deal"),
    update=extend_schema(summary="Replace a deal's fields (not its stage: use move)"),
    partial_update=extend_schema(summary="Change some fields of a deal (not its stage: use move)"),
    destroy=extend_schema(summary="Move a deal to the trash"),
)
class DealViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
    ApiView,
):
    """Deals you can see. DELETE moves a deal to the trash (it can be restored in the web UI)."""

    serializer_class = DealSerializer
    lookup_value_regex = ID_REGEX
    pagination_class = IdCursorPagination
    filter_backends = [SelectorFilterBackend]
    filterset_class = DealFilterSet
    ordering_choices = DEAL_SORTS

    @property
    def actor(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def scope_parts(self) -> list[Q]:
        """Disjoint pieces of the visible rows, each paged along its own index (see pagination)."""
        return scope_parts(self.actor, Deal)

    def _visible(self, filters: DealFilters) -> QuerySet[Deal]:
        return deal_list(actor=self.actor, filters=filters).prefetch_related(
            "lines", Prefetch("deal_contacts", queryset=DealContact.objects.select_related("contact"))
        )

    def get_queryset(self) -> QuerySet[Deal]:
        if getattr(self, "swagger_fake_view", False):
            return Deal.objects.none()
        if self.action == "list":
            filterset = validated_filterset(self.request, DealFilterSet, Deal.objects.none())
            return self._visible(filterset.deal_filters())  # type: ignore[attr-defined]
        return self._visible(DealFilters())

    def _fresh(self, deal: Deal) -> Deal:
        """The deal as lists show it, after a write (still the deal itself if no longer visible)."""
        return self._visible(DealFilters()).filter(pk=deal.pk).first() or deal

    def _respond(self, deal: Deal, status: int = 200) -> Response:
        return Response(self.get_serializer(self._fresh(deal)).data, status=status)

    def _split(self, validated: dict[str, Any]) -> dict[str, Any]:
        """The service's keyword arguments from the serializer's output."""
        data = dict(validated)
        lines, contacts = data.pop("lines", None), data.pop("deal_contacts", None)
        arguments: dict[str, Any] = {"actor": self.actor, "data": data}
        if lines is not None:
            arguments["lines"] = [
                LineInput(
                    name=item.get("name", ""),
                    quantity=item["quantity"],
                    unit_price=item["unit_price"],
                    discount_percent=item.get("discount_percent", 0),
                    product=item.get("product"),
                )
                for item in lines
            ]
        if contacts is not None:
            arguments["contacts"] = [
                ContactInput(contact=item["contact"], role=item.get("role", "")) for item in contacts
            ]
        return arguments

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._respond(deal_get_for_user(user=self.actor, pk=kwargs["pk"]))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        arguments = self._split(serializer.validated_data)
        stage = arguments["data"].pop("stage", None)
        deal = deal_create(**arguments, stage=stage)
        return self._respond(deal, status=201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        deal = deal_get_for_user(user=self.actor, pk=kwargs["pk"], for_write=True)
        stage = request.data.get("stage") if hasattr(request.data, "get") else None
        if stage is not None and str(stage) != str(deal.stage_id):
            message = "The stage changes only by a move: POST /api/v1/deals/{id}/move/."
            raise ApiError("stage_change_not_allowed", message, fields={"stage": [message]})
        serializer = self.get_serializer(deal, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        arguments = self._split(serializer.validated_data)
        data = arguments["data"]
        data.pop("stage", None)
        for name in ("owner", "pipeline"):
            # Sending back what the GET returned is not a hand-over nor a pipeline change.
            if name in data and data[name].pk == getattr(deal, f"{name}_id"):
                del data[name]
        deal = deal_update(deal=deal, **arguments)
        return self._respond(deal)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        deal = deal_get_for_user(user=self.actor, pk=kwargs["pk"], for_write=True)
        deal_trash(actor=self.actor, deal=deal)
        return Response(status=204)

    @extend_schema(
        request=DealMoveSerializer,
        responses={200: DealSerializer, 409: StaleErrorSerializer},
        summary="Move a deal to another stage of its pipeline",
        description="Refused with 400 `missing_fields` (the error's `fields` name exactly what the stage "
        "still needs; send them in `fields`), `stage_other_pipeline`, `stage_archived` or "
        "`lost_reason_required`, and with 409 `stale` when `expected_stage` is no longer where the deal "
        "is. Nothing changes on a refusal.",
    )
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        deal = deal_get_for_user(user=self.actor, pk=pk, for_write=True)
        serializer = DealMoveSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        validated = serializer.validated_data
        deal = deal_move(
            actor=self.actor,
            deal=deal,
            stage=validated["stage"],
            fields=validated.get("fields"),
            lost_reason=validated.get("lost_reason"),
            expected_stage=validated.get("expected_stage"),
        )
        return self._respond(deal)

    @extend_schema(
        request=EmptySerializer,
        responses=DealSerializer,
        summary="Take an inbound request: the deal becomes yours",
    )
    @action(detail=True, methods=["post"])
    def take(self, request: Request, pk: str) -> Response:
        deal = deal_get_for_user(user=self.actor, pk=pk)
        EmptySerializer(data=request.data or {}).is_valid(raise_exception=True)
        deal = deal_take(actor=self.actor, deal=deal)
        return self._respond(deal)


@extend_schema_view(
    list=extend_schema(summary="The sales pipelines with their stages in order"),
    retrieve=extend_schema(summary="One pipeline with its stages"),
)
class PipelineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet, ApiView):
    """Pipelines (small: returned whole, not paginated). Every role reads them."""

    serializer_class = PipelineSerializer
    pagination_class = None
    lookup_value_regex = ID_REGEX

    def get_queryset(self) -> QuerySet[Pipeline]:
        stages = Stage.objects.order_by("position", "id")
        return Pipeline.objects.prefetch_related(Prefetch("stages", queryset=stages)).order_by(
            "position", "id"
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _refuse_query_parameters(request)
        return super().list(request, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(summary="Stages of all pipelines (or of one: ?pipeline=)"),
    retrieve=extend_schema(summary="One stage"),
)
class StageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet, ApiView):
    """Pipeline stages in board order, archived ones included (flagged)."""

    serializer_class = StageSerializer
    pagination_class = None
    lookup_value_regex = ID_REGEX
    filter_backends = [SelectorFilterBackend]
    filterset_class = StageFilterSet

    def get_queryset(self) -> QuerySet[Stage]:
        stages = Stage.objects.order_by("pipeline__position", "pipeline_id", "position", "id")
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return stages
        filterset = validated_filterset(self.request, StageFilterSet, stages, paginated=False)
        pipeline = filterset.form.cleaned_data.get("pipeline")
        return stages.filter(pipeline_id=pipeline) if pipeline else stages


@extend_schema_view(
    list=extend_schema(summary="Products (cursor-paginated, filterable)"),
    retrieve=extend_schema(summary="One product"),
    create=extend_schema(summary="Add a product (administrators)"),
    update=extend_schema(summary="Replace a product's fields (administrators)"),
    partial_update=extend_schema(summary="Change some fields of a product (administrators)"),
)
class ProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
    ApiView,
):
    """The product catalogue every role reads; only roles that may change products write it."""

    serializer_class = ProductSerializer
    lookup_value_regex = ID_REGEX
    pagination_class = IdCursorPagination
    filter_backends = [SelectorFilterBackend]
    filterset_class = ProductFilterSet
    ordering_choices = {"name": ["name", "id"]}

    def get_queryset(self) -> QuerySet[Product]:
        products = Product.objects.all()
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return products
        filterset = validated_filterset(self.request, ProductFilterSet, products)
        return filterset.narrow(products)  # type: ignore[attr-defined, no-any-return]

    def _require_change(self) -> None:
        # Checked before validation so a refused role learns that first, not a field error.
        if not self.request.user.has_perm("deals.change_product"):  # type: ignore[union-attr]
            raise PermissionDenied(_("Only administrators can change products."))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require_change()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = product_save(actor=request.user, product=None, data=dict(serializer.validated_data))  # type: ignore[arg-type]
        return Response(self.get_serializer(product).data, status=201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require_change()
        product = self.get_object()
        serializer = self.get_serializer(product, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        product = product_save(actor=request.user, product=product, data=data)  # type: ignore[arg-type]
        return Response(self.get_serializer(product).data)


@extend_schema_view(
    list=extend_schema(summary="Currencies and their rates to the base currency"),
    retrieve=extend_schema(summary="One currency"),
)
class CurrencyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet, ApiView):
    """Currencies (read-only; administrators maintain rates in the web UI)."""

    serializer_class = CurrencySerializer
    pagination_class = None
    lookup_value_regex = r"[A-Za-z]{3}"

    def get_queryset(self) -> QuerySet[Currency]:
        return Currency.objects.order_by("code")

    def get_object(self) -> Currency:
        self.kwargs["pk"] = str(self.kwargs["pk"]).upper()
        return super().get_object()  # type: ignore[no-any-return]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _refuse_query_parameters(request)
        return super().list(request, *args, **kwargs)


DEAL_REFERENCE_VIEWSETS: dict[str, type[ReferenceViewSet]] = {
    "product-categories": reference_viewset(ProductCategory),
    "lost-reasons": reference_viewset(LostReason),
}
