"""The activity rollup (`ActivityDay`): kept by the activity services in the same transaction, equal to
its from-scratch rebuild, and giving the activity report the same figures as counting activities."""

from __future__ import annotations

import datetime
import zoneinfo
from collections import Counter
from dataclasses import replace

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.accounts.models import User
from tandem.activities.models import Activity
from tandem.activities.services import activity_create, activity_done, activity_trash, activity_update
from tandem.activities.tests.helpers import kind
from tandem.analytics.filters import ReportFilters
from tandem.analytics.models import ActivityDay
from tandem.analytics.reports import activity as activity_module
from tandem.analytics.reports.activity import ActivityReport, activity_report, rollup_usable
from tandem.analytics.rollups import activity_rollup_rows, activity_rollups_rebuild
from tandem.analytics.tests.reports_data import make_deal, stages

UTC = datetime.UTC
SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")
MARCH = ReportFilters(
    start=datetime.date(2025, 3, 1), end=datetime.date(2025, 3, 31), time_zone="Europe/Sofia"
)
YEAR = ReportFilters(
    start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31), time_zone="Europe/Sofia"
)
NOW = datetime.datetime(2025, 6, 1, 12, tzinfo=UTC)


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2025, month, day, hour, minute, tzinfo=UTC)


def log(actor: User, type_kind: str, done_at: datetime.datetime, **data) -> Activity:
    return activity_create(
        actor=actor, type=kind(type_kind), subject=f"{type_kind} by {actor}", done_at=done_at, **data
    )


def from_facts() -> dict[tuple[int, str, datetime.date], int]:
    """The rollup worked out in Python from the activities: done, not in the trash, Sofia days."""
    counted = Activity.objects.filter(done_at__isnull=False, deleted_at__isnull=True).select_related("type")
    return dict(
        Counter(
            (activity.assignee_id, activity.type.kind, timezone.localdate(activity.done_at, SOFIA))
            for activity in counted
        )
    )


def rebuilt() -> dict[tuple[int, str, datetime.date], int]:
    activity_rollups_rebuild()
    return activity_rollup_rows()


def figures(report: ActivityReport) -> tuple:
    return (
        [(row.name, row.done, row.overdue, row.moved, row.responded) for row in report.managers],
        [(point.start, point.done) for point in report.series],
        report.weekly,
        report.totals.done,
    )


@pytest.fixture
def history(admin, head_a, rep_a, rep_a2, rep_b, make_company):
    """Done activities of three reps and a head through the services, edited every way that moves a count."""
    acme = make_company(rep_a, "Acme")
    beta = make_company(rep_b, "Beta")
    team = make_company(head_a, "Team Co")
    ravi = make_company(rep_a2, "Ravi Co")
    log(rep_a, "call", at(3, 3), company=acme)
    log(rep_a, "call", at(3, 3, 15), company=acme)
    log(rep_a, "call", at(2, 28, 22, 30), company=acme)  # 1 March in Sofia
    log(rep_a, "email", at(3, 31, 22, 30), company=acme)  # 1 April in Sofia (summer time from 30 March)
    log(rep_a, "note", at(3, 4), company=acme)  # kept in the rollup, never in the report
    moved_day = log(rep_a, "meeting", at(3, 5), company=acme)
    activity_update(actor=rep_a, activity=moved_day, data={"done_at": at(3, 6, 22, 30)})  # 7 March in Sofia
    retyped = log(rep_a, "call", at(3, 10), company=acme)
    activity_update(actor=rep_a, activity=retyped, data={"type": kind("letter")})
    reassigned = log(head_a, "task", at(3, 11), company=team)
    activity_update(actor=head_a, activity=reassigned, data={"assignee": rep_a2})
    undone = log(rep_a, "call", at(3, 12), company=acme)
    activity_update(actor=rep_a, activity=undone, data={"done_at": None, "due_at": at(3, 20)})  # overdue
    planned = activity_create(
        actor=rep_a2, type=kind("call"), subject="Call back", company=ravi, due_at=at(3, 13)
    )
    activity_done(actor=rep_a2, activity=planned, done_at=at(3, 14))
    trashed = log(rep_b, "call", at(3, 15), company=beta)
    activity_trash(actor=rep_b, activity=trashed)
    log(rep_b, "meeting", at(3, 16), company=beta)
    log(head_a, "call", at(7, 1), company=team)
    # A task the head wrote for a rep of another team: visible to the head as its author.
    log(head_a, "task", at(3, 17), company=team, assignee=rep_b)
    return {"acme": acme, "beta": beta}


