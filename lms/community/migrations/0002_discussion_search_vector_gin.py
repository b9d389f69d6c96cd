"""GIN index over Discussion.search_vector, on PostgreSQL only (as catalog's 0002 for courses).

SQLite has no tsvector: there the column is a plain, unused value and discussion search
falls back to icontains (docs/community.md), so the index is simply not created.
"""

from django.db import migrations

INDEX_NAME = "discussion_search_vector_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON community_discussion USING gin (search_vector)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


class Migration(migrations.Migration):
    dependencies = [("community", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
