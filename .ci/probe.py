"""Probe a running site as a new visitor would: the login page, then a websocket handshake.

Usage: python .ci/probe.py http://127.0.0.1:8000
"""

import asyncio
import json
import sys
import time
import urllib.request

import websockets


def wait_for_login_page(base: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            login = f"{base}/accounts/login/"
            with urllib.request.urlopen(login, timeout=5) as response:  # noqa: S310 (http only)
                body = response.read().decode()
                assert response.status == 200 and 'name="login"' in body, "login form missing"
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


async def handshake(base: str) -> None:
    url = base.replace("http://", "ws://") + "/chat/stream/"
    async with websockets.connect(url, origin=base) as socket:
        await socket.send(json.dumps({"command": "join", "room": 1}))
        reply = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert reply == {"error": "USER_HAS_TO_LOGIN"}, reply


if __name__ == "__main__":
    base = sys.argv[1].rstrip("/")
    wait_for_login_page(base)
    asyncio.run(handshake(base))
    print(f"{base}: login page and websocket handshake OK")
