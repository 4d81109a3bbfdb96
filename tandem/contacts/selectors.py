"""Reads of companies and contacts, already scoped to what the acting user may see."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection
from django.db.models import BooleanField, Expression, Prefetch, Q, QuerySet
from django.utils import timezone

from tandem.accounts.models import User
from tandem.accounts.visibility import can, get_visible, scope_parts, scope_q
from tandem.contacts.models import Company, Contact, Email, Phone
from tandem.core.pagination import paginate
from tandem.core.phones import phone_query_digits
from tandem.search.backends import Kind, matching_q, probes_per_record, query_words

Record = TypeVar("Record", Company, Contact)

COMPANY_SORTS = {
    "name": ["name", "id"],
    "-name": ["-name", "-id"],
    "created": ["created_at", "id"],
    "-created": ["-created_at", "-id"],
    "-updated": ["-updated_at", "-id"],
    "recent": ["-id"],
}
CONTACT_SORTS = {
    "name": ["last_name", "first_name", "id"],
    "-name": ["-last_name", "-first_name", "-id"],
    "created": ["created_at", "id"],
    "-created": ["-created_at", "-id"],
    "-updated": ["-updated_at", "-id"],
    "recent": ["-id"],
}


@dataclass
class ListFilters:
    """What a list is narrowed by; the same object serves pages, the API and exports."""

    search: str = ""
    owner: int | None = None
    team: int | None = None
    category: int | None = None
    industry: int | None = None
    tag: int | None = None
    company: int | None = None
    created_from: datetime.date | None = None
    created_to: datetime.date | None = None
    trashed: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def search_q(kind: Kind, text: str) -> Q | None:
    """Rows matching `text` as typed in global search: words as prefixes, or a phone in any format."""
    digits = phone_query_digits(text)
    return matching_q(kind, digits or query_words(text))


def _base(model: type[Record], actor: User, filters: ListFilters, kind: Kind) -> QuerySet[Record]:
    queryset = model.objects.filter(scope_q(actor, model, "view"))
    queryset = queryset.filter(deleted_at__isnull=not filters.trashed)
    if filters.search.strip():
        condition = search_q(kind, filters.search)
        if condition is not None:
            queryset = queryset.filter(condition)
    if filters.owner:
        queryset = queryset.filter(owner_id=filters.owner)
    if filters.team:
        queryset = queryset.filter(owner_id__in=User.objects.filter(team_id=filters.team).values("id"))
    if filters.tag:
        queryset = queryset.filter(_tagged(model, filters.tag))
    # Bounds on the column itself (local midnights, as `__date` would compare in the current time zone)
    # so the created index serves them; `created_at__date` wraps the column in a per-row function.
    if filters.created_from:
        queryset = queryset.filter(created_at__gte=_local_midnight(filters.created_from))
    if filters.created_to and filters.created_to < datetime.date.max:
        next_day = filters.created_to + datetime.timedelta(days=1)
        queryset = queryset.filter(created_at__lt=_local_midnight(next_day))
    return queryset


def _tagged(model: type[Record], tag_id: int) -> Q:
    """Records with the tag: on PostgreSQL by the row's `tag_ids` and its GIN index (migration
    contacts/0008), elsewhere by the link table."""
    if connection.vendor == "postgresql":
        return Q(TaggedWith(tag_id))
    links = model.tags.through.objects.filter(tag_id=tag_id).values_list(
        f"{model._meta.model_name}_id", flat=True
    )
    return Q(pk__in=links)


class TaggedWith(Expression):
    """PostgreSQL: `<record table>.tag_ids @> ARRAY[tag]`, a condition on a column the models do not
    declare, qualified by whatever alias the query gives the record table (a subquery's `U0`)."""

    conditional = True
    output_field = BooleanField()
    matched_as_a_set = True  # see `core.pagination._ordered_for_plan`

    def __init__(self, tag_id: int, alias: str | None = None):
        super().__init__()
        self.tag_id = int(tag_id)
        self.alias = alias

    def resolve_expression(self, query: Any = None, *args: Any, **kwargs: Any) -> TaggedWith:
        return TaggedWith(self.tag_id, query.get_initial_alias())

    def relabeled_clone(self, change_map: Mapping[str, str]) -> TaggedWith:
        return TaggedWith(self.tag_id, change_map.get(self.alias or "", self.alias))

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        table = compiler.quote_name_unless_alias(self.alias)
        return f"{table}.tag_ids @> ARRAY[%s]::bigint[]", [self.tag_id]


def list_parts(actor: User, queryset: QuerySet[Any], filters: ListFilters) -> list[Q]:
    """The visibility parts to page a list by (see `paginate`). A search matched as a set (SQLite's
    FTS5, a selective PostgreSQL search) is listed in one piece, since every part would match it
    again; a broad PostgreSQL search probes each record, so each part walks its own index (a rep's
    own records newest first instead of everyone's)."""
    if filters.search.strip() and not probes_per_record(queryset):
        return []
    return scope_parts(actor, queryset.model)


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _points(as_lists: bool = False) -> list[Prefetch]:
    ordered = {
        "phones": Phone.objects.order_by("position", "id"),
        "emails": Email.objects.order_by("position", "id"),
    }
    return [
        Prefetch(name, queryset=queryset, to_attr=f"{name[:-1]}_list" if as_lists else None)
        for name, queryset in ordered.items()
    ]


def with_point_lists(queryset: QuerySet[Record]) -> QuerySet[Record]:
    """The rows' phones and emails as plain lists, `phone_list` and `email_list`, for a page of rows:
    a prefetch kept on the related manager costs a filtered queryset per row (~30 µs each)."""
    return queryset.prefetch_related(None).prefetch_related(*_points(as_lists=True))


def company_list(*, actor: User, filters: ListFilters | None = None) -> QuerySet[Company]:
    """Companies the actor may see, narrowed by `filters`; unordered (the caller paginates)."""
    filters = filters or ListFilters()
    queryset = _base(Company, actor, filters, Kind.COMPANY)
    if filters.category:
        queryset = queryset.filter(category_id=filters.category)
    if filters.industry:
        queryset = queryset.filter(industry_id=filters.industry)
    return queryset.select_related("owner", "category", "industry").prefetch_related(*_points())


def contact_list(*, actor: User, filters: ListFilters | None = None) -> QuerySet[Contact]:
    filters = filters or ListFilters()
    queryset = _base(Contact, actor, filters, Kind.CONTACT)
    if filters.category:
        queryset = queryset.filter(company_category_id=filters.category)
    if filters.industry:
        queryset = queryset.filter(company__industry_id=filters.industry)
    if filters.company:
        queryset = queryset.filter(company_id=filters.company)
    return queryset.select_related("owner", "company", "role").prefetch_related(*_points())


def company_get_for_user(
    *, user: User, pk: object, for_write: bool = False, trashed: bool = False
) -> Company:
    """The company if `user` may see it (404 otherwise); PermissionDenied if `for_write` and read-only."""
    return get_visible(Company.objects.all(), user=user, pk=pk, for_write=for_write, trashed=trashed)


def contact_get_for_user(
    *, user: User, pk: object, for_write: bool = False, trashed: bool = False
) -> Contact:
    return get_visible(Contact.objects.all(), user=user, pk=pk, for_write=for_write, trashed=trashed)


CARD_PREFETCH = ("phones", "emails", "tags", "shared_with")


def company_card(*, user: User, pk: object) -> Company:
    """A company with everything its card shows, in a constant number of queries."""
    related = Company.objects.select_related("owner", "industry", "category", "channel")
    return get_visible(related.prefetch_related(*CARD_PREFETCH), user=user, pk=pk)


def company_contacts(*, user: User, company: Company, limit: int = 100) -> list[Contact]:
    """The company's contact people the user may see, by name, as its card lists them: their role and
    first phone and email (`phone_list`, `email_list`)."""
    queryset = contact_list(actor=user, filters=ListFilters(company=company.pk))
    queryset = with_point_lists(queryset.select_related(None).select_related("role"))
    return list(queryset.order_by("last_name", "first_name", "id")[:limit])


def contact_card(*, user: User, pk: object) -> Contact:
    related = Contact.objects.select_related("owner", "company", "company__category", "role", "channel")
    return get_visible(related.prefetch_related(*CARD_PREFETCH), user=user, pk=pk)


def visible_company_or_none(*, user: User, company: Company | None) -> Company | None:
    """Hide a contact's company on its card when the viewer may not see that company."""
    if company is None or company.is_deleted or not can(user, "view", company):
        return None
    return company


def global_search(*, actor: User, text: str, limit: int = 8) -> dict[str, list]:
    """Contacts and companies for the top-bar search; empty for fewer than two characters."""
    if len(text.strip()) < 2:
        return {"contacts": [], "companies": []}
    filters = ListFilters(search=text)
    # Newest first: ordering a common prefix's matches (tens of thousands of "Иван…") by name
    # sorts them all, while the id order lets the database stop at the first visible matches.
    found = {}
    for key, queryset, ordering in (
        ("contacts", contact_list(actor=actor, filters=filters), CONTACT_SORTS["recent"]),
        ("companies", company_list(actor=actor, filters=filters), COMPANY_SORTS["recent"]),
    ):
        parts = list_parts(actor, queryset, filters)
        page = paginate(queryset, ordering=ordering, cursor=None, size=limit, parts=parts, count=False)
        found[key] = page.rows
    return found
