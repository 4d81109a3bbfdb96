from django.conf import settings
from django.db import migrations


def seed(apps, schema_editor):
    from tandem.deals.defaults import sales_process_seed

    sales_process_seed(apps)


def unseed(apps, schema_editor):
    Deal = apps.get_model("deals", "Deal")
    if not Deal.objects.exists():
        apps.get_model("deals", "Pipeline").objects.all().delete()
        apps.get_model("deals", "LostReason").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial"), ("contacts", "0004_owner_sort_indexes")]
    operations = [migrations.RunPython(seed, unseed)]
