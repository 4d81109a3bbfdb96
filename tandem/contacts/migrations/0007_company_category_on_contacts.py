"""Contacts carry their company's client category, kept by triggers, with an index to list them by it.

"Client category + created last spring" joined the companies of the contacts walked along the name
index and read 20,000–70,000 rows for a page (30–130 ms at a million contacts on PostgreSQL). With the
category on the contact, the page walks `contact_category_name_idx` (12 ms cold).

The copy is the database's job, so that no writer (services, imports, merges and their undo, raw
SQL) can forget it: a contact's row takes its company's category whenever its company or the copy
is written, and a company passes a new category to its contacts. Bulk loaders that switch triggers
off (`session_replication_role = replica`) must fill the column themselves (`bench.generate` does).
"""

import django.db.models.deletion
from django.db import migrations, models

POSTGRESQL = [
    """
    CREATE FUNCTION contacts_contact_take_company_category() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.company_category_id := (SELECT category_id FROM contacts_company WHERE id = NEW.company_id);
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER contact_company_category BEFORE INSERT OR UPDATE OF company_id, company_category_id
    ON contacts_contact FOR EACH ROW EXECUTE FUNCTION contacts_contact_take_company_category()
    """,
    """
    CREATE FUNCTION contacts_company_pass_category() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE contacts_contact SET company_category_id = NEW.category_id WHERE company_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER company_category_to_contacts AFTER UPDATE OF category_id ON contacts_company
    FOR EACH ROW WHEN (OLD.category_id IS DISTINCT FROM NEW.category_id)
    EXECUTE FUNCTION contacts_company_pass_category()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER company_category_to_contacts ON contacts_company",
    "DROP FUNCTION contacts_company_pass_category()",
    "DROP TRIGGER contact_company_category ON contacts_contact",
    "DROP FUNCTION contacts_contact_take_company_category()",
]

# SQLite cannot change NEW in a BEFORE trigger: the row is corrected after the write, only when wrong.
_COMPANY_CATEGORY = "(SELECT category_id FROM contacts_company WHERE id = NEW.company_id)"
SQLITE = [
    f"""
    CREATE TRIGGER contact_company_category_insert AFTER INSERT ON contacts_contact
    FOR EACH ROW WHEN NEW.company_category_id IS NOT {_COMPANY_CATEGORY}
    BEGIN
        UPDATE contacts_contact SET company_category_id = {_COMPANY_CATEGORY} WHERE id = NEW.id;
    END
    """,
    f"""
    CREATE TRIGGER contact_company_category_update AFTER UPDATE OF company_id, company_category_id
    ON contacts_contact FOR EACH ROW WHEN NEW.company_category_id IS NOT {_COMPANY_CATEGORY}
    BEGIN
        UPDATE contacts_contact SET company_category_id = {_COMPANY_CATEGORY} WHERE id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER company_category_to_contacts AFTER UPDATE OF category_id ON contacts_company
    FOR EACH ROW WHEN NEW.category_id IS NOT OLD.category_id
    BEGIN
        UPDATE contacts_contact SET company_category_id = NEW.category_id WHERE company_id = NEW.id;
    END
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER company_category_to_contacts",
    "DROP TRIGGER contact_company_category_update",
    "DROP TRIGGER contact_company_category_insert",
]

BACKFILL = {
    "postgresql": """
        UPDATE contacts_contact AS contact SET company_category_id = company.category_id
        FROM contacts_company AS company
        WHERE company.id = contact.company_id AND company.category_id IS NOT NULL
    """,
    "sqlite": """
        UPDATE contacts_contact SET company_category_id = (
            SELECT category_id FROM contacts_company WHERE id = contacts_contact.company_id
        ) WHERE company_id IS NOT NULL
    """,
}


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement)


def backfill_and_add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, [BACKFILL[vendor]])
    _run(schema_editor, POSTGRESQL if vendor == "postgresql" else SQLITE)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, POSTGRESQL_REVERSE if vendor == "postgresql" else SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0006_drop_redundant_fk_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="company_category",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="contacts.clientcategory",
            ),
        ),
        migrations.RunPython(backfill_and_add_triggers, drop_triggers),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                fields=["company_category", "last_name", "first_name", "id"], name="contact_category_name_idx"
            ),
        ),
    ]
