"""How a socket takes its groups' events from the process's hub: the inbox.

The hub (hub.py) hands each socket the events of the groups it joined, in order,
and never waits for one. An idle socket handles an event at once, in the hub's own
step (most handlers only write a frame); a busy one queues it in a bounded inbox
that a task empties and that closes the socket (4008) when it overflows. Several
events for an idle socket that only become frames go out as one batch frame.
`WebsocketConsumer` (consumers.py) mixes this in; the documented hooks are there.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from .auth import UserSockets
from .codes import CLOSE_TOO_SLOW
from .commands import batch_frames
from .conf import conf
from .hub import get_hub, per_loop, spawn
from .logins import LoginSnapshot
from .turns import Turns

logger = logging.getLogger(__name__)


class HubDelivery:
    """The hub side of a socket: joined groups, the inbox and eager delivery."""

    hub_groups: set[str]
    inbox: deque[dict[str, Any]] | None  # made when first needed
    inbox_task: asyncio.Task[None] | None
    inbox_closed: bool
    auth_user_id: int | None
    takes_batches: bool
    channel_name: str
    turns: Turns

    if TYPE_CHECKING:  # provided by the consumer
        login_key: tuple[int, str | None]  # (from LoginWatch, login.py)
        login_snapshot: LoginSnapshot | None

        async def dispatch(self, message: dict[str, Any]) -> None: ...
        async def send_frame(self, text: str) -> None: ...
        async def close(
            self, code: int | bool | None = None, reason: str | None = None
        ) -> None: ...

    def init_delivery(self) -> None:
        self.hub_groups = set()
        self.inbox = None
        self.inbox_task = None
        self.inbox_closed = False
        # Hub events are handled in the hub's step or in a task of their own, beside
        # the consumer's main loop; this keeps every handler serial, as if all
        # events came through the consumer's one queue.
        self.turns = Turns()

    async def hub_join(self, group: str) -> None:
        """Receive `group`'s events through the process's hub, from when this returns on."""
        if group not in self.hub_groups:
            self.hub_groups.add(group)
            await get_hub().subscribe(group, self)

    async def hub_leave(self, group: str) -> None:
        """Stop receiving `group`'s events (those already in the inbox are still handled)."""
        if group in self.hub_groups:
            self.hub_groups.discard(group)
            await get_hub().unsubscribe(group, self)

    async def hub_follow(self, group: str) -> None:
        """Receive `group`'s events like `hub_join`, without the socket keeping its name:
        for sockets that follow many groups whose names the caller keeps anyway (a set
        entry and a string per group and socket add up). The caller ends it with
        `hub_unfollow`, at disconnect too (`leave_hub` knows nothing of it)."""
        await get_hub().subscribe(group, self)

    async def hub_unfollow(self, group: str) -> None:
        """End `hub_follow` (a group also joined through `hub_join` stays joined)."""
        if group not in self.hub_groups:
            await get_hub().unsubscribe(group, self)

    @property
    def idle(self) -> bool:
        """No hub event is queued and no handler is running."""
        return self.inbox_task is None and not self.turns.taken

    def hub_deliver_batch(self, events: list[dict[str, Any]]) -> None:
        """Called by the hub with a joined group's next events, in order; never blocks.

        When the socket is idle and `frames_of()` turns every event into frames, they
        go out as one batch frame: under load, one write instead of several.
        """
        if len(events) > 1 and self.idle and not self.inbox_closed:
            frames = self.frames_of(events)
            if frames is not None:
                texts = batch_frames(frames) if self.takes_batches else frames
                self.hub_deliver({"type": "hub.frames", "texts": texts})
                return
        for event in events:
            self.hub_deliver(event)

    def frames_of(self, events: list[dict[str, Any]]) -> list[str] | None:
        """The frames that hand `events` to the client, if that is all their handlers
        would do (nothing to await); None to run the handlers one by one. Override it
        for events that carry a pre-encoded frame (the rooms consumer does)."""
        return None

    async def hub_frames(self, event: dict[str, Any]) -> None:
        """Called with the frames `hub_deliver_batch()` made of several events: batch
        frames, or one frame per event for a client that does not take batches."""
        for text in event["texts"]:
            await self.send_frame(text)

    def hub_deliver(self, event: dict[str, Any]) -> None:
        """Take one event (of a group or `channel_send`): handle it now or queue it."""
        if self.inbox_closed:
            return
        if self.inbox is not None and len(self.inbox) >= conf.WEBSOCKET_INBOX_SIZE:
            # This client does not keep up. Close it rather than buffer without bound;
            # it reconnects and catches up from the record.
            self.inbox_closed = True
            self.inbox = None
            logger.warning("closing %s: inbox overflowed", self.channel_name)
            spawn(self.close_too_slow())
            return
        if self.idle:
            # Nothing queued and no handler running: handle it right here, in the
            # hub's step. Usually the handler only writes to the socket and never
            # waits, and a task per delivery (most of the hub's cost) is saved.
            self.dispatch_eagerly(event)
            return
        if self.inbox is None:
            self.inbox = deque()
        self.inbox.append(event)
        if self.inbox_task is None:
            self.inbox_task = asyncio.get_running_loop().create_task(self.handle_inbox())

    def dispatch_eagerly(self, event: dict[str, Any]) -> None:
        """Run the handler until it first waits; if it does, finish it in a task.

        It runs in a context of its own, as a task would, and the task that finishes
        it gets that same context: context variables set on the way (asgiref marks
        a running database call in one) must not leak into the hub's context.
        """
        context = contextvars.copy_context()
        handling = self.dispatch(event)
        try:
            waiting_on = context.run(handling.send, None)
        except StopIteration:
            return
        except Exception:
            logger.exception("%s failed on a hub event", type(self).__name__)
            return
        resume = finish_suspended(handling, waiting_on)
        self.inbox_task = asyncio.get_running_loop().create_task(
            self.handle_inbox(resume), context=context
        )

    async def handle_inbox(self, resume: Coroutine[Any, Any, None] | None = None) -> None:
        """Handle queued hub events in order, then end (an idle socket holds no task)."""
        try:
            if resume is not None:
                await resume
            while self.inbox and not self.inbox_closed:
                await self.dispatch(self.inbox.popleft())
        except Exception:
            logger.exception("%s failed on a hub event", type(self).__name__)
        finally:
            self.inbox_task = None
        if not self.inbox:
            self.inbox = None  # an idle socket keeps no empty queue either
        elif not self.inbox_closed:
            self.inbox_task = asyncio.get_running_loop().create_task(self.handle_inbox())

    async def close_too_slow(self) -> None:
        """Called when the client does not keep up (its inbox is full, or it takes
        nothing of a replay): stop taking events and close with 4008 to resume."""
        await self.leave_hub()
        await self.close(code=CLOSE_TOO_SLOW)

    async def hub_recovered(self, event: dict[str, Any]) -> None:
        """Called when the hub got back a group subscription it had lost: events may
        have been missed. Override to catch up (the rooms consumer reads the record)."""

    async def leave_hub(self) -> None:
        """Leave every hub group and drop what is queued (at disconnect)."""
        self.inbox_closed = True
        self.inbox = None
        if self.auth_user_id is not None:
            user_id, self.auth_user_id = self.auth_user_id, None
            await per_loop(UserSockets).discard(user_id, self)
        for group in list(self.hub_groups):
            await self.hub_leave(group)


async def finish_suspended(coroutine: Coroutine[Any, Any, None], waiting_on: Any) -> None:
    """Drive a coroutine started by hand (`send(None)`) that suspended on `waiting_on`
    (an asyncio future, or None for a bare yield) to its end, inside a task."""
    try:
        while True:
            if waiting_on is None:
                await asyncio.sleep(0)
            else:
                await asyncio.wait([waiting_on])
            try:
                waiting_on = coroutine.send(None)
            except StopIteration:
                return
    except asyncio.CancelledError:
        coroutine.close()  # runs its finally blocks (gives back the handler's turn)
        raise
