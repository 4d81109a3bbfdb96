import datetime
from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from tandem.accounts.models import Team, User
from tandem.accounts.roles import Role
from tandem.accounts.visibility import can
from tandem.contacts.models import Channel, Company, Contact, ContactRole, Email, Industry, Phone, Tag
from tandem.core import demo_data
from tandem.core.phones import parse_phone
from tandem.deals.models import (
    Currency,
    Deal,
    DealLine,
    Product,
    ProductCategory,
    Stage,
    StageChange,
)
from tandem.deals.selectors import stuck_q
from tandem.history.models import Event


def _demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", "--companies", "10", "--contacts", "30", "--deals", "20", *args, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "companies": Company.objects.count(),
        "contacts": Contact.objects.count(),
        "phones": Phone.objects.count(),
        "emails": Email.objects.count(),
        "events": Event.objects.count(),
        "tags": Tag.objects.count(),
        "deals": Deal.objects.count(),
        "deal_lines": DealLine.objects.count(),
        "stage_changes": StageChange.objects.count(),
        "products": Product.objects.count(),
        "product_categories": ProductCategory.objects.count(),
        "currencies": Currency.objects.count(),
    }


def test_demo_loads_users_of_every_role_in_two_teams(db):
    output = _demo()

    assert "Loaded 10 companies, 30 contacts, 20 deals, 69 activities, 16 products and 10 users" in output
    assert Company.objects.count() == 10
    assert Contact.objects.count() == 30
    assert sorted(set(User.objects.values_list("role", flat=True))) == sorted(role.value for role in Role)
    sofia, moscow = Team.objects.get(name="Sofia team"), Team.objects.get(name="Moscow team")
    assert (sofia.head.email, moscow.head.email) == (
        "georgi.ivanov@demo.example",
        "sergey.volkov@demo.example",
    )
    assert sofia.head.role == moscow.head.role == Role.HEAD
    assert User.objects.get(email="admin@demo.example").check_password(demo_data.DEMO_PASSWORD)


def test_demo_prints_the_credentials_table(db):
    output = _demo()

    for user in demo_data.USERS:
        line = next(line for line in output.splitlines() if line.strip().startswith(user.email))
        assert line.split()[:2] == [user.email, demo_data.DEMO_PASSWORD]
    assert "Head of sales  Moscow team" in output


def test_demo_twice_changes_nothing_and_says_so(db):
    _demo()
    before = _counts()

    output = _demo()

    assert _counts() == before
    assert output.startswith("Demo data is already loaded; nothing was changed.")
    assert "admin@demo.example" in output


def test_demo_is_deterministic_for_a_seed(db):
    plan_a = demo_data.build_plan(companies=20, contacts=40, seed=7)
    plan_b = demo_data.build_plan(companies=20, contacts=40, seed=7)
    plan_c = demo_data.build_plan(companies=20, contacts=40, seed=8)

    assert plan_a == plan_b
    assert plan_a != plan_c


def test_demo_records_history_and_search_through_the_services(db):
    from tandem.contacts.selectors import global_search

    _demo()
    admin = User.objects.get(email="admin@demo.example")

    records = ContentType.objects.get_for_models(Company, Contact, Deal).values()
    assert Event.objects.filter(action=Event.Action.CREATED, target_type__in=records).count() == 10 + 30 + 20
    contact = Contact.objects.filter(deleted_at__isnull=True).order_by("id").first()
    assert contact in global_search(actor=admin, text=contact.last_name)["contacts"]


def test_demo_data_is_valid_by_the_domain_rules(db):
    _demo()

    tax_ids = list(Company.objects.values_list("tax_id", flat=True))
    assert len(set(tax_ids)) == len(tax_ids) == 10
    for phone in Phone.objects.all():
        parsed = parse_phone(
            phone.raw, "RU" if phone.e164.startswith("+7") else "GB" if phone.e164.startswith("+44") else "BG"
        )
        assert (parsed.e164, parsed.extension) == (phone.e164, phone.extension)
    assert all(
        address.endswith(".example.com") for address in Email.objects.values_list("address", flat=True)
    )
    assert set(Company.objects.values_list("legal_form", flat=True)) <= {
        "ЕООД",
        "ООД",
        "АД",
        "ЕТ",
        "ООО",
        "АО",
        "ПАО",
        "ИП",
        "Ltd",
        "PLC",
    }


