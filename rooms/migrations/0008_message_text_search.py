"""A GIN index for full-text search of messages on PostgreSQL (rooms/search.py), built
CONCURRENTLY: on a table of millions of messages it takes a while, and writes go on
meanwhile (hence a migration outside a transaction). Its expression is exactly the one
the search's SearchVector("text", config="simple") compiles to, so queries use it. Other
databases have no such index (SQLite searches by substring: rooms/search.py)."""

from django.db import migrations

INDEX = "message_text_search"
CREATE = (
    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON rooms_message "
    "USING gin (to_tsvector('simple'::regconfig, COALESCE(text, '')))"
)
DROP = f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}"


INVALID = (
    "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    f"WHERE c.relname = '{INDEX}' AND NOT i.indisvalid"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # A concurrent build that failed or was cancelled leaves an invalid index behind,
    # which IF NOT EXISTS would keep: drop it and build again.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(INVALID)
        if cursor.fetchone():
            schema_editor.execute(DROP)
    schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("rooms", "0007_archive_direct_mentions")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
