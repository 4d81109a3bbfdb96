from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
            "body, tokenize = \"unicode61 remove_diacritics 0 tokenchars '0123456789'\")"
        )
    else:
        schema_editor.execute("CREATE TABLE IF NOT EXISTS search_document (id bigint PRIMARY KEY, body text NOT NULL)")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS search_document_body_idx "
            "ON search_document USING gin (to_tsvector('simple', body))"
        )


def drop(apps, schema_editor):
    table = "search_fts" if schema_editor.connection.vendor == "sqlite" else "search_document"
    schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []
    operations = [migrations.RunPython(create, drop)]
