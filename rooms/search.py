"""Searching messages: what a user may find, ranked, with the matching words marked.

Only messages of rooms the user may see now (`Room.objects.visible_to`, the one rule of
who sees a room), as they are now: the current text of messages not deleted (an edit
is found by its new words only, a deleted message not at all).

PostgreSQL: full-text search in the `simple` configuration (no language stemming: a chat
mixes languages), the query read as a web search (`"a phrase"`, `or`, `-word`). Each
message's document (its tsvector) is stored in a column of its own, kept by a trigger
and GIN-indexed (migration 0009), so a search parses no text. The newest
RANK_CANDIDATES matches are ranked, the best first: a word in most messages would
otherwise rank hundreds of thousands of rows on every search (seconds on a million
messages; docs/search.md has the figures), and in a chat the recent matches are the
ones looked for. SQLite (the embedded default): every word of the query must be in the
text (any case for ASCII letters), newest first: enough for a development site, and
documented as the fallback. Either way the snippet is cut from the text around the first
match of a word of the query, every match marked, and a query needs one word that is
not a `-word`.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import Expression
from django.utils.safestring import SafeString, mark_safe

from .direct import direct_titles
from .models import Message, MessageType, Room

logger = logging.getLogger(__name__)

# Results per page, and the longest query looked for.
RESULTS_LIMIT = 50
QUERY_MAX_LENGTH = 200
# PostgreSQL's text search configuration, the same in the stored document and every query.
SEARCH_CONFIG = "simple"
# The column holding each message's document (migration 0009: no model field, so that
# no other query of messages loads it), and how many of the newest matches are ranked.
DOCUMENT_COLUMN = "search_document"
RANK_CANDIDATES = 200
# PostgreSQL's statement_timeout for a search, far above what one takes (tens of ms on a
# million messages): past it, nothing is found, rather than a query no index answers
# quickly (`word -word`: a scan of the whole table) holding a connection for seconds.
SEARCH_TIMEOUT_MS = 2000
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement cancelled by it
# Where a snippet marks a match: two private-use characters. A
# message could hold them too, so marking only ever opens one <mark> and closes it
# before the next (`_marked`): whatever the text, the snippet's HTML is well formed.
START, STOP = "\ue000", "\ue001"
# A snippet of an SQLite match: this many characters either side of it.
AROUND = 60


@dataclass(frozen=True)
class Hit:
    room_id: int
    room_title: str
    number: int  # the message's id in its room
    username: str | None
    created: datetime
    snippet: SafeString  # escaped text with the matches in <mark>


def search_messages(
    user: AbstractBaseUser | AnonymousUser,
    query: str,
    room_id: int | None = None,
    limit: int = RESULTS_LIMIT,
    *,
    full_text: bool | None = None,
) -> list[Hit]:
    """The messages `user` may see that match `query` (in one room, with `room_id`).
    `full_text`: PostgreSQL's full-text search, else the substring fallback (by default
    the database's own; the tests run the fallback on PostgreSQL too)."""
    # NUL cannot be a PostgreSQL text parameter; the rest of the C0 range is harmless.
    query = " ".join(query.replace("\x00", " ").split())[:QUERY_MAX_LENGTH]
    words = _words(query)
    if not user.is_authenticated or not any(not w.startswith("-") for w in words):
        return []  # nothing to look for (`-word` alone would rank every message)
    rooms = Room.objects.visible_to(user)
    if room_id is not None:
        rooms = rooms.filter(pk=room_id)
    messages = Message.objects.filter(
        room__in=rooms, deleted__isnull=True, msg_type=MessageType.MESSAGE
    ).select_related("room", "author")
    if full_text is None:
        full_text = connection.vendor == "postgresql"
    if full_text:
        found = _in_time(_postgres(messages, query)[:limit])
    else:
        found = list(_contains_all(messages, words).order_by("-created", "-pk")[:limit])
    # Cut here, not by ts_headline: it would drop what looks like HTML tags from the text
    # (`<b>` written in a message is part of it) and parse every hit again.
    snippets = [_cut_around(m.text, words) for m in found]
    titles = direct_titles({m.room for m in found}, user)
    return [
        Hit(
            room_id=m.room_id,
            room_title=titles.get(m.room_id, m.room.title),
            number=m.number,
            username=m.author.get_username() if m.author else None,
            created=m.created,
            snippet=snippet,
        )
        for m, snippet in zip(found, snippets, strict=True)
    ]


