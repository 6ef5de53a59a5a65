"""The real services CI runs against: fail, not skip, when REQUIRE_SERVICES=1."""

import pytest
from channels.layers import get_channel_layer
from django.core.cache import cache, caches
from django.db import connection


async def test_channel_layer_round_trip_through_redis(needs_redis):
    layer = get_channel_layer()
    assert type(layer).__module__.startswith("channels_redis")
    channel = await layer.new_channel()
    await layer.group_add("roundtrip", channel)
    await layer.group_send("roundtrip", {"type": "hello", "n": 1})
    assert await layer.receive(channel) == {"type": "hello", "n": 1}


def test_cache_is_redis(needs_redis):
    assert type(caches["default"]).__name__ == "RedisCache"
    cache.set("probe", 41)
    assert cache.incr("probe") == 42


@pytest.mark.django_db
def test_database_is_postgresql(needs_postgres):
    with connection.cursor() as cursor:
        cursor.execute("select version()")
        assert "PostgreSQL" in cursor.fetchone()[0]
