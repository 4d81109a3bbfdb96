"""Bench scenarios of issue 6: the sales analytics reports over a year-long period.

Each report of the dashboard (funnel, manager activity, revenue, lead channels, losses) and the plan
vs fact forecast, as the admin (every deal), a head (their team) and a rep (their own), for the last
full calendar year of the generated deals in Europe/Sofia; and two dashboard sections through the
view, as htmx loads them. Needs deals (`bench.generate --deals`); activities make the activity report
meaningful (`bench.generate_activities`). Read-only.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable
from typing import Any

REPORT_BUDGET_MS = 500.0
TIME_ZONE = "Europe/Sofia"
VIEW_SECTIONS = ("funnel", "activity")


def last_full_year() -> tuple[datetime.date, datetime.date]:
    """The last calendar year (in Europe/Sofia) that the deals' creation and win dates cover entirely."""
    from django.db.models import Max

    from tandem.deals.models import Deal

    newest = Deal.objects.aggregate(created=Max("created_at"), won=Max("won_at"))
    moments = [moment for moment in newest.values() if moment is not None]
    if not moments:
        raise LookupError("no deals: run `python -m bench.generate --deals 500000`")
    latest = max(moments).astimezone(zoneinfo.ZoneInfo(TIME_ZONE)).date()
    year = (latest + datetime.timedelta(days=1)).year - 1
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def _reports() -> dict[str, Callable[[Any, Any], Any]]:
    from tandem.analytics.reports.activity import activity_report
    from tandem.analytics.reports.channels import channel_report
    from tandem.analytics.reports.funnel import funnel_report
    from tandem.analytics.reports.losses import loss_report
    from tandem.analytics.reports.revenue import revenue_report

    reports: dict[str, Callable[[Any, Any], Any]] = {
        "funnel": funnel_report,
        "activity": activity_report,
        "revenue": revenue_report,
        "channels": channel_report,
        "losses": loss_report,
    }
    try:
        from tandem.analytics.forecast import plan_fact_context
    except ImportError:
        print("(plan vs fact not available: tandem.analytics.forecast is missing)")
    else:
        reports["plan-fact"] = plan_fact_context
    return reports


def analytics_scenarios(samples: Any) -> list[Any]:
    """Selector layer: every report for the admin, a head and a rep over the last full year."""
    from bench.run import Scenario, fresh
    from tandem.analytics.filters import ReportFilters

    try:
        start, end = last_full_year()
    except LookupError as error:
        print(f"(analytics scenarios skipped: {error})")
        return []
    print(f"(analytics period: {start} to {end}, {TIME_ZONE})")
    filters = ReportFilters(start=start, end=end, time_zone=TIME_ZONE)
    roles: tuple[tuple[str, Callable[[int], Any]], ...] = (
        ("admin", lambda i: samples.admin),
        ("head", samples.head),
        ("rep", samples.rep),
    )

    def report(build: Callable[[Any, Any], Any], user_for: Callable[[int], Any]) -> Callable[[int], None]:
        def run(index: int) -> None:
            # The reports return dataclasses built from aggregates: nothing lazy is left to touch.
            build(fresh(user_for(index)), filters)

        return run

    return [
        Scenario(f"analytics {name}, {role}", "selector", report(build, user_for), REPORT_BUDGET_MS)
        for name, build in _reports().items()
        for role, user_for in roles
    ]


def analytics_view_scenarios(samples: Any) -> list[Any]:
    """View layer: dashboard sections as htmx requests them (HX-Request, the section fragment only)."""
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from bench.run import Scenario

    def section_url(name: str) -> str | None:
        # not bench.run.url_or_none: its first parameter is called `name` too
        try:
            return reverse("analytics_section", kwargs={"name": name})
        except NoReverseMatch:
            return None

    if section_url("funnel") is None:
        return []
    try:
        start, end = last_full_year()
    except LookupError:
        return []
    params = {"period": "custom", "start": start.isoformat(), "end": end.isoformat()}
    clients: dict[int, Client] = {}

    def section(name: str, user_for: Callable[[int], Any]) -> Callable[[int], None]:
        url = section_url(name) or ""

        def run(index: int) -> None:
            user = user_for(index)
            if user.pk not in clients:
                clients[user.pk] = Client(raise_request_exception=True)
                clients[user.pk].force_login(user)
            response = clients[user.pk].get(url, params, headers={"HX-Request": "true"})
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} as {user}: HTTP {response.status_code}")
            len(response.content)

        return run

    return [
        Scenario(
            f"analytics {name}, {role}",
            "view",
            section(name, user_for),
            REPORT_BUDGET_MS,
        )
        for name in VIEW_SECTIONS
        for role, user_for in (("admin", lambda i: samples.admin), ("rep", samples.rep))
    ]
