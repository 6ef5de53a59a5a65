"""Database work of many sockets in one thread hop: what arrives while a hop is under
way waits for it and goes with the next one.

Every `database_sync_to_async` call of a process runs in one thread, one after the
other, and each pays for itself: a hop to the thread and back, a connection taken
from the pool (and checked), a transaction and its commit. Under load the queue for
that thread, not the database, is what a send waits for. `Together` takes the work
of every socket that is waiting and runs it as one call: nothing waits for a timer
(a lone call goes at once), and the more there is, the more each hop carries.

`GroupCommit` is the write side: changes run in one transaction and commit
together; one that refuses is undone alone (its writes are in a savepoint of its
own), and nobody is answered before the commit. A batch first locks what its keys
(rooms) name, in order, so that two batches do not wait for each other in a circle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import partial
from typing import Any, Generic, TypeVar, cast

from channels.db import DatabaseSyncToAsync, database_sync_to_async
from django.db import DatabaseError, transaction

from .conf import conf
from .logins import LoginChanged, LoginGate, changed_logins

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")

# At most this many items go in one hop: a hop that holds row locks, or a page of
# results in memory, stays short.
MAX_TOGETHER = 100


class Together(Generic[Item, Outcome]):
    """Items handed in while a batch runs go together in the next.

    `run_many(items)` runs in the database thread and returns one outcome per item,
    an exception instance for an item that failed alone; if it raises, every item
    of the batch gets that exception.
    """

    def __init__(
        self,
        run_many: Callable[[list[Item]], Sequence[Outcome | BaseException]],
        executor: Executor | None = None,
    ) -> None:
        # In the thread of every database_sync_to_async call, or in `executor`'s.
        self.run_many = (
            DatabaseSyncToAsync(run_many, thread_sensitive=False, executor=executor)
            if executor is not None
            else database_sync_to_async(run_many)
        )
        self.waiting: list[tuple[Item, asyncio.Future[Outcome]]] = []
        self.runner: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Outcome:
        return await self.submit(item)

    def submit(self, item: Item) -> asyncio.Future[Outcome]:
        """Hand `item` in now (items run in the order they are handed in); its outcome
        is the future's. A caller may hand in more before the first is done."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self.waiting.append((item, future))
        if self.runner is None:
            self.runner = loop.create_task(self.run_waiting())
        return future

    async def run_waiting(self) -> None:
        try:
            while self.waiting:
                batch = self.waiting[:MAX_TOGETHER]
                del self.waiting[:MAX_TOGETHER]
                try:
                    outcomes = await self.run_many([item for item, _ in batch])
                    if len(outcomes) != len(batch):
                        raise RuntimeError(f"{len(outcomes)} outcomes for {len(batch)} items")
                except Exception as error:  # the database is down, the commit failed
                    outcomes = [error] * len(batch)
                except BaseException as error:  # cancelled: nobody may wait forever
                    for _, future in batch + self.waiting:
                        if not future.done():
                            future.set_exception(RuntimeError(f"batch ended: {error!r}"))
                    self.waiting.clear()
                    raise
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # its caller went away (the socket closed)
                        continue
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self.runner = None


# (the key that orders locks, the change); keys are hashable and comparable (room ids).
Change = tuple[Any, Callable[[], Any]]
# A change as GroupCommit takes it: with the login it runs under, checked in its batch.
GatedChange = tuple[Any, Callable[[], Any], LoginGate | None]


def run_in_one_transaction(
    changes: list[Change], lock: Callable[[list[Any]], None] | None = None
) -> list[Any]:
    """Run `changes` in one transaction; an exception a change raises is its outcome,
    the rest commit. Outcomes in the order given.

    Changes whose callable has a `run_merged` (a function of a list of them that
    returns their outcomes) run together through it: n sends as a few statements, not
    n times a few, in a savepoint of their own. The others run one by one, in the order
    of their keys. `lock(keys)` first locks every key, in order (a reader's lock taken
    before a writer's in the same transaction would otherwise be upgraded, and two
    batches could each wait for the other).

    A change must leave nothing it would not keep when it raises (its writes in an
    atomic block of its own, i.e. a savepoint, or nothing written before it may
    refuse). A database error, or a change that leaves the transaction marked for
    rollback, fails the whole batch: nothing of it commits and every change in it
    gets that error (the clients send again; sends and changes are idempotent by
    their client_id)."""
    if len(changes) == 1:  # alone: its own transaction, as without batching
        _, change = changes[0]
        try:
            return [change()]
        except Exception as error:
            return [error]
    outcomes: list[Any] = [None] * len(changes)
    order = sorted(range(len(changes)), key=lambda i: changes[i][0])
    merged: dict[Callable[[list[Any]], list[Any]], list[int]] = {}
    alone: list[int] = []
    for index in order:
        run_merged = getattr(changes[index][1], "run_merged", None)
        (merged.setdefault(run_merged, []) if run_merged else alone).append(index)
    with transaction.atomic():
        if lock is not None:
            lock(sorted({key for key, _ in changes}))
        for run_merged, indexes in merged.items():
            together = [changes[i][1] for i in indexes]
            ran = guarded(partial(in_savepoint, run_merged), together)
            for index, outcome in zip(indexes, ran, strict=True):
                outcomes[index] = outcome
        for index in alone:
            outcomes[index] = run_alone(changes[index][1])
    return outcomes


