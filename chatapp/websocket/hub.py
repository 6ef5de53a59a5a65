"""The process-local hub: one layer subscription per group per process.

Channels' usual fan-out gives every socket its own layer channel, so a message
to a room of 1,000 sockets is 1,000 copies in the layer and 1,000 receives in
the processes that hold them. With the hub, each process adds a single channel
per group to the layer, receives each message once, and hands the same event
object to every local socket in the group.

Two tasks serve a busy group: the pump takes its events from the layer into a
backlog, and the deliverer hands the backlog to every local socket in a pass.
After a pass, the deliverer waits a little (in proportion to what the pass
cost) before the next one, leaving the process free to store and publish the
next messages meanwhile. In a busy large room, the events that arrived in
between then go to each socket together, as one frame (see
`WebsocketConsumer.hub_deliver_batch`): one write per socket instead of one per
message, for the server and for the client alike. A quiet room's events go out
at once, and a small room's pass is so short that the wait is nothing.

A socket handles events right in the deliverer's step when it is idle, and
queues them in a bounded inbox for a task of its own when a handler is still
running (see `WebsocketConsumer.hub_deliver`), so a slow client never holds up
the others: the inbox overflows and that socket alone is closed to resume.

Because the group membership is the hub's, not the socket's, the hub keeps it
alive: it re-adds its channel periodically (the Redis layer expires group
members after `group_expiry`) and after the layer fails (a Redis restart
forgets every group), and tells its sockets they may have missed events.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import deque
from collections.abc import Coroutine
from typing import Any, Protocol, TypeVar, cast

from channels.layers import get_channel_layer

from .conf import conf

logger = logging.getLogger(__name__)

# Re-add the hub's channel to its group this often: well inside channels-redis's
# default group_expiry of a day.
REFRESH_SECONDS = 3600.0
# Backoff while the layer is failing.
RETRY_MIN_SECONDS = 0.2
RETRY_MAX_SECONDS = 5.0
# A subscription the layer does not take within this (Redis down) fails, and the
# command that asked for it is answered SERVICE_UNAVAILABLE.
SUBSCRIBE_TIMEOUT_SECONDS = 5.0
# At most this many events go out in one pass (and so in one frame).
PASS_EVENTS = 100
# The pump stops taking events from the layer while this many wait for a pass.
BACKLOG_LIMIT = 1000

# The event that ends a group's pump once no local socket is left in it.
STOP = "hub.stop"
# The event type subscribers get after the hub lost its layer subscription and
# got it back: events sent in between never arrived.
RECOVERED = "hub.recovered"
# Several events of one group sent to the layer as one (`together`): one send and one
# receive per process instead of one per event; the hub hands them on one by one.
EVENTS = "hub.events"


def together(events: list[dict[str, Any]]) -> dict[str, Any]:
    """One layer event that carries `events`, in order, to every hub of the group."""
    return events[0] if len(events) == 1 else {"type": EVENTS, "events": events}


class Subscriber(Protocol):
    def hub_deliver_batch(self, events: list[dict[str, Any]]) -> None:
        """Take the group's next events, in order; must not block."""


class _Group:
    """A group this process listens to: its layer channel and its local sockets."""

    def __init__(self) -> None:
        self.channel: str | None = None
        self.members: set[Subscriber] = set()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pump: asyncio.Task[None] | None = None
        self.receiving = False  # the pump waits in the layer's receive
        self.backlog: deque[dict[str, Any]] = deque()  # received, not yet delivered
        self.deliverer: asyncio.Task[None] | None = None  # runs while events keep coming
        self.drained: asyncio.Future[None] | None = None  # the pump waits on it when full


