"""The search benchmark's made-up chat: a vocabulary, message texts, rooms and the rows.

Pure Python and seeded: the same arguments give the same rooms, texts and queries on
every machine. Words follow a Zipf-like law (the word of rank r is used in proportion
to 1/r), as in real text: the few most common words are in most messages, the rare ones
in a few hundred of a million, and the benchmark's queries are drawn from both ends.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

CONSONANTS = "bdfgklmnprstvz"
VOWELS = "aeiou"
VOCABULARY_SIZE = 4000
# Fractions of the messages: written by the server (not searched), edited (found by the
# new text only), deleted (tombstones: not found), answered by the next message in the room.
SERVER, EDITED, DELETED, ANSWERED = 0.003, 0.03, 0.02, 0.04
# The messages span this long before FILL_END (fixed, so that reruns give the same rows).
SPAN = timedelta(days=365)
FILL_END = datetime(2025, 1, 1, tzinfo=UTC)


def vocabulary(size: int = VOCABULARY_SIZE, seed: int = 1) -> list[str]:
    """`size` distinct pronounceable words, most common first; common words are short,
    as they are in every language (rank 1-9: one syllable, up to 99: two, ...)."""
    rng = random.Random(seed)
    words: list[str] = []
    seen = {"or"}  # the web-search syntax's operator: never a word of the corpus
    while len(words) < size:
        syllables = 1 + min(3, int(math.log10(len(words) + 1)))
        word = "".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) for _ in range(syllables))
        if rng.random() < 0.3:
            word += rng.choice(CONSONANTS)
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf_weights(size: int, exponent: float = 1.0) -> list[float]:
    """Cumulative weights of ranks 1..size under Zipf's law (for random.choices)."""
    total, cumulative = 0.0, []
    for rank in range(1, size + 1):
        total += 1 / rank**exponent
        cumulative.append(total)
    return cumulative


class Texts:
    """Message texts: 3 to 40 words (most messages short), a sentence's capital and stop."""

    def __init__(self, words: list[str], rng: random.Random):
        self.words, self.rng = words, rng
        self.weights = zipf_weights(len(words))

    def __call__(self) -> str:
        rng = self.rng
        length = min(40, 3 + int(rng.expovariate(1 / 9)))
        picked = rng.choices(self.words, cum_weights=self.weights, k=length)
        if length > 8 and rng.random() < 0.4:
            at = rng.randrange(2, length - 2)
            picked[at] += ","
        return picked[0].capitalize() + " " + " ".join(picked[1:]) + rng.choice(".....?!")


@dataclass
class RoomPlan:
    title: str
    kind: str  # rooms.models.RoomKind values
    staff_only: bool = False
    archived: bool = False
    searcher_member: bool = False
    authors: list[int] = field(default_factory=list)  # indexes into the author list
    visible: bool = True  # to the (non-staff) searcher: the oracle of the layout
    messages: int = 0
    changes: int = 0  # edits and deletions: seqs after the room's last message number


def room_plans(authors: int, rng: random.Random) -> list[RoomPlan]:
    """200 public rooms, and the ones the searcher may not see beside them: staff-only,
    archived, private and direct rooms without them (and private and direct rooms with)."""
    plans = [RoomPlan(f"Public {n:03}", "public") for n in range(200)]
    for n in range(10):
        plans.append(RoomPlan(f"Staff {n:02}", "public", staff_only=True, visible=False))
        plans.append(RoomPlan(f"Archived {n:02}", "public", archived=True, visible=False))
    for n in range(40):
        member = n % 2 == 0
        plans.append(RoomPlan(f"Private {n:02}", "private", searcher_member=member, visible=member))
    # Direct rooms: the same people are always in the same one, so every pair differs.
    pairs = [(a, b) for a in range(authors) for b in range(a + 1, authors)]
    partners, others = rng.sample(range(authors), 15), rng.sample(pairs, 15)
    for n in range(15):
        plans.append(RoomPlan(f"Direct {n:02}", "direct", searcher_member=True))
        plans[-1].authors = [partners[n]]
        plans.append(RoomPlan(f"Direct {n + 15:02}", "direct", visible=False))
        plans[-1].authors = list(others[n])
    for plan in plans:
        if plan.kind != "direct":
            plan.authors = rng.sample(range(authors), rng.randint(3, 12))
    return plans


@dataclass
class MessageRow:
    """One message as its columns (authors and rooms still as plan indexes)."""

    id: int
    room: int
    number: int
    seq: int
    author: int | None
    text: str
    msg_type: int
    reply_to: int | None
    created: datetime
    edited: datetime | None
    deleted: datetime | None
    replied: bool
    answered_by_next: bool = False


def message_rows(
    count: int, plans: list[RoomPlan], texts: Callable[[], str], rng: random.Random
) -> Iterator[MessageRow]:
    """`count` messages in time order, spread over the rooms unevenly (a few busy rooms,
    many quiet ones); numbers 1, 2, ... in each room, and each edit or deletion the next
    seq after the room's last message, as if made after the fill. Sets the plans'
    `messages` and `changes` (the rooms' last_seq is their sum)."""
    order = list(range(len(plans)))
    rng.shuffle(order)
    room_weights = [0.0] * len(plans)
    for rank, index in enumerate(order, start=1):
        room_weights[index] = 1 / rank**0.7
    rooms = rng.choices(range(len(plans)), weights=room_weights, k=count)
    for index in rooms:
        plans[index].messages += 1
    numbers = [0] * len(plans)
    answering: list[int | None] = [None] * len(plans)  # the message the next one answers
    step = SPAN / max(count, 1)
    start = FILL_END - SPAN
    for n, index in enumerate(rooms):
        plan = plans[index]
        numbers[index] += 1
        created = start + step * n
        server = rng.random() < SERVER
        row = MessageRow(
            id=n + 1,
            room=index,
            number=numbers[index],
            seq=numbers[index],
            author=None if server else rng.choice(plan.authors),
            text=texts(),
            msg_type=1 if server else 0,
            reply_to=answering[index],
            created=created,
            edited=None,
            deleted=None,
            replied=False,
        )
        answering[index] = None
        luck = rng.random() if not server else 1.0  # the server's notices stay as sent
        if luck < DELETED:
            row.deleted, row.text = created + timedelta(hours=1), ""
        elif luck < DELETED + EDITED:
            row.edited, row.text = created + timedelta(minutes=5), texts()
        elif luck < DELETED + EDITED + ANSWERED:
            row.replied = True
            answering[index] = row.id
        if row.deleted or row.edited:
            plan.changes += 1
            row.seq = plan.messages + plan.changes
        yield row
