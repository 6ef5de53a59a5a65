"""Together and GroupCommit: work waiting for the database thread goes in one hop, and
changes in one transaction where one that refuses is undone alone."""

from __future__ import annotations

import asyncio
import time

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from chatapp.websocket import GroupCommit, Together
from chatapp.websocket.together import run_in_one_transaction

pytestmark = pytest.mark.django_db(transaction=True)


def names() -> set[str]:
    return set(Group.objects.values_list("name", flat=True))


def make(name: str):
    def change() -> str:
        with transaction.atomic():
            Group.objects.create(name=name)
        return name

    return change


def refuse_after_writing(name: str):
    def change() -> str:
        with transaction.atomic():
            Group.objects.create(name=name)
            raise ValueError(f"{name} refused")

    return change


async def test_what_arrives_while_a_batch_runs_goes_in_the_next_one_together():
    seen: list[list[int]] = []

    def run_many(items: list[int]) -> list[int]:
        seen.append(items)
        time.sleep(0.05)  # a batch under way
        return [item * 10 for item in items]

    together = Together(run_many)
    assert await together(0) == 0  # alone: at once, nothing waits for a timer
    first = asyncio.ensure_future(together(1))
    await asyncio.sleep(0.02)  # its batch is running
    rest = [asyncio.ensure_future(together(n)) for n in (2, 3, 4)]
    assert await asyncio.gather(first, *rest) == [10, 20, 30, 40]
    assert seen == [[0], [1], [2, 3, 4]]


async def test_an_item_that_fails_alone_gets_its_own_error_and_a_failed_batch_fails_all():
    def run_many(items: list[int]) -> list:
        if 99 in items:
            raise ConnectionError("database down")
        return [ValueError("odd") if item % 2 else item for item in items]

    together = Together(run_many)
    assert await together(2) == 2
    with pytest.raises(ValueError, match="odd"):
        await together(3)
    results = await asyncio.gather(together(1), together(99), return_exceptions=True)
    assert all(isinstance(r, (ConnectionError, ValueError)) for r in results)


@pytest.mark.parametrize("lanes", [1, 2])
async def test_changes_committed_together_keep_their_order_per_key(settings, lanes):
    from django.db import connection

    if lanes > 1 and connection.vendor == "sqlite":
        pytest.skip("SQLite has one writer: the site runs one lane on it")
    settings.WEBSOCKET_WRITE_LANES = lanes
    commit = GroupCommit()
    done = await asyncio.gather(*(commit.change(n % 3, make(f"g{n}")) for n in range(12)))
    assert done == [f"g{n}" for n in range(12)]
    assert await asyncio.to_thread(names) == {f"g{n}" for n in range(12)}


def test_a_refused_change_is_undone_alone_and_the_others_commit():
    outcomes = run_in_one_transaction(
        [(1, make("a")), (2, refuse_after_writing("b")), (3, make("c"))]
    )
    assert outcomes[0] == "a" and outcomes[2] == "c"
    assert isinstance(outcomes[1], ValueError)
    assert names() == {"a", "c"}


def test_a_database_error_fails_the_whole_batch_and_nothing_commits():
    Group.objects.create(name="taken")

    def duplicate() -> None:
        Group.objects.create(name="taken")  # no savepoint of its own

    with pytest.raises(IntegrityError):
        run_in_one_transaction([(1, make("a")), (2, duplicate), (3, make("c"))])
    assert names() == {"taken"}


def test_a_change_that_leaves_the_transaction_to_be_rolled_back_fails_the_batch():
    def marks_rollback() -> None:
        with transaction.atomic(savepoint=False):
            Group.objects.create(name="half")
            raise ValueError("after a write without a savepoint")

    with pytest.raises(ValueError):
        run_in_one_transaction([(1, make("a")), (2, marks_rollback)])
    assert names() == set()


class Merging:
    calls: list[list[str]] = []

    def __init__(self, name: str):
        self.name = name

    def __call__(self) -> str:
        return make(self.name)()

    @staticmethod
    def run_merged(changes: list[Merging]) -> list:
        Merging.calls.append([c.name for c in changes])
        Group.objects.bulk_create([Group(name=c.name) for c in changes])
        return [c.name.upper() for c in changes]


def test_changes_that_merge_run_as_one_call_and_the_keys_are_locked_in_order():
    Merging.calls = []
    locked: list[list[int]] = []
    outcomes = run_in_one_transaction(
        [(3, Merging("x")), (1, make("plain")), (2, Merging("y"))], lock=locked.append
    )
    assert outcomes == ["X", "plain", "Y"]
    assert Merging.calls == [["y", "x"]]  # in the order of their keys
    assert locked == [[1, 2, 3]]
    assert names() == {"x", "y", "plain"}


def test_a_batch_of_one_key_still_locks_it_before_any_change_runs():
    locked: list[list[int]] = []
    run_in_one_transaction([(7, make("a")), (7, make("b"))], lock=locked.append)
    assert locked == [[7]]


class FailingMerge(Merging):
    @staticmethod
    def run_merged(changes: list[Merging]) -> list:
        Group.objects.bulk_create([Group(name=c.name) for c in changes])
        raise ValueError("refused after writing")


def test_a_merged_group_that_fails_is_undone_as_a_whole_and_the_rest_commit():
    outcomes = run_in_one_transaction([(1, FailingMerge("x")), (2, make("kept"))])
    assert isinstance(outcomes[0], ValueError) and outcomes[1] == "kept"
    assert names() == {"kept"}


def test_a_change_whose_login_changed_does_not_run_and_the_others_of_its_batch_do(
    django_user_model,
):
    from chatapp.websocket.logins import LoginChanged, LoginGate, snapshot_of

    user = django_user_model.objects.create_user("gated", password="pw-123-abc-xyz")
    # No session key: the login look-up finds no session, i.e. the snapshot None.
    ended = LoginGate((user.pk, None), snapshot_of(user))
    still = LoginGate((user.pk, None), None)
    outcomes = GroupCommit().run_batch(
        [(1, make("kept-before"), None), (2, make("refused"), ended), (3, make("kept"), still)]
    )
    assert outcomes[0] == "kept-before" and outcomes[2] == "kept"
    assert isinstance(outcomes[1], LoginChanged)
    assert names() == {"kept-before", "kept"}


async def test_changes_handed_in_without_waiting_run_in_the_order_they_came():
    commit = GroupCommit()
    futures = [commit.submit(0, make(f"s{n}")) for n in range(5)]
    assert await asyncio.gather(*futures) == [f"s{n}" for n in range(5)]
    ids = await asyncio.to_thread(
        lambda: list(Group.objects.order_by("pk").values_list("name", flat=True))
    )
    assert ids == [f"s{n}" for n in range(5)]
