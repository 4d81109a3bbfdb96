"""Foreign keys whose own index repeated the first column of a composite index: dropped by name (an
AlterField would rebuild the whole table on SQLite), so imports and saves update fewer indexes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="importchange",
                    name="job",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="changes",
                        to="imports.importjob",
                    ),
                ),
                migrations.AlterField(
                    model_name="importissue",
                    name="job",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="issues",
                        to="imports.importjob",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS imports_importchange_job_id_d2b3aa78",
                    reverse_sql="CREATE INDEX imports_importchange_job_id_d2b3aa78 ON imports_importchange (job_id)",
                ),
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS imports_importissue_job_id_7611d3c2",
                    reverse_sql="CREATE INDEX imports_importissue_job_id_7611d3c2 ON imports_importissue (job_id)",
                ),
            ],
        ),
    ]