def test_demo_password_passes_the_password_validators(db):
    _demo()

    for user in User.objects.all():
        validate_password(demo_data.DEMO_PASSWORD, user)


@override_settings(LANGUAGE_CODE="bg")
def test_demo_reference_lists_follow_the_bulgarian_instance_language(db):
    _demo()

    assert list(ContactRole.objects.order_by("position").values_list("name", flat=True))[:4] == [
        "Управител",
        "Счетоводител",
        "Снабдител",
        "Складов работник",
    ]
    assert Industry.objects.filter(name="Търговия на едро").exists()


@override_settings(LANGUAGE_CODE="ru")
def test_demo_reference_lists_follow_the_russian_instance_language(db):
    _demo()

    assert list(ContactRole.objects.order_by("position").values_list("name", flat=True))[:4] == [
        "Директор",
        "Бухгалтер",
        "Закупщик",
        "Кладовщик",
    ]


def test_demo_reference_lists_are_english_by_default(db):
    _demo()

    assert list(ContactRole.objects.order_by("position").values_list("name", flat=True))[:4] == [
        "Director",
        "Accountant",
        "Buyer",
        "Storekeeper",
    ]


@pytest.mark.parametrize(
    ("check", "args", "valid"),
    [
        (demo_data.eik_check_digit, ("17507475",), 2),  # EIK 175074752
        (demo_data.eik_check_digit, ("12345678",), 6),
        (demo_data.inn10_check_digit, ("770708389",), 3),  # INN 7707083893
        (demo_data.inn12_check_digits, ("5001007322",), "59"),  # INN 500100732259
    ],
)
def test_tax_id_check_digits(check, args, valid):
    assert check(*args) == valid


def test_gb_vat_check_digits():
    assert demo_data.gb_vat_check_digits("9807806") == "84"  # GB 980 7806 84


def test_demo_builds_a_living_pipeline_through_the_services(db):
    _demo()

    deals = list(Deal.objects.select_related("owner", "company", "stage"))
    assert len(deals) == 20
    assert StageChange.objects.count() >= len(deals)
    for deal in deals:
        assert deal.owner.role in {Role.REP, Role.HEAD}
        assert deal.company is not None and can(deal.owner, "view", deal.company)
        assert all(can(deal.owner, "view", contact) for contact in deal.contacts.all())
        changes = list(deal.stage_changes.order_by("changed_at", "id"))
        assert changes[0].from_stage is None and changes[-1].to_stage_id == deal.stage_id
        assert deal.created_at == changes[0].changed_at <= deal.stage_entered_at == changes[-1].changed_at
        assert deal.created_at >= timezone.now() - datetime.timedelta(days=183)
        if deal.stage.kind == Stage.Kind.WON:
            assert deal.won_at == deal.stage_entered_at and deal.amount is not None
        if deal.stage.kind == Stage.Kind.LOST:
            assert deal.lost_reason_id is not None and deal.lost_at is not None
        if deal.amount_from_lines:
            assert deal.amount == sum(line.total for line in deal.lines.all())
    kinds = {deal.stage.kind for deal in deals}
    assert kinds == {Stage.Kind.OPEN, Stage.Kind.WON, Stage.Kind.LOST}
    untaken = [deal for deal in deals if deal.taken_at is None]
    assert untaken and all(deal.stage.position == 0 for deal in untaken)
    assert any(deal.amount_from_lines for deal in deals)
    assert any(not deal.amount_from_lines and deal.amount for deal in deals)


