from django.db import migrations


def seed(apps, schema_editor):
    from tandem.activities.defaults import activities_seed

    activities_seed(apps)


def unseed(apps, schema_editor):
    if not apps.get_model("activities", "Activity").objects.exists():
        apps.get_model("activities", "ActivityType").objects.all().delete()
        apps.get_model("activities", "Outcome").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_activities")]
    operations = [migrations.RunPython(seed, unseed)]
