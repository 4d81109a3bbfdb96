"""Demo activities: the touches behind each demo deal and a plan for every rep's day.

Written through the activity services, so deals get their mirrored next step and first contact
exactly as in real use. Untaken web requests stay untouched, so the escalation has something to show.
"""

from __future__ import annotations

import datetime
import random

from django.db.models import Prefetch
from django.utils import timezone

from tandem.accounts.models import User
from tandem.activities.models import ActivityType, Outcome
from tandem.activities.services import activity_create
from tandem.contacts.models import Contact
from tandem.deals.models import Deal, DealContact, Stage

# Subjects per activity kind and instance language (the demo's companies are Bulgarian and Russian).
SUBJECTS = {
    "bg": {
        "call": [
            "Обаждане за офертата",
            "Уточняване на поръчката",
            "Обратно обаждане",
            "Договаряне на доставка",
        ],
        "email": ["Изпратена оферта", "Отговор на въпросите", "Изпратен ценоразпис"],
        "meeting": ["Среща в офиса на клиента", "Демонстрация на продукта", "Преговори по договора"],
        "task": ["Подготви оферта", "Провери плащането", "Изпрати мостри"],
    },
    "ru": {
        "call": ["Звонок по КП", "Уточнить заказ", "Перезвонить клиенту", "Обсудить доставку"],
        "email": ["Отправлено КП", "Ответ на вопросы", "Отправлен прайс-лист"],
        "meeting": ["Встреча у клиента", "Демонстрация продукта", "Переговоры по договору"],
        "task": ["Подготовить КП", "Проверить оплату", "Отправить образцы"],
    },
    "en": {
        "call": ["Call about the offer", "Clarify the order", "Call back", "Discuss delivery"],
        "email": ["Sent the offer", "Answered the questions", "Sent the price list"],
        "meeting": ["Meeting at the client's office", "Product demo", "Contract negotiation"],
        "task": ["Prepare the offer", "Check the payment", "Send samples"],
    },
}


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def demo_activities_create(*, users: dict[str, User], language: str, seed: int) -> int:
    """Create the demo's activities; returns how many."""
    rng = random.Random(seed)
    words = SUBJECTS.get(language, SUBJECTS["en"])
    types = {row.kind: row for row in ActivityType.objects.exclude(kind="other")}
    outcomes = list(Outcome.objects.order_by("position"))
    now = timezone.now()
    today = timezone.localdate()
    created = 0
    deals = (
        Deal.objects.filter(deleted_at__isnull=True, taken_at__isnull=False)
        .select_related("owner", "stage", "company")
        .prefetch_related(Prefetch("deal_contacts", queryset=DealContact.objects.select_related("contact")))
        .order_by("id")
    )
    for deal in deals:
        contact = next((link.contact for link in deal.deal_contacts.all()), None)
        # The demo's deals carry a typed next step; it becomes their planned activity.
        step, step_date = deal.next_step, deal.next_step_date
        end = deal.won_at or deal.lost_at or now
        span = max((end - deal.created_at).total_seconds(), 3600)
        for number in range(rng.randint(1, 4)):
            kind = rng.choice(["call", "call", "email", "meeting"])
            moment = deal.created_at + datetime.timedelta(seconds=span * (number + 1) / 5)
            activity_create(
                actor=deal.owner,
                type=types[kind],
                subject=rng.choice(words[kind]),
                deal=deal,
                contact=contact,
                done_at=min(moment, now),
                duration_minutes=rng.choice([5, 10, 15]) if kind == "call" else None,
                direction="out" if kind == "call" else "",
                outcome=rng.choice(outcomes) if kind == "call" and outcomes else None,
            )
            created += 1
        if deal.stage.kind == Stage.Kind.OPEN and step_date:
            activity_create(
                actor=deal.owner,
                type=types["call" if rng.random() < 0.6 else "meeting"],
                subject=step or rng.choice(words["call"]),
                deal=deal,
                contact=contact,
                due_at=_at(step_date, rng.choice([10, 11, 14, 15, 16]), rng.choice([0, 30])),
                remind_at=None,
            )
            created += 1
    # Every rep's day: two calls today, one overdue, and a task from the head of sales.
    for user in users.values():
        if user.role != "rep":
            continue
        contacts = list(Contact.objects.filter(owner=user, deleted_at__isnull=True).order_by("id")[:3])
        for index, contact in enumerate(contacts):
            due = _at(today, 11 + index * 2) if index < 2 else _at(today - datetime.timedelta(days=1), 16)
            activity_create(
                actor=user,
                type=types["call"],
                subject=rng.choice(words["call"]),
                contact=contact,
                due_at=due,
                remind_at=due - datetime.timedelta(minutes=15),
            )
            created += 1
        head = next(
            (other for other in users.values() if other.pk == getattr(user.team, "head_id", None)), None
        )
        if head is not None and contacts:
            activity_create(
                actor=head,
                assignee=user,
                type=types["task"],
                subject=rng.choice(words["task"]),
                contact=contacts[0],
                due_at=_at(today + datetime.timedelta(days=1), 12),
            )
            created += 1
    return created
