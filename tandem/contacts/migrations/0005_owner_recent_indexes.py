"""Owner + newest-first indexes: a rep's own records newest first (the "recent" sort, and a broad
PostgreSQL search paged by visibility part) without reading and sorting all of them."""

from django.conf import settings
from django.db import migrations, models


def analyze(apps, schema_editor):
    # SQLite plans a new index without statistics as very selective: it drove the idle-clients list
    # from owners through this index and sorted 200,000 companies (0.9 s) until the next ANALYZE.
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ANALYZE contacts_company")
        schema_editor.execute("ANALYZE contacts_contact")


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0004_owner_sort_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="company",
            index=models.Index(fields=["owner", "-id"], name="company_owner_recent_idx"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["owner", "-id"], name="contact_owner_recent_idx"),
        ),
        migrations.RunPython(analyze, migrations.RunPython.noop),
    ]
