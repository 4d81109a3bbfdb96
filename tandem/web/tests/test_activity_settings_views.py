"""Activity settings: only administrators; activity types, outcomes, the working schedule with its
holidays, and the untouched-lead thresholds of each pipeline. Bad input is a form error, not a 500."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from tandem.activities.models import Activity, ActivityType, Outcome
from tandem.activities.services import activity_create
from tandem.core.models import Holiday, WorkSchedule
from tandem.deals.models import Pipeline

URL = "/settings/activities/"
SCHEDULE = {
    "time_zone": "Europe/Sofia",
    "working_days": ["0", "1", "2", "3", "4"],
    "day_starts": "09:00",
    "day_ends": "18:00",
    "missed_call_minutes": "30",
    "digest_hour": "8",
}


@pytest.fixture
def pipeline(db) -> Pipeline:
    return Pipeline.objects.get(name="New clients")


def _types() -> list[tuple[str, str, bool, bool]]:
    return list(
        ActivityType.objects.order_by("position", "name").values_list(
            "name", "icon", "counts_as_contact", "is_active"
        )
    )


def _schedule() -> tuple:
    schedule = WorkSchedule.current()
    return (
        schedule.time_zone,
        schedule.working_days,
        schedule.day_starts,
        schedule.day_ends,
        schedule.missed_call_minutes,
        schedule.digest_hour,
    )


# --- authorization -------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, pipeline):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    client.post("/settings/activities/types/new/", {"name": "Visit", "icon": "bi-truck"})
    assert not ActivityType.objects.filter(name="Visit").exists()


@pytest.mark.parametrize("role", ["rep_a", "head_a", "marketer", "readonly"])
def test_non_admins_get_403_and_change_nothing(client, pipeline, role, request):
    client.force_login(request.getfixturevalue(role))
    call = ActivityType.objects.get(kind="call")
    reached = Outcome.objects.get(name="Reached")
    holiday = Holiday.objects.create(date=datetime.date(2030, 3, 3), name="Liberation Day")
    types, schedule = _types(), _schedule()
    attempts = [
        client.get(URL),
        client.post("/settings/activities/types/new/", {"name": "Hacked", "icon": "bi-bug"}),
        client.post(f"/settings/activities/types/{call.pk}/", {"name": "Hacked", "icon": "bi-bug"}),
        client.post(f"/settings/activities/types/{call.pk}/move/", {"direction": "down"}),
        client.post(f"/settings/activities/types/{call.pk}/delete/"),
        client.post("/settings/activities/outcomes/new/", {"name": "Hacked"}),
        client.post(f"/settings/activities/outcomes/{reached.pk}/", {"name": "Hacked"}),
        client.post("/settings/activities/schedule/", {**SCHEDULE, "day_starts": "03:00"}),
        client.post("/settings/activities/holidays/new/", {"date": "2030-05-06"}),
        client.post(f"/settings/activities/holidays/{holiday.pk}/delete/"),
        client.post(
            f"/settings/sales/pipelines/{pipeline.pk}/sla/",
            {"lead_sla_hours": "9", "lead_escalate_hours": "10"},
        ),
    ]
    assert [response.status_code for response in attempts] == [403] * len(attempts)
    assert (_types(), _schedule()) == (types, schedule)
    assert not Outcome.objects.filter(name="Hacked").exists()
    assert list(Holiday.objects.values_list("date", flat=True)) == [datetime.date(2030, 3, 3)]
    pipeline.refresh_from_db()
    assert (pipeline.lead_sla_hours, pipeline.lead_escalate_hours) == (Decimal("2"), Decimal("4"))


def test_only_admins_see_the_menu_entry(client, admin, head_a):
    client.force_login(head_a)
    assert URL not in client.get("/contacts/").content.decode()
    client.force_login(admin)
    assert f'href="{URL}">Activities and working hours</a>' in client.get("/contacts/").content.decode()


def test_admin_sees_types_outcomes_schedule_and_holidays(client, admin):
    Holiday.objects.create(date=datetime.date(2030, 3, 3), name="Liberation Day")
    client.force_login(admin)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "Call",
        "Meeting",
        "bi-telephone",
        "Reached",
        "Asked to call back",
        "Europe/Sofia",
        "Liberation Day",
    ]:
        assert text in html
    assert 'name="day_starts" value="09:00"' in html
    for pk in ActivityType.objects.values_list("pk", flat=True):  # built-in types cannot be deleted
        assert f"/types/{pk}/delete/" not in html


# --- activity types ------------------------------------------------------------------------------


def test_admin_adds_a_type_at_the_end(client, admin):
    client.force_login(admin)
    response = client.post(
        "/settings/activities/types/new/",
        {"name": "  Site  visit ", "icon": "bi-truck", "counts_as_contact": "on"},
    )
    assert (response.status_code, response["Location"]) == (302, f"{URL}#types")
    assert _types()[-1] == ("Site visit", "bi-truck", True, True)
    visit = ActivityType.objects.get(name="Site visit")
    assert visit.kind == ActivityType.Kind.OTHER
    assert f"/settings/activities/types/{visit.pk}/delete/" in client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "icon": "bi-truck"}, "This field is required."),
        ({"name": "Visit", "icon": "truck"}, "Enter a Bootstrap icon name, e.g. bi-telephone."),
        (
            {"name": "Visit", "icon": 'bi-x" onmouseover="alert(1)'},
            "Enter a Bootstrap icon name, e.g. bi-telephone.",
        ),
        ({"name": "call", "icon": "bi-truck"}, "This name is already in the list."),
    ],
)
def test_a_bad_type_is_refused_with_a_message(client, admin, data, message):
    client.force_login(admin)
    types = _types()
    response = client.post("/settings/activities/types/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _types() == types


def test_admin_renames_and_deactivates_a_built_in_type(client, admin):
    client.force_login(admin)
    letter = ActivityType.objects.get(kind="letter")
    response = client.post(
        f"/settings/activities/types/{letter.pk}/", {"name": "Paper letter", "icon": "bi-mailbox"}
    )
    assert response.status_code == 302
    letter.refresh_from_db()
    assert (letter.name, letter.icon, letter.counts_as_contact, letter.is_active, letter.kind) == (
        "Paper letter",
        "bi-mailbox",
        False,
        False,
        "letter",
    )


def test_admin_moves_a_type_up(client, admin):
    client.force_login(admin)
    meeting = ActivityType.objects.get(kind="meeting")
    client.post(f"/settings/activities/types/{meeting.pk}/move/", {"direction": "up"})
    assert [name for name, *_rest in _types()][:3] == ["Meeting", "Call", "Letter"]


def test_built_in_types_cannot_be_deleted(client, admin):
    client.force_login(admin)
    call = ActivityType.objects.get(kind="call")
    response = client.post(f"/settings/activities/types/{call.pk}/delete/")
    assert response.status_code == 400
    assert "Built-in activity types cannot be deleted" in response.content.decode()
    assert ActivityType.objects.filter(pk=call.pk).exists()


def test_a_used_type_cannot_be_deleted_and_an_unused_one_can(client, admin, rep_a, make_contact):
    client.force_login(admin)
    client.post("/settings/activities/types/new/", {"name": "Visit", "icon": "bi-truck"})
    client.post("/settings/activities/types/new/", {"name": "Fax", "icon": "bi-printer"})
    visit, fax = ActivityType.objects.get(name="Visit"), ActivityType.objects.get(name="Fax")
    activity_create(
        actor=rep_a,
        type=visit,
        subject="Visit the warehouse",
        contact=make_contact(rep_a),
        done_at=datetime.datetime.now(datetime.UTC),
    )

    refused = client.post(f"/settings/activities/types/{visit.pk}/delete/")
    assert refused.status_code == 400
    assert "Activities of this type exist; deactivate the type instead." in refused.content.decode()
    assert Activity.objects.filter(type=visit).count() == 1

    deleted = client.post(f"/settings/activities/types/{fax.pk}/delete/")
    assert (deleted.status_code, deleted["Location"]) == (302, f"{URL}#types")
    assert not ActivityType.objects.filter(name="Fax").exists()


# --- outcomes ------------------------------------------------------------------------------------


def test_admin_adds_renames_and_deactivates_outcomes(client, admin):
    client.force_login(admin)
    assert client.post("/settings/activities/outcomes/new/", {"name": "Sent to voicemail"}).status_code == 302
    added = Outcome.objects.get(name="Sent to voicemail")
    assert (added.is_active, added.position) == (True, Outcome.objects.count() - 1)
    reached = Outcome.objects.get(name="Reached")
    client.post(f"/settings/activities/outcomes/{reached.pk}/", {"name": "Talked"})
    reached.refresh_from_db()
    assert (reached.name, reached.is_active) == ("Talked", False)


@pytest.mark.parametrize("name", ["", "no answer", "x" * 101])
def test_a_bad_outcome_is_refused(client, admin, name):
    client.force_login(admin)
    before = list(Outcome.objects.values_list("name", flat=True))
    response = client.post("/settings/activities/outcomes/new/", {"name": name})
    assert response.status_code == 400
    assert 'class="alert alert-danger py-2"' in response.content.decode()
    assert list(Outcome.objects.values_list("name", flat=True)) == before


# --- the working schedule ------------------------------------------------------------------------


def test_admin_saves_the_working_schedule(client, admin):
    client.force_login(admin)
    data = {
        **SCHEDULE,
        "time_zone": "Europe/Moscow",
        "working_days": ["5", "0", "1"],
        "day_starts": "08:30",
        "day_ends": "17:15",
        "missed_call_minutes": "45",
        "digest_hour": "7",
    }
    response = client.post("/settings/activities/schedule/", data)
    assert (response.status_code, response["Location"]) == (302, f"{URL}#schedule")
    assert _schedule() == ("Europe/Moscow", [0, 1, 5], datetime.time(8, 30), datetime.time(17, 15), 45, 7)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"day_starts": "18:00", "day_ends": "09:00"}, "The working day must end after it starts."),
        ({"day_starts": "09:00", "day_ends": "09:00"}, "The working day must end after it starts."),
        ({"day_starts": "25:00"}, "Enter a valid time."),
        ({"day_ends": "nine"}, "Enter a valid time."),
        ({"time_zone": "Mars/Olympus"}, "Unknown time zone."),
        ({"time_zone": "../../etc/passwd"}, "Unknown time zone."),
        ({"working_days": []}, "Choose at least one working day."),
        ({"working_days": ["7"]}, "Select a valid choice. 7 is not one of the available choices."),
        ({"digest_hour": "24"}, "Ensure this value is less than or equal to 23."),
        ({"missed_call_minutes": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"missed_call_minutes": "soon"}, "Enter a whole number."),
    ],
)
def test_an_invalid_schedule_is_a_form_error_and_changes_nothing(client, admin, changes, message):
    client.force_login(admin)
    before = _schedule()
    response = client.post("/settings/activities/schedule/", {**SCHEDULE, **changes})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _schedule() == before


# --- holidays ------------------------------------------------------------------------------------


def test_admin_adds_and_removes_holidays(client, admin):
    client.force_login(admin)
    response = client.post(
        "/settings/activities/holidays/new/", {"date": "2030-03-03", "name": "Liberation Day"}
    )
    assert (response.status_code, response["Location"]) == (302, f"{URL}#holidays")
    holiday = Holiday.objects.get()
    assert (holiday.date, holiday.name) == (datetime.date(2030, 3, 3), "Liberation Day")
    assert "Liberation Day" in client.get(URL).content.decode()
    client.post(f"/settings/activities/holidays/{holiday.pk}/delete/")
    assert not Holiday.objects.exists()
    assert client.post(f"/settings/activities/holidays/{holiday.pk}/delete/").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date": "2030-02-30"}, "Enter a valid date."),
        ({"date": ""}, "This field is required."),
        ({"date": "2030-03-03"}, "This date is already a holiday."),
    ],
)
def test_a_bad_holiday_is_refused(client, admin, data, message):
    Holiday.objects.create(date=datetime.date(2030, 3, 3))
    client.force_login(admin)
    response = client.post("/settings/activities/holidays/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Holiday.objects.count() == 1


# --- untouched-lead thresholds of a pipeline -----------------------------------------------------


def test_the_sales_page_shows_each_pipelines_lead_thresholds(client, admin, pipeline):
    client.force_login(admin)
    html = client.get("/settings/sales/").content.decode()
    assert f'action="/settings/sales/pipelines/{pipeline.pk}/sla/"' in html
    assert f'id="sla-{pipeline.pk}" name="lead_sla_hours" value="2"' in html
    assert f'id="escalate-{pipeline.pk}" name="lead_escalate_hours" value="4"' in html


def test_admin_sets_a_pipelines_lead_thresholds(client, admin, pipeline):
    client.force_login(admin)
    response = client.post(
        f"/settings/sales/pipelines/{pipeline.pk}/sla/",
        {"lead_sla_hours": "1.5", "lead_escalate_hours": "3.25"},
    )
    assert (response.status_code, response["Location"]) == (302, f"/settings/sales/#pipeline-{pipeline.pk}")
    pipeline.refresh_from_db()
    assert (pipeline.lead_sla_hours, pipeline.lead_escalate_hours) == (Decimal("1.50"), Decimal("3.25"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"lead_sla_hours": "4", "lead_escalate_hours": "2"}, "The head of sales must be told later"),
        (
            {"lead_sla_hours": "0", "lead_escalate_hours": "2"},
            "Ensure this value is greater than or equal to 0.25.",
        ),
        ({"lead_sla_hours": "two", "lead_escalate_hours": "4"}, "Enter a number."),
        (
            {"lead_sla_hours": "1", "lead_escalate_hours": "100000"},
            "Ensure this value is less than or equal to 9999.99",
        ),
    ],
)
def test_bad_lead_thresholds_are_refused(client, admin, pipeline, data, message):
    client.force_login(admin)
    response = client.post(f"/settings/sales/pipelines/{pipeline.pk}/sla/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    pipeline.refresh_from_db()
    assert (pipeline.lead_sla_hours, pipeline.lead_escalate_hours) == (Decimal("2"), Decimal("4"))
