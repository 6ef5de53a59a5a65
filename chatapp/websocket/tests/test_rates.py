"""Rate limits (rates.py): a batch counts as single checks do, in one round trip to
Redis, and the checks of sockets waiting at one moment go together."""

from __future__ import annotations

import asyncio

from chatapp.websocket import rates
from chatapp.websocket.rates import _redis_client, awithin_rate, within_rate, within_rates


def test_a_batch_counts_each_key_in_order_and_shares_the_count_with_single_checks(
    one_rate_window,
):
    batch = [("k", 2, 60)] * 3 + [("other", 1, 60), ("off", 0, 60)]
    assert within_rates(batch) == [True, True, False, True, True]
    assert within_rate("k", 2) is False
    assert within_rate("other", 1) is False
    assert within_rate("off", 0) is True  # 0 turns a limit off


def test_on_redis_a_batch_is_one_pipeline_and_its_counts_expire(
    needs_redis, monkeypatch, one_rate_window
):
    client = _redis_client()
    assert client is not None
    executed = []
    pipeline = type(client.pipeline())
    real_execute = pipeline.execute

    def execute(self, *args, **kwargs):
        executed.append(len(self.command_stack))
        return real_execute(self, *args, **kwargs)

    monkeypatch.setattr(pipeline, "execute", execute)
    assert within_rates([("a", 5, 60), ("b", 5, 60), ("a", 5, 60)]) == [True, True, True]
    assert executed == [6]  # SET NX and INCR of each, sent at once
    from django.core.cache import cache

    name = cache.make_and_validate_key(rates._bucket("a", 60))
    assert int(client.get(name)) == 2
    assert 0 < client.ttl(name) <= 120
    assert within_rate("a", 3) is True and within_rate("a", 3) is False


async def test_checks_of_sockets_waiting_at_one_moment_go_in_one_call(monkeypatch, one_rate_window):
    calls: list[int] = []
    real = rates.within_rates

    def counted(batch):
        calls.append(len(batch))
        return real(batch)

    # Before this loop's RateChecks is made: it takes the function it runs then.
    monkeypatch.setattr(rates, "within_rates", counted)
    results = await asyncio.gather(*(awithin_rate(f"s{n % 3}", 4) for n in range(30)))
    assert sum(calls) == 30 and len(calls) <= 2  # a first alone, the rest together
    assert results.count(False) == 30 - 3 * 4
