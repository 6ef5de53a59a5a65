"""What a change costs beside a send: the database work of each command, per operation.

    BENCH_DATABASE_URL=postgres://… python -m bench.changes [--count 300]

A send, an edit and a reaction each run their service function as the socket does
(rooms.posting.store_message, rooms.changes.edit_message, rooms.reactions.react, through one
thread hop each in the consumer); after it, all three are acknowledged and broadcast
alike (one pre-encoded frame to the room's group), so this is the part that differs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatapp.settings")
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", f"sqlite:///{ROOT / 'bench' / '.bench.sqlite3'}"
    )
    os.environ["CHAT_MAX_MESSAGES_PER_MINUTE"] = "0"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from rooms.changes import edit_message
    from rooms.models import Room
    from rooms.posting import store_message
    from rooms.reactions import react

    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench-changes")
    room = Room.objects.create(title=f"changes {uuid.uuid4().hex[:8]}")

    numbers: list[int] = []

    def send(n: int) -> None:
        event, _ = store_message(user, room.pk, f"message {n} with some words in it", "")
        numbers.append(event["id"])

    def edit(n: int) -> None:
        edit_message(user.pk, room.pk, numbers[n], f"message {n}, edited with some words", "")

    def reaction(n: int) -> None:
        react(user.pk, room.pk, numbers[n], "👍", True, "")

    def reaction_removed(n: int) -> None:
        react(user.pk, room.pk, numbers[n], "👍", False, "")

    # Interleaved (a send, its edit, a reaction to it and its removal; again), so that the machine's
    # drift during the run weighs on the three alike.
    operations = {
        "send": send,
        "edit": edit,
        "reaction": reaction,
        "reaction removed": reaction_removed,
    }
    took: dict[str, list[float]] = {name: [] for name in operations}
    for n in range(args.count):
        for name, operation in operations.items():
            start = time.perf_counter()
            operation(n)
            took[name].append((time.perf_counter() - start) * 1000)
    rows = list(took.items())
    print(f"database: {connection.vendor}, {args.count} operations each, one room")
    print("| Operation | mean ms | p50 ms | p99 ms | vs send (mean) |")
    print("|---|---|---|---|---|")
    base = statistics.mean(rows[0][1])
    for name, times in rows:
        times.sort()
        mean = statistics.mean(times)
        p99 = times[int(len(times) * 0.99) - 1]
        p50 = statistics.median(times)
        print(f"| {name} | {mean:.2f} | {p50:.2f} | {p99:.2f} | {mean / base:.2f}x |")


if __name__ == "__main__":
    main()
