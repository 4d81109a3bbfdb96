"""@mentions: who "@name" and "@email" find, and the notification each mentioned colleague gets
once per activity, only when they can see it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tandem.accounts.roles import Role
from tandem.accounts.services import user_create
from tandem.activities.mentions import activity_mentions_notify, mentioned_users, mentions_of
from tandem.activities.models import ActivityType
from tandem.activities.services import activity_create, activity_update
from tandem.notifications.models import Notification


@pytest.fixture
def people(rep_a, rep_a2, head_a, admin, readonly):
    return {"rita": rep_a, "ravi": rep_a2, "hana": head_a, "ada": admin, "rob": readonly}


def _activity(actor, record, description: str):
    return activity_create(
        actor=actor,
        type=ActivityType.objects.get(kind="note"),
        subject="Note",
        company=record,
        done_at=timezone.now(),
        description=description,
    )


@pytest.mark.parametrize(
    "text,expected",
    [
        ("@Hana Head please look", ["hana"]),
        ("cc @head.a@example.com.", ["hana"]),
        ("@HEAD.A@EXAMPLE.COM", ["hana"]),
        ("(@hana head) and @Ravi Rep, thanks", ["hana", "ravi"]),
        ("@Ravi Rep @Hana Head @Ravi Rep", ["ravi", "hana"]),
        ("write to head.a@example.com", []),
        ("@Hana Headquarters", []),
        ("@Hana", []),
        ("no mentions here", []),
        ("", []),
        ("@nobody@example.com", []),
        ("email@ Hana Head", []),
    ],
)
def test_mentioned_users_by_full_name_or_email(people, text, expected):
    found = mentioned_users(text)

    names = {user.pk: name for name, user in people.items()}
    assert [names[user.pk] for user in found] == expected


def test_the_longest_name_wins(people):
    ana = user_create(actor=None, email="ana@example.com", role=Role.REP, full_name="Ana", password="x" * 20)
    ana_maria = user_create(
        actor=None, email="am@example.com", role=Role.REP, full_name="Ana Maria", password="x" * 20
    )

    assert mentioned_users("@Ana Maria, and @Ana.") == [ana_maria, ana]


def test_deactivated_users_are_not_mentioned(people, admin):
    from tandem.accounts.services import user_update

    user_update(actor=admin, user=people["ravi"], is_active=False)

    assert mentioned_users("@Ravi Rep @rep.a2@example.com") == []


def test_mentioned_colleagues_who_can_see_the_activity_are_notified_once(people, make_company):
    rita, hana, ravi, rob = people["rita"], people["hana"], people["ravi"], people["rob"]
    activity = _activity(rita, make_company(rita, "Acme"), "@Hana Head @Ravi Rep @Rob Reader @Rita Rep")

    result = mentions_of(activity)  # the service that wrote it notified them
    again = activity_mentions_notify(actor=rita, activity=activity)

    assert (result.notified, result.cannot_see) == ([hana, rob], [ravi])
    assert (again.notified, again.cannot_see) == ([], [ravi])
    notifications = Notification.objects.order_by("id")
    assert [(n.recipient, n.kind, n.key, n.title, n.url, n.actor) for n in notifications] == [
        (hana, "mention", f"mention:{activity.pk}:{hana.pk}", "Rita Rep mentioned you: Note",
         f"/activities/{activity.pk}/", rita),
        (rob, "mention", f"mention:{activity.pk}:{rob.pk}", "Rita Rep mentioned you: Note",
         f"/activities/{activity.pk}/", rita),
    ]  # fmt: skip


def test_a_mention_added_later_notifies_only_the_new_colleague(people, make_company):
    rita, ada = people["rita"], people["ada"]
    activity = _activity(rita, make_company(rita, "Acme"), "@Hana Head")

    activity = activity_update(actor=rita, activity=activity, data={"description": "@Hana Head @Ada Admin"})

    assert mentions_of(activity).notified == [ada]
    assert Notification.objects.filter(kind="mention").count() == 2


def test_a_trashed_activity_notifies_nobody_more(people, make_company):
    from tandem.activities.services import activity_trash

    rita = people["rita"]
    activity = _activity(rita, make_company(rita, "Acme"), "@Hana Head @Ada Admin")
    Notification.objects.all().delete()
    activity = activity_trash(actor=rita, activity=activity)

    assert activity_mentions_notify(actor=rita, activity=activity).notified == []
    assert Notification.objects.count() == 0
