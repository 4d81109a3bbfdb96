"""The sales process a new instance starts with, in the instance language (admins change it later)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

OPEN, WON, LOST = "open", "won", "lost"

# name, probability, kind, max days in stage, fields required to enter, colour
PIPELINES = {
    "en": [
        (
            "New clients",
            [
                ("New request", 10, OPEN, 2, [], "#6c757d"),
                ("Qualified", 20, OPEN, 5, [], "#0dcaf0"),
                ("Meeting", 40, OPEN, 10, ["contacts"], "#0d6efd"),
                ("Offer sent", 60, OPEN, 14, ["amount", "expected_close_date"], "#6610f2"),
                ("Negotiation", 80, OPEN, 14, ["amount", "expected_close_date"], "#fd7e14"),
                ("Won", 100, WON, None, ["amount"], "#198754"),
                ("Lost", 0, LOST, None, [], "#dc3545"),
            ],
        ),
        (
            "Repeat sales",
            [
                ("Request", 20, OPEN, 3, [], "#6c757d"),
                ("Offer sent", 60, OPEN, 10, ["amount"], "#6610f2"),
                ("Invoice issued", 90, OPEN, 14, ["amount"], "#fd7e14"),
                ("Won", 100, WON, None, ["amount"], "#198754"),
                ("Lost", 0, LOST, None, [], "#dc3545"),
            ],
        ),
    ],
    "bg": [
        (
            "Нови клиенти",
            [
                ("Нова заявка", 10, OPEN, 2, [], "#6c757d"),
                ("Квалифициран", 20, OPEN, 5, [], "#0dcaf0"),
                ("Среща", 40, OPEN, 10, ["contacts"], "#0d6efd"),
                ("Изпратена оферта", 60, OPEN, 14, ["amount", "expected_close_date"], "#6610f2"),
                ("Преговори", 80, OPEN, 14, ["amount", "expected_close_date"], "#fd7e14"),
                ("Спечелена", 100, WON, None, ["amount"], "#198754"),
                ("Загубена", 0, LOST, None, [], "#dc3545"),
            ],
        ),
        (
            "Повторни продажби",
            [
                ("Заявка", 20, OPEN, 3, [], "#6c757d"),
                ("Изпратена оферта", 60, OPEN, 10, ["amount"], "#6610f2"),
                ("Издадена фактура", 90, OPEN, 14, ["amount"], "#fd7e14"),
                ("Спечелена", 100, WON, None, ["amount"], "#198754"),
                ("Загубена", 0, LOST, None, [], "#dc3545"),
            ],
        ),
    ],
    "ru": [
        (
            "Новые клиенты",
            [
                ("Новая заявка", 10, OPEN, 2, [], "#6c757d"),
                ("Квалификация", 20, OPEN, 5, [], "#0dcaf0"),
                ("Встреча", 40, OPEN, 10, ["contacts"], "#0d6efd"),
                ("КП отправлено", 60, OPEN, 14, ["amount", "expected_close_date"], "#6610f2"),
                ("Переговоры", 80, OPEN, 14, ["amount", "expected_close_date"], "#fd7e14"),
                ("Успешно", 100, WON, None, ["amount"], "#198754"),
                ("Проиграна", 0, LOST, None, [], "#dc3545"),
            ],
        ),
        (
            "Повторные продажи",
            [
                ("Заявка", 20, OPEN, 3, [], "#6c757d"),
                ("КП отправлено", 60, OPEN, 10, ["amount"], "#6610f2"),
                ("Счёт выставлен", 90, OPEN, 14, ["amount"], "#fd7e14"),
                ("Успешно", 100, WON, None, ["amount"], "#198754"),
                ("Проиграна", 0, LOST, None, [], "#dc3545"),
            ],
        ),
    ],
}

LOST_REASONS = {
    "en": ["Price too high", "Chose a competitor", "No budget", "Stopped responding", "Not a fit"],
    "bg": ["Висока цена", "Избра конкурент", "Няма бюджет", "Спря да отговаря", "Не е подходящо"],
    "ru": ["Высокая цена", "Выбрал конкурента", "Нет бюджета", "Перестал отвечать", "Не подходит"],
}

CHANNELS = {
    "en": ["Website", "Phone call", "Referral", "Exhibition", "Advertising", "Email"],
    "bg": ["Уебсайт", "Телефонно обаждане", "Препоръка", "Изложение", "Реклама", "Имейл"],
    "ru": ["Сайт", "Звонок", "Рекомендация", "Выставка", "Реклама", "Email"],
}

# Rates to EUR; used only when the base currency is EUR (otherwise the admin enters them).
EUR_RATES = {
    "EUR": Decimal("1"),
    "BGN": Decimal("0.51129188"),
    "USD": Decimal("0.92"),
    "RUB": Decimal("0.0105"),
}


def sales_process_seed(apps: Any) -> None:
    """Create the default pipelines, currencies, lost reasons and channels that are missing.

    Used by the data migration (with its historical `apps`) and by tests after a table flush."""
    from django.conf import settings

    Pipeline = apps.get_model("deals", "Pipeline")
    Stage = apps.get_model("deals", "Stage")
    Currency = apps.get_model("deals", "Currency")
    LostReason = apps.get_model("deals", "LostReason")
    Channel = apps.get_model("contacts", "Channel")
    language = settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in PIPELINES else "en"
    base = settings.BASE_CURRENCY
    Currency.objects.get_or_create(code=base, defaults={"rate": 1})
    if base == "EUR":
        for code, rate in EUR_RATES.items():
            Currency.objects.get_or_create(code=code, defaults={"rate": rate})
    if not Pipeline.objects.exists():
        for position, (name, stages) in enumerate(PIPELINES[language]):
            pipeline = Pipeline.objects.create(name=name, position=position)
            for index, (stage, probability, kind, max_days, required, colour) in enumerate(stages):
                Stage.objects.create(
                    pipeline=pipeline,
                    name=stage,
                    probability=probability,
                    kind=kind,
                    max_days=max_days,
                    required_fields=required,
                    colour=colour,
                    position=index,
                )
    for position, name in enumerate(LOST_REASONS[language]):
        LostReason.objects.get_or_create(name=name, defaults={"position": position})
    for position, name in enumerate(CHANNELS[language]):
        Channel.objects.get_or_create(name=name, defaults={"position": position})