def in_savepoint(run: Callable[[Any], Any], argument: Any) -> Any:
    """`run(argument)` undone as a whole if it raises."""
    with transaction.atomic():
        return run(argument)


def run_alone(change: Callable[[], Any]) -> Any:
    """One change of a merged group run by itself: its outcome or its exception (one
    the transaction cannot outlive is raised, see run_in_one_transaction)."""
    return guarded(lambda _: [change()], None)[0]


def guarded(run: Callable[[Any], list[Any]], argument: Any) -> list[Any]:
    """`run(argument)`, or its exception as the outcome of each change it ran; one that
    the transaction cannot outlive is raised (see run_in_one_transaction)."""
    try:
        return run(argument)
    except DatabaseError:
        raise  # the transaction may not take another statement
    except Exception as error:
        if transaction.get_rollback():
            raise  # committing would undo what the others did, silently
        count = len(argument) if isinstance(argument, list) else 1
        return [error] * count


# The lanes' threads, one per lane number, shared by every GroupCommit of the process
# (one per event loop): threads made per loop would pile up, each with a connection of
# its own where connections persist between calls (the test runner's do).
_lane_threads: dict[int, ThreadPoolExecutor] = {}


def lane_thread(number: int) -> ThreadPoolExecutor:
    """The thread of lane `number` (a negative number: a thread of the core's own, e.g.
    the login look-ups')."""
    if number not in _lane_threads:
        name = f"write-lane-{number}" if number >= 0 else f"database-{-number}"
        _lane_threads[number] = ThreadPoolExecutor(1, name)
    return _lane_threads[number]


class GroupCommit:
    """This process's changes, committed together (`per_loop(GroupCommit)`).

    With WEBSOCKET_WRITE_LANES > 1 (PostgreSQL), the keys (rooms) are spread over that
    many threads, each with its own connection and batches: one lane's round trips to
    the database overlap another's. The changes of one key always take the same lane,
    so they commit in the order they came. SQLite has one writer: one lane, the
    thread every database_sync_to_async call runs in.
    """

    def __init__(self) -> None:
        count = max(1, conf.WEBSOCKET_WRITE_LANES)
        run = self.run_batch
        if count == 1:
            self.lanes = [Together(run)]
        else:
            self.lanes = [Together(run, lane_thread(n)) for n in range(count)]

    def run_batch(self, changes: list[GatedChange]) -> list[Any]:
        """A batch, in its lane's thread: the logins of its changes looked up (a change
        whose login is not what its socket knew does not run: LoginChanged), the rest
        run_in_one_transaction, then `finish()`."""
        try:
            changed = changed_logins([gate for _, _, gate in changes])
            outcomes: list[Any] = [LoginChanged() if refused else None for refused in changed]
            kept = [index for index, refused in enumerate(changed) if not refused]
            if kept:
                ran = run_in_one_transaction([changes[index][:2] for index in kept], lock=self.lock)
                for index, outcome in zip(kept, ran, strict=True):
                    outcomes[index] = outcome
            return outcomes
        finally:
            self.finish()

    def lock(self, keys: list[Any]) -> None:
        """Lock what `keys` name, in this order (a subclass's: the rows its changes
        lock, e.g. rooms). By default nothing: changes lock as they go."""

    def finish(self) -> None:
        """Called in the lane's thread after each batch, committed or not (a subclass
        forgets what it kept for the batch's duration)."""

    async def change(
        self, key: Hashable, change: Callable[[], Outcome], gate: LoginGate | None = None
    ) -> Outcome:
        """Run `change` (synchronous, in a database thread) in the next commit of its
        key's lane; its result once that commit is done, or the exception it raised.
        With a `gate`, only if that login still looks as the gate says (LoginChanged)."""
        return await self.submit(key, change, gate)

    def submit(
        self, key: Hashable, change: Callable[[], Outcome], gate: LoginGate | None = None
    ) -> asyncio.Future[Outcome]:
        """`change()` without waiting: a socket's changes handed in one after the other
        run in that order (the same lane for the same key), and their outcomes are
        the futures'."""
        lane = self.lanes[hash(key) % len(self.lanes)]
        return cast("asyncio.Future[Outcome]", lane.submit((key, change, gate)))
