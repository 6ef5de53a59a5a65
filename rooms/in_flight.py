"""A socket's changes in flight: sends handed to the group commit one after the other,
without waiting for each to be stored, and answered in the order they came.

A client that sends ten messages back to back used to have each one stored before its
next frame was read: ten batches one after the other, however idle the database. Now a
send is handed to RoomCommit at once (its login checked in the same batch: the core's
`gated_change`), the socket reads its next frame, and a task of the socket's (the
settler) takes the outcomes in order: the ack and then the broadcast of a stored
change, the error of a refused one. The sends of one socket still take their seqs in
the order they were sent (one room, one lane, batches in order).

Every other frame waits until the socket's changes are settled (ChatConsumer.receive),
so each answer still comes in the order of the frames, and a command that depends on
a send (an edit of it, a leave) sees it stored. A socket that closes still has its
changes answered as far as it can, and broadcast: what was stored reaches the room.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from chatapp.websocket import (
    SERVER_ERROR,
    SERVICE_UNAVAILABLE,
    UNAVAILABLE,
    LoggedOut,
    batch_frames,
    per_loop,
    spawn,
)

from .errors import ROOM_ACCESS_DENIED, ROOM_INVALID, ChatError
from .events import ack_reply, encode, error_reply
from .room_commit import RoomCommit

if TYPE_CHECKING:
    from chatapp.websocket.logins import LoginGate

    from .group_posting import Outcome

logger = logging.getLogger(__name__)

# The refusals that mean the user may no longer be in a room: a socket in it leaves it.
LOSES_ROOM = (ROOM_ACCESS_DENIED, ROOM_INVALID)
# A socket hands in at most this many changes before its next frame waits for them: a
# client that floods is held back, not buffered without end (its sends are also rate
# limited, CHAT_MAX_MESSAGES_PER_MINUTE).
MAX_IN_FLIGHT = 32


@dataclass(frozen=True)
class InFlight:
    room_id: int
    client_id: str
    change: Callable[[], Outcome]
    future: asyncio.Future[Outcome]
    gate: LoginGate | None


class ChangesInFlight:
    """Mixed into ChatConsumer: `hand_in` a change, `changes_settled` to wait for all."""

    joined: dict[int, int]
    takes_batches: bool  # provided by ChatConsumer (chat.v2)

    if TYPE_CHECKING:  # provided by ChatConsumer and the core's WebsocketConsumer

        def login_gate(self) -> LoginGate | None: ...

        async def gated_change(
            self, commit: Any, key: Any, change: Any, handed_in: Any = None
        ) -> Any: ...

        async def send_json(self, content: Any, close: bool = False) -> None: ...

        async def leave(self, room_id: int, *, reply: bool, explicit: bool) -> None: ...

        async def broadcast_all(self, room_id: int, events: list[dict[str, Any]]) -> None: ...

        async def send_frame(self, text: str) -> None: ...

    def init_changes_in_flight(self) -> None:
        self.in_flight: deque[InFlight] = deque()
        self.settler: asyncio.Task[None] | None = None
        # Answered, not sent yet: what the changes settled together send together.
        self.acks: list[dict[str, Any]] = []
        self.stored: list[tuple[int, dict[str, Any]]] = []  # (room, layer event)

    async def hand_in(self, room_id: int, client_id: str, change: Callable[[], Outcome]) -> None:
        """Hand a change of a joined room to the next commit; returns before it is
        stored (see the module docstring)."""
        if room_id not in self.joined:
            raise ChatError(ROOM_ACCESS_DENIED, room_id)
        if len(self.in_flight) >= MAX_IN_FLIGHT:
            await self.changes_settled()
        # Under the login the sends before it were handed in with: if that changed, they
        # are all refused and tried again in order (a send handed in with the login as
        # it is after the change could otherwise be stored before them).
        gate = self.in_flight[-1].gate if self.in_flight else self.login_gate()
        future = per_loop(RoomCommit).submit(room_id, change, gate)
        self.in_flight.append(InFlight(room_id, client_id, change, future, gate))
        self.start_settler()

    def start_settler(self) -> None:
        if self.settler is None and self.in_flight:
            self.settler = spawn(self.settle())

    async def change_room(
        self, room_id: int, client_id: str, change: Callable[[], Outcome]
    ) -> None:
        """Run a change (an edit, a deletion, a reaction) and answer it before returning."""
        await self.hand_in(room_id, client_id, change)
        await self.changes_settled()

    @property
    def unsettled(self) -> bool:
        """Whether changes handed in are still to be answered."""
        return bool(self.in_flight) or self.settler is not None

    async def changes_settled(self) -> None:
        """Wait until every change handed in has been answered."""
        self.start_settler()  # one that ended early (cancelled) left some behind
        while self.settler is not None and self.settler is not asyncio.current_task():
            await asyncio.wait([self.settler])

    async def settle(self) -> None:
        """Answer the changes in flight in order. Those stored in one commit are
        answered together: their acks in one frame (chat.v2), their events of a room
        in one send to the layer (the hubs hand them on one by one): a burst costs a
        round trip to Redis per batch, not per message."""
        try:
            while self.in_flight:
                change = self.in_flight[0]
                try:
                    await self.settle_one(change)
                except Exception:
                    logger.exception("answering a change of room %s failed", change.room_id)
                finally:
                    self.in_flight.popleft()
                if not (self.in_flight and self.in_flight[0].future.done()):
                    try:
                        await self.send_settled()
                    except Exception:
                        logger.exception("answering changes failed")
        finally:
            self.settler = None

    async def settle_one(self, change: InFlight) -> None:
        """Acknowledge a stored change, then broadcast what it changed, if anything (a
        retried client_id changes nothing and is acknowledged again); or say why not."""
        room_id, client_id = change.room_id, change.client_id
        echoed = {"client_id": client_id} if client_id else {}
        try:
            commit = per_loop(RoomCommit)
            seq, event = await self.gated_change(commit, room_id, change.change, change.future)
        except LoggedOut:
            return  # closed (4401): nothing more is said on it
        except ChatError as error:
            await self.send_settled()  # what came before it first
            await self.answer(error_reply(error.code, room=room_id, **echoed))
            if error.code in LOSES_ROOM and room_id in self.joined:
                try:
                    await self.leave(room_id, reply=False, explicit=True)
                except Exception:  # Redis down: the socket leaves it at disconnect
                    logger.exception("leaving room %s after a refusal failed", room_id)
            return
        except UNAVAILABLE as error:
            # The database or Redis is down for a moment: the page sends it again.
            logger.warning("a change of room %s waits for a service: %r", room_id, error)
            await self.send_settled()
            await self.answer(error_reply(SERVICE_UNAVAILABLE, room=room_id, **echoed))
            return
        except Exception:
            logger.exception("a change of room %s failed", room_id)
            await self.send_settled()
            await self.answer(error_reply(SERVER_ERROR, room=room_id, **echoed))
            return
        self.acks.append(ack_reply(client_id, room_id, seq))
        if event is not None:
            self.stored.append((room_id, event))

    async def send_settled(self) -> None:
        """Send the acks gathered so far, then broadcast what they stored (acknowledged
        before the broadcast, so a failing layer cannot hide a stored message)."""
        acks, self.acks = self.acks, []
        stored, self.stored = self.stored, []
        if len(acks) > 1 and self.takes_batches:
            frames = batch_frames([encode(ack) for ack in acks])
            try:
                for frame in frames:
                    await self.send_frame(frame)
            except Exception:
                logger.debug("answers to a closed socket were dropped", exc_info=True)
        else:
            for ack in acks:
                await self.answer(ack)
        for room_id, events in groupby(stored, key=itemgetter(0)):
            await self.broadcast_all(room_id, [event for _, event in events])

    async def answer(self, frame: dict[str, Any]) -> None:
        """Send an answer; a socket closed meanwhile misses it (the broadcast still goes)."""
        try:
            await self.send_json(frame)
        except Exception:
            logger.debug("an answer to a closed socket was dropped", exc_info=True)
