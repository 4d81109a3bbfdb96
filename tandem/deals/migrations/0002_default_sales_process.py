from django.conf import settings
from django.db import migrations


def seed(apps, schema_editor):
    from tandem.deals.defaults import CHANNELS, EUR_RATES, LOST_REASONS, PIPELINES

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
                    pipeline=pipeline, name=stage, probability=probability, kind=kind, max_days=max_days,
                    required_fields=required, colour=colour, position=index,
                )
    for position, name in enumerate(LOST_REASONS[language]):
        LostReason.objects.get_or_create(name=name, defaults={"position": position})
    for position, name in enumerate(CHANNELS[language]):
        Channel.objects.get_or_create(name=name, defaults={"position": position})


def unseed(apps, schema_editor):
    Deal = apps.get_model("deals", "Deal")
    if not Deal.objects.exists():
        apps.get_model("deals", "Pipeline").objects.all().delete()
        apps.get_model("deals", "LostReason").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial"), ("contacts", "0004_owner_sort_indexes")]
    operations = [migrations.RunPython(seed, unseed)]