def _in_time(search: QuerySet) -> list[Message]:
    """The search's messages, or none if it took longer than SEARCH_TIMEOUT_MS."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {int(SEARCH_TIMEOUT_MS)}")
            found = list(search)
            # Inside an outer transaction (a test's, ATOMIC_REQUESTS) it would stay set.
            cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
        return found
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != QUERY_CANCELED:
            raise
        logger.warning("A search took over %s ms and was cancelled", SEARCH_TIMEOUT_MS)
        return []


def _postgres(messages: QuerySet, query: str) -> QuerySet:
    """The newest RANK_CANDIDATES matches among `messages`, best ranked first. Newest by
    id, whose index lets PostgreSQL read a common word's matches from the end and stop
    (a rare word's come from the GIN index); the ranking reads only the stored documents."""
    from django.contrib.postgres.search import SearchQuery, SearchRank

    wanted = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
    newest = (
        messages.alias(document=StoredDocument())
        .filter(document=wanted)
        .order_by("-pk")
        .values("pk")[:RANK_CANDIDATES]
    )
    return (
        Message.objects.filter(pk__in=newest)
        .select_related("room", "author")
        .annotate(rank=SearchRank(StoredDocument(), wanted))
        .order_by("-rank", "-created", "-pk")
    )


class StoredDocument(Expression):
    """The stored document of the messages a query reads, `"alias"."search_document"`,
    relabelled with their table's alias when the query becomes a subquery (as a model
    field's column would be)."""

    contains_column_references = True

    def __init__(self, alias: str | None = None):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())
        self.alias = alias or Message._meta.db_table

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        table = compiler.quote_name_unless_alias(self.alias)
        return f"{table}.{connection.ops.quote_name(DOCUMENT_COLUMN)}", []

    def relabeled_clone(self, relabels: dict[str, str]) -> StoredDocument:
        return StoredDocument(relabels.get(self.alias, self.alias))


def _words(query: str) -> list[str]:
    """The words of a query for the SQLite fallback (quotes and operators dropped)."""
    return [w for w in re.split(r"[\s\"']+", query) if w and w.lower() != "or" and w != "-"]


def _contains_all(messages: QuerySet, words: list[str]) -> QuerySet:
    """Every word in the text, none of the `-word`s."""
    condition = Q()
    for word in words:
        if word.startswith("-"):
            condition &= ~Q(text__icontains=word[1:])
        else:
            condition &= Q(text__icontains=word)
    return messages.filter(condition)


def _marked(snippet: str) -> SafeString:
    """A snippet, escaped, its match markers made <mark> elements (strictly in turn)."""
    out, open_ = [], False
    for piece in re.split(f"([{START}{STOP}])", html.escape(snippet)):
        if piece == START:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif piece == STOP:
            if open_:
                out.append("</mark>")
                open_ = False
        else:
            out.append(piece)
    if open_:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 (escaped above; only <mark> added)


def _cut_around(text: str, words: list[str]) -> SafeString:
    """A piece of `text` around its first match, every match of the words marked."""
    positive = [w for w in words if not w.startswith("-")]
    if not positive:
        return _marked(text[: 2 * AROUND] + ("…" if len(text) > 2 * AROUND else ""))
    pattern = re.compile("|".join(re.escape(w) for w in positive), re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, first.start() - AROUND) if first else 0
    end = min(len(text), (first.end() if first else 0) + AROUND)
    piece = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    marked = pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", piece)
    return _marked(marked)