def test_demo_deals_mix_looks_like_a_real_funnel():
    deals = demo_data.build_plan(companies=200, contacts=600, deals=250).deals

    share = {
        outcome: sum(deal.outcome == outcome for deal in deals) / len(deals)
        for outcome in ("open", "won", "lost")
    }
    assert 0.5 <= share["open"] <= 0.62 and 0.2 <= share["won"] <= 0.3 and 0.15 <= share["lost"] <= 0.25
    assert 6 <= sum(not deal.taken for deal in deals) <= 10
    assert 0.3 <= sum(bool(deal.lines) for deal in deals) / len(deals) <= 0.5
    assert {deal.currency for deal in deals} == {"EUR", "BGN", "USD"}
    assert {deal.pipeline for deal in deals} == {0, 1}


def test_demo_open_deals_are_stuck_overdue_or_without_next_step_sometimes(db):
    _demo("--deals", "40")

    open_deals = Deal.objects.filter(stage__kind=Stage.Kind.OPEN)
    assert open_deals.filter(stuck_q()).exists()
    assert open_deals.exclude(stuck_q()).exists()
    assert open_deals.filter(next_step_date__lt=timezone.localdate()).exists()
    assert open_deals.filter(next_step_date__gte=timezone.localdate()).exists()
    assert open_deals.filter(next_step_date__isnull=True).exists()
    assert not Deal.objects.exclude(stage__kind=Stage.Kind.OPEN).exclude(next_step="").exists()
    assert open_deals.filter(expected_close_date__gt=timezone.localdate()).exists()


def test_demo_product_catalog(db):
    _demo()

    assert Product.objects.count() == len(demo_data.PRODUCTS)
    assert ProductCategory.objects.count() >= 4
    assert set(Product.objects.values_list("currency", flat=True)) == {"EUR", "BGN"}
    assert set(Product.objects.values_list("vat_rate", flat=True)) == {20}
    assert Product.objects.exclude(sku="").count() == len(demo_data.PRODUCTS)


@override_settings(LANGUAGE_CODE="bg")
def test_demo_product_catalog_follows_the_instance_language(db):
    _demo()

    assert ProductCategory.objects.filter(name="Офис мебели").exists()
    assert Product.objects.get(sku="SV-MAINT-Y").name == "Годишен договор за поддръжка"
    assert Product.objects.get(sku="OF-DESK-160").unit == "бр."


def test_demo_deal_titles_follow_the_company_language():
    plan = demo_data.build_plan(companies=30, contacts=60, deals=60, seed=3)

    assert len(plan.deals) == 60
    for deal in plan.deals:
        company = plan.companies[deal.company_index]
        assert deal.owner_key == company.owner_key and company.country == deal.country
        assert any(
            deal.title.startswith(title) for titles in demo_data.DEAL_TITLES[deal.country] for title in titles
        )
        assert all(plan.contacts[index].company_index == deal.company_index for index in deal.contact_indices)
    assert plan == demo_data.build_plan(companies=30, contacts=60, deals=60, seed=3)


def test_demo_has_plans_channel_costs_and_payments_for_the_reports(db):
    from tandem.analytics.models import ChannelCost, Payment, SalesPlan
    from tandem.deals.models import Deal

    _demo()

    reps = User.objects.filter(role=Role.REP).count()
    assert SalesPlan.objects.filter(user__isnull=False).count() == reps * 6
    assert SalesPlan.objects.filter(team__isnull=False).count() == Team.objects.count() * 6
    assert ChannelCost.objects.count() == Channel.objects.count() * 7
    won = Deal.objects.filter(won_at__isnull=False).count()
    paid = Payment.objects.values("deal").distinct().count()
    assert 0 < paid <= won


def test_static_files_collect_with_the_production_manifest_storage(tmp_path, settings):
    """`tandem run` collects static files with hashed names: a vendored file that points at a missing
    source map (or anything else) would stop the server from starting."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

    call_command("collectstatic", interactive=False, verbosity=0)

    assert (tmp_path / "static" / "staticfiles.json").exists()