def test_rollup_kept_by_the_services_equals_its_rebuild_and_the_facts(history, rep_a, rep_a2, rep_b, head_a):
    kept = activity_rollup_rows()

    assert kept == from_facts()
    assert kept == rebuilt()
    assert kept == {
        (rep_a.pk, "call", datetime.date(2025, 3, 3)): 2,
        (rep_a.pk, "call", datetime.date(2025, 3, 1)): 1,
        (rep_a.pk, "email", datetime.date(2025, 4, 1)): 1,
        (rep_a.pk, "note", datetime.date(2025, 3, 4)): 1,
        (rep_a.pk, "meeting", datetime.date(2025, 3, 7)): 1,
        (rep_a.pk, "letter", datetime.date(2025, 3, 10)): 1,
        (rep_a2.pk, "task", datetime.date(2025, 3, 11)): 1,
        (rep_a2.pk, "call", datetime.date(2025, 3, 14)): 1,
        (rep_b.pk, "meeting", datetime.date(2025, 3, 16)): 1,
        (rep_b.pk, "task", datetime.date(2025, 3, 17)): 1,
        (head_a.pk, "call", datetime.date(2025, 7, 1)): 1,
    }


def test_rollup_rows_emptied_by_edits_stay_at_zero_and_the_rebuild_drops_them(history, rep_a):
    assert ActivityDay.objects.filter(done=0).count() == 5  # moved, retyped, reassigned, undone, trashed
    assert ActivityDay.objects.filter(done__lt=0).count() == 0
    activity_rollups_rebuild()
    assert ActivityDay.objects.filter(done=0).count() == 0


def test_rollup_change_rolls_back_with_the_activity(rep_a, make_company):
    acme = make_company(rep_a, "Acme")
    with pytest.raises(RuntimeError), transaction.atomic():
        log(rep_a, "call", at(3, 3), company=acme)
        raise RuntimeError
    assert ActivityDay.objects.count() == 0


def test_rebuild_counts_local_days_across_summer_time_changes(rep_a, make_company):
    acme = make_company(rep_a, "Acme")
    log(rep_a, "call", at(3, 29, 22, 30), company=acme)  # UTC+2: 30 March 00:30
    log(rep_a, "call", at(3, 30, 21, 30), company=acme)  # UTC+3: 31 March 00:30
    log(rep_a, "call", at(10, 25, 21, 30), company=acme)  # UTC+3: 26 October 00:30
    log(rep_a, "call", at(10, 26, 21, 30), company=acme)  # UTC+2: 26 October 23:30

    assert rebuilt() == {
        (rep_a.pk, "call", datetime.date(2025, 3, 30)): 1,
        (rep_a.pk, "call", datetime.date(2025, 3, 31)): 1,
        (rep_a.pk, "call", datetime.date(2025, 10, 26)): 2,
    }


def test_rollups_rebuild_command_recounts_what_was_written_past_the_services(rep_a, make_company, capsys):
    acme = make_company(rep_a, "Acme")
    log(rep_a, "call", at(3, 3), company=acme)
    ActivityDay.objects.all().delete()

    call_command("rollups", "rebuild")

    assert activity_rollup_rows() == {(rep_a.pk, "call", datetime.date(2025, 3, 3)): 1}
    assert "1 rows (Europe/Sofia)" in capsys.readouterr().out


