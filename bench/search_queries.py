"""The search benchmark's queries: what people type into a chat's search box, from the
words in most messages to the ones in a few, alone, together, as a phrase, with a
`-word`, with `or`, and narrowed to one room. Seeded, and interleaved so that any first
n of them (the quick run, the baseline's share) is a mix of every kind."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from itertools import zip_longest

# Each kind's share of every 100 queries.
SHARES = {
    "common word": 15,  # in 8-63% of the messages: the ranking's worst case
    "mid word": 15,  # in 0.1-4%
    "rare word": 15,  # in a few hundred of a million
    "two words": 15,
    "phrase": 10,  # "quoted": the words next to each other, in that order
    "exclusion": 10,  # word -word
    "or": 5,
    "in a room": 15,  # the room filter, on the kinds above
}


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    room_id: int | None = None


def make_queries(
    words: list[str], phrases: list[str], rooms: list[int], count: int, seed: int
) -> list[Query]:
    """`count` queries over `words` (most common first), quoting `phrases` (word runs taken
    from stored messages) and narrowing to `rooms` (rooms the searcher may see)."""
    rng = random.Random(seed)

    def common() -> str:
        return words[rng.randrange(15)]

    def mid() -> str:  # log-uniform over ranks 30-1000: as many around 50 as around 500
        return words[int(math.exp(rng.uniform(math.log(30), math.log(1000))))]

    def rare() -> str:
        return words[rng.randrange(len(words) // 2, len(words))]

    pairs = [(common, rare), (common, common), (mid, mid), (mid, rare), (common, mid)]
    exclusions = [(mid, common), (common, common), (rare, mid), (common, mid)]
    in_room = [common, mid, rare, lambda: f"{common()} {mid()}"]
    per_kind = {kind: math.ceil(share * count / 100) for kind, share in SHARES.items()}
    made: dict[str, list[Query]] = {kind: [] for kind in SHARES}
    for n in range(max(per_kind.values())):
        first, second = pairs[n % len(pairs)]
        keep, drop = exclusions[n % len(exclusions)]
        made["common word"].append(Query("common word", words[n % 15]))
        made["mid word"].append(Query("mid word", mid()))
        made["rare word"].append(Query("rare word", rare()))
        made["two words"].append(Query("two words", f"{first()} {second()}"))
        made["phrase"].append(Query("phrase", f'"{phrases[n % len(phrases)]}"'))
        made["exclusion"].append(Query("exclusion", _distinct(keep, drop)))
        made["or"].append(Query("or", f"{mid()} or {rare()}"))
        made["in a room"].append(
            Query("in a room", in_room[n % len(in_room)](), rooms[n % len(rooms)])
        )
    lists = [made[kind][: per_kind[kind]] for kind in SHARES]
    mixed = [q for group in zip_longest(*lists) for q in group if q is not None]
    return mixed[:count]


def _distinct(keep, drop) -> str:
    """`word -other`, never `word -word`."""
    word, other = keep(), drop()
    while other == word:
        other = drop()
    return f"{word} -{other}"


def phrases_from(texts: list[str]) -> list[str]:
    """Runs of two or three words from stored messages (which the phrase then finds)."""
    phrases = []
    for n, text in enumerate(texts):
        found = re.findall(r"[a-z]+", text.lower())
        size = 2 + n % 2
        if len(found) >= size:
            at = n % (len(found) - size + 1)
            phrases.append(" ".join(found[at : at + size]))
    return phrases
