"""Each message's search document stored (PostgreSQL): its tsvector in a column, with a
GIN index, so that a search no longer parses the text of every row it looks at (see
rooms/search.py, and docs/search.md for the figures).

Not GENERATED ALWAYS AS (...) STORED: adding such a column rewrites the whole table under
an ACCESS EXCLUSIVE lock (about 20 s a million messages: no send, no history, no search
meanwhile). Instead, none of the steps holds a lock for long:

1. ADD COLUMN, nullable and without a default: the catalog only, instant;
2. a trigger fills it on every INSERT and on every UPDATE OF text (tsvector_update_trigger,
   built into PostgreSQL), so new and edited messages have it from now on;
3. the rows already there are filled in batches of BATCH ids, each batch its own
   transaction (row locks, a fraction of a second each);
4. the GIN index on it is built CONCURRENTLY (writes go on);
5. migration 0008's expression index is dropped, CONCURRENTLY (nothing searches through it
   any more; between this migration and the restart onto the new code, the old code's
   searches run without it, slowly).

Steps 1 and 2 give up after LOCK_TIMEOUT rather than queue every write of the table
behind a long transaction: run the migration again then. The backfill leaves a dead row
version per message behind, which autovacuum clears. The column is the database's own:
no model field (no query of messages ever loads it), only rooms/search.py reads it.
SQLite: nothing (it searches by substring).
"""

from django.db import migrations, transaction

TABLE = "rooms_message"
COLUMN = "search_document"
INDEX = "message_search_document"
TRIGGER = "message_search_document_update"
OLD_INDEX = "message_text_search"  # migration 0008's
BATCH = 10_000
LOCK_TIMEOUT = "5s"

ADD_COLUMN = f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {COLUMN} tsvector"
# The same document as 0008's index expression: the simple configuration, NULL as ''.
ADD_TRIGGER = (
    f"CREATE TRIGGER {TRIGGER} BEFORE INSERT OR UPDATE OF text ON {TABLE} FOR EACH ROW "
    f"EXECUTE FUNCTION tsvector_update_trigger({COLUMN}, 'pg_catalog.simple', text)"
)
# Table and column are this module's names, never input (S608).
FILL = (
    f"UPDATE {TABLE} SET {COLUMN} = to_tsvector('simple'::regconfig, COALESCE(text, ''))"  # noqa: S608
    f" WHERE id >= %s AND id < %s AND {COLUMN} IS NULL"
)
CREATE_INDEX = f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON {TABLE} USING gin ({COLUMN})"
DROP_INDEX = f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}"
INVALID = (
    "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "WHERE c.relname = %s AND NOT i.indisvalid"
)
OLD_CREATE = (
    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {OLD_INDEX} ON {TABLE} "
    "USING gin (to_tsvector('simple'::regconfig, COALESCE(text, '')))"
)
OLD_DROP = f"DROP INDEX CONCURRENTLY IF EXISTS {OLD_INDEX}"


def add_column_and_trigger(connection):
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute(ADD_COLUMN)
        cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
        cursor.execute(ADD_TRIGGER)


def backfill(connection):
    """Every row without a document gets one, BATCH ids a transaction (autocommit)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {TABLE} WHERE {COLUMN} IS NULL")  # noqa: S608
        low, high = cursor.fetchone()
        if low is None:
            return
        for start in range(low, high + 1, BATCH):
            cursor.execute(FILL, [start, start + BATCH])


def create_index(schema_editor, name=INDEX, create=CREATE_INDEX, drop=DROP_INDEX):
    """Build an index CONCURRENTLY, first dropping what a failed or cancelled concurrent
    build left behind (an invalid index, which IF NOT EXISTS would keep)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(INVALID, [name])
        if cursor.fetchone():
            schema_editor.execute(drop)
    schema_editor.execute(create)


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    add_column_and_trigger(connection)
    backfill(connection)
    create_index(schema_editor)
    schema_editor.execute(OLD_DROP)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    create_index(schema_editor, OLD_INDEX, OLD_CREATE, OLD_DROP)
    schema_editor.execute(DROP_INDEX)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
        cursor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {COLUMN}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("rooms", "0008_message_text_search")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
