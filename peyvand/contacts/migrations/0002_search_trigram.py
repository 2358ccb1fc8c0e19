"""Trigram GIN indexes on the normalized search text, on PostgreSQL only.

``search_text LIKE '%term%'`` then uses the index instead of scanning every row. SQLite has
no trigram index; there the same query is a scan, which is fine at the embedded scale.
"""

from django.db import migrations

INDEXES = (
    ("contacts_contact", "contact_search_trgm"),
    ("contacts_company", "company_search_trgm"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, name in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
