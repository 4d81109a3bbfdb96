"""Activity types and outcomes a new instance starts with, in the instance language."""

from __future__ import annotations

from typing import Any

# kind, icon, counts as contact with the client, name per language
TYPES = [
    ("call", "bi-telephone", True, {"en": "Call", "bg": "Обаждане", "ru": "Звонок"}),
    ("meeting", "bi-people", True, {"en": "Meeting", "bg": "Среща", "ru": "Встреча"}),
    ("letter", "bi-envelope-paper", True, {"en": "Letter", "bg": "Писмо", "ru": "Письмо"}),
    ("email", "bi-envelope", True, {"en": "Email", "bg": "Имейл", "ru": "Email"}),
    ("task", "bi-check2-square", False, {"en": "Task", "bg": "Задача", "ru": "Задача"}),
    ("note", "bi-sticky", False, {"en": "Note", "bg": "Бележка", "ru": "Заметка"}),
]

OUTCOMES = {
    "en": [
        "Reached",
        "No answer",
        "Asked to call back",
        "Wrong number",
        "Not interested",
        "Agreed a meeting",
    ],
    "bg": [
        "Свързахме се",
        "Не вдига",
        "Помоли да се обадим по-късно",
        "Грешен номер",
        "Няма интерес",
        "Уговорена среща",
    ],
    "ru": [
        "Дозвонились",
        "Не отвечает",
        "Просил перезвонить",
        "Неверный номер",
        "Не интересно",
        "Договорились о встрече",
    ],
}


def activities_seed(apps: Any) -> None:
    """Create the built-in activity types and the default outcomes that are missing."""
    from django.conf import settings

    ActivityType = apps.get_model("activities", "ActivityType")
    Outcome = apps.get_model("activities", "Outcome")
    language = settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in OUTCOMES else "en"
    for position, (kind, icon, counts, names) in enumerate(TYPES):
        if not ActivityType.objects.filter(kind=kind).exists():
            ActivityType.objects.create(
                name=names[language], kind=kind, icon=icon, counts_as_contact=counts, position=position
            )
    for position, name in enumerate(OUTCOMES[language]):
        Outcome.objects.get_or_create(name=name, defaults={"position": position})
