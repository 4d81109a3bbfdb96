"""PostgreSQL: one full-text index per kind of document (partial, on `(id & 15) = kind`).

With one index for all kinds, the 8 companies named "Иван…" were found by reading all 75,000
matching documents, mostly contacts, and discarding the wrong kind (130 ms); every query names its
kind, so the index of that kind alone answers it.
"""

from django.db import migrations

KINDS = {1: "company", 2: "contact"}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for kind, name in KINDS.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS search_document_{name}_tsv_idx "
            f"ON search_document USING gin (tsv) WHERE (id & 15) = {kind}"
        )
    schema_editor.execute("DROP INDEX IF EXISTS search_document_tsv_idx")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE INDEX IF NOT EXISTS search_document_tsv_idx ON search_document USING gin (tsv)")
    for name in KINDS.values():
        schema_editor.execute(f"DROP INDEX IF EXISTS search_document_{name}_tsv_idx")


class Migration(migrations.Migration):
    dependencies = [("search", "0002_stored_tsvector")]
    operations = [migrations.RunPython(forwards, backwards)]