@pytest.mark.parametrize("filters", [MARCH, YEAR], ids=["daily", "weekly"])
@pytest.mark.parametrize("role", ["admin", "head_a", "rep_a", "rep_b"])
def test_activity_report_gives_the_same_figures_from_the_rollup_and_from_the_activities(
    history, request, monkeypatch, filters, role
):
    actor = request.getfixturevalue(role)
    assert rollup_usable(actor, filters)
    with CaptureQueriesContext(connection) as queries:
        from_rollup = activity_report(actor, filters, now=NOW)
    assert any(ActivityDay._meta.db_table in query["sql"] for query in queries)

    monkeypatch.setattr(activity_module, "rollup_usable", lambda actor, filters: False)
    from_activities = activity_report(actor, filters, now=NOW)

    assert figures(from_rollup) == figures(from_activities)
    assert from_rollup.totals.done_total > 0


def test_activity_report_from_the_rollup_exact_figures_for_a_head(history, head_a):
    report = activity_report(head_a, MARCH, now=NOW)

    rows = {row.name: row.done for row in report.managers}
    assert rows == {
        "Rita Rep": {"call": 3, "meeting": 1, "letter": 1, "email": 0, "task": 0},
        "Ravi Rep": {"call": 1, "meeting": 0, "letter": 0, "email": 0, "task": 1},
    }
    assert report.series[0].done["call"] == 1  # the Sofia 1 March call of 28 February UTC
    assert report.series[6].done["meeting"] == 1  # moved to 7 March


def test_activity_report_counts_activities_in_another_time_zone(history, admin):
    utc = replace(MARCH, time_zone="UTC")
    assert not rollup_usable(admin, utc)

    with CaptureQueriesContext(connection) as queries:
        report = activity_report(admin, utc, now=NOW)

    assert not any(ActivityDay._meta.db_table in query["sql"] for query in queries)
    rita = next(row for row in report.managers if row.name == "Rita Rep")
    # In UTC the 28 February call is out of March and the 31 March email is in.
    assert rita.done == {"call": 2, "meeting": 1, "letter": 1, "email": 1, "task": 0}


def test_activity_report_counts_activities_when_a_deal_filter_is_set(admin, rep_a, make_company):
    s = stages()
    deal = make_deal(rep_a, [(s["new"], at(3, 1))])
    acme = make_company(rep_a, "Acme")
    log(rep_a, "call", at(3, 3), deal=deal)
    log(rep_a, "call", at(3, 4), company=acme)  # on no deal: out of a pipeline's figures
    by_pipeline = replace(MARCH, pipeline=deal.pipeline_id)
    assert not rollup_usable(admin, by_pipeline)

    report = activity_report(admin, by_pipeline, now=NOW)

    assert [row.done["call"] for row in report.managers] == [1]
    assert activity_report(admin, MARCH, now=NOW).totals.done["call"] == 2


def test_activity_report_counts_activities_when_the_deal_scope_is_wider_than_the_activity_scope(
    history, rep_a, rep_a2, make_company
):
    # Rita may see the team's deals but only her own activities, plus those she wrote for others.
    rep_a.user_permissions.add(Permission.objects.get(codename="view_team_deal"))
    rep_a = User.objects.get(pk=rep_a.pk)
    log(rep_a, "call", at(3, 20), company=history["acme"], assignee=rep_a2)
    assert not rollup_usable(rep_a, MARCH)

    report = activity_report(rep_a, MARCH, now=NOW)

    rows = {row.name: row.done for row in report.managers}
    assert rows["Ravi Rep"] == {"call": 1, "meeting": 0, "letter": 0, "email": 0, "task": 0}


def test_activity_report_from_the_rollup_runs_a_bounded_number_of_queries(
    history, admin, django_assert_max_num_queries
):
    admin = User.objects.get(pk=admin.pk)
    with django_assert_max_num_queries(9):
        activity_report(admin, YEAR, now=NOW)


def test_each_activity_write_adds_one_rollup_statement(rep_a, make_company):
    acme = make_company(rep_a, "Acme")
    activity = log(rep_a, "call", at(3, 3), company=acme)
    with CaptureQueriesContext(connection) as queries:
        activity_update(actor=rep_a, activity=activity, data={"done_at": at(3, 4)})
    assert sum(ActivityDay._meta.db_table in query["sql"] for query in queries) == 1
