"""Notifications: one per recipient and occurrence, email only for the kinds the user chose (sent once,
after the commit), marking read, and the reads behind the bell."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail

from tandem.core.errors import ValidationError
from tandem.notifications.emails import notification_email_deliver
from tandem.notifications.models import Notification, NotificationSettings, default_email_kinds
from tandem.notifications.selectors import UNREAD_CAP, notification_list, unread_count
from tandem.notifications.services import (
    email_kinds,
    notification_settings_update,
    notifications_mark_read,
    notify,
)

NOW = datetime.datetime(2030, 3, 15, 7, 0, tzinfo=datetime.UTC)


def remind(recipient, key: str = "reminder:1", kind: str = Notification.Kind.REMINDER, **data):
    return notify(
        recipient=recipient,
        kind=kind,
        key=key,
        title=data.pop("title", "Call Acme at 10:00"),
        **data,
    )


# --- notify ---------------------------------------------------------------------------------------------


def test_notify_stores_one_notice(rep_a, head_a):
    notification = remind(rep_a, body="About the offer", url="/activities/7/", actor=head_a)

    stored = Notification.objects.get()
    assert stored.pk == notification.pk
    assert (stored.recipient_id, stored.kind, stored.key, stored.title) == (
        rep_a.pk,
        "reminder",
        "reminder:1",
        "Call Acme at 10:00",
    )
    assert (stored.body, stored.url, stored.actor_id, stored.read_at, stored.emailed_at) == (
        "About the offer",
        "/activities/7/",
        head_a.pk,
        None,
        None,
    )


def test_notify_twice_for_the_same_occurrence_stores_one(rep_a):
    first = remind(rep_a)
    second = remind(rep_a, title="Again")

    assert first is not None
    assert second is None
    assert list(Notification.objects.values_list("title", flat=True)) == ["Call Acme at 10:00"]


def test_the_same_occurrence_reaches_each_recipient_once(rep_a, head_a):
    remind(rep_a, key="call_missed:5")
    remind(head_a, key="call_missed:5")
    remind(head_a, key="call_missed:5")

    assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted(
        [rep_a.pk, head_a.pk]
    )


def test_a_deactivated_user_is_not_notified(rep_a):
    rep_a.is_active = False
    rep_a.save(update_fields=["is_active"])

    assert remind(rep_a) is None
    assert Notification.objects.count() == 0


def test_long_titles_keys_and_urls_are_cut_to_fit(rep_a):
    notification = remind(rep_a, key="k" * 200, title="t" * 400, url="/" + "u" * 400)

    notification.refresh_from_db()
    assert (len(notification.key), len(notification.title), len(notification.url)) == (120, 300, 300)


def test_a_system_notice_has_no_actor(rep_a):
    assert remind(rep_a, actor=None).actor_id is None


# --- email ----------------------------------------------------------------------------------------------


def test_a_kind_chosen_for_email_is_emailed_after_the_commit(
    rep_a, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://crm.example.com"

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = remind(rep_a, body="About the offer", url="/activities/7/")
    sent_before_commit = len(mail.outbox)
    for callback in callbacks:
        callback()

    assert sent_before_commit == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (message.subject, message.to) == ("Call Acme at 10:00", ["rep.a@example.com"])
    assert message.body == "About the offer\n\nhttps://crm.example.com/activities/7/"
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_a_kind_not_chosen_for_email_stays_in_the_app(rep_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        remind(rep_a, key="mention:1", kind=Notification.Kind.MENTION)

    assert (len(callbacks), len(mail.outbox)) == (0, 0)
    assert Notification.objects.get().emailed_at is None


def test_a_repeated_occurrence_sends_no_second_email(rep_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        remind(rep_a)
        remind(rep_a)

    assert len(mail.outbox) == 1


def test_nothing_is_emailed_when_the_transaction_rolls_back(rep_a, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                remind(rep_a)
                raise RuntimeError("the job failed after notifying")
        except RuntimeError:
            pass

    assert (len(callbacks), len(mail.outbox), Notification.objects.count()) == (0, 0, 0)


def test_the_users_choice_of_email_kinds_decides(rep_a, django_capture_on_commit_callbacks):
    notification_settings_update(actor=rep_a, email_kinds=["mention", "mention"])

    with django_capture_on_commit_callbacks(execute=True):
        remind(rep_a, key="reminder:1")
        remind(rep_a, key="mention:1", kind=Notification.Kind.MENTION, title="Hana mentioned you")

    assert [message.subject for message in mail.outbox] == ["Hana mentioned you"]
    assert email_kinds(rep_a) == ["mention"]


def test_no_email_kinds_means_no_email(rep_a, django_capture_on_commit_callbacks):
    notification_settings_update(actor=rep_a, email_kinds=[])

    with django_capture_on_commit_callbacks(execute=True):
        remind(rep_a)

    assert len(mail.outbox) == 0
    assert Notification.objects.count() == 1


def test_default_email_kinds_until_the_user_chooses(rep_a):
    assert email_kinds(rep_a) == default_email_kinds()
    assert sorted(default_email_kinds()) == [
        "call_missed",
        "digest",
        "lead_escalated",
        "reminder",
        "task_assigned",
    ]


def test_unknown_email_kinds_are_refused(rep_a):
    with pytest.raises(ValidationError) as caught:
        notification_settings_update(actor=rep_a, email_kinds=["reminder", "sms", "fax"])

    assert caught.value.code == "invalid_kind"
    assert list(caught.value.error_dict) == ["email_kinds"]
    assert NotificationSettings.objects.count() == 0


def test_delivering_the_same_notification_twice_emails_once(rep_a):
    notification = remind(rep_a)

    first = notification_email_deliver(notification.pk)
    second = notification_email_deliver(notification.pk)

    assert (first, second, len(mail.outbox)) == (True, False, 1)


def test_a_notification_without_body_or_link_is_emailed_with_its_title(rep_a):
    notification = remind(rep_a, title="Daily digest is empty")

    notification_email_deliver(notification.pk)

    assert mail.outbox[0].body == "Daily digest is empty"


def test_delivering_a_missing_notification_sends_nothing(db):
    assert notification_email_deliver(999_999) is False
    assert len(mail.outbox) == 0


# --- mark read ------------------------------------------------------------------------------------------


@pytest.fixture
def inbox(rep_a, rep_b):
    mine = [remind(rep_a, key=f"reminder:{index}", title=f"Mine {index}") for index in range(3)]
    theirs = remind(rep_b, key="reminder:9", title="Theirs")
    return {"mine": mine, "theirs": theirs}


def test_mark_read_by_ids_marks_only_those(rep_a, inbox):
    with time_machine.travel(NOW, tick=False):
        changed = notifications_mark_read(actor=rep_a, ids=[inbox["mine"][0].pk, inbox["mine"][2].pk])

    assert changed == 2
    read = dict(Notification.objects.filter(recipient=rep_a).values_list("title", "read_at"))
    assert read == {"Mine 0": NOW, "Mine 1": None, "Mine 2": NOW}


def test_mark_read_ignores_other_peoples_notifications(rep_a, inbox):
    changed = notifications_mark_read(actor=rep_a, ids=[inbox["theirs"].pk])

    assert changed == 0
    inbox["theirs"].refresh_from_db()
    assert inbox["theirs"].read_at is None


def test_mark_all_read_marks_every_unread_of_the_actor_only(rep_a, inbox):
    changed = notifications_mark_read(actor=rep_a)

    assert changed == 3
    assert Notification.objects.filter(recipient=rep_a, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=inbox["theirs"].recipient, read_at__isnull=True).count() == 1


def test_marking_read_again_keeps_the_first_read_time(rep_a, inbox):
    first_read = datetime.datetime(2030, 3, 14, 7, 0, tzinfo=datetime.UTC)
    with time_machine.travel(first_read, tick=False):
        notifications_mark_read(actor=rep_a, ids=[inbox["mine"][0].pk])

    with time_machine.travel(NOW, tick=False):
        changed = notifications_mark_read(actor=rep_a, ids=[inbox["mine"][0].pk, inbox["mine"][1].pk])

    assert changed == 1
    inbox["mine"][0].refresh_from_db()
    assert inbox["mine"][0].read_at == first_read


def test_mark_read_with_no_ids_changes_nothing(rep_a, inbox):
    assert notifications_mark_read(actor=rep_a, ids=[]) == 0
    assert unread_count(actor=rep_a) == 3


# --- the bell's reads -----------------------------------------------------------------------------------


def test_notification_list_is_own_newest_first_and_can_be_only_unread(rep_a, inbox):
    notifications_mark_read(actor=rep_a, ids=[inbox["mine"][2].pk])

    assert [item.title for item in notification_list(actor=rep_a)] == ["Mine 2", "Mine 1", "Mine 0"]
    assert [item.title for item in notification_list(actor=rep_a, unread_only=True)] == ["Mine 1", "Mine 0"]


def test_unread_count_stops_just_past_the_cap(rep_a):
    Notification.objects.bulk_create(
        Notification(recipient=rep_a, kind="reminder", key=f"reminder:{index}", title="x")
        for index in range(UNREAD_CAP + 5)
    )

    assert unread_count(actor=rep_a) == UNREAD_CAP + 1


def test_unread_count_of_an_empty_inbox_is_zero(rep_a, inbox, rep_b):
    notifications_mark_read(actor=rep_b)

    assert (unread_count(actor=rep_a), unread_count(actor=rep_b)) == (3, 0)
