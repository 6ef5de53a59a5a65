"""The site's ASGI stack (chatapp/asgi.py): the core's origin check and proxy hops are
applied around the site's own routes (`connect` goes through chatapp.asgi.application)."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_foreign_origin_is_refused_at_the_handshake(connect):
    socket = await connect("/chat/stream/", origin="http://evil.example")
    assert not socket.connected


async def test_the_sites_own_origin_is_accepted(connect):
    socket = await connect("/chat/stream/")
    assert socket.connected


async def test_forwarded_for_counts_only_as_far_as_the_trusted_proxies(connect, settings):
    """TrustedProxyMiddleware wraps the site: with no trusted proxy, a forged
    X-Forwarded-For does not escape the per-IP socket cap."""
    settings.TRUSTED_PROXY_COUNT = 0
    settings.WEBSOCKET_MAX_SOCKETS_PER_IP = 2
    opened = []
    for n in range(3):
        forged = [(b"x-forwarded-for", f"198.51.100.{n}".encode())]
        opened.append(await connect("/chat/stream/", headers=forged))
    assert (await opened[2].receive_output())["code"] == 4429


async def test_a_trusted_proxy_hop_gives_each_client_its_own_cap(connect, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.WEBSOCKET_MAX_SOCKETS_PER_IP = 1
    opened = []
    for n in range(2):
        forwarded = [(b"x-forwarded-for", f"198.51.100.{n}".encode())]
        opened.append(await connect("/chat/stream/", headers=forwarded))
    assert all(socket.connected for socket in opened)
    assert await opened[1].receive_nothing()