class Hub:
    """Fan-out of one layer's groups to the sockets of this process (and event loop)."""

    def __init__(self, layer: Any):
        self.layer = layer
        self.groups: dict[str, _Group] = {}
        self.refresher: asyncio.Task[None] | None = None

    async def subscribe(self, group: str, subscriber: Subscriber) -> None:
        """Deliver the group's events to `subscriber` from when this returns on."""
        entry = self.groups.get(group)
        if entry is None:
            entry = self.groups[group] = _Group()
            entry.members.add(subscriber)
            entry.pump = asyncio.create_task(self._pump(group, entry))
            if self.refresher is None:
                self.refresher = asyncio.create_task(self._refresh())
        else:
            entry.members.add(subscriber)
        try:
            # Shielded: a socket that gives up waiting must not cancel the pump's
            # start-up for the other sockets waiting on it.
            await asyncio.wait_for(asyncio.shield(entry.ready), SUBSCRIBE_TIMEOUT_SECONDS)
        except BaseException as error:
            await self.unsubscribe(group, subscriber)
            if isinstance(error, TimeoutError):
                raise ConnectionError(f"the channel layer did not take group {group}") from error
            raise

    async def unsubscribe(self, group: str, subscriber: Subscriber) -> None:
        """Stop delivering to `subscriber`; the last one out drops the layer subscription."""
        entry = self.groups.get(group)
        if entry is None or subscriber not in entry.members:
            return
        entry.members.discard(subscriber)
        if entry.members:
            return
        del self.groups[group]
        if entry.deliverer is not None:
            entry.deliverer.cancel()  # no socket left to deliver to
        if not self.groups and self.refresher:
            self.refresher.cancel()
            self.refresher = None
        if entry.pump is None:
            return
        # A pump in the layer's receive is stopped by a message, not cancelled: with
        # channels-redis, the receive holding the process's blocking pop could stay
        # stuck in its cancellation, and every group of the process with it. One
        # still joining, or waiting to retry, is cancelled.
        stop_by_message = entry.channel is not None and entry.receiving
        if not stop_by_message:
            entry.pump.cancel()
        if entry.channel is None:
            return
        try:
            await self.layer.group_discard(group, entry.channel)  # the join may have got through
            if stop_by_message:
                await self.layer.send(entry.channel, {"type": STOP})
        except Exception:
            # The membership expires by itself; nothing reads the channel any more.
            logger.warning("hub could not leave group %s", group, exc_info=True)
            entry.pump.cancel()

    def local_count(self, group: str) -> int:
        """How many sockets of this process are subscribed to `group`."""
        entry = self.groups.get(group)
        return len(entry.members) if entry else 0

    async def _join(self, group: str, entry: _Group) -> None:
        if entry.channel is None:
            # The layer's default prefix: channels-redis receives for all of a
            # process's channels in one loop, on the prefix they share.
            entry.channel = await self.layer.new_channel()
        await self.layer.group_add(group, entry.channel)

    async def _pump(self, group: str, entry: _Group) -> None:
        """Receive the group's events once and hand them to every local member."""
        retry = RETRY_MIN_SECONDS
        joined = failed = False
        while True:
            try:
                if not joined:
                    await self._join(group, entry)
                    joined = True
                    if not entry.ready.done():
                        entry.ready.set_result(None)
                    if failed:
                        failed, retry = False, RETRY_MIN_SECONDS
                        logger.info("hub has group %s again", group)
                        self._enqueue(entry, {"type": RECOVERED, "group": group})
                entry.receiving = True
                event = await self.layer.receive(entry.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("hub lost group %s; retrying in %.1fs", group, retry, exc_info=True)
                joined, failed = False, True
                await asyncio.sleep(retry)
                retry = min(retry * 2, RETRY_MAX_SECONDS)
                continue
            finally:
                entry.receiving = False
            kind = event.get("type")
            if kind == STOP:
                return
            for one in event["events"] if kind == EVENTS else (event,):
                self._enqueue(entry, one)
            if len(entry.backlog) >= BACKLOG_LIMIT:
                entry.drained = asyncio.get_running_loop().create_future()
                await entry.drained

    async def _refresh(self) -> None:
        """Re-add every channel to its group now and then, before the layer expires it."""
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            for group, entry in list(self.groups.items()):
                if entry.channel is not None and entry.ready.done():
                    try:
                        await self.layer.group_add(group, entry.channel)
                    except Exception:
                        logger.warning("hub could not refresh group %s", group, exc_info=True)

    def _enqueue(self, entry: _Group, event: dict[str, Any]) -> None:
        entry.backlog.append(event)
        if entry.deliverer is None:
            entry.deliverer = asyncio.get_running_loop().create_task(self._deliver(entry))

    async def _deliver(self, entry: _Group) -> None:
        """Hand the backlog to the group's sockets, a pass at a time, while it refills."""
        try:
            while entry.backlog:
                count = min(len(entry.backlog), PASS_EVENTS)
                events = [entry.backlog.popleft() for _ in range(count)]
                if entry.drained is not None and not entry.drained.done():
                    entry.drained.set_result(None)
                started = time.perf_counter()
                for member in list(entry.members):
                    try:
                        member.hub_deliver_batch(events)
                    except Exception:
                        logger.exception("hub delivery failed")
                # Leave the process free to store and publish the next messages; what
                # they bring goes out together in the next pass (module docstring).
                took = time.perf_counter() - started
                await asyncio.sleep(
                    min(took * conf.WEBSOCKET_LINGER_SHARE, conf.WEBSOCKET_LINGER_MAX)
                )
        finally:
            entry.deliverer = None


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def get_hub() -> Hub:
    """This event loop's hub on the current default channel layer."""
    loop = asyncio.get_running_loop()
    layer = get_channel_layer()
    hub = _hubs.get(loop)
    if hub is None or hub.layer is not layer:
        hub = _hubs[loop] = Hub(layer)
    return hub


def local_sockets(group: str) -> int:
    """How many sockets of this process (event loop) are in `group`."""
    return get_hub().local_count(group)


T = TypeVar("T")

_background: set[asyncio.Task[Any]] = set()


def spawn(coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """Run `coroutine` in a task nobody awaits, kept referenced until it ends
    (the event loop itself only holds tasks weakly)."""
    task = asyncio.get_running_loop().create_task(coroutine)
    _background.add(task)
    task.add_done_callback(_background.discard)
    return task


# Each loop's instances by kind: instances[kind] is a `kind` (see per_loop).
_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[type[Any], object]] = (
    weakref.WeakKeyDictionary()
)


def per_loop(kind: type[T]) -> T:
    """This event loop's (this process's) one instance of `kind`."""
    instances = _per_loop.setdefault(asyncio.get_running_loop(), {})
    if kind not in instances:
        instances[kind] = kind()
    return cast(T, instances[kind])
