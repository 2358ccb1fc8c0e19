"""Trigram GIN indexes on the articles' search columns, on PostgreSQL only, so the
candidate filter (``LIKE '% word %'``) reads the index instead of every row. SQLite scans,
which is fine for a knowledge base's size."""

from django.db import migrations

INDEXES = (
    ("search_title", "article_search_title_trgm"),
    ("search_body", "article_search_body_trgm"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column, name in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON knowledge_article "
            f"USING gin ({column} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _column, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
