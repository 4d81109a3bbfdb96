"""Measure server-side time of Tandem's hot requests against a generated database (`bench.generate`).

    python -m bench.run [--requests 40] [--warmup 5] [--only REGEX] [--json FILE]
                        [--explain REGEX] [--profile DIR]

Everything runs in this process, as a web worker would: each measured request starts from a fresh
`User` row (as the auth middleware loads it) and ends when every row the page shows, with its related
rows, is in memory. Two layers are measured:

* `selector`: the selectors + keyset pagination + card/history reads, evaluated without templates;
* `view`: the real views through `django.test.Client` (force_login), rendering included — only once
  the URL names exist (`contact_list`, `contact_detail`, `company_detail`, `company_list`).

Always exits 0: this is a report; FAIL lines say what is over budget.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime
import gc
import json
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import setup_django
from bench.activities import activity_scenarios, activity_view_scenarios
from bench.analytics import analytics_scenarios, analytics_view_scenarios
from bench.integrations import integration_view_scenarios

BUDGET_MS = 100.0
RSS_BUDGET_MB = 300.0


@dataclass
class Scenario:
    name: str
    layer: str  # "selector" or "view"
    run: Callable[[int], Any]  # the i-th request; vary the inputs with i
    budget_ms: float = BUDGET_MS


@dataclass
class Result:
    name: str
    layer: str
    requests: int
    median_ms: float
    p95_ms: float
    max_ms: float
    queries: float
    budget_ms: float
    passed: bool
    note: str = ""
    samples_ms: list[float] = field(default_factory=list)


def memory_mb() -> dict[str, float]:
    values: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            values[key] = int(rest.split()[0]) / 1024
    return values


class QueryCounter:
    """Counts statements cheaply (no SQL kept) through a connection execute wrapper."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


# --------------------------------------------------------------------------------------------------
# Samples drawn from the generated data
# --------------------------------------------------------------------------------------------------


def national(e164: str) -> str:
    """+359888123456 -> '0888 123 456', the way people type Bulgarian mobiles."""
    nsn = e164[4:]
    return f"0{nsn[:3]} {nsn[3:6]} {nsn[6:]}"


class Samples:
    def __init__(self) -> None:
        from tandem.accounts.models import User
        from tandem.accounts.roles import Role
        from tandem.contacts.models import ClientCategory, Company, Contact, Phone, Tag

        self.admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()
        self.heads = list(User.objects.filter(role=Role.HEAD, is_active=True).order_by("id"))
        self.reps = list(User.objects.filter(role=Role.REP, is_active=True).order_by("id"))
        if not (self.admin and self.heads and self.reps):
            sys.exit("No generated data here: run `python -m bench.generate` against this database first.")
        self.team_reps = {
            head.pk: list(
                User.objects.filter(team_id=head.team_id, role=Role.REP).values_list("id", flat=True)
            )
            for head in self.heads
        }
        self.tags = list(Tag.objects.values_list("id", flat=True))
        self.categories = list(ClientCategory.objects.values_list("id", flat=True))
        # Cards: contacts of each rep, companies of each head's team (the key accounts first: most contacts).
        self.rep_contacts = {
            rep.pk: list(
                Contact.objects.filter(owner=rep, deleted_at__isnull=True, company__isnull=False)
                .order_by("id")
                .values_list("id", flat=True)[:20]
            )
            for rep in self.reps[:8]
        }
        self.head_companies = {
            head.pk: list(
                Company.objects.filter(owner_id__in=self.team_reps[head.pk], deleted_at__isnull=True)
                .order_by("id")
                .values_list("id", flat=True)[:20]
            )
            for head in self.heads
        }
        # Phones a rep would look up: their own contacts' Bulgarian mobiles.
        self.rep_phones: dict[int, list[str]] = {}
        for rep in self.reps[:8]:
            contact_ids = list(
                Contact.objects.filter(owner=rep, deleted_at__isnull=True)
                .order_by("-id")
                .values_list("id", flat=True)[:200]
            )
            numbers = Phone.objects.filter(contact_id__in=contact_ids, e164__startswith="+3598").values_list(
                "e164", flat=True
            )
            self.rep_phones[rep.pk] = [national(number) for number in numbers[:10]]
        self.name_prefixes = [
            "Иван",
            "Петр",
            "Георгиев",
            "Мария Ив",
            "Кузнец",
            "Smith",
            "Анна",
            "Никол",
            "Тодорова",
            "Dav",
        ]

    def rep(self, index: int) -> Any:
        return self.reps[index % min(8, len(self.reps))]

    def head(self, index: int) -> Any:
        return self.heads[index % len(self.heads)]


