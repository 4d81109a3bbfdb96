"""Fill the configured database with a realistic CRM at scale, fast.

    python -m bench.generate --contacts 1000000 --companies 200000 [--users 40] [--seed 1] [--reset]

The rows have exactly the shape the services write (legal form split off, `name_key`, E.164 phones
with their raw text, folded emails, a `created` history event per record, search documents built by
`company_document` / `contact_document`), but they are written with COPY (PostgreSQL) or
`executemany` (SQLite) in batches, with secondary indexes dropped during the load and rebuilt after.
A sample of the result is re-checked against the real normalisation code at the end.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import setup_django

BATCH = 10_000
START = datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC)
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
SPAN = (NOW - START).total_seconds()

# --------------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------------

BG_MALE = [
    "Иван",
    "Георги",
    "Димитър",
    "Петър",
    "Николай",
    "Христо",
    "Стоян",
    "Тодор",
    "Васил",
    "Александър",
    "Мартин",
    "Красимир",
    "Пламен",
    "Стефан",
    "Явор",
    "Борис",
    "Калоян",
    "Любомир",
    "Емил",
    "Владимир",
]
BG_FEMALE = [
    "Мария",
    "Елена",
    "Иванка",
    "Десислава",
    "Петя",
    "Гергана",
    "Милена",
    "Виктория",
    "Радослава",
    "Надежда",
    "Силвия",
    "Теодора",
    "Йорданка",
    "Цветелина",
    "Анелия",
    "Биляна",
    "Ралица",
    "Калина",
    "Даниела",
    "Нели",
]
BG_LAST = [
    "Иванов",
    "Георгиев",
    "Димитров",
    "Петров",
    "Николов",
    "Христов",
    "Стоянов",
    "Тодоров",
    "Василев",
    "Ангелов",
    "Атанасов",
    "Попов",
    "Костов",
    "Марков",
    "Колев",
    "Йорданов",
    "Илиев",
    "Михайлов",
    "Павлов",
    "Русев",
    "Цветков",
    "Костадинов",
    "Славов",
    "Добрев",
]
RU_MALE = [
    "Алексей",
    "Сергей",
    "Дмитрий",
    "Андрей",
    "Михаил",
    "Никита",
    "Павел",
    "Игорь",
    "Роман",
    "Олег",
    "Артём",
    "Максим",
    "Евгений",
    "Виктор",
    "Юрий",
]
RU_FEMALE = [
    "Анна",
    "Ольга",
    "Татьяна",
    "Екатерина",
    "Наталья",
    "Ирина",
    "Светлана",
    "Юлия",
    "Марина",
    "Ксения",
    "Алёна",
    "Вера",
    "Людмила",
    "Дарья",
    "Полина",
]
RU_LAST = [
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
]
EN_MALE = [
    "James",
    "John",
    "Robert",
    "Michael",
    "William",
    "David",
    "Richard",
    "Thomas",
    "Daniel",
    "Mark",
    "Paul",
    "Steven",
    "George",
    "Edward",
    "Peter",
]
EN_FEMALE = [
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Emma",
    "Olivia",
    "Sophie",
    "Laura",
    "Alice",
    "Grace",
]
EN_LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Taylor",
    "Clark",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Green",
    "Baker",
    "Turner",
    "Parker",
    "Evans",
]

BG_COMPANY_A = [
    "Агро",
    "Техно",
    "Строй",
    "Елит",
    "Балкан",
    "Мега",
    "Био",
    "Инвест",
    "Транс",
    "Евро",
    "Нова",
    "Стар",
    "Топ",
    "Сигма",
    "Вита",
    "Тера",
    "Аква",
    "Софт",
    "Пром",
    "Медика",
    "Хлебна",
    "Винарна",
    "Дунав",
    "Пирин",
    "Родопи",
    "Витоша",
    "Черно",
    "Море",
    "Бяла",
    "Злат",
]
BG_COMPANY_B = [
    "Груп",
    "Консулт",
    "Трейд",
    "Логистик",
    "Системс",
    "Маркет",
    "Сервиз",
    "Продукт",
    "Проект",
    "Дизайн",
    "Енерджи",
    "Фарм",
    "Тех",
    "Билд",
    "Фуудс",
    "Стийл",
    "Пак",
    "Снаб",
    "Комерс",
    "Холдинг",
]
RU_COMPANY_A = [
    "Альфа",
    "Гарант",
    "Север",
    "Восток",
    "Урал",
    "Сибирь",
    "Волга",
    "Техно",
    "Пром",
    "Строй",
    "Агро",
    "Энерго",
    "Транс",
    "Медиа",
    "Нефте",
    "Тех",
    "Инвест",
    "Вектор",
    "Орион",
    "Кедр",
]
RU_COMPANY_B = [
    "Сервис",
    "Снаб",
    "Комплект",
    "Торг",
    "Проект",
    "Систем",
    "Ресурс",
    "Логистик",
    "Групп",
    "Маркет",
    "Холдинг",
    "Монтаж",
    "Лайн",
    "Альянс",
    "Трейд",
]
EN_COMPANY_A = [
    "Blue",
    "River",
    "Summit",
    "Oak",
    "Silver",
    "North",
    "Bright",
    "Prime",
    "Apex",
    "Green",
    "Iron",
    "Golden",
    "Clear",
    "Rapid",
    "Union",
    "Atlas",
    "Nova",
    "Pioneer",
    "Harbor",
    "Crown",
]
EN_COMPANY_B = [
    "Solutions",
    "Trading",
    "Systems",
    "Logistics",
    "Foods",
    "Partners",
    "Industries",
    "Holdings",
    "Supplies",
    "Labs",
    "Works",
    "Group",
    "Digital",
    "Energy",
    "Retail",
]
BG_CITIES = [
    "София",
    "Пловдив",
    "Варна",
    "Бургас",
    "Русе",
    "Стара",
    "Загора",
    "Плевен",
    "Шумен",
    "Добрич",
    "Хасково",
    "Благоевград",
    "Велико",
    "Търново",
]
RU_CITIES = [
    "Москва",
    "Санкт-Петербург",
    "Новосибирск",
    "Екатеринбург",
    "Казань",
    "Самара",
    "Омск",
    "Ростов-на-Дону",
]
EN_CITIES = ["London", "Manchester", "Leeds", "Bristol", "Dublin", "Berlin", "Vienna"]

BG_FORMS = [("ООД", 45), ("ЕООД", 35), ("АД", 8), ("ЕТ", 10), ("ЕАД", 2)]
RU_FORMS = [("ООО", 70), ("АО", 12), ("ИП", 12), ("ЗАО", 6)]
EN_FORMS = [("Ltd", 50), ("LLC", 25), ("GmbH", 15), ("Inc", 10)]

ROLES = ["Director", "Accountant", "Buyer", "Storekeeper", "Sales manager", "Office manager", "Engineer"]
POSITIONS = {
    "bg": [
        "Управител",
        "Главен счетоводител",
        "Снабдител",
        "Складов работник",
        "Търговски директор",
        "Офис мениджър",
        "Инженер",
    ],
    "ru": [
        "Генеральный директор",
        "Главный бухгалтер",
        "Менеджер по закупкам",
        "Кладовщик",
        "Коммерческий директор",
        "Офис-менеджер",
        "Инженер",
    ],
    "en": [
        "Managing Director",
        "Chief Accountant",
        "Purchasing Manager",
        "Storekeeper",
        "Sales Director",
        "Office Manager",
        "Engineer",
    ],
}
INDUSTRIES = [
    "Retail",
    "Wholesale",
    "Construction",
    "Manufacturing",
    "Food and beverages",
    "Logistics",
    "IT",
    "Healthcare",
    "Agriculture",
    "Energy",
    "Hospitality",
    "Automotive",
    "Education",
    "Finance",
    "Real estate",
    "Telecom",
    "Pharmaceuticals",
    "Textiles",
    "Furniture",
    "Printing",
]
CATEGORIES = ["A — key account", "B — regular", "C — occasional", "VIP", "Prospect", "Partner", "Distributor"]
CHANNELS = [
    "Website",
    "Inbound call",
    "Referral",
    "Exhibition",
    "Google Ads",
    "Facebook",
    "Cold call",
    "Partner",
    "Tender",
    "Email campaign",
]
TAGS = [
    "newsletter",
    "vip",
    "hot",
    "cold",
    "follow-up",
    "invoice-by-email",
    "wholesale",
    "retail",
    "export",
    "tender",
    "sofia",
    "plovdiv",
    "varna",
    "moscow",
    "black-friday-2025",
    "conference",
    "distributor",
    "lost-2024",
    "reactivated",
    "needs-visit",
    "pays-late",
    "key-decision-maker",
    "technical",
    "budget-q1",
    "partner-program",
]
TEAMS = ["Sofia", "Plovdiv", "Varna", "Export"]

TRANSLIT = dict(
    zip(
        "абвгдежзийклмнопрстуфхцчшщъьюяёыэ",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "h",
            "ts",
            "ch",
            "sh",
            "sht",
            "a",
            "",
            "yu",
            "ya",
            "yo",
            "y",
            "e",
        ],
        strict=True,
    )
)


def latin(text: str) -> str:
    return "".join(TRANSLIT.get(char, char) for char in text.lower() if char.isalnum())


def weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    total = sum(weight for _, weight in choices)
    point = rng.random() * total
    for value, weight in choices:
        point -= weight
        if point < 0:
            return value
    return choices[-1][0]


# --------------------------------------------------------------------------------------------------
# Light stand-ins the real document builders accept (model instances are 10x slower to create)
# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class CompanyDoc:
    name: str
    legal_form: str
    tax_id: str
    website: str


@dataclass(slots=True)
class PersonDoc:
    first_name: str
    middle_name: str
    last_name: str
    position: str

    def __str__(self) -> str:
        return " ".join(part for part in (self.first_name, self.middle_name, self.last_name) if part)


@dataclass(slots=True)
class PhoneDoc:
    raw: str
    e164: str
    extension: str


@dataclass(slots=True)
class EmailDoc:
    address: str


def bg_mobile(rng: random.Random) -> tuple[str, str]:
    operator = rng.choice("789")
    rest = f"{rng.randrange(10_000_000):07d}"
    nsn = "8" + operator + rest
    e164 = "+359" + nsn
    style = rng.random()
    if style < 0.55:
        raw = f"0{nsn[:3]} {nsn[3:6]} {nsn[6:]}"
    elif style < 0.8:
        raw = "0" + nsn
    else:
        raw = f"+359 {nsn[:2]} {nsn[2:5]} {nsn[5:]}"
    return e164, raw


def bg_landline(rng: random.Random) -> tuple[str, str]:
    rest = f"{rng.randrange(10_000_000):07d}"
    e164 = "+3592" + rest
    raw = f"02 {rest[:3]} {rest[3:5]} {rest[5:]}" if rng.random() < 0.7 else f"02/{rest}"
    return e164, raw


def ru_mobile(rng: random.Random) -> tuple[str, str]:
    code = rng.choice(["903", "905", "910", "915", "916", "917", "925", "926", "977", "985"])
    rest = f"{rng.randrange(10_000_000):07d}"
    e164 = "+7" + code + rest
    raw = f"+7 {code} {rest[:3]}-{rest[3:5]}-{rest[5:]}" if rng.random() < 0.7 else f"+7 ({code}) {rest}"
    return e164, raw


# --------------------------------------------------------------------------------------------------
# Bulk writer: COPY on PostgreSQL, executemany on SQLite
# --------------------------------------------------------------------------------------------------


class Writer:
    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.rows_written = 0

    def timestamp(self, moment: datetime.datetime | None) -> Any:
        if moment is None:
            return None
        if self.postgres:
            return moment
        # Django stores aware datetimes on SQLite as naive UTC text.
        return moment.replace(tzinfo=None).isoformat(" ")

    def date(self, day: datetime.date | None) -> Any:
        if day is None or self.postgres:
            return day
        return day.isoformat()

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        raw = self.connection.connection
        column_list = ", ".join(columns)
        if self.postgres:
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    self.rows_written += 1
        else:
            rows = list(rows)
            placeholders = ", ".join("?" * len(columns))
            raw.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})", rows)
            self.rows_written += len(rows)

    def secondary_indexes(self, tables: list[str]) -> list[tuple[str, str]]:
        """(name, CREATE statement) of every index not backing a primary key or constraint."""
        with self.connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                    "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                    [tables],
                )
            else:
                marks = ", ".join(["%s"] * len(tables))
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                    f"AND tbl_name IN ({marks})",
                    tables,
                )
            return list(cursor.fetchall())

    def execute(self, sql: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)


# --------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------


class Progress:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def say(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:7.1f}s] {message}", flush=True)


def reset_database(progress: Progress) -> None:
    from django.conf import settings
    from django.db import connection

    database = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        progress.say("reset: dropping schema public")
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    else:
        connection.close()
        path = Path(database["NAME"])
        progress.say(f"reset: deleting {path}")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


def create_people(users: int) -> dict[str, Any]:
    """Users through the real services (there are few): admin, marketer, read-only, heads, reps."""
    from tandem.accounts.roles import Role
    from tandem.accounts.services import team_create, user_create

    plan: list[tuple[Role, int | None]] = [(Role.ADMIN, None), (Role.MARKETER, None), (Role.READONLY, None)]
    team_count = len(TEAMS) if users >= 12 else 1
    plan += [(Role.HEAD, index) for index in range(team_count)]
    reps = max(users - len(plan), team_count)
    plan += [(Role.REP, index % team_count) for index in range(reps)]
    teams = [team_create(actor=None, name=TEAMS[index]) for index in range(team_count)]
    rng = random.Random(7)
    made: dict[str, Any] = {"teams": teams, "reps": [], "heads": [], "admin": None, "by_team": {}}
    for number, (role, team_index) in enumerate(plan):
        first = rng.choice(BG_MALE + BG_FEMALE)
        last = rng.choice(BG_LAST)
        team = teams[team_index] if team_index is not None else None
        user = user_create(
            actor=None,
            email=f"{role.value}{number}@bench.tandem.local",
            role=role,
            full_name=f"{first} {last}",
            team=team,
            password="bench-admin-password" if role is Role.ADMIN else None,
        )
        if role is Role.ADMIN:
            made["admin"] = user
        elif role is Role.HEAD:
            assert team is not None
            team.head = user
            team.save(update_fields=["head"])
            made["heads"].append(user)
        elif role is Role.REP:
            made["reps"].append(user)
        if team is not None and role in (Role.HEAD, Role.REP):
            made["by_team"].setdefault(team.pk, []).append(user.pk)
    return made


def create_references() -> dict[str, list[int]]:
    from tandem.contacts.models import Channel, ClientCategory, ContactRole, Industry, Tag

    ids: dict[str, list[int]] = {}
    for key, model, names in (
        ("industry", Industry, INDUSTRIES),
        ("category", ClientCategory, CATEGORIES),
        ("role", ContactRole, ROLES),
        ("channel", Channel, CHANNELS),
        ("tag", Tag, TAGS),
    ):
        # The data migrations seed some lists (channels) already: keep those rows.
        model.objects.bulk_create(
            [model(name=name, position=index) for index, name in enumerate(names)], ignore_conflicts=True
        )
        ids[key] = list(
            model.objects.filter(name__in=names).order_by("position").values_list("id", flat=True)
        )
    return ids


def moment_for(rng: random.Random, index: int, total: int) -> tuple[datetime.datetime, datetime.datetime]:
    """created (rising with the id, as rows made in the app or imported in order) and updated."""
    created = START + datetime.timedelta(
        seconds=min(SPAN - 1, max(0.0, SPAN * index / total + rng.uniform(-3, 3) * 86400))
    )
    if rng.random() < 0.35:
        updated = created + datetime.timedelta(seconds=rng.random() * (NOW - created).total_seconds())
    else:
        updated = created
    return created, updated


def generate(args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.db import transaction

    progress = Progress()
    if args.reset:
        reset_database(progress)
    progress.say("migrate")
    call_command("migrate", interactive=False, verbosity=0)

    from django.contrib.contenttypes.models import ContentType

    from tandem.accounts.models import User
    from tandem.contacts.models import Company, Contact, Email, Phone
    from tandem.contacts.normalize import company_name_key, email_key
    from tandem.contacts.search import company_document, contact_document
    from tandem.history.models import Event
    from tandem.search.backends import Kind, _doc_id, fold

    if User.objects.exists() or Company.objects.exists() or Contact.objects.exists():
        sys.exit("The database already holds data; rerun with --reset to wipe it (everything!) first.")

    writer = Writer()
    vendor = writer.connection.vendor
    progress.say(f"database: {vendor} {writer.connection.settings_dict['NAME']}")
    people = create_people(args.users)
    refs = create_references()
    owners_by_team: dict[int, list[int]] = people["by_team"]
    rep_team = {user.pk: user.team_id for user in people["reps"] + people["heads"]}
    all_owner_ids = [user.pk for user in people["reps"]] * 6 + [user.pk for user in people["heads"]]
    user_ids = list(User.objects.values_list("id", flat=True))
    company_type = ContentType.objects.get_for_model(Company).pk
    contact_type = ContentType.objects.get_for_model(Contact).pk
    progress.say(f"{len(user_ids)} users in {len(people['teams'])} teams, reference lists ready")

    search_table, search_key = ("search_document", "id") if writer.postgres else ("search_fts", "rowid")
    company_through = Company.tags.through._meta.db_table
    contact_through = Contact.tags.through._meta.db_table
    company_shared = Company.shared_with.through._meta.db_table
    contact_shared = Contact.shared_with.through._meta.db_table
    big_tables = [
        Company._meta.db_table,
        Contact._meta.db_table,
        Phone._meta.db_table,
        Email._meta.db_table,
        Event._meta.db_table,
        company_through,
        contact_through,
        company_shared,
        contact_shared,
    ]
    if writer.postgres:
        big_tables.append("search_document")
    indexes = writer.secondary_indexes(big_tables)
    progress.say(f"dropping {len(indexes)} secondary indexes for the load")
    for name, _sql in indexes:
        writer.execute(f'DROP INDEX "{name}"')
    if writer.postgres:
        # Foreign keys are deferred triggers: a million queued checks. The data is consistent by construction.
        writer.execute("SET session_replication_role = replica")
    else:
        writer.execute("PRAGMA foreign_keys = OFF")

    rng = random.Random(args.seed)
    counters = {
        "phone": 0,
        "email": 0,
        "event": 0,
        "company_tag": 0,
        "contact_tag": 0,
        "shared_c": 0,
        "shared_p": 0,
    }

    def next_id(name: str) -> int:
        counters[name] += 1
        return counters[name]

    # ---------------------------------------------------------------- companies
    company_count = args.companies
    company_names: list[str] = [""] * (company_count + 1)
    company_locale: list[str] = [""] * (company_count + 1)
    company_owner: list[int] = [0] * (company_count + 1)
    company_domain: list[str] = [""] * (company_count + 1)
    company_deleted: list[bool] = [False] * (company_count + 1)
    company_category: list[int | None] = [None] * (company_count + 1)
    company_columns = [
        "id",
        "owner_id",
        "notes",
        "created_at",
        "updated_at",
        "deleted_at",
        "name",
        "name_key",
        "legal_form",
        "tax_id",
        "industry_id",
        "category_id",
        "channel_id",
        "website",
        "address",
        "delivery_address",
        "needs",
    ]
    phone_columns = ["id", "label", "position", "company_id", "contact_id", "e164", "extension", "raw"]
    email_columns = ["id", "label", "position", "company_id", "contact_id", "address"]
    event_columns = [
        "id",
        "occurred_at",
        "actor_id",
        "action",
        "target_type_id",
        "target_id",
        "target_label",
        "parent_type_id",
        "parent_id",
        "changes",
    ]
    empty_changes = json.dumps([])

    for start in range(1, company_count + 1, BATCH):
        stop = min(start + BATCH, company_count + 1)
        rows, phones, emails, events, docs, tags, shares = [], [], [], [], [], [], []
        for company_id in range(start, stop):
            locale = "bg" if rng.random() < 0.75 else ("ru" if rng.random() < 0.7 else "en")
            if locale == "bg":
                name = rng.choice(BG_COMPANY_A) + rng.choice(BG_COMPANY_B)
                city = rng.choice(BG_CITIES)
                form = weighted(rng, BG_FORMS)
                tax_id = f"{(company_id * 7919) % 900_000_000 + 100_000_000}"
                tld = "bg"
            elif locale == "ru":
                name = rng.choice(RU_COMPANY_A) + rng.choice(RU_COMPANY_B).lower()
                city = rng.choice(RU_CITIES)
                form = weighted(rng, RU_FORMS)
                tax_id = f"{(company_id * 7919) % 9_000_000_000 + 1_000_000_000}"
                tld = "ru"
            else:
                name = f"{rng.choice(EN_COMPANY_A)} {rng.choice(EN_COMPANY_B)}"
                city = rng.choice(EN_CITIES)
                form = weighted(rng, EN_FORMS)
                tax_id = f"GB{(company_id * 7919) % 900_000_000 + 100_000_000}"
                tld = "co.uk"
            if rng.random() < 0.35:
                name = f"{name} {city}"
            if rng.random() < 0.1:
                name = f"{name} {rng.randrange(1, 100)}"
            if rng.random() < 0.08:
                tax_id = ""
            slug = latin(name)[:30] + str(company_id % 1000)
            domain = f"{slug}.{tld}"
            website = f"https://www.{domain}" if rng.random() < 0.6 else ""
            team_owners = owners_by_team[rep_team[rng.choice(all_owner_ids)]]
            owner = rng.choice(team_owners)
            created, updated = moment_for(rng, company_id, company_count)
            deleted = created + datetime.timedelta(days=30) if rng.random() < 0.01 else None
            company_names[company_id], company_locale[company_id] = name, locale
            company_owner[company_id], company_domain[company_id] = owner, domain
            company_deleted[company_id] = deleted is not None
            industry = rng.choice(refs["industry"]) if rng.random() < 0.9 else None
            category = rng.choice(refs["category"]) if rng.random() < 0.85 else None
            company_category[company_id] = category
            rows.append(
                (
                    company_id,
                    owner,
                    "",
                    writer.timestamp(created),
                    writer.timestamp(updated),
                    writer.timestamp(deleted),
                    name,
                    company_name_key(name),
                    form,
                    tax_id,
                    industry,
                    category,
                    rng.choice(refs["channel"]) if rng.random() < 0.6 else None,
                    website,
                    f"{city}, ул. {rng.randrange(1, 200)}" if locale == "bg" else city,
                    "",
                    "",
                )
            )
            company_phones: list[PhoneDoc] = []
            for position in range(rng.choice((0, 1, 1, 1, 2))):
                if locale == "ru":
                    e164, raw = ru_mobile(rng)
                else:
                    e164, raw = bg_landline(rng) if rng.random() < 0.5 else bg_mobile(rng)
                company_phones.append(PhoneDoc(raw=raw, e164=e164, extension=""))
                phones.append(
                    (
                        next_id("phone"),
                        "office" if position == 0 else "",
                        position,
                        company_id,
                        None,
                        e164,
                        "",
                        raw,
                    )
                )
            company_emails: list[EmailDoc] = []
            if rng.random() < 0.7:
                address = email_key(f"{rng.choice(['info', 'office', 'sales', 'contact'])}@{domain}")
                company_emails.append(EmailDoc(address))
                emails.append((next_id("email"), "", 0, company_id, None, address))
            label = f"{name} {form}".strip()[:300]
            events.append(
                (
                    next_id("event"),
                    writer.timestamp(created),
                    owner,
                    "created",
                    company_type,
                    company_id,
                    label,
                    None,
                    None,
                    empty_changes,
                )
            )
            if updated != created:
                change = [{"field": "category", "old": rng.choice(CATEGORIES), "new": rng.choice(CATEGORIES)}]
                events.append(
                    (
                        next_id("event"),
                        writer.timestamp(updated),
                        owner,
                        "updated",
                        company_type,
                        company_id,
                        label,
                        None,
                        None,
                        json.dumps(change),
                    )
                )
            if deleted is not None:
                events.append(
                    (
                        next_id("event"),
                        writer.timestamp(deleted),
                        owner,
                        "deleted",
                        company_type,
                        company_id,
                        label,
                        None,
                        None,
                        empty_changes,
                    )
                )
            document = company_document(
                CompanyDoc(name=name, legal_form=form, tax_id=tax_id, website=website),  # type: ignore[arg-type]
                company_phones,  # type: ignore[arg-type]
                company_emails,  # type: ignore[arg-type]
            )
            docs.append((_doc_id(Kind.COMPANY, company_id), fold(document)))
            if rng.random() < 0.1:
                for tag in rng.sample(refs["tag"], rng.choice((1, 1, 2))):
                    tags.append((next_id("company_tag"), company_id, tag))
            if rng.random() < 0.005:
                shares.append((next_id("shared_c"), company_id, rng.choice(user_ids)))
        with transaction.atomic():
            writer.write(Company._meta.db_table, company_columns, rows)
            writer.write(Phone._meta.db_table, phone_columns, phones)
            writer.write(Email._meta.db_table, email_columns, emails)
            writer.write(Event._meta.db_table, event_columns, events)
            writer.write(search_table, [search_key, "body"], docs)
            writer.write(company_through, ["id", "company_id", "tag_id"], tags)
            writer.write(company_shared, ["id", "company_id", "user_id"], shares)
        if (stop - 1) % 50_000 == 0 or stop > company_count:
            progress.say(f"companies {stop - 1:>9,} / {company_count:,}")

    # ---------------------------------------------------------------- contacts
    contact_count = args.contacts
    key_accounts = max(1, company_count // 50)
    contact_columns = [
        "id",
        "owner_id",
        "notes",
        "created_at",
        "updated_at",
        "deleted_at",
        "first_name",
        "middle_name",
        "last_name",
        "company_id",
        "position",
        "role_id",
        "channel_id",
        "birthday",
        "messengers",
        "interests",
        "preferences",
        "marketing_consent",
        "marketing_consent_at",
        "company_category_id",  # the database keeps it by triggers, which a bulk load switches off
    ]
    names = {
        "bg": (BG_MALE, BG_FEMALE, BG_LAST),
        "ru": (RU_MALE, RU_FEMALE, RU_LAST),
        "en": (EN_MALE, EN_FEMALE, EN_LAST),
    }
    free_mail = {
        "bg": ["abv.bg", "gmail.com", "mail.bg"],
        "ru": ["mail.ru", "yandex.ru", "gmail.com"],
        "en": ["gmail.com", "outlook.com"],
    }
    empty_messengers = json.dumps({})
    for start in range(1, contact_count + 1, BATCH):
        stop = min(start + BATCH, contact_count + 1)
        rows, phones, emails, events, docs, tags, shares = [], [], [], [], [], [], []
        for contact_id in range(start, stop):
            company_id: int | None = None
            if rng.random() < 0.7:
                company_id = (
                    rng.randrange(1, key_accounts + 1)
                    if rng.random() < 0.2
                    else rng.randrange(1, company_count + 1)
                )
                locale = company_locale[company_id]
                owner = (
                    company_owner[company_id]
                    if rng.random() < 0.85
                    else rng.choice(owners_by_team[rep_team[company_owner[company_id]]])
                )
            else:
                locale = "bg" if rng.random() < 0.7 else ("ru" if rng.random() < 0.7 else "en")
                owner = rng.choice(all_owner_ids)
            male_names, female_names, last_names = names[locale]
            female = rng.random() < 0.5
            first = rng.choice(female_names if female else male_names)
            last = rng.choice(last_names)
            if female and locale != "en":
                last += "а"
            middle = ""
            if locale != "en" and rng.random() < 0.3:
                father = rng.choice(male_names)
                middle = (
                    father + ("ова" if locale == "bg" else "овна")
                    if female
                    else father + ("ов" if locale == "bg" else "ович")
                )
            if rng.random() < 0.02:
                first = ""
            position_index = rng.randrange(len(ROLES))
            position = POSITIONS[locale][position_index] if company_id and rng.random() < 0.8 else ""
            role = refs["role"][position_index] if position and rng.random() < 0.6 else None
            created, updated = moment_for(rng, contact_id, contact_count)
            deleted = created + datetime.timedelta(days=20) if rng.random() < 0.01 else None
            consent = rng.random() < 0.3
            birthday = (
                datetime.date(rng.randrange(1955, 2003), rng.randrange(1, 13), rng.randrange(1, 29))
                if rng.random() < 0.15
                else None
            )
            rows.append(
                (
                    contact_id,
                    owner,
                    "",
                    writer.timestamp(created),
                    writer.timestamp(updated),
                    writer.timestamp(deleted),
                    first,
                    middle,
                    last,
                    company_id,
                    position,
                    role,
                    rng.choice(refs["channel"]) if rng.random() < 0.5 else None,
                    writer.date(birthday),
                    empty_messengers,
                    "",
                    "",
                    consent,
                    writer.timestamp(created) if consent else None,
                    company_category[company_id] if company_id else None,
                )
            )
            contact_phones: list[PhoneDoc] = []
            for position_number in range(rng.choice((0, 1, 1, 1, 1, 2, 2))):
                e164, raw = ru_mobile(rng) if locale == "ru" else bg_mobile(rng)
                contact_phones.append(PhoneDoc(raw=raw, e164=e164, extension=""))
                phones.append(
                    (
                        next_id("phone"),
                        "mobile" if position_number == 0 else "",
                        position_number,
                        None,
                        contact_id,
                        e164,
                        "",
                        raw,
                    )
                )
            contact_emails: list[EmailDoc] = []
            if rng.random() < 0.6:
                local = f"{latin(first)}.{latin(last)}".strip(".") or "contact"
                domain = (
                    company_domain[company_id]
                    if company_id and rng.random() < 0.7
                    else rng.choice(free_mail[locale])
                )
                address = email_key(f"{local}{rng.randrange(100) if rng.random() < 0.5 else ''}@{domain}")
                contact_emails.append(EmailDoc(address))
                emails.append((next_id("email"), "", 0, None, contact_id, address))
            person = PersonDoc(first_name=first, middle_name=middle, last_name=last, position=position)
            label = str(person)[:300]
            parent_type = company_type if company_id else None
            events.append(
                (
                    next_id("event"),
                    writer.timestamp(created),
                    owner,
                    "created",
                    contact_type,
                    contact_id,
                    label,
                    parent_type,
                    company_id,
                    empty_changes,
                )
            )
            if updated != created:
                change = [{"field": "position", "old": "", "new": position}]
                events.append(
                    (
                        next_id("event"),
                        writer.timestamp(updated),
                        owner,
                        "updated",
                        contact_type,
                        contact_id,
                        label,
                        parent_type,
                        company_id,
                        json.dumps(change),
                    )
                )
            if deleted is not None:
                events.append(
                    (
                        next_id("event"),
                        writer.timestamp(deleted),
                        owner,
                        "deleted",
                        contact_type,
                        contact_id,
                        label,
                        parent_type,
                        company_id,
                        empty_changes,
                    )
                )
            document = contact_document(
                person,  # type: ignore[arg-type]
                company_names[company_id] if company_id else "",
                contact_phones,  # type: ignore[arg-type]
                contact_emails,  # type: ignore[arg-type]
            )
            docs.append((_doc_id(Kind.CONTACT, contact_id), fold(document)))
            if rng.random() < 0.15:
                for tag in rng.sample(refs["tag"], rng.choice((1, 1, 2))):
                    tags.append((next_id("contact_tag"), contact_id, tag))
            if rng.random() < 0.005:
                shares.append((next_id("shared_p"), contact_id, rng.choice(user_ids)))
        with transaction.atomic():
            writer.write(Contact._meta.db_table, contact_columns, rows)
            writer.write(Phone._meta.db_table, phone_columns, phones)
            writer.write(Email._meta.db_table, email_columns, emails)
            writer.write(Event._meta.db_table, event_columns, events)
            writer.write(search_table, [search_key, "body"], docs)
            writer.write(contact_through, ["id", "contact_id", "tag_id"], tags)
            writer.write(contact_shared, ["id", "contact_id", "user_id"], shares)
        if (stop - 1) % 100_000 == 0 or stop > contact_count:
            progress.say(
                f"contacts  {stop - 1:>9,} / {contact_count:,}  ({writer.rows_written:,} rows written)"
            )

    # ---------------------------------------------------------------- indexes, sequences, statistics
    if writer.postgres:
        # The link tables' triggers keep `tag_ids` (contacts/0008); they were off for the load.
        for table, links, key in (
            (Company._meta.db_table, company_through, "company_id"),
            (Contact._meta.db_table, contact_through, "contact_id"),
        ):
            writer.execute(
                f"UPDATE {table} AS record SET tag_ids = linked.ids FROM (SELECT {key}, "
                f"array_agg(tag_id ORDER BY tag_id) AS ids FROM {links} GROUP BY {key}) AS linked "
                f"WHERE linked.{key} = record.id"
            )
        progress.say("tag ids copied onto companies and contacts")
        writer.execute("SET session_replication_role = DEFAULT")
        writer.execute("SET maintenance_work_mem = '512MB'")
    else:
        writer.execute("PRAGMA foreign_keys = ON")
    for name, sql in indexes:
        started = time.perf_counter()
        writer.execute(sql)
        progress.say(f"index {name} rebuilt in {time.perf_counter() - started:.1f}s")
    if args.deals:
        generate_deals(writer, progress, args.deals, args.seed)
    reset_sequences()
    if writer.postgres:
        progress.say("VACUUM ANALYZE (what autovacuum does after a load)")
        writer.execute("VACUUM ANALYZE")
    elif args.analyze:
        # SQLite never gathers statistics by itself; without them it drives list queries from the
        # owner index and sorts 30k-250k rows (see bench/README.md). `PRAGMA optimize` keeps them fresh.
        progress.say("ANALYZE (SQLite planner statistics)")
        writer.execute("ANALYZE")
    self_check(args.seed)
    progress.say(
        f"done: {company_count:,} companies, {contact_count:,} contacts, {counters['phone']:,} phones, "
        f"{counters['email']:,} emails, {counters['event']:,} events, "
        f"{counters['company_tag'] + counters['contact_tag']:,} tag links; {writer.rows_written:,} rows"
    )


# --------------------------------------------------------------------------------------------------
# Deals: pipelines of the seed migration, stage paths, lines, contacts
# --------------------------------------------------------------------------------------------------

BENCH_OPEN_DEALS = 10_000  # the open deals of the first ("benchmarked") pipeline: its board
DEAL_WORDS = [
    "Supply",
    "Service contract",
    "Licences",
    "Installation",
    "Maintenance",
    "Consulting",
    "Equipment",
    "Renewal",
    "Pilot",
    "Framework agreement",
]
DEAL_PRODUCTS = [
    (f"Product {index:02d}", f"SKU-{index:04d}", 20 + index * 37 % 900) for index in range(1, 41)
]
# currency, share (%); amounts are drawn in the deal's currency and converted with the seeded rate
DEAL_CURRENCIES = [("EUR", 60), ("BGN", 30), ("USD", 10)]


def _deal_tables() -> dict[str, str]:
    from tandem.deals.models import Deal, DealContact, DealLine, StageChange

    return {
        "deal": Deal._meta.db_table,
        "contact": DealContact._meta.db_table,
        "line": DealLine._meta.db_table,
        "change": StageChange._meta.db_table,
        "shared": Deal.shared_with.through._meta.db_table,
    }


def _clear_deals(writer: Writer, progress: Progress) -> None:
    """Drop generated deals (and their history rows) so `--deals-only` can be rerun."""
    from django.contrib.contenttypes.models import ContentType

    from tandem.deals.models import Deal
    from tandem.history.models import Event

    tables = _deal_tables()
    deal_type = ContentType.objects.get_for_model(Deal).pk
    progress.say("deals: removing the deals already there")
    Event.objects.filter(target_type_id=deal_type).delete()
    if writer.postgres:
        # CASCADE: activities, payments and web requests of the old deals go with them.
        writer.execute(f"TRUNCATE {', '.join(tables.values())} RESTART IDENTITY CASCADE")
    else:
        for key in ("change", "line", "contact", "shared", "deal"):
            writer.execute(f"DELETE FROM {tables[key]}")


def generate_deals(writer: Writer, progress: Progress, count: int, seed: int) -> None:
    """`count` deals over the seeded pipelines with their StageChange paths, contacts and lines.

    The first pipeline gets exactly BENCH_OPEN_DEALS open deals (its board is what bench.run times);
    every other deal is won or lost, or open in the second pipeline. Paths respect the stages'
    required fields: a deal without contacts never reaches a stage requiring them.
    """
    from decimal import ROUND_HALF_UP, Decimal

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from tandem.accounts.models import User
    from tandem.accounts.roles import Role
    from tandem.contacts.models import Channel, Company, Contact
    from tandem.deals.models import Currency, Deal, LostReason, Pipeline, Product, Stage
    from tandem.history.models import Event

    tables = _deal_tables()
    rng = random.Random(seed + 1000)
    pipelines = list(Pipeline.objects.order_by("position", "id"))
    if not pipelines:
        sys.exit("No pipelines: run `tandem migrate` (the seed migration creates them).")
    stages = {
        pipeline.pk: list(
            Stage.objects.filter(pipeline=pipeline, is_archived=False).order_by("position", "id")
        )
        for pipeline in pipelines[:2]
    }
    rates = {code: Currency.objects.get(pk=code).rate for code, _share in DEAL_CURRENCIES}
    currency_codes = [code for code, share in DEAL_CURRENCIES for _ in range(share)]
    owners = list(
        User.objects.filter(role__in=[Role.REP, Role.HEAD], is_active=True).values_list("id", flat=True)
    )
    reps = list(User.objects.filter(role=Role.REP, is_active=True).values_list("id", flat=True))
    owner_pool = reps * 6 + owners
    channels = list(Channel.objects.values_list("id", flat=True))
    reasons = list(LostReason.objects.values_list("id", flat=True))
    if Product.objects.filter(sku__startswith="SKU-").count() < len(DEAL_PRODUCTS):
        Product.objects.bulk_create(
            [
                Product(name=name, sku=sku, price=Decimal(price), currency_id="EUR")
                for name, sku, price in DEAL_PRODUCTS
            ],
            ignore_conflicts=True,
        )
    products = list(Product.objects.filter(sku__startswith="SKU-").values_list("id", "name", "price"))
    progress.say("deals: reading companies and their contacts")
    companies = list(
        Company.objects.filter(deleted_at__isnull=True).values_list("id", "owner_id").order_by("id")
    )
    company_contacts: dict[int, list[int]] = {}
    for contact_id, company_id in (
        Contact.objects.filter(deleted_at__isnull=True, company__isnull=False)
        .values_list("id", "company_id")
        .iterator(chunk_size=50_000)
    ):
        company_contacts.setdefault(company_id, []).append(contact_id)
    deal_type = ContentType.objects.get_for_model(Deal).pk
    company_type = ContentType.objects.get_for_model(Company).pk
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Event._meta.db_table}")
        event_id = cursor.fetchone()[0]

    indexes = writer.secondary_indexes(list(tables.values()))
    progress.say(f"deals: dropping {len(indexes)} secondary indexes for the load")
    for name, _sql in indexes:
        writer.execute(f'DROP INDEX "{name}"')
    writer.execute(
        "SET session_replication_role = replica" if writer.postgres else "PRAGMA foreign_keys = OFF"
    )

    deal_columns = [
        "id", "title", "company_id", "pipeline_id", "stage_id", "amount", "currency_id", "amount_base",
        "amount_from_lines", "expected_close_date", "owner_id", "channel_id", "next_step", "next_step_date",
        "lost_reason_id", "notes", "stage_entered_at", "won_at", "lost_at", "taken_at", "created_at",
        "updated_at", "deleted_at", "lead_escalation",
    ]  # fmt: skip
    change_columns = [
        "id",
        "deal_id",
        "from_stage_id",
        "to_stage_id",
        "changed_at",
        "actor_id",
        "seconds_in_previous",
    ]
    line_columns = [
        "id",
        "deal_id",
        "product_id",
        "name",
        "quantity",
        "unit_price",
        "discount_percent",
        "position",
    ]
    event_columns = [
        "id", "occurred_at", "actor_id", "action", "target_type_id", "target_id", "target_label",
        "parent_type_id", "parent_id", "changes",
    ]  # fmt: skip
    cent = Decimal("0.01")
    first, second = pipelines[0].pk, pipelines[1].pk if len(pipelines) > 1 else pipelines[0].pk
    # Which deals are open in the first pipeline: spread evenly over the ids, so they mix with the rest.
    open_every = max(1, count // BENCH_OPEN_DEALS)
    second_open_every = 97
    counters = {"change": 0, "line": 0, "contact": 0, "shared": 0}

    def needs(stage: Stage, name: str) -> bool:
        return name in (stage.required_fields or [])

    for start in range(1, count + 1, BATCH):
        stop = min(start + BATCH, count + 1)
        deals, changes, lines, links, shares, events = [], [], [], [], [], []
        for deal_id in range(start, stop):
            first_open = deal_id % open_every == 0 and deal_id // open_every <= BENCH_OPEN_DEALS
            pipeline_id = first if first_open or rng.random() < 0.7 else second
            path_stages = stages[pipeline_id]
            opens = [stage for stage in path_stages if stage.kind == Stage.Kind.OPEN]
            won = next(stage for stage in path_stages if stage.kind == Stage.Kind.WON)
            lost = next(stage for stage in path_stages if stage.kind == Stage.Kind.LOST)
            company = rng.choice(companies) if rng.random() < 0.7 else None
            contact_ids = company_contacts.get(company[0], []) if company else []
            linked = (
                rng.sample(contact_ids, min(len(contact_ids), rng.choice((1, 1, 2)))) if contact_ids else []
            )
            with_lines = rng.random() < 0.3
            # how far the deal may go: no further than the first stage needing what it lacks
            lacking = {"contacts"} if not linked else set()
            if not with_lines:
                lacking.add("lines")
            limit = next(
                (
                    index
                    for index, stage in enumerate([*opens, won])
                    if lacking & set(stage.required_fields or [])
                ),
                len(opens) + 1,
            )
            if first_open or (pipeline_id == second and deal_id % second_open_every == 0):
                outcome, depth = "open", rng.randrange(min(limit, len(opens)))
            elif limit > len(opens) and rng.random() < 0.5:
                outcome, depth = "won", len(opens)
            else:
                outcome, depth = "lost", rng.randrange(min(limit, len(opens)))
            path = opens[: depth + 1]
            if len(path) > 2 and rng.random() < 0.15:
                path.pop(rng.randrange(1, len(path) - 1))  # a skipped stage
            for _ in range(rng.choice((0, 1, 1, 2))):
                if len(path) >= 2:  # back one stage and forward again: boards are worked like that
                    turn = rng.randrange(1, len(path))
                    path[turn:turn] = [path[turn], path[turn - 1]]
            if outcome == "won":
                path.append(won)
            elif outcome == "lost":
                path.append(lost)
            if outcome == "open":
                created = NOW - datetime.timedelta(seconds=rng.uniform(3600, 150 * 86400))
            else:
                created = START + datetime.timedelta(seconds=rng.uniform(0, SPAN - 200 * 86400))
            moment = entered = created
            previous: Stage | None = None
            for stage in path:
                if previous is not None:
                    gap = datetime.timedelta(seconds=rng.uniform(600, 20 * 86400))
                    moment = min(moment + gap, NOW - datetime.timedelta(seconds=60))
                counters["change"] += 1
                seconds = int((moment - entered).total_seconds()) if previous is not None else None
                changes.append(
                    (counters["change"], deal_id, previous.pk if previous else None, stage.pk,
                     writer.timestamp(moment), None, seconds)
                )  # fmt: skip
                previous, entered = stage, moment
            owner = company[1] if company and rng.random() < 0.9 else rng.choice(owner_pool)
            currency = rng.choice(currency_codes)
            deal_lines = []
            if with_lines:
                for position, (product_id, name, price) in enumerate(rng.sample(products, rng.randint(1, 3))):
                    quantity = Decimal(rng.randint(1, 20))
                    discount = Decimal(rng.choice((0, 0, 5, 10)))
                    deal_lines.append((product_id, name, quantity, price, discount, position))
            if deal_lines:
                amount = sum(
                    (
                        (quantity * price * (100 - discount) / 100).quantize(cent)
                        for _product, _name, quantity, price, discount, _position in deal_lines
                    ),
                    Decimal("0.00"),
                )
            elif (
                any(needs(stage, "amount") or needs(stage, "expected_close_date") for stage in path)
                or rng.random() < 0.5
            ):
                amount = Decimal(rng.randint(200, 80_000)).quantize(cent)
            else:
                amount = None
            amount_base = (
                (amount * rates[currency]).quantize(cent, rounding=ROUND_HALF_UP)
                if amount is not None
                else None
            )
            closing = (
                (created + datetime.timedelta(days=rng.randint(14, 120))).date()
                if amount is not None
                else None
            )
            untaken = outcome == "open" and depth == 0 and rng.random() < 0.1
            next_date = (
                (NOW + datetime.timedelta(days=rng.randint(-10, 30))).date()
                if outcome == "open" and rng.random() < 0.8
                else None
            )
            title = f"{rng.choice(DEAL_WORDS)} #{deal_id}"
            deals.append(
                (
                    deal_id, title, company[0] if company else None, pipeline_id, path[-1].pk, amount,
                    currency, amount_base, bool(deal_lines), writer.date(closing), owner,
                    rng.choice(channels) if channels and rng.random() < 0.8 else None,
                    "Call back" if next_date else "", writer.date(next_date),
                    rng.choice(reasons) if outcome == "lost" else None, "",
                    writer.timestamp(entered), writer.timestamp(entered) if outcome == "won" else None,
                    writer.timestamp(entered) if outcome == "lost" else None,
                    None if untaken else writer.timestamp(created), writer.timestamp(created),
                    writer.timestamp(entered), None, 0,
                )
            )  # fmt: skip
            for product_id, name, quantity, price, discount, position in deal_lines:
                counters["line"] += 1
                lines.append(
                    (counters["line"], deal_id, product_id, name, quantity, price, discount, position)
                )
            for contact_id in linked:
                counters["contact"] += 1
                links.append((counters["contact"], deal_id, contact_id, ""))
            if rng.random() < 0.005:
                counters["shared"] += 1
                shares.append((counters["shared"], deal_id, rng.choice(owners)))
            event_id += 1
            events.append(
                (event_id, writer.timestamp(created), owner, "created", deal_type, deal_id, title,
                 company_type if company else None, company[0] if company else None, "[]")
            )  # fmt: skip
        with transaction.atomic():
            writer.write(tables["deal"], deal_columns, deals)
            writer.write(tables["change"], change_columns, changes)
            writer.write(tables["line"], line_columns, lines)
            writer.write(tables["contact"], ["id", "deal_id", "contact_id", "role"], links)
            writer.write(tables["shared"], ["id", "deal_id", "user_id"], shares)
            writer.write(Event._meta.db_table, event_columns, events)
        if (stop - 1) % 100_000 == 0 or stop > count:
            progress.say(f"deals     {stop - 1:>9,} / {count:,}  ({counters['change']:,} stage changes)")

    writer.execute(
        "SET session_replication_role = DEFAULT" if writer.postgres else "PRAGMA foreign_keys = ON"
    )
    for name, sql in indexes:
        started = time.perf_counter()
        writer.execute(sql)
        progress.say(f"index {name} rebuilt in {time.perf_counter() - started:.1f}s")
    progress.say(
        f"deals: {count:,} deals, {counters['change']:,} stage changes, {counters['line']:,} lines, "
        f"{counters['contact']:,} contact links"
    )
    # Written past the deal services: the funnel's flags and rollups are recounted from the log.
    from tandem.analytics.stage_rollups import stage_rollups_rebuild

    started = time.perf_counter()
    counts = stage_rollups_rebuild()
    progress.say(f"rollups: {counts} in {time.perf_counter() - started:.1f}s")


def reset_sequences() -> None:
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    models = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in ("contacts", "deals")
    ]
    from tandem.history.models import Event

    models.append(Event)
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def self_check(seed: int) -> None:
    """Rebuild a sample of documents and keys with the real code and models; stop loudly on a mismatch."""
    from django.db import connection

    from tandem.contacts.models import Company, Contact, Phone
    from tandem.contacts.normalize import company_name_key, split_legal_form
    from tandem.contacts.search import company_document, contact_document
    from tandem.core.phones import parse_phone
    from tandem.search.backends import Kind, _doc_id, fold

    rng = random.Random(seed)
    table, key = ("search_document", "id") if connection.vendor == "postgresql" else ("search_fts", "rowid")

    def stored(kind: Kind, object_id: int) -> str:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT body FROM {table} WHERE {key} = %s", [_doc_id(kind, object_id)])
            row = cursor.fetchone()
        return row[0] if row else ""

    last_company = Company.objects.order_by("-id").values_list("id", flat=True).first() or 0
    last_contact = Contact.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for company_id in rng.sample(range(1, last_company + 1), min(25, last_company)):
        company = Company.objects.get(pk=company_id)
        phones = list(Phone.objects.filter(company=company))
        emails = list(company.emails.all())
        assert split_legal_form(f"{company.name} {company.legal_form}") == (company.name, company.legal_form)
        assert company.name_key == company_name_key(company.name), company
        assert stored(Kind.COMPANY, company_id) == fold(company_document(company, phones, emails)), company
        for phone in phones:
            assert parse_phone(phone.raw).e164 == phone.e164, phone.raw
    for contact_id in rng.sample(range(1, last_contact + 1), min(50, last_contact)):
        contact = Contact.objects.select_related("company").get(pk=contact_id)
        phones = list(Phone.objects.filter(contact=contact))
        emails = list(contact.emails.all())
        company_name = contact.company.name if contact.company else ""
        assert stored(Kind.CONTACT, contact_id) == fold(
            contact_document(contact, company_name, phones, emails)
        ), contact
        for phone in phones:
            assert parse_phone(phone.raw).e164 == phone.e164, phone.raw


def generate_deals_only(args: argparse.Namespace) -> None:
    """Replace the deals of an already generated database (contacts and companies stay)."""
    from django.core.management import call_command

    from tandem.accounts.models import User

    progress = Progress()
    progress.say("migrate")
    call_command("migrate", interactive=False, verbosity=0)
    if not User.objects.filter(role="rep").exists():
        sys.exit("No generated data here: run `python -m bench.generate` (without --deals-only) first.")
    writer = Writer()
    progress.say(f"database: {writer.connection.vendor} {writer.connection.settings_dict['NAME']}")
    _clear_deals(writer, progress)
    generate_deals(writer, progress, args.deals, args.seed)
    reset_sequences()
    # PostgreSQL's TRUNCATE … CASCADE took the activities along: recount the activity report's rollup.
    from tandem.analytics.rollups import activity_rollups_analyze, activity_rollups_rebuild

    progress.say(f"rollups: {activity_rollups_rebuild():,} activity days")
    activity_rollups_analyze()
    tables = [*_deal_tables().values(), "history_event"]
    if writer.postgres:
        progress.say("VACUUM ANALYZE of the deal tables")
        for table in tables:
            writer.execute(f"VACUUM ANALYZE {table}")
    elif args.analyze:
        progress.say("ANALYZE (SQLite planner statistics)")
        for table in tables:
            writer.execute(f"ANALYZE {table}")
    progress.say("done")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=200_000)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reset", action="store_true", help="wipe the whole database first (all tables!)")
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="SQLite: leave the planner without statistics (what a never-analyzed installation has)",
    )
    parser.add_argument("--deals", type=int, default=0, help="deals to generate (0: none)")
    parser.add_argument(
        "--deals-only",
        action="store_true",
        help="keep the generated contacts and companies; replace only the deals (and their history)",
    )
    args = parser.parse_args(argv)
    if args.deals_only:
        if args.deals < 1:
            parser.error("--deals-only needs --deals N")
        setup_django()
        started = time.perf_counter()
        generate_deals_only(args)
        print(f"generation took {time.perf_counter() - started:.0f}s", flush=True)
        return
    if args.companies < 1 or args.contacts < 1 or args.users < 6:
        parser.error("need at least 1 company, 1 contact and 6 users")
    setup_django()
    started = time.perf_counter()
    generate(args)
    print(f"generation took {time.perf_counter() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
