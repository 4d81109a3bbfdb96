"""PostgreSQL: companies and contacts carry their tags' ids in an array with a GIN index, kept by triggers.

"A tag, as a rep" read the tag's 8,000 contact ids and probed the primary key for each of them once
per part of the rep's visibility (own, shared, team): ~24,000 index pages, 110 ms at a million
contacts. With the ids on the row, `tag_ids @> '{7}'` is a bitmap of the GIN index that PostgreSQL
ANDs with the owner's or the created range's bitmap before it visits a row.

The column is not a model field (SQLite has no arrays; there the list keeps filtering by the link
table): `contacts.selectors` filters by it with `TaggedWith`. The triggers are statement triggers on
the link tables, so an import's COPY of thousands of links updates each record once. Bulk loaders that
switch triggers off must fill the column themselves (`bench.generate` does).
"""

from django.db import migrations

TABLES = [("contacts_contact", "contacts_contact_tags", "contact_id", "contact_tag_ids_idx")]
TABLES += [("contacts_company", "contacts_company_tags", "company_id", "company_tag_ids_idx")]


def _statements(table: str, links: str, key: str, index: str) -> list[str]:
    function = f"{links}_to_tag_ids"
    return [
        f"ALTER TABLE {table} ADD COLUMN tag_ids bigint[] NOT NULL DEFAULT '{{}}'",
        f"""
        UPDATE {table} AS record SET tag_ids = linked.ids
        FROM (SELECT {key}, array_agg(tag_id ORDER BY tag_id) AS ids FROM {links} GROUP BY {key}) AS linked
        WHERE linked.{key} = record.id
        """,
        f"CREATE INDEX {index} ON {table} USING gin (tag_ids)",
        # The records are locked before their ids are read again from the links: a transaction linking
        # the same record at the same time commits first, and the UPDATE (a statement of its own, with
        # a snapshot of its own) sees its links too. Read in the UPDATE alone, they were missed.
        f"""
        CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            changed bigint[];
        BEGIN
            IF TG_OP = 'DELETE' THEN
                SELECT array_agg(DISTINCT {key}) INTO changed FROM old_links;
            ELSIF TG_OP = 'INSERT' THEN
                SELECT array_agg(DISTINCT {key}) INTO changed FROM new_links;
            ELSE
                SELECT array_agg(DISTINCT {key}) INTO changed
                FROM (SELECT {key} FROM old_links UNION SELECT {key} FROM new_links) AS both_links;
            END IF;
            PERFORM 1 FROM {table} WHERE id = ANY(changed) ORDER BY id FOR NO KEY UPDATE;
            UPDATE {table} AS record SET tag_ids = coalesce(
                (SELECT array_agg(tag_id ORDER BY tag_id) FROM {links} WHERE {key} = record.id), '{{}}'
            )
            WHERE record.id = ANY(changed);
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE TRIGGER {links}_inserted AFTER INSERT ON {links} REFERENCING NEW TABLE AS new_links
        FOR EACH STATEMENT EXECUTE FUNCTION {function}()
        """,
        f"""
        CREATE TRIGGER {links}_deleted AFTER DELETE ON {links} REFERENCING OLD TABLE AS old_links
        FOR EACH STATEMENT EXECUTE FUNCTION {function}()
        """,
        f"""
        CREATE TRIGGER {links}_updated AFTER UPDATE ON {links}
        REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links
        FOR EACH STATEMENT EXECUTE FUNCTION {function}()
        """,
    ]


def _reverse(table: str, links: str, key: str, index: str) -> list[str]:
    return [
        *[f"DROP TRIGGER {links}_{event} ON {links}" for event in ("inserted", "deleted", "updated")],
        f"DROP FUNCTION {links}_to_tag_ids()",
        f"ALTER TABLE {table} DROP COLUMN tag_ids",
    ]


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for names in TABLES:
            for statement in _statements(*names):
                schema_editor.execute(statement)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for names in TABLES:
            for statement in _reverse(*names):
                schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0007_company_category_on_contacts"),
    ]

    operations = [migrations.RunPython(add, remove)]