def fresh(user: Any) -> Any:
    """The user as a request sees it: loaded anew, permission caches empty."""
    from tandem.accounts.models import User

    return User.objects.get(pk=user.pk)


def created_range(index: int) -> tuple[datetime.date, datetime.date]:
    start = datetime.date(2022 + index % 3, 1 + index % 6, 1)
    return start, start + datetime.timedelta(days=180)


# --------------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------------


def touch_contacts(rows: list[Any]) -> None:
    """What the list template reads from each row."""
    for row in rows:
        str(row)
        str(row.owner)
        if row.company_id:
            str(row.company)
        list(row.phones.all())
        list(row.emails.all())


def touch_card_contacts(rows: list[Any]) -> None:
    """What a company card reads of its contact people."""
    for row in rows:
        str(row)
        str(row.role)
        list(row.phone_list[:1])
        list(row.email_list[:1])


def selector_scenarios(samples: Samples) -> list[Scenario]:
    from tandem.accounts.visibility import scope_parts
    from tandem.contacts.models import Company, Contact
    from tandem.contacts.selectors import (
        COMPANY_SORTS,
        CONTACT_SORTS,
        ListFilters,
        company_card,
        company_contacts,
        company_list,
        contact_card,
        contact_list,
        global_search,
        list_parts,
        visible_company_or_none,
    )
    from tandem.core.pagination import count_rows, paginate
    from tandem.history.selectors import event_list_for_card

    counting = {"on": False}

    def contacts_page(user: Any, filters: Any = None, sort: str = "name") -> None:
        actor = fresh(user)
        searching = bool(filters and filters.search)
        # As the list view does: a search is listed newest first.
        queryset = contact_list(actor=actor, filters=filters)
        parts = list_parts(actor, queryset, filters or ListFilters())
        if counting["on"]:
            # The list's "N found", which the page fetches in a request of its own after the rows.
            count_rows(queryset, parts)
            return
        ordering = CONTACT_SORTS["recent" if searching else sort]
        page = paginate(queryset, ordering=ordering, cursor=None, parts=parts, count=False)
        touch_contacts(page.rows)

    def count_of(run: Callable[[int], None]) -> Callable[[int], None]:
        def counted(index: int) -> None:
            counting["on"] = True
            try:
                run(index)
            finally:
                counting["on"] = False

        return counted

    def contacts_second_page(user: Any) -> None:
        actor = fresh(user)
        parts = scope_parts(actor, Contact)
        first = paginate(contact_list(actor=actor), ordering=CONTACT_SORTS["name"], cursor=None, parts=parts)
        started = time.perf_counter()
        page = paginate(
            contact_list(actor=actor), ordering=CONTACT_SORTS["name"], cursor=first.next_cursor, parts=parts
        )
        touch_contacts(page.rows)
        return time.perf_counter() - started  # type: ignore[return-value]

    def companies_page(user: Any) -> None:
        actor = fresh(user)
        page = paginate(
            company_list(actor=actor),
            ordering=COMPANY_SORTS["name"],
            cursor=None,
            parts=scope_parts(actor, Company),
        )
        for row in page.rows:
            str(row.owner)
            list(row.phones.all())

    def owner_filter(index: int) -> None:
        head = samples.head(index)
        reps = samples.team_reps[head.pk]
        start, end = created_range(index)
        contacts_page(head, ListFilters(owner=reps[index % len(reps)], created_from=start, created_to=end))

    def tag_filter(index: int) -> None:
        start, end = created_range(index)
        contacts_page(
            samples.admin,
            ListFilters(tag=samples.tags[index % len(samples.tags)], created_from=start, created_to=end),
        )

    def tag_filter_rep(index: int) -> None:
        contacts_page(samples.rep(index), ListFilters(tag=samples.tags[index % len(samples.tags)]))

    def category_filter(index: int) -> None:
        start, end = created_range(index)
        category = samples.categories[index % len(samples.categories)]
        contacts_page(samples.head(index), ListFilters(category=category, created_from=start, created_to=end))

    def phone_search(user_for: Callable[[int], Any]) -> Callable[[int], None]:
        def run(index: int) -> None:
            rep = samples.rep(index)
            phones = samples.rep_phones[rep.pk]
            contacts_page(user_for(index), ListFilters(search=phones[index % len(phones)]))

        return run

    def name_search(user_for: Callable[[int], Any]) -> Callable[[int], None]:
        def run(index: int) -> None:
            contacts_page(
                user_for(index), ListFilters(search=samples.name_prefixes[index % len(samples.name_prefixes)])
            )

        return run

    def topbar_search(index: int) -> None:
        text = samples.name_prefixes[index % len(samples.name_prefixes)]
        found = global_search(actor=fresh(samples.rep(index)), text=text)
        touch_contacts(found["contacts"])

    def contact_card_read(index: int) -> None:
        rep = samples.rep(index)
        ids = samples.rep_contacts[rep.pk]
        user = fresh(rep)
        contact = contact_card(user=user, pk=ids[index % len(ids)])
        visible_company_or_none(user=user, company=contact.company)
        list(contact.phones.all()), list(contact.emails.all()), list(contact.tags.all())
        for event in event_list_for_card(record=contact):
            str(event.actor)

    def company_card_read(index: int) -> None:
        head = samples.head(index)
        ids = samples.head_companies[head.pk]
        user = fresh(head)
        company = company_card(user=user, pk=ids[index % len(ids)])
        touch_card_contacts(company_contacts(user=user, company=company))
        for event in event_list_for_card(record=company):
            str(event.actor)

    return [
        Scenario("contact list, rep", "selector", lambda i: contacts_page(samples.rep(i))),
        Scenario("contact list, head", "selector", lambda i: contacts_page(samples.head(i))),
        Scenario("contact list, admin", "selector", lambda i: contacts_page(samples.admin)),
        Scenario(
            "contact list, admin, -created",
            "selector",
            lambda i: contacts_page(samples.admin, sort="-created"),
        ),
        Scenario("contact list page 2, rep", "selector", lambda i: contacts_second_page(samples.rep(i))),
        Scenario("company list, head", "selector", lambda i: companies_page(samples.head(i))),
        Scenario("filter owner+created, head", "selector", owner_filter),
        Scenario("filter tag+created, admin", "selector", tag_filter),
        Scenario("filter tag, rep", "selector", tag_filter_rep),
        Scenario("filter category+created, head", "selector", category_filter),
        Scenario("search phone 0888.., rep", "selector", phone_search(samples.rep)),
        Scenario("search phone 0888.., admin", "selector", phone_search(lambda i: samples.admin)),
        Scenario("search name prefix, rep", "selector", name_search(samples.rep)),
        Scenario("search name prefix, head", "selector", name_search(samples.head)),
        Scenario("search name prefix, admin", "selector", name_search(lambda i: samples.admin)),
        Scenario("top-bar search, rep", "selector", topbar_search),
        Scenario("contact card, rep", "selector", contact_card_read),
        Scenario("company card, head", "selector", company_card_read),
        Scenario("count: contact list, head", "selector", count_of(lambda i: contacts_page(samples.head(i)))),
        Scenario("count: filter owner+created, head", "selector", count_of(owner_filter)),
        Scenario("count: filter tag+created, admin", "selector", count_of(tag_filter)),
        Scenario("count: filter tag, rep", "selector", count_of(tag_filter_rep)),
        Scenario("count: filter category+created, head", "selector", count_of(category_filter)),
        Scenario("count: search name prefix, rep", "selector", count_of(name_search(samples.rep))),
    ]


