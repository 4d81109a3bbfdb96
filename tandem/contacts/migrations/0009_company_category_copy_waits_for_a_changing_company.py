"""PostgreSQL: a contact reads its company's category under a share lock on the company.

Read plainly, a contact that joined a company while another transaction changed the company's
category kept the old one: its read did not wait for the change, and the change's update of the
company's contacts did not see the contact yet. With the lock, whichever comes second waits for the
first to commit and then sees it. SQLite writes one transaction at a time.
"""

from django.db import migrations

BODY = """
    CREATE OR REPLACE FUNCTION contacts_contact_take_company_category() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.company_category_id := (
            SELECT category_id FROM contacts_company WHERE id = NEW.company_id{lock}
        );
        RETURN NEW;
    END $$
"""


def _replace(lock):
    def replace(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(BODY.format(lock=lock))

    return replace


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0008_tag_ids_on_postgresql"),
    ]

    operations = [migrations.RunPython(_replace(" FOR SHARE"), _replace(""))]
