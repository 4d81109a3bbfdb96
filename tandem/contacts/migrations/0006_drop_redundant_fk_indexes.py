"""Foreign keys whose own index repeated the first column of a composite index: dropped by name (an
AlterField would rebuild the whole table on SQLite), so imports and saves update fewer indexes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0005_owner_recent_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="company",
                    name="owner",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="owner",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS contacts_company_owner_id_1cd86ea6",
                    reverse_sql="CREATE INDEX contacts_company_owner_id_1cd86ea6 ON contacts_company (owner_id)",
                ),
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS contacts_contact_owner_id_0103c1ee",
                    reverse_sql="CREATE INDEX contacts_contact_owner_id_0103c1ee ON contacts_contact (owner_id)",
                ),
            ],
        ),
    ]
