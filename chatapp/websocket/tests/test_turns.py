"""A socket's handler turns: one at a time, in order, robust to cancellation."""

import asyncio

from chatapp.websocket.turns import Turns


async def handler(turns: Turns, name: str, log: list[str], hold: asyncio.Event | None = None):
    await turns.take()
    try:
        log.append(f"{name} in")
        if hold is not None:
            await hold.wait()
        await asyncio.sleep(0)
        log.append(f"{name} out")
    finally:
        turns.give_back()


async def test_a_free_turn_is_taken_at_once_and_freed_after():
    turns = Turns()
    assert turns.try_take()
    assert not turns.try_take()
    turns.give_back()
    assert not turns.taken


async def test_handlers_run_one_at_a_time_in_arrival_order():
    turns, log, hold = Turns(), [], asyncio.Event()
    tasks = [asyncio.create_task(handler(turns, "a", log, hold))]
    await asyncio.sleep(0)
    tasks += [asyncio.create_task(handler(turns, n, log)) for n in "bc"]
    await asyncio.sleep(0.01)
    assert log == ["a in"]
    hold.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 2)
    assert log == ["a in", "a out", "b in", "b out", "c in", "c out"]
    assert not turns.taken


async def test_a_cancelled_waiter_neither_runs_nor_holds_up_the_next():
    turns, log, hold = Turns(), [], asyncio.Event()
    first = asyncio.create_task(handler(turns, "a", log, hold))
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(handler(turns, "b", log))
    last = asyncio.create_task(handler(turns, "c", log))
    await asyncio.sleep(0)
    cancelled.cancel()
    hold.set()
    await asyncio.wait_for(asyncio.gather(first, cancelled, last, return_exceptions=True), 2)
    assert log == ["a in", "a out", "c in", "c out"]
    assert not turns.taken


async def test_a_waiter_cancelled_as_it_is_handed_the_turn_passes_it_on():
    turns, log = Turns(), []
    assert turns.try_take()
    cancelled = asyncio.create_task(handler(turns, "b", log))
    last = asyncio.create_task(handler(turns, "c", log))
    await asyncio.sleep(0)
    turns.give_back()  # hands the turn to b ...
    cancelled.cancel()  # ... which is cancelled before it runs
    await asyncio.wait_for(asyncio.gather(cancelled, last, return_exceptions=True), 2)
    assert log == ["c in", "c out"]
    assert not turns.taken
