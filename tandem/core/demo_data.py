"""Realistic demo data for `tandem demo`: Bulgarian, Russian and British clients of two sales teams.

Everything is generated from a seeded `random.Random`, so two runs with the same seed produce the same
people, numbers and tax ids. Tax ids carry valid check digits (EIK, INN, GB VAT) and phones are real
numbering-plan numbers written the way people type them. Email addresses and websites use the reserved
`.example` / `example.com` domains so a demo mailing can never reach a real inbox.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

import phonenumbers

DEMO_PASSWORD = "tandem-demo"
DEMO_EMAIL_DOMAIN = "demo.example"


@dataclass(frozen=True)
class DemoUser:
    key: str
    email: str
    full_name: str
    role: str
    team: str | None = None
    heads_team: bool = False


SOFIA_TEAM = "Sofia team"
MOSCOW_TEAM = "Moscow team"

USERS = [
    DemoUser("admin", f"admin@{DEMO_EMAIL_DOMAIN}", "Елена Димитрова", "admin"),
    DemoUser("head_sofia", f"georgi.ivanov@{DEMO_EMAIL_DOMAIN}", "Георги Иванов", "head", SOFIA_TEAM, True),
    DemoUser("rep_sofia_1", f"maria.stoyanova@{DEMO_EMAIL_DOMAIN}", "Мария Стоянова", "rep", SOFIA_TEAM),
    DemoUser("rep_sofia_2", f"nikolay.kostov@{DEMO_EMAIL_DOMAIN}", "Николай Костов", "rep", SOFIA_TEAM),
    DemoUser("rep_sofia_3", f"petya.marinova@{DEMO_EMAIL_DOMAIN}", "Петя Маринова", "rep", SOFIA_TEAM),
    DemoUser("head_moscow", f"sergey.volkov@{DEMO_EMAIL_DOMAIN}", "Сергей Волков", "head", MOSCOW_TEAM, True),
    DemoUser("rep_moscow_1", f"olga.smirnova@{DEMO_EMAIL_DOMAIN}", "Ольга Смирнова", "rep", MOSCOW_TEAM),
    DemoUser("rep_moscow_2", f"dmitry.kozlov@{DEMO_EMAIL_DOMAIN}", "Дмитрий Козлов", "rep", MOSCOW_TEAM),
    DemoUser("marketer", f"emily.carter@{DEMO_EMAIL_DOMAIN}", "Emily Carter", "marketer"),
    DemoUser("readonly", f"james.miller@{DEMO_EMAIL_DOMAIN}", "James Miller", "readonly"),
]
ADMIN_EMAIL = USERS[0].email

# --- reference lists, in the instance language -------------------------------------------------------

REFERENCE: dict[str, dict[str, list[str]]] = {
    "industries": {
        "en": [
            "Retail",
            "Wholesale",
            "Manufacturing",
            "Construction",
            "Food and beverage",
            "Logistics",
            "IT and software",
            "Healthcare",
            "Hospitality",
            "Agriculture",
            "Energy",
            "Professional services",
        ],
        "bg": [
            "Търговия на дребно",
            "Търговия на едро",
            "Производство",
            "Строителство",
            "Храни и напитки",
            "Логистика",
            "ИТ и софтуер",
            "Здравеопазване",
            "Хотелиерство и ресторантьорство",
            "Селско стопанство",
            "Енергетика",
            "Професионални услуги",
        ],
        "ru": [
            "Розничная торговля",
            "Оптовая торговля",
            "Производство",
            "Строительство",
            "Продукты питания и напитки",
            "Логистика",
            "ИТ и программное обеспечение",
            "Здравоохранение",
            "Гостинично-ресторанный бизнес",
            "Сельское хозяйство",
            "Энергетика",
            "Профессиональные услуги",
        ],
    },
    "categories": {
        "en": ["A — key client", "B — regular client", "C — occasional client"],
        "bg": ["A — ключов клиент", "B — редовен клиент", "C — епизодичен клиент"],
        "ru": ["A — ключевой клиент", "B — постоянный клиент", "C — эпизодический клиент"],
    },
    "channels": {
        "en": ["Website", "Phone call", "Referral", "Exhibition", "Advertising"],
        "bg": ["Уебсайт", "Обаждане", "Препоръка", "Изложение", "Реклама"],
        "ru": ["Сайт", "Звонок", "Рекомендация", "Выставка", "Реклама"],
    },
    "roles": {
        "en": ["Director", "Accountant", "Buyer", "Storekeeper", "Sales manager", "Office manager"],
        "bg": ["Управител", "Счетоводител", "Снабдител", "Складов работник", "Търговец", "Офис мениджър"],
        "ru": ["Директор", "Бухгалтер", "Закупщик", "Кладовщик", "Менеджер по продажам", "Офис-менеджер"],
    },
    "tags": {
        "en": ["VIP", "Wholesale", "Call back", "Newsletter", "Partner", "Tender"],
        "bg": ["ВИП", "На едро", "Да се обади", "Бюлетин", "Партньор", "Търг"],
        "ru": ["VIP", "Опт", "Перезвонить", "Рассылка", "Партнёр", "Тендер"],
    },
}
# Category weights: few key clients, many occasional ones (as in any real base).
CATEGORY_WEIGHTS = [15, 35, 50]
CHANNEL_WEIGHTS = [35, 20, 25, 10, 10]


def reference_names(kind: str, language: str) -> list[str]:
    lists = REFERENCE[kind]
    return lists.get(language, lists["en"])


# --- people --------------------------------------------------------------------------------------------

BG_MALE = [
    "Иван",
    "Георги",
    "Димитър",
    "Николай",
    "Петър",
    "Христо",
    "Стефан",
    "Тодор",
    "Васил",
    "Александър",
    "Мартин",
    "Кирил",
    "Борислав",
    "Емил",
]
BG_FEMALE = [
    "Мария",
    "Елена",
    "Десислава",
    "Гергана",
    "Йорданка",
    "Петя",
    "Радостина",
    "Виктория",
    "Светла",
    "Ивелина",
    "Надежда",
    "Цветелина",
    "Теодора",
    "Милена",
]
BG_LAST = [
    "Петров",
    "Георгиев",
    "Иванов",
    "Димитров",
    "Николов",
    "Стоянов",
    "Христов",
    "Тодоров",
    "Костов",
    "Маринов",
    "Попов",
    "Ангелов",
    "Василев",
    "Илиев",
    "Атанасов",
    "Колев",
]
RU_MALE = [
    "Иван",
    "Сергей",
    "Алексей",
    "Дмитрий",
    "Андрей",
    "Михаил",
    "Николай",
    "Павел",
    "Владимир",
    "Евгений",
    "Артём",
    "Максим",
]
RU_FEMALE = [
    "Ольга",
    "Наталья",
    "Екатерина",
    "Татьяна",
    "Анна",
    "Ирина",
    "Светлана",
    "Юлия",
    "Марина",
    "Елена",
    "Дарья",
    "Ксения",
]
RU_LAST = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Соколов",
    "Волков",
    "Козлов",
    "Новиков",
    "Морозов",
    "Лебедев",
    "Егоров",
    "Павлов",
    "Семёнов",
    "Фёдоров",
]
RU_PATRONYMIC_ROOTS = ["Сергее", "Ивано", "Александро", "Петро", "Николае", "Дмитрие", "Андрее", "Викторо"]
EN_MALE = ["James", "Oliver", "Thomas", "Daniel", "George", "William", "Harry", "Jack", "Samuel", "Edward"]
EN_FEMALE = ["Emily", "Sophie", "Charlotte", "Hannah", "Amelia", "Olivia", "Grace", "Lucy", "Chloe", "Alice"]
EN_LAST = [
    "Smith",
    "Johnson",
    "Taylor",
    "Brown",
    "Wilson",
    "Evans",
    "Walker",
    "Wright",
    "Hughes",
    "Clarke",
    "Robinson",
    "Hall",
]

POSITIONS = {  # aligned with REFERENCE["roles"]
    "bg": [
        "Управител",
        "Главен счетоводител",
        "Мениджър снабдяване",
        "Складов работник",
        "Търговски представител",
        "Офис мениджър",
    ],
    "ru": [
        "Генеральный директор",
        "Главный бухгалтер",
        "Менеджер по закупкам",
        "Кладовщик",
        "Коммерческий директор",
        "Офис-менеджер",
    ],
    "en": [
        "Managing Director",
        "Chief Accountant",
        "Purchasing Manager",
        "Warehouse Supervisor",
        "Sales Manager",
        "Office Manager",
    ],
}
ROLE_WEIGHTS = [20, 20, 30, 12, 10, 8]

NEEDS = {
    "bg": [
        "Търсят доставчик на опаковки с доставка до 48 часа.",
        "Искат отложено плащане 30 дни и тримесечна отстъпка за обем.",
        "Подменят складовия софтуер до края на годината.",
        "Нужна им е редовна доставка за три обекта в София и Пловдив.",
        "Сравняват оферти; решава управителят, бюджетът е одобрен.",
        "Интересуват се от ексклузивно представителство за Северна България.",
    ],
    "ru": [
        "Ищут поставщика упаковки с доставкой за 48 часов.",
        "Нужна отсрочка платежа 30 дней и скидка за объём.",
        "Меняют складскую систему до конца года, просят демо.",
        "Регулярные поставки на три склада в Москве и Подмосковье.",
        "Сравнивают предложения; решение за генеральным директором.",
        "Рассматривают эксклюзивную дистрибуцию в Поволжье.",
    ],
    "en": [
        "Looking for a packaging supplier with 48-hour delivery.",
        "Want 30-day payment terms and a volume discount per quarter.",
        "Replacing their warehouse software before year end; asked for a demo.",
        "Need weekly deliveries to three sites in London and Manchester.",
        "Comparing three offers; the managing director decides, budget approved.",
        "Interested in exclusive distribution for the North West.",
    ],
}
INTERESTS = {
    "bg": [
        "Риболов и планина",
        "Футбол, ЦСКА",
        "Вино и кулинария",
        "Тенис",
        "Ски през зимата",
        "Книги и театър",
    ],
    "ru": ["Рыбалка", "Хоккей, болеет за ЦСКА", "Вино и кулинария", "Теннис", "Горные лыжи", "Театр и книги"],
    "en": [
        "Sailing",
        "Football, supports Arsenal",
        "Wine and cooking",
        "Tennis",
        "Skiing",
        "Theatre and books",
    ],
}
PREFERENCES = {
    "bg": ["Предпочита обаждане след 10 ч.", "Само по имейл", "Вайбър, кратки съобщения", ""],
    "ru": ["Звонить после 11:00 по Москве", "Только по почте", "Удобнее в Telegram", ""],
    "en": ["Prefers calls after 10 am", "Email only, please", "Happy to talk on WhatsApp", ""],
}

# --- companies -----------------------------------------------------------------------------------------

BG_BASES = [
    "Север",
    "Балкан",
    "Родопа",
    "Тракия",
    "Витоша",
    "Пирин",
    "Дунав",
    "Черноморец",
    "Струма",
    "Искър",
    "Марица",
    "Етър",
    "Янтра",
    "Орфей",
    "Камчия",
    "Мусала",
    "Огоста",
    "Арда",
    "Странджа",
    "Вихрен",
]
BG_SUFFIXES = ["Трейд", "Строй", "Логистик", "Агро", "Софт", "Консулт", "Мед", "Пак", "Транс", "Фуудс", ""]
BG_FORMS = ["ЕООД", "ЕООД", "ООД", "ООД", "АД", "ЕТ"]
BG_CITIES = [
    ("София", "1000", ["ул. „Граф Игнатиев“", "бул. „Витоша“", "ул. „Шипка“", "бул. „България“"]),
    ("Пловдив", "4000", ["ул. „Капитан Райчо“", "бул. „Руски“"]),
    ("Варна", "9000", ["бул. „Приморски“", "ул. „Драган Цанков“"]),
    ("Бургас", "8000", ["ул. „Александровска“"]),
    ("Русе", "7000", ["ул. „Александровска“"]),
]
RU_BASES = [
    "Север",
    "Восток",
    "Сибирь",
    "Волга",
    "Урал",
    "Байкал",
    "Кама",
    "Ладога",
    "Алтай",
    "Енисей",
    "Таймыр",
    "Ока",
    "Печора",
    "Вятка",
    "Онега",
    "Амур",
]
RU_SUFFIXES = ["Трейд", "Строй", "Логистик", "Агро", "Софт", "Снаб", "Пром", "Маркет", "Транс", "Инвест", ""]
RU_FORMS = ["ООО", "ООО", "ООО", "АО", "ПАО", "ИП"]
RU_CITIES = [
    ("Москва", "125009", ["ул. Тверская", "Ленинградский пр-т", "ул. Большая Ордынка"]),
    ("Санкт-Петербург", "191186", ["Невский пр-т", "ул. Садовая"]),
    ("Казань", "420111", ["ул. Баумана"]),
    ("Екатеринбург", "620014", ["ул. Малышева"]),
]
EN_BASES = [
    "Northwind",
    "Brightwater",
    "Oakridge",
    "Kingsbridge",
    "Redfern",
    "Hartwell",
    "Silverline",
    "Ashford",
    "Greenway",
    "Thornbury",
    "Whitmore",
    "Castleton",
]
EN_SUFFIXES = ["Trading", "Logistics", "Foods", "Systems", "Supplies", "Engineering", "Packaging"]
EN_FORMS = ["Ltd", "Ltd", "Ltd", "PLC"]
EN_CITIES = [
    ("London", "EC1A 1BB", ["High Street", "King's Road", "Baker Street"]),
    ("Manchester", "M1 1AE", ["Deansgate", "Oxford Road"]),
    ("Leeds", "LS1 4DY", ["Park Row"]),
]

TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
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
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)


def latin(text: str) -> str:
    """A lower-case ASCII slug of a Cyrillic or Latin name, for demo email addresses and sites."""
    out = "".join(TRANSLIT.get(char, char) for char in text.lower())
    return "".join(char for char in out if char.isascii() and (char.isalnum() or char in ".-"))


# --- tax ids with valid check digits -------------------------------------------------------------------


def eik_check_digit(first_eight: str) -> int:
    """Bulgarian 9-digit EIK/BULSTAT: weights 1..8, then 3..10 when the remainder is 10."""
    digits = [int(char) for char in first_eight]
    remainder = sum(weight * digit for weight, digit in zip(range(1, 9), digits, strict=True)) % 11
    if remainder == 10:
        remainder = sum(weight * digit for weight, digit in zip(range(3, 11), digits, strict=True)) % 11
    return 0 if remainder == 10 else remainder


def _inn_digit(digits: list[int], weights: list[int]) -> int:
    return sum(weight * digit for weight, digit in zip(weights, digits, strict=False)) % 11 % 10


def inn10_check_digit(first_nine: str) -> int:
    """Russian INN of an organisation (10 digits)."""
    return _inn_digit([int(char) for char in first_nine], [2, 4, 10, 3, 5, 9, 4, 6, 8])


def inn12_check_digits(first_ten: str) -> str:
    """Russian INN of a person / sole trader (12 digits): two check digits."""
    digits = [int(char) for char in first_ten]
    eleventh = _inn_digit(digits, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
    twelfth = _inn_digit([*digits, eleventh], [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
    return f"{eleventh}{twelfth}"


def gb_vat_check_digits(first_seven: str) -> str:
    """UK VAT number (9 digits): weights 8..2 and the check pair bringing the total to a multiple of 97."""
    total = sum(weight * int(char) for weight, char in zip(range(8, 1, -1), first_seven, strict=True))
    check = -total % 97
    return f"{check:02d}"


# --- phones --------------------------------------------------------------------------------------------


def _valid(number: str, region: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, region))
    except phonenumbers.NumberParseException:
        return False


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(count))


def bg_mobile(rng: random.Random) -> str:
    while True:
        nsn = rng.choice(["87", "88", "89", "98"]) + rng.choice("123456789") + _digits(rng, 6)
        if _valid("0" + nsn, "BG"):
            break
    style = rng.randrange(4)
    if style == 0:
        return f"0{nsn[:3]} {nsn[3:6]} {nsn[6:]}"  # 0888 123 456
    if style == 1:
        return f"+359 {nsn[:2]} {nsn[2:5]} {nsn[5:]}"  # +359 88 812 3456
    if style == 2:
        return f"00359{nsn}"
    return f"0{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}"


def bg_landline(rng: random.Random, city: str) -> str:
    area = {"София": "2", "Пловдив": "32", "Варна": "52", "Бургас": "56", "Русе": "82"}[city]
    while True:
        subscriber = rng.choice("2346789") + _digits(rng, 6 if area == "2" else 5)
        if _valid(f"0{area}{subscriber}", "BG"):
            break
    if area == "2":
        text = rng.choice(
            [
                f"02 {subscriber[:3]} {subscriber[3:5]} {subscriber[5:]}",
                f"02/{subscriber[:3]} {subscriber[3:5]} {subscriber[5:]}",
                f"(02) {subscriber}",
                f"+359 2 {subscriber[:3]} {subscriber[3:]}",
            ]
        )
    else:
        text = rng.choice([f"0{area} {subscriber[:3]} {subscriber[3:]}", f"+359 {area} {subscriber}"])
    return text + (f" доб. {rng.randrange(10, 300)}" if rng.random() < 0.15 else "")


def ru_mobile(rng: random.Random) -> str:
    while True:
        nsn = "9" + rng.choice(["16", "03", "05", "15", "25", "26", "77", "85", "99", "67"]) + _digits(rng, 7)
        if _valid("+7" + nsn, "RU"):
            break
    return rng.choice(
        [
            f"+7 {nsn[:3]} {nsn[3:6]}-{nsn[6:8]}-{nsn[8:]}",  # +7 916 123-45-67
            f"8 ({nsn[:3]}) {nsn[3:6]}-{nsn[6:8]}-{nsn[8:]}",  # 8 (916) 123-45-67, parsed with region RU
            f"+7({nsn[:3]}){nsn[3:]}",
            f"8{nsn}",
        ]
    )


def ru_landline(rng: random.Random) -> str:
    while True:
        nsn = rng.choice(["495", "499"]) + rng.choice("2345679") + _digits(rng, 6)
        if _valid("+7" + nsn, "RU"):
            break
    text = rng.choice(
        [f"+7 ({nsn[:3]}) {nsn[3:6]}-{nsn[6:8]}-{nsn[8:]}", f"8 {nsn[:3]} {nsn[3:6]} {nsn[6:8]} {nsn[8:]}"]
    )
    return text + (f" доб. {rng.randrange(100, 999)}" if rng.random() < 0.2 else "")


def gb_mobile(rng: random.Random) -> str:
    while True:
        nsn = "7" + rng.choice(["400", "500", "700", "800", "900", "911", "958"]) + _digits(rng, 6)
        if _valid("+44" + nsn, "GB"):
            break
    return rng.choice([f"0{nsn[:4]} {nsn[4:]}", f"+44 {nsn[:4]} {nsn[4:]}"])


def gb_landline(rng: random.Random, city: str) -> str:
    # Ofcom's ranges reserved for drama (020 7946 0xxx, 0161 496 0xxx, 0113 496 0xxx) are valid numbers
    # that are never assigned to anyone.
    area, prefix = {"London": ("20", "79460"), "Manchester": ("161", "4960"), "Leeds": ("113", "4960")}[city]
    rest = _digits(rng, 10 - len(area) - len(prefix))
    nsn = area + prefix + rest
    if area == "20":
        text = rng.choice([f"020 {nsn[2:6]} {nsn[6:]}", f"+44 20 {nsn[2:6]} {nsn[6:]}"])
    else:
        text = rng.choice(
            [
                f"0{area} {nsn[len(area) : len(area) + 3]} {nsn[len(area) + 3 :]}",
                f"+44 {area} {nsn[len(area) :]}",
            ]
        )
    return text + (f" ext. {rng.randrange(10, 500)}" if rng.random() < 0.2 else "")


# --- the plan ------------------------------------------------------------------------------------------


@dataclass
class PhoneSpec:
    number: str
    label: str
    region: str


@dataclass
class CompanySpec:
    country: str  # "bg" | "ru" | "en"
    name: str  # as typed, with its legal form and quotes
    tax_id: str
    owner_key: str
    industry: int
    category: int
    channel: int
    website: str
    address: str
    city: str
    needs: str
    phones: list[PhoneSpec]
    emails: list[str]
    tags: list[int]
    domain: str
    age_days: int
    share_with_key: str | None = None


@dataclass
class ContactSpec:
    country: str
    first_name: str
    middle_name: str
    last_name: str
    company_index: int | None
    owner_key: str
    position: str
    role: int
    channel: int
    birthday: tuple[int, int, int] | None
    messengers: dict[str, str]
    interests: str
    preferences: str
    marketing_consent: bool
    phones: list[PhoneSpec]
    emails: list[str]
    tags: list[int]
    age_days: int
    trash: bool = False


@dataclass
class Plan:
    companies: list[CompanySpec] = field(default_factory=list)
    contacts: list[ContactSpec] = field(default_factory=list)
    trash_companies: list[int] = field(default_factory=list)
    deals: list[DealSpec] = field(default_factory=list)


OWNERS = {
    "bg": ["rep_sofia_1", "rep_sofia_2", "rep_sofia_3", "head_sofia"],
    "ru": ["rep_moscow_1", "rep_moscow_2", "head_moscow"],
    "en": ["rep_sofia_1", "rep_moscow_1", "rep_sofia_2", "rep_moscow_2"],
}
OWNER_WEIGHTS = {"bg": [30, 30, 30, 10], "ru": [45, 45, 10], "en": [25, 25, 25, 25]}
TEAMMATES = {
    "rep_sofia_1": "rep_sofia_2",
    "rep_sofia_2": "rep_sofia_3",
    "rep_sofia_3": "rep_sofia_1",
    "head_sofia": "rep_sofia_1",
    "rep_moscow_1": "rep_moscow_2",
    "rep_moscow_2": "rep_moscow_1",
    "head_moscow": "rep_moscow_1",
}
LABELS = {
    "bg": ("мобилен", "офис"),
    "ru": ("мобильный", "рабочий"),
    "en": ("mobile", "office"),
}
REGION = {"bg": "BG", "ru": "RU", "en": "GB"}


class _TaxIds:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def new(self, country: str, form: str) -> str:
        while True:
            if country == "bg":
                base = str(self.rng.randrange(1, 10)) + _digits(self.rng, 7)
                tax_id = base + str(eik_check_digit(base))
            elif country == "ru" and form == "ИП":
                base = "77" + _digits(self.rng, 8)
                tax_id = base + inn12_check_digits(base)
            elif country == "ru":
                base = self.rng.choice(["77", "78", "16", "66", "50"]) + _digits(self.rng, 7)
                tax_id = base + str(inn10_check_digit(base))
            else:
                base = str(self.rng.randrange(1, 10)) + _digits(self.rng, 6)
                tax_id = "GB" + base + gb_vat_check_digits(base)
            if tax_id not in self.used:
                self.used.add(tax_id)
                return tax_id


def _person(rng: random.Random, country: str) -> tuple[str, str, str]:
    female = rng.random() < 0.5
    if country == "bg":
        first = rng.choice(BG_FEMALE if female else BG_MALE)
        last = rng.choice(BG_LAST) + ("а" if female else "")
        return first, "", last
    if country == "ru":
        first = rng.choice(RU_FEMALE if female else RU_MALE)
        last = rng.choice(RU_LAST) + ("а" if female else "")
        middle = rng.choice(RU_PATRONYMIC_ROOTS) + ("вна" if female else "вич")
        return first, middle if rng.random() < 0.8 else "", last
    return rng.choice(EN_FEMALE if female else EN_MALE), "", rng.choice(EN_LAST)


def _company_name(rng: random.Random, country: str, used: set[str]) -> tuple[str, str, str]:
    """(name as typed with its legal form, legal form, plain base name)."""
    while True:
        if country == "bg":
            base = f"{rng.choice(BG_BASES)} {rng.choice(BG_SUFFIXES)}".strip()
            form = rng.choice(BG_FORMS)
        elif country == "ru":
            base = f"{rng.choice(RU_BASES)}{rng.choice(RU_SUFFIXES).lower()}"
            form = rng.choice(RU_FORMS)
        else:
            base = f"{rng.choice(EN_BASES)} {rng.choice(EN_SUFFIXES)}"
            form = rng.choice(EN_FORMS)
        key = base.lower()
        if key not in used:
            used.add(key)
            break
    if country == "bg":
        typed = rng.choice([f'"{base}" {form}', f"{base} {form}", f"„{base}“ {form}"])
    elif country == "ru" and form == "ИП":
        first, middle, last = _person(rng, "ru")
        base = f"{last} {first[0]}. {middle[0] + '.' if middle else ''}".strip()
        typed = f"ИП {base}"
    elif country == "ru":
        typed = rng.choice([f'{form} "{base}"', f"{form} «{base}»"])
    else:
        typed = f"{base} {form}"
    return typed, form, base


def _city(rng: random.Random, country: str) -> tuple[str, str]:
    cities = {"bg": BG_CITIES, "ru": RU_CITIES, "en": EN_CITIES}[country]
    weights = [50, 20, 15, 10, 5][: len(cities)]
    city, postcode, streets = rng.choices(cities, weights=weights)[0]
    number = rng.randrange(1, 120)
    if country == "bg":
        return city, f"{postcode} гр. {city}, {rng.choice(streets)} {number}"
    if country == "ru":
        return (
            city,
            f"{postcode}, г. {city}, {rng.choice(streets)}, д. {number}, офис {rng.randrange(1, 400)}",
        )
    return city, f"{number} {rng.choice(streets)}, {city} {postcode}"


def _company_phones(rng: random.Random, country: str, city: str) -> list[PhoneSpec]:
    mobile_label, office_label = LABELS[country]
    region = REGION[country]
    phones: list[PhoneSpec] = []
    if country == "bg":
        phones.append(PhoneSpec(bg_landline(rng, city), office_label, region))
        if rng.random() < 0.5:
            phones.append(PhoneSpec(bg_mobile(rng), mobile_label, region))
    elif country == "ru":
        phones.append(PhoneSpec(ru_landline(rng), office_label, region))
        if rng.random() < 0.4:
            phones.append(PhoneSpec(ru_mobile(rng), mobile_label, region))
    else:
        phones.append(PhoneSpec(gb_landline(rng, city), office_label, region))
    return phones


def _contact_phones(rng: random.Random, country: str) -> list[PhoneSpec]:
    mobile_label, _office = LABELS[country]
    region = REGION[country]
    make = {"bg": bg_mobile, "ru": ru_mobile, "en": gb_mobile}[country]
    count = rng.choices([0, 1, 2], weights=[8, 72, 20])[0]
    return [PhoneSpec(make(rng), mobile_label, region) for _ in range(count)]


def build_plan(*, companies: int, contacts: int, deals: int = 0, seed: int = 2025) -> Plan:
    """The whole demo data set as plain specs; nothing touches the database here."""
    rng = random.Random(seed)
    tax_ids = _TaxIds(rng)
    used_names: set[str] = set()
    plan = Plan()
    countries = ["bg", "ru", "en"]
    for _index in range(companies):
        country = rng.choices(countries, weights=[45, 35, 20])[0]
        typed, form, base = _company_name(rng, country, used_names)
        city, address = _city(rng, country)
        domain = latin(base.replace(" ", "-").replace(".", "")) + ".example.com"
        owner_key = rng.choices(OWNERS[country], weights=OWNER_WEIGHTS[country])[0]
        emails = [f"{rng.choice(['office', 'info', 'sales'])}@{domain}"]
        if rng.random() < 0.3:
            emails.append(f"orders@{domain}")
        plan.companies.append(
            CompanySpec(
                country=country,
                name=typed,
                tax_id=tax_ids.new(country, form),
                owner_key=owner_key,
                industry=rng.randrange(len(REFERENCE["industries"]["en"])),
                category=rng.choices(range(3), weights=CATEGORY_WEIGHTS)[0],
                channel=rng.choices(range(5), weights=CHANNEL_WEIGHTS)[0],
                website=f"https://www.{domain}" if rng.random() < 0.7 else "",
                address=address,
                city=city,
                needs=rng.choice(NEEDS[country]) if rng.random() < 0.6 else "",
                phones=_company_phones(rng, country, city),
                emails=emails,
                tags=sorted(set(rng.sample(range(6), k=rng.choices([0, 1, 2], weights=[50, 35, 15])[0]))),
                domain=domain,
                age_days=rng.randrange(1, 730),
                share_with_key=TEAMMATES[owner_key]
                if rng.random() < 0.06 and owner_key in TEAMMATES
                else None,
            )
        )
    for index in range(contacts):
        private = not plan.companies or rng.random() < 0.1
        company_index = None if private else rng.randrange(len(plan.companies))
        if company_index is None:
            country = rng.choices(countries, weights=[45, 35, 20])[0]
            owner_key = rng.choices(OWNERS[country], weights=OWNER_WEIGHTS[country])[0]
            domain = "mail.example.com"
            age_days = rng.randrange(1, 730)
        else:
            company = plan.companies[company_index]
            country, owner_key, domain = company.country, company.owner_key, company.domain
            age_days = rng.randrange(0, company.age_days + 1)
        first, middle, last = _person(rng, country)
        role = rng.choices(range(6), weights=ROLE_WEIGHTS)[0]
        email_local = f"{latin(first)}.{latin(last)}"
        emails = [f"{email_local}@{domain}"] if rng.random() < 0.85 else []
        phones = _contact_phones(rng, country)
        messengers: dict[str, str] = {}
        if phones and rng.random() < 0.3:
            if country == "ru":
                messengers["telegram"] = "@" + email_local.replace(".", "_")
            elif country == "bg":
                messengers["viber"] = phones[0].number
            else:
                messengers["whatsapp"] = phones[0].number
        birthday = None
        if rng.random() < 0.6:
            birthday = (rng.randrange(1962, 2000), rng.randrange(1, 13), rng.randrange(1, 29))
        plan.contacts.append(
            ContactSpec(
                country=country,
                first_name=first,
                middle_name=middle,
                last_name=last,
                company_index=company_index,
                owner_key=owner_key,
                position=POSITIONS[country][role],
                role=role,
                channel=rng.choices(range(5), weights=CHANNEL_WEIGHTS)[0],
                birthday=birthday,
                messengers=messengers,
                interests=rng.choice(INTERESTS[country]) if rng.random() < 0.4 else "",
                preferences=rng.choice(PREFERENCES[country]),
                marketing_consent=rng.random() < 0.5,
                phones=phones,
                emails=emails,
                tags=[rng.randrange(6)] if rng.random() < 0.2 else [],
                age_days=age_days,
                trash=index % 97 == 50,
            )
        )
    plan.trash_companies = [index for index in range(companies) if index % 71 == 35]
    plan.deals = build_deals(plan, deals=deals, rng=rng)
    return plan


# --- the sales pipeline: products and deals ------------------------------------------------------------

# Product categories, in the instance language; a deal's topic is one of them.
PRODUCT_CATEGORIES = {
    "en": ["Office furniture", "IT equipment", "Software and licences", "Services"],
    "bg": ["Офис мебели", "ИТ оборудване", "Софтуер и лицензи", "Услуги"],
    "ru": ["Офисная мебель", "ИТ-оборудование", "Программное обеспечение", "Услуги"],
}
UNITS = {
    "pcs": {"en": "pcs", "bg": "бр.", "ru": "шт."},
    "licence": {"en": "licence", "bg": "лиценз", "ru": "лиц."},
    "hour": {"en": "hour", "bg": "час", "ru": "час"},
    "day": {"en": "day", "bg": "ден", "ru": "день"},
    "year": {"en": "year", "bg": "година", "ru": "год"},
    "set": {"en": "set", "bg": "к-т", "ru": "компл."},
}


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    category: int
    unit: str  # a key of UNITS
    price: str
    currency: str
    names: dict[str, str]

    def name(self, language: str) -> str:
        return self.names.get(language, self.names["en"])


PRODUCTS = [
    ProductSpec(
        "OF-DESK-160",
        0,
        "pcs",
        "320.00",
        "EUR",
        {"en": "Office desk 160×80", "bg": "Офис бюро 160×80", "ru": "Офисный стол 160×80"},
    ),
    ProductSpec(
        "OF-CHAIR-ERG",
        0,
        "pcs",
        "185.00",
        "EUR",
        {"en": "Ergonomic office chair", "bg": "Ергономичен офис стол", "ru": "Эргономичное кресло"},
    ),
    ProductSpec(
        "OF-MEET-8",
        0,
        "pcs",
        "640.00",
        "EUR",
        {
            "en": "Meeting table for 8",
            "bg": "Заседателна маса за 8 души",
            "ru": "Стол для переговоров на 8 мест",
        },
    ),
    ProductSpec(
        "OF-CAB-MTL",
        0,
        "pcs",
        "410.00",
        "BGN",
        {"en": "Metal filing cabinet", "bg": "Метален архивен шкаф", "ru": "Металлический архивный шкаф"},
    ),
    ProductSpec(
        "IT-SRV-1U",
        1,
        "pcs",
        "2850.00",
        "EUR",
        {"en": "Rack server 1U", "bg": "Сървър 1U за шкаф", "ru": "Стоечный сервер 1U"},
    ),
    ProductSpec(
        "IT-NB-14",
        1,
        "pcs",
        "1090.00",
        "EUR",
        {"en": 'Business laptop 14"', "bg": 'Бизнес лаптоп 14"', "ru": 'Ноутбук для бизнеса 14"'},
    ),
    ProductSpec(
        "IT-MON-27",
        1,
        "pcs",
        "260.00",
        "EUR",
        {"en": '27" monitor', "bg": 'Монитор 27"', "ru": 'Монитор 27"'},
    ),
    ProductSpec(
        "IT-SW-24",
        1,
        "pcs",
        "430.00",
        "EUR",
        {
            "en": "Network switch, 24 ports",
            "bg": "Мрежов суич, 24 порта",
            "ru": "Сетевой коммутатор, 24 порта",
        },
    ),
    ProductSpec(
        "SW-CRM-USR",
        2,
        "licence",
        "180.00",
        "EUR",
        {
            "en": "CRM licence, 1 user / year",
            "bg": "CRM лиценз, 1 потребител / година",
            "ru": "Лицензия CRM, 1 пользователь / год",
        },
    ),
    ProductSpec(
        "SW-AV-WS",
        2,
        "licence",
        "35.00",
        "EUR",
        {
            "en": "Antivirus, 1 workstation / year",
            "bg": "Антивирусна защита, 1 работно място / година",
            "ru": "Антивирус, 1 рабочее место / год",
        },
    ),
    ProductSpec(
        "SW-OFFICE",
        2,
        "licence",
        "240.00",
        "BGN",
        {"en": "Office suite licence", "bg": "Лиценз за офис пакет", "ru": "Лицензия офисного пакета"},
    ),
    ProductSpec(
        "SW-BACKUP",
        2,
        "licence",
        "95.00",
        "EUR",
        {
            "en": "Cloud backup, 1 TB / year",
            "bg": "Облачен бекъп, 1 TB / година",
            "ru": "Облачное резервное копирование, 1 ТБ / год",
        },
    ),
    ProductSpec(
        "SV-INSTALL",
        3,
        "hour",
        "45.00",
        "EUR",
        {"en": "Installation and setup", "bg": "Инсталация и настройка", "ru": "Монтаж и настройка"},
    ),
    ProductSpec(
        "SV-MAINT-Y",
        3,
        "year",
        "2400.00",
        "EUR",
        {
            "en": "Annual maintenance contract",
            "bg": "Годишен договор за поддръжка",
            "ru": "Годовой договор на обслуживание",
        },
    ),
    ProductSpec(
        "SV-TRAIN-D",
        3,
        "day",
        "550.00",
        "EUR",
        {
            "en": "Staff training, 1 day",
            "bg": "Обучение на персонала, 1 ден",
            "ru": "Обучение персонала, 1 день",
        },
    ),
    ProductSpec(
        "SV-DELIVERY",
        3,
        "set",
        "180.00",
        "BGN",
        {"en": "Delivery and assembly", "bg": "Доставка и монтаж", "ru": "Доставка и сборка"},
    ),
]

# Deal titles per topic (= product category), in the company's language.
DEAL_TITLES = {
    "bg": [
        [
            "Доставка на офис мебели",
            "Обзавеждане на нов офис",
            "Мебели за заседателна зала",
            "Подмяна на офис столове",
        ],
        [
            "Поставка на сървърно оборудване",
            "Лаптопи за търговския екип",
            "Обновяване на мрежата в склада",
            "Монитори за счетоводството",
        ],
        [
            "Лицензи за CRM система",
            "Подновяване на антивирусни лицензи",
            "Облачен бекъп на данните",
            "Офис пакет за нови служители",
        ],
        [
            "Годишен договор за поддръжка",
            "Инсталация на видеонаблюдение",
            "Обучение на персонала",
            "Поддръжка на ИТ инфраструктурата",
        ],
    ],
    "ru": [
        [
            "Доставка офисной мебели",
            "Меблировка нового офиса",
            "Мебель для переговорной",
            "Замена офисных кресел",
        ],
        [
            "Поставка серверного оборудования",
            "Ноутбуки для отдела продаж",
            "Модернизация сети склада",
            "Мониторы для бухгалтерии",
        ],
        [
            "Лицензии CRM-системы",
            "Продление антивирусных лицензий",
            "Облачное резервное копирование",
            "Офисный пакет для новых сотрудников",
        ],
        [
            "Годовой договор на обслуживание",
            "Монтаж видеонаблюдения",
            "Обучение персонала",
            "Абонентское ИТ-обслуживание",
        ],
    ],
    "en": [
        [
            "Office furniture delivery",
            "New office fit-out",
            "Boardroom furniture",
            "Office chairs replacement",
        ],
        [
            "Server hardware supply",
            "Laptops for the sales team",
            "Warehouse network upgrade",
            "Monitors for the finance team",
        ],
        [
            "CRM licences",
            "Antivirus licence renewal",
            "Cloud backup service",
            "Office suite for new starters",
        ],
        [
            "Annual maintenance contract",
            "CCTV installation",
            "Staff training programme",
            "Managed IT support",
        ],
    ],
}
# Typical deal sizes per topic, in EUR (min, max).
TOPIC_AMOUNTS = [(1500, 30000), (4000, 80000), (800, 20000), (1200, 36000)]
DEAL_TITLE_DETAILS = {
    "bg": ["", "", "", " — II етап", " за склада в Пловдив", " — 2027"],
    "ru": ["", "", "", " — 2-й этап", " для филиала в Казани", " — 2027"],
    "en": ["", "", "", " — phase 2", " for the Leeds depot", " — 2027"],
}
NEXT_STEPS = {
    "bg": [
        "Да се обадя за уточняване",
        "Изпращане на оферта",
        "Среща в офиса на клиента",
        "Демонстрация на продукта",
        "Уточняване на срока за доставка",
        "Изчакване на подписан договор",
    ],
    "ru": [
        "Позвонить и уточнить потребность",
        "Отправить КП",
        "Встреча в офисе клиента",
        "Провести демонстрацию",
        "Согласовать сроки поставки",
        "Дождаться подписанного договора",
    ],
    "en": [
        "Call to qualify the need",
        "Send the offer",
        "Meeting at the client's office",
        "Product demo",
        "Agree the delivery date",
        "Wait for the signed contract",
    ],
}
DEAL_CONTACT_ROLES = {
    "bg": ["Взема решение", "Снабдител", "Технически контакт"],
    "ru": ["ЛПР", "Закупщик", "Технический специалист"],
    "en": ["Decision maker", "Buyer", "Technical contact"],
}
DEAL_CURRENCIES = {
    "bg": (["EUR", "BGN"], [60, 40]),
    "ru": (["EUR", "USD"], [65, 35]),
    "en": (["EUR", "USD"], [70, 30]),
}
BGN_PER_EUR = Decimal("1.95583")
USD_PER_EUR = Decimal("1.087")


def product_category_names(language: str) -> list[str]:
    return PRODUCT_CATEGORIES.get(language, PRODUCT_CATEGORIES["en"])


@dataclass
class DealSpec:
    country: str
    company_index: int
    contact_indices: list[int]  # the company's contacts, with a role each (DEAL_CONTACT_ROLES)
    contact_roles: list[int]
    owner_key: str
    pipeline: int  # 0: new clients, 1: repeat sales
    outcome: str  # "open" | "won" | "lost"
    reach: float  # how far along the open stages it got, 0 ≤ reach < 1
    title: str
    lines: list[tuple[int, int, int]]  # (product index, quantity, discount %); empty: an entered amount
    amount: Decimal | None  # the entered amount, in the deal currency
    amount_known_early: bool  # entered at creation, or only when a stage asks for it
    currency: str
    channel: int
    close_in_days: int  # open: from today; closed: from the day it closed
    next_step: str
    next_step_in_days: int | None  # open deals, from today (negative: overdue); None: no next step
    lost_reason: int
    taken: bool
    stuck: bool  # open deals: longer in the current stage than it allows
    stage_share: float  # share of the current stage's max days spent in it (far more when stuck)
    closed_days_ago: int
    gaps: list[float]  # stays in the stages it passed, as multiples of their max days


def _money(value: float) -> Decimal:
    step = 50 if value < 5000 else 100 if value < 20000 else 500
    return Decimal(round(value / step) * step).quantize(Decimal("0.01"))


def build_deals(plan: Plan, *, deals: int, rng: random.Random) -> list[DealSpec]:
    """Deals of the planned companies, owned by each company's owner with the owner's own contacts."""
    trashed = set(plan.trash_companies)
    contacts_of: dict[int, list[int]] = {}
    for index, contact in enumerate(plan.contacts):
        if contact.company_index is not None and not contact.trash:
            company = plan.companies[contact.company_index]
            if contact.owner_key == company.owner_key:
                contacts_of.setdefault(contact.company_index, []).append(index)
    eligible = [index for index in range(len(plan.companies)) if index not in trashed]
    if not eligible:
        return []
    # Companies with people to talk to get most of the deals.
    weights = [3 if index in contacts_of else 1 for index in eligible]
    untaken = set(rng.sample(range(deals), k=min(deals, max(1, round(deals / 30))))) if deals else set()
    specs: list[DealSpec] = []
    for number in range(deals):
        company_index = rng.choices(eligible, weights=weights)[0]
        company = plan.companies[company_index]
        country = company.country
        is_untaken = number in untaken
        outcome = "open" if is_untaken else rng.choices(["open", "won", "lost"], weights=[52, 27, 21])[0]
        pipeline = 0 if is_untaken or rng.random() < 0.65 else 1
        topic = rng.randrange(len(PRODUCT_CATEGORIES["en"]))
        title = rng.choice(DEAL_TITLES[country][topic]) + rng.choice(DEAL_TITLE_DETAILS[country])
        people = contacts_of.get(company_index, [])
        chosen = rng.sample(people, k=min(len(people), rng.choices([1, 2], weights=[70, 30])[0]))
        codes, code_weights = DEAL_CURRENCIES[country]
        currency = rng.choices(codes, weights=code_weights)[0]
        lines: list[tuple[int, int, int]] = []
        amount = None
        if rng.random() < 0.4:
            in_topic = [index for index, product in enumerate(PRODUCTS) if product.category == topic]
            services = [index for index, product in enumerate(PRODUCTS) if product.category == 3]
            picked = rng.sample(in_topic, k=rng.randint(1, min(3, len(in_topic))))
            if topic != 3 and rng.random() < 0.5:
                picked.append(rng.choice(services))
            for product_index in picked:
                unit = PRODUCTS[product_index].unit
                quantity = rng.randint(1, 2) if unit in ("year", "set") else rng.randint(2, 40)
                lines.append((product_index, quantity, rng.choice([0, 0, 0, 5, 10])))
        else:
            low, high = TOPIC_AMOUNTS[topic]
            euros = rng.uniform(low, high)
            rate = {"EUR": Decimal(1), "BGN": BGN_PER_EUR, "USD": USD_PER_EUR}[currency]
            amount = _money(float(Decimal(euros) * rate))
        has_next = rng.random() >= 0.1
        specs.append(
            DealSpec(
                country=country,
                company_index=company_index,
                contact_indices=chosen,
                contact_roles=[rng.randrange(3) for _ in chosen],
                owner_key=company.owner_key,
                pipeline=pipeline,
                outcome=outcome,
                reach=0.0 if is_untaken else rng.random() ** 1.4,
                title=title,
                lines=lines,
                amount=amount,
                amount_known_early=rng.random() < 0.4,
                currency=currency,
                channel=rng.choices(range(5), weights=CHANNEL_WEIGHTS)[0],
                close_in_days=rng.randint(5, 90) if outcome == "open" else rng.randint(-10, 15),
                next_step=rng.choice(NEXT_STEPS[country]),
                next_step_in_days=rng.randint(-10, 14) if has_next else None,
                lost_reason=rng.randrange(5),
                taken=not is_untaken,
                stuck=rng.random() < 0.25,
                stage_share=rng.uniform(0.1, 0.9),
                closed_days_ago=rng.randint(1, 150),
                gaps=[rng.uniform(0.5, 2.0) for _ in range(8)],
            )
        )
    return specs
