"""Foreign keys whose own index repeated the first column of a composite index: dropped by name (an
AlterField would rebuild the whole table on SQLite), so imports and saves update fewer indexes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("history", "0003_event_import_merge_actions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="event",
                    name="parent_type",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="contenttypes.contenttype",
                    ),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="target_type",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="contenttypes.contenttype",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS history_event_parent_type_id_bc262903",
                    reverse_sql="CREATE INDEX history_event_parent_type_id_bc262903 ON history_event (parent_type_id)",
                ),
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS history_event_target_type_id_09552bda",
                    reverse_sql="CREATE INDEX history_event_target_type_id_09552bda ON history_event (target_type_id)",
                ),
            ],
        ),
    ]
