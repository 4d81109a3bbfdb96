"""Bench scenarios of issue 4: card timelines, My day, the calendar and the escalation sweep.

Needs activities (`python -m bench.generate_activities`); skipped with a note otherwise.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

SWEEP_BUDGET_MS = 5000.0


class ActivitySamples:
    """Cards with activities (ordinary ones and the heavy key account) and reps with open items."""

    def __init__(self, samples: Any) -> None:
        from tandem.activities.models import Activity
        from tandem.contacts.models import Company, Contact
        from tandem.deals.models import Deal

        newest = Activity.objects.order_by("-id").values_list("id", flat=True).first()
        if newest is None:
            raise LookupError("no activities: run `python -m bench.generate_activities`")
        step = max(1, newest // 400)
        rows = list(
            Activity.objects.filter(id__in=range(1, newest + 1, step)).values_list(
                "deal_id", "contact_id", "company_id"
            )
        )
        self.deals = sorted({deal for deal, _, _ in rows if deal})[:100]
        self.contacts = sorted({contact for _, contact, _ in rows if contact})[:100]
        self.companies = sorted({company for _, _, company in rows if company})[:100]
        heavy = (
            Activity.objects.filter(deal__isnull=True, contact__isnull=True)
            .values_list("company_id", flat=True)
            .first()
        )
        self.heavy_company = Company.objects.get(pk=heavy) if heavy else None
        busiest = Activity.objects.filter(deal_id=self.deals[0]).values_list("deal_id", flat=True).first()
        self.deal_model, self.contact_model, self.company_model = Deal, Contact, Company
        self.reps = samples.reps
        self.heads = samples.heads
        self.busiest_deal = busiest


def activity_scenarios(samples: Any) -> list[Any]:
    from bench.run import Scenario, fresh
    from tandem.activities.selectors import calendar_items, my_day, timeline_for_card

    try:
        data = ActivitySamples(samples)
    except LookupError as error:
        print(f"(activity scenarios skipped: {error})")
        return []

    def touch(entries: list[Any]) -> None:
        for entry in entries:
            if entry.activity is not None:
                item = entry.activity
                (str(item.type), str(item.assignee), item.outcome, item.deal, item.contact, item.company)
                list(item.attachments.all())
            else:
                (str(entry.event.actor), entry.event.target_type)

    def timeline(model: type, ids: list[int]) -> Callable[[int], None]:
        def run(index: int) -> None:
            record = model.objects.get(pk=ids[index % len(ids)])
            touch(timeline_for_card(record=record))

        return run

    def heavy(index: int) -> None:
        touch(timeline_for_card(record=data.company_model.objects.get(pk=data.heavy_company.pk)))

    def day(user_for: Callable[[int], Any]) -> Callable[[int], None]:
        def run(index: int) -> None:
            user = fresh(user_for(index))
            shown = my_day(user=user)
            for item in shown.overdue + shown.today + shown.upcoming:
                (str(item.type), item.deal, item.contact, item.company)

        return run

    def week(index: int) -> None:
        rep = fresh(samples.rep(index))
        start = datetime.datetime.now(tz=datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start -= datetime.timedelta(days=start.weekday())
        for item in calendar_items(actor=rep, start=start, end=start + datetime.timedelta(days=7)):
            (str(item.type), item.deal)

    scenarios = [
        Scenario("timeline deal card", "selector", timeline(data.deal_model, data.deals)),
        Scenario("timeline contact card", "selector", timeline(data.contact_model, data.contacts)),
        Scenario("timeline company card", "selector", timeline(data.company_model, data.companies)),
        Scenario("my day, rep", "selector", day(samples.rep)),
        Scenario("calendar week, rep", "selector", week),
    ]
    if data.heavy_company is not None:
        scenarios.append(Scenario("timeline key account", "selector", heavy))
    try:
        from tandem.activities.escalation import escalation_sweep  # type: ignore[attr-defined]
    except ImportError:
        print("(escalation sweep not available yet)")
    else:

        def sweep(index: int) -> float:
            started = time.perf_counter()
            escalation_sweep()
            return time.perf_counter() - started

        scenarios.append(Scenario("escalation sweep (whole db)", "selector", sweep, SWEEP_BUDGET_MS))
    return scenarios


def activity_view_scenarios(samples: Any, get: Callable[..., None]) -> list[Any]:
    from bench.run import Scenario, url_or_none

    try:
        data = ActivitySamples(samples)
    except LookupError:
        return []
    scenarios = []
    my_day_url = url_or_none("my_day")
    if my_day_url:
        scenarios.append(Scenario("my day, rep", "view", lambda i: get(samples.rep(i), my_day_url)))
    if data.heavy_company is not None and url_or_none("company_detail", pk=1):
        url = url_or_none("company_detail", pk=data.heavy_company.pk) or ""
        scenarios.append(
            Scenario("company card key account, admin", "view", lambda i: get(samples.admin, url))
        )
    return scenarios