# --------------------------------------------------------------------------------------------------
# Deals: the board of the benchmarked pipeline (the first one), a move, the list, the card
# --------------------------------------------------------------------------------------------------

BOARD_BUDGET_MS = 300.0


class DealSamples:
    """Open deals of the benchmarked pipeline per owner, and the next stage of each stage."""

    def __init__(self, samples: Samples) -> None:
        from django.db.models import Q

        from tandem.deals.models import Deal, DealContact, Pipeline, Stage

        self.pipeline = Pipeline.objects.order_by("position", "id").first()
        if self.pipeline is None or not Deal.objects.filter(pipeline=self.pipeline).exists():
            raise LookupError("no deals: run `python -m bench.generate --deals-only --deals 500000`")
        opens = list(
            Stage.objects.filter(pipeline=self.pipeline, kind=Stage.Kind.OPEN, is_archived=False).order_by(
                "position", "id"
            )
        )
        # A move without fields: into a stage needing nothing the deal lacks; required ones are filled.
        self.next_stage = {stage.pk: opens[index + 1] for index, stage in enumerate(opens[:-1])}
        self.stages = {stage.pk: stage for stage in opens}
        # Deals that can take the next step with `fields` alone: contacts and lines are not move fields.
        easy = [
            pk
            for pk, after in self.next_stage.items()
            if not {"contacts", "lines"} & set(after.required_fields)
        ]
        movable = Q(stage_id__in=easy) | Q(
            stage_id__in=list(self.next_stage), pk__in=DealContact.objects.values("deal_id")
        )
        self.rep_deals = {
            rep.pk: list(
                Deal.objects.filter(movable, owner=rep, pipeline=self.pipeline, deleted_at__isnull=True)
                .exclude(stage__in=[s for s in opens if "lines" in s.required_fields])
                .values_list("id", flat=True)[:50]
            )
            for rep in samples.reps[:8]
        }
        self.rep_deals = {pk: ids for pk, ids in self.rep_deals.items() if ids}
        self.any_deals = list(
            Deal.objects.filter(deleted_at__isnull=True).order_by("-id").values_list("id", flat=True)[:200]
        )

    def rep_and_deal(self, index: int) -> tuple[int, int]:
        reps = sorted(self.rep_deals)
        rep = reps[index % len(reps)]
        ids = self.rep_deals[rep]
        return rep, ids[(index // len(reps)) % len(ids)]


def touch_deals(rows: list[Any]) -> None:
    """What a card on the board or a list row reads."""
    for row in rows:
        str(row)
        str(row.owner)
        str(row.stage)
        str(row.currency)
        if row.company_id:
            str(row.company)


def deal_scenarios(samples: Samples) -> list[Scenario]:
    from tandem.accounts.visibility import scope_parts
    from tandem.core.pagination import paginate
    from tandem.deals.models import Deal
    from tandem.deals.selectors import DEAL_SORTS, DealFilters, board, deal_card, deal_list
    from tandem.deals.services import MOVE_FIELDS, deal_move

    try:
        deals = DealSamples(samples)
    except LookupError as error:
        print(f"(deal scenarios skipped: {error})")
        return []
    pipeline = deals.pipeline
    reps_by_pk = {rep.pk: rep for rep in samples.reps}

    def board_read(user_for: Callable[[int], Any]) -> Callable[[int], None]:
        def run(index: int) -> None:
            for column in board(actor=fresh(user_for(index)), pipeline=pipeline):
                touch_deals(column.deals)

        return run

    def move(index: int) -> float:
        """Time one move to the next stage (filling what it requires), then move back untimed."""
        rep_id, deal_id = deals.rep_and_deal(index)
        actor = fresh(reps_by_pk[rep_id])
        deal = Deal.objects.get(pk=deal_id)
        here = deals.stages[deal.stage_id]
        target = deals.next_stage[here.pk]
        fields = {
            "amount": deal.amount or 1000,
            "expected_close_date": deal.expected_close_date or datetime.date(2026, 6, 30),
        }
        fields = {
            name: value
            for name, value in fields.items()
            if name in target.required_fields and name in MOVE_FIELDS
        }
        started = time.perf_counter()
        deal_move(actor=actor, deal=deal, stage=target, fields=fields, expected_stage=here)
        elapsed = time.perf_counter() - started
        deal_move(actor=actor, deal=deal, stage=here, expected_stage=target)
        return elapsed

    def list_page(user_for: Callable[[int], Any], status: str = "") -> Callable[[int], None]:
        def run(index: int) -> None:
            actor = fresh(user_for(index))
            page = paginate(
                deal_list(actor=actor, filters=DealFilters(status=status)),
                ordering=DEAL_SORTS["-updated"],
                cursor=None,
                parts=scope_parts(actor, Deal),
            )
            touch_deals(page.rows)

        return run

    def card(index: int) -> None:
        rep_id, deal_id = deals.rep_and_deal(index)
        shown = deal_card(user=fresh(reps_by_pk[rep_id]), pk=deal_id)
        touch_deals([shown])
        [(line.name, line.product) for line in shown.lines.all()]
        [str(link.contact) for link in shown.deal_contacts.all()]
        [(change.from_stage, change.to_stage, change.actor) for change in shown.stage_changes.all()]

    reps_by_pk = {rep.pk: rep for rep in samples.reps}

    scenarios = [
        Scenario("board, rep", "selector", board_read(samples.rep), BOARD_BUDGET_MS),
        Scenario("board, head", "selector", board_read(samples.head), BOARD_BUDGET_MS),
        Scenario("board, admin", "selector", board_read(lambda i: samples.admin), BOARD_BUDGET_MS),
        Scenario("deal move, rep", "selector", move),
        Scenario("deal list, rep", "selector", list_page(samples.rep)),
        Scenario("deal list, head", "selector", list_page(samples.head)),
        Scenario("deal list, admin", "selector", list_page(lambda i: samples.admin)),
        Scenario("deal list open, admin", "selector", list_page(lambda i: samples.admin, "open")),
        Scenario("deal card, rep", "selector", card),
    ]
    return scenarios


def deal_view_scenarios(samples: Samples, get: Callable[..., None]) -> list[Scenario]:
    try:
        deals = DealSamples(samples)
    except LookupError:
        return []
    scenarios = []
    board_url = url_or_none("board")
    if board_url:
        for label, user_for in (
            ("rep", samples.rep),
            ("head", samples.head),
            ("admin", lambda i: samples.admin),
        ):
            scenarios.append(
                Scenario(
                    f"board, {label}",
                    "view",
                    lambda i, user_for=user_for: get(user_for(i), board_url, {"pipeline": deals.pipeline.pk}),
                    BOARD_BUDGET_MS,
                )
            )
    list_url = url_or_none("deal_list")
    if list_url:
        scenarios.append(Scenario("deal list, rep", "view", lambda i: get(samples.rep(i), list_url)))
        scenarios.append(Scenario("deal list, admin", "view", lambda i: get(samples.admin, list_url)))
    if url_or_none("deal_detail", pk=1):
        reps_by_pk = {rep.pk: rep for rep in samples.reps}

        def detail(index: int) -> None:
            rep_id, deal_id = deals.rep_and_deal(index)
            get(reps_by_pk[rep_id], url_or_none("deal_detail", pk=deal_id) or "")

        scenarios.append(Scenario("deal card, rep", "view", detail))
    return scenarios


def _cache_setting() -> str:
    """The database's own page cache, which decides whether a broad search's probes stay in memory."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW shared_buffers")
            return f" (shared_buffers {cursor.fetchone()[0]})"
        cursor.execute("PRAGMA cache_size")
        return f" (cache_size {cursor.fetchone()[0]})"


def url_or_none(name: str, **kwargs: Any) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def view_scenarios(samples: Samples) -> list[Scenario]:
    """Full requests through the views, when they exist; otherwise nothing (reported)."""
    from django.conf import settings
    from django.test import Client

    list_url = url_or_none("contact_list")
    if list_url is None:
        return []
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # Pages link hashed static names, as in production (`tandem run` collects them the same way);
    # collected on every run so the manifest matches the code being measured.
    from django.core.management import call_command

    print(f"collectstatic into {settings.STATIC_ROOT}", flush=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    clients: dict[int, Client] = {}

    def client_for(user: Any) -> Client:
        if user.pk not in clients:
            client = Client(raise_request_exception=True)
            client.force_login(user)
            clients[user.pk] = client
        return clients[user.pk]

    # Logged in before timing: a login is not a page view (it took ~60 ms inside the first request of
    # each user, which the rep scenarios met three times in thirty).
    for user in [samples.admin, *samples.heads, *(samples.rep(index) for index in range(8))]:
        client_for(user)

    def get(user: Any, url: str, params: dict[str, Any] | None = None) -> None:
        response = client_for(user).get(url, params or {})
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} {params} as {user}: HTTP {response.status_code}")
        if not response.streaming:
            len(response.content)

    def detail_url(name: str, pk: int) -> str | None:
        return url_or_none(name, pk=pk)

    def phone(index: int) -> str:
        phones = samples.rep_phones[samples.rep(index).pk]
        return phones[index % len(phones)]

    def owner_params(index: int) -> dict[str, Any]:
        head = samples.head(index)
        reps = samples.team_reps[head.pk]
        start, end = created_range(index)
        return {"owner": reps[index % len(reps)], "created_from": start, "created_to": end}

    def tag_params(index: int) -> dict[str, Any]:
        start, end = created_range(index)
        return {"tag": samples.tags[index % len(samples.tags)], "created_from": start, "created_to": end}

    def category_params(index: int) -> dict[str, Any]:
        start, end = created_range(index)
        category = samples.categories[index % len(samples.categories)]
        return {"category": category, "created_from": start, "created_to": end}

    def name_params(index: int) -> dict[str, Any]:
        return {"q": samples.name_prefixes[index % len(samples.name_prefixes)]}

    # (name, user, query): each is the list page, and (with a count URL) the "N found" it fetches after.
    filtered: list[tuple[str, Callable[[int], Any], Callable[[int], dict[str, Any]]]] = [
        ("filter owner+created, head", samples.head, owner_params),
        ("filter tag+created, admin", lambda i: samples.admin, tag_params),
        ("filter category+created, head", samples.head, category_params),
        ("search name prefix, rep", samples.rep, name_params),
        ("search name prefix, admin", lambda i: samples.admin, name_params),
    ]

    def page_of(url: str, user: Callable[[int], Any], params: Callable[[int], dict[str, Any]]) -> Any:
        return lambda i: get(user(i), url, params(i))

    count_url = url_or_none("record_count", kind="contacts")
    scenarios = [
        Scenario("contact list, rep", "view", lambda i: get(samples.rep(i), list_url)),
        Scenario("contact list, head", "view", lambda i: get(samples.head(i), list_url)),
        Scenario("contact list, admin", "view", lambda i: get(samples.admin, list_url)),
        *[Scenario(name, "view", page_of(list_url, user, params)) for name, user, params in filtered],
        *[
            Scenario(f"count: {name}", "view", page_of(count_url, user, params))
            for name, user, params in filtered
            if count_url
        ],
        Scenario(
            "search phone 0888.., rep", "view", lambda i: get(samples.rep(i), list_url, {"q": phone(i)})
        ),
    ]
    company_list_url = url_or_none("company_list")
    if company_list_url:
        scenarios.append(
            Scenario("company list, head", "view", lambda i: get(samples.head(i), company_list_url))
        )

    def contact_detail(index: int) -> None:
        rep = samples.rep(index)
        ids = samples.rep_contacts[rep.pk]
        url = detail_url("contact_detail", ids[index % len(ids)])
        assert url is not None
        get(rep, url)

    def company_detail(index: int) -> None:
        head = samples.head(index)
        ids = samples.head_companies[head.pk]
        url = detail_url("company_detail", ids[index % len(ids)])
        assert url is not None
        get(head, url)

    if detail_url("contact_detail", 1):
        scenarios.append(Scenario("contact card, rep", "view", contact_detail))
    if detail_url("company_detail", 1):
        scenarios.append(Scenario("company card, head", "view", company_detail))
    scenarios += deal_view_scenarios(samples, get) + activity_view_scenarios(samples, get)
    scenarios += integration_view_scenarios(samples) + analytics_view_scenarios(samples)
    return scenarios


# --------------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------------


def measure(scenario: Scenario, requests: int, warmup: int, profile: Path | None = None) -> Result:
    from django.db import connection

    counter = QueryCounter()
    for index in range(warmup):
        scenario.run(1000 + index)
    samples: list[float] = []
    profiler = cProfile.Profile() if profile else None
    with connection.execute_wrapper(counter), profiler or contextlib.nullcontext():
        for index in range(requests):
            started = time.perf_counter()
            inner = scenario.run(index)
            elapsed = time.perf_counter() - started
            # A scenario may time only its own part (page 2 needs page 1's cursor first).
            samples.append((inner if isinstance(inner, float) else elapsed) * 1000)
    if profiler and profile:
        profile.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(profile / (re.sub(r"\W+", "_", f"{scenario.layer} {scenario.name}") + ".prof"))
    median, p95 = statistics.median(samples), percentile(samples, 0.95)
    return Result(
        name=scenario.name,
        layer=scenario.layer,
        requests=requests,
        median_ms=round(median, 2),
        p95_ms=round(p95, 2),
        max_ms=round(max(samples), 2),
        queries=round(counter.count / requests, 1),
        budget_ms=scenario.budget_ms,
        passed=p95 <= scenario.budget_ms,
        samples_ms=[round(value, 2) for value in samples],
    )


def explain(scenario: Scenario) -> None:
    """Print every statement of one request with its plan (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    scenario.run(0)
    with CaptureQueriesContext(connection) as captured:
        scenario.run(1)
    print(f"\n=== {scenario.layer}: {scenario.name} — {len(captured.captured_queries)} statements")
    for query in captured.captured_queries:
        sql = query["sql"]
        print(f"\n--- {query['time']}s\n{sql}")
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                for row in cursor.fetchall():
                    print("   ", row[1], row[3])
            else:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                for (line,) in cursor.fetchall():
                    print("   ", line)


def machine() -> dict[str, Any]:
    from django.db import connection

    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cursor.fetchone()[0]
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "database": f"{connection.vendor} {version}",
    }


def data_size() -> dict[str, int]:
    from tandem.contacts.models import Company, Contact, Phone

    # Estimates are enough here; exact counts are what this project avoids at scale.
    return {
        "contacts": Contact.objects.order_by("-id").values_list("id", flat=True).first() or 0,
        "companies": Company.objects.order_by("-id").values_list("id", flat=True).first() or 0,
        "phones": Phone.objects.order_by("-id").values_list("id", flat=True).first() or 0,
    }


def print_table(results: list[Result], memory: dict[str, float]) -> None:
    header = f"{'layer':<9}{'scenario':<34}{'n':>4}{'median':>9}{'p95':>9}{'max':>9}{'queries':>9}  verdict"
    print(header)
    print("-" * len(header))
    for result in results:
        verdict = "PASS" if result.passed else f"FAIL (> {result.budget_ms:.0f} ms)"
        print(
            f"{result.layer:<9}{result.name:<34}{result.requests:>4}{result.median_ms:>9.1f}{result.p95_ms:>9.1f}"
            f"{result.max_ms:>9.1f}{result.queries:>9.1f}  {verdict}"
            + (f"  {result.note}" if result.note else "")
        )
    rss = memory["VmRSS"]
    verdict = "PASS" if rss <= RSS_BUDGET_MB else f"FAIL (> {RSS_BUDGET_MB:.0f} MB)"
    print("-" * len(header))
    print(
        f"RSS of this web-like process after the requests: {rss:.0f} MB "
        f"(peak {memory['VmHWM']:.0f} MB; anonymous {memory['RssAnon']:.0f} MB, "
        f"file-backed/mmap {memory['RssFile']:.0f} MB)  {verdict}"
    )
    failed = [result for result in results if not result.passed]
    print(
        f"\n{len(results) - len(failed)} PASS, {len(failed)} FAIL"
        + (" — FAIL: " + "; ".join(f"{result.layer} {result.name}" for result in failed) if failed else "")
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="timed requests per scenario (≥30 advised)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--only", default="", help="regex on 'layer: scenario' to run a subset")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--explain", default="", help="regex: print the SQL and plans of matching scenarios")
    parser.add_argument(
        "--profile", type=Path, help="write a cProfile of each scenario's timed requests into this folder"
    )
    args = parser.parse_args(argv)
    setup_django()

    from django.db import connection

    database = f"{connection.vendor}: {connection.settings_dict['NAME']}{_cache_setting()}"
    print(f"Tandem bench on {database}", flush=True)
    samples = Samples()
    scenarios = selector_scenarios(samples) + deal_scenarios(samples) + activity_scenarios(samples)
    scenarios += analytics_scenarios(samples)
    views: list[Scenario] = []
    if not args.only or re.search(args.only, "view: "):
        try:
            views = view_scenarios(samples)
        except Exception as error:
            print(f"(web views skipped: {type(error).__name__}: {str(error).splitlines()[0]})")
        else:
            if not views:
                print(
                    "(web views not available yet: `contact_list` does not resolve; measuring selectors only)"
                )
    scenarios += views
    if args.only:
        scenarios = [s for s in scenarios if re.search(args.only, f"{s.layer}: {s.name}")]
    if args.explain:
        for scenario in scenarios:
            if re.search(args.explain, f"{scenario.layer}: {scenario.name}"):
                explain(scenario)
        return
    results = []
    # As `tandem.wsgi` does once a worker has started: the objects alive now (Django, the samples) are
    # never traced by the cyclic garbage collector again, whose full passes over them cost ~60-100 ms.
    gc.collect()
    gc.freeze()
    for scenario in scenarios:
        try:
            result = measure(scenario, args.requests, args.warmup, args.profile)
        except Exception as error:
            result = Result(
                scenario.name,
                scenario.layer,
                0,
                0,
                0,
                0,
                0,
                scenario.budget_ms,
                False,
                note=f"ERROR {type(error).__name__}: {error}"[:200],
            )
        results.append(result)
        print(
            f"  {result.layer:<9}{result.name:<34} median {result.median_ms:7.1f} ms"
            f"  p95 {result.p95_ms:7.1f} ms"
            f"  {'PASS' if result.passed else 'FAIL'}",
            flush=True,
        )
    memory = memory_mb()
    print()
    print_table(results, memory)
    if args.json:
        payload = {
            "machine": machine(),
            "data": data_size(),
            "budget_ms": BUDGET_MS,
            "rss_mb": round(memory["VmRSS"], 1),
            "rss_peak_mb": round(memory["VmHWM"], 1),
            "rss_anonymous_mb": round(memory["RssAnon"], 1),
            "rss_file_mb": round(memory["RssFile"], 1),
            "rss_budget_mb": RSS_BUDGET_MB,
            "rss_passed": memory["VmRSS"] <= RSS_BUDGET_MB,
            "results": [asdict(result) for result in results],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
