"""The ceiling: a bare `websockets` server that relays each frame to every socket.

No Django, no layer, no storage: what one Python process can push to the load
client. Usage: python -m bench.raw_server PORT
"""

import asyncio
import sys

import websockets
from websockets.asyncio.server import broadcast, serve

clients: set = set()


async def relay(socket) -> None:
    clients.add(socket)
    try:
        async for frame in socket:
            broadcast(clients, frame)
    except websockets.ConnectionClosed:
        pass
    finally:
        clients.discard(socket)


async def main(port: int) -> None:
    async with serve(relay, "127.0.0.1", port, compression=None, max_size=65536):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
