"""The sales process and role permissions a fresh database starts with (migration 0002, role sync)."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group

from tandem.contacts.models import Channel
from tandem.deals.defaults import CHANNELS, LOST_REASONS, PIPELINES
from tandem.deals.models import Currency, LostReason, Pipeline, Stage


def test_a_fresh_database_has_the_default_pipelines_and_stages(db):
    expected = PIPELINES[settings.LANGUAGE_CODE]

    pipelines = list(Pipeline.objects.order_by("position"))

    assert [(pipeline.name, pipeline.position, pipeline.is_active) for pipeline in pipelines] == [
        (name, position, True) for position, (name, _stages) in enumerate(expected)
    ]
    for pipeline, (_name, stages) in zip(pipelines, expected, strict=True):
        assert [
            (
                stage.name,
                stage.probability,
                stage.kind,
                stage.max_days,
                stage.required_fields,
                stage.colour,
                stage.position,
            )
            for stage in Stage.objects.filter(pipeline=pipeline).order_by("position")
        ] == [
            (name, probability, kind, max_days, required, colour, position)
            for position, (name, probability, kind, max_days, required, colour) in enumerate(stages)
        ]
    assert Stage.objects.filter(is_archived=True).count() == 0


def test_a_fresh_database_has_currencies_lost_reasons_and_channels(db):
    assert settings.BASE_CURRENCY == "EUR"
    assert list(Currency.objects.order_by("code").values_list("code", "rate", "is_active")) == [
        ("BGN", Decimal("0.51129188"), True),
        ("EUR", Decimal("1.00000000"), True),
        ("RUB", Decimal("0.01050000"), True),
        ("USD", Decimal("0.92000000"), True),
    ]
    assert list(LostReason.objects.order_by("position").values_list("name", flat=True)) == LOST_REASONS["en"]
    assert list(Channel.objects.order_by("position").values_list("name", flat=True)) == CHANNELS["en"]


def _deal_permissions(role: str) -> set[str]:
    return set(
        Group.objects.get(name=role)
        .permissions.filter(content_type__app_label="deals")
        .values_list("codename", flat=True)
    )


REFERENCE_VIEWS = {
    "view_pipeline",
    "view_stage",
    "view_product",
    "view_productcategory",
    "view_currency",
    "view_lostreason",
}


def test_role_groups_hold_the_deal_permissions_of_their_scope(db):
    full = {"view_deal", "add_deal", "change_deal", "delete_deal"}

    assert _deal_permissions("rep") == full | REFERENCE_VIEWS
    assert _deal_permissions("head") == full | {"view_team_deal", "change_team_deal"} | REFERENCE_VIEWS
    assert _deal_permissions("readonly") == {"view_deal", "view_all_deal"} | REFERENCE_VIEWS
    assert (
        _deal_permissions("marketer")
        == {"view_deal", "add_deal", "change_deal", "view_all_deal"} | REFERENCE_VIEWS
    )
    admin = _deal_permissions("admin")
    assert full | {"view_all_deal", "change_all_deal"} <= admin
    for model in ("pipeline", "stage", "product", "productcategory", "currency", "lostreason"):
        assert {f"add_{model}", f"change_{model}", f"delete_{model}", f"view_{model}"} <= admin
    assert not any("team_deal" in codename for codename in admin)


def test_role_users_can_act_on_deals_within_their_scope(admin, head_a, rep_a, readonly):
    assert (rep_a.has_perm("deals.change_deal"), rep_a.has_perm("deals.view_team_deal")) == (True, False)
    assert (head_a.has_perm("deals.view_team_deal"), head_a.has_perm("deals.view_all_deal")) == (True, False)
    assert (admin.has_perm("deals.change_all_deal"), admin.has_perm("deals.change_stage")) == (True, True)
    assert (readonly.has_perm("deals.view_all_deal"), readonly.has_perm("deals.change_deal")) == (True, False)
