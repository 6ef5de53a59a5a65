"""Live delivery of room events to one socket: every stored message once, in seq order,
with what the channel layer dropped filled in from the record.

A mixin of ChatConsumer (rooms/consumers.py). The consumer's commands decide which
rooms a socket is in and record them in `joined` (room id -> highest seq sent to
this socket); this decides which of a room's broadcasts reach the socket and when.
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from chatapp.websocket import CLOSE_TOO_SLOW

from .events import ROOM_EVENT, encode, room_group
from .history import missed_messages, new_messages
from .models import MAX_ID

logger = logging.getLogger(__name__)


class Live(Enum):
    """What a room broadcast needs at a socket (InOrderDelivery.live_step)."""

    SKIP = "not joined, or already sent"
    COUNT = "its tally: a room watched, not joined (rooms.watching)"
    SEND = "its frame"
    ADVANCE = "its seq, not its frame: a change, to a client that cannot apply it"
    GAP = "the seqs before it from the record first"


class InOrderDelivery:
    """Layer-event handlers of a chat socket (the core's HubDelivery calls them)."""

    # Provided by ChatConsumer and the core's WebsocketConsumer (as are send_frame
    # and close, which are not declared here: a mixin's stub would shadow them).
    joined: dict[int, int]
    watched: dict[int, list[int]] | None  # (rooms.watching, as are count_step & co.)
    auth_user_id: int | None
    channel_name: str
    # Whether the client applies changes of a message it has (edits, reactions,
    # deletions: chat.v2). The multichat document's front end has no message ids to
    # replace one by: it gets each message once, as it is when it gets it, and the
    # room as it is now on its next join.
    takes_changes: bool = True

    async def chat_event(self, event: dict[str, Any]) -> None:
        """Called for each room broadcast: forward it once, in seq order, if still joined;
        count it if the room is watched (rooms.watching)."""
        step = self.live_step(event, {})
        if step is Live.COUNT:
            await self.watched_event(event)
            return
        if step is Live.SKIP:
            return
        room_id, seq = event["room"], event.get("seq")
        # Live events were dropped for this socket (layer queue full): send them from
        # the database first, or close it (4008) if it is too far behind.
        if step is Live.GAP and not await self.catch_up(room_id, self.joined[room_id], seq):
            return
        if seq is not None and room_id in self.joined:  # not left meanwhile
            self.joined[room_id] = seq
        if step is not Live.ADVANCE:
            await self.send_frame(event["text"])

    def frames_of(self, events: list[dict[str, Any]]) -> list[str] | None:
        """Room broadcasts that arrived together go out as one frame: the frames of
        those this socket has not had, unless one needs more than its frame (a gap
        in seq to fill from the record, or another kind of event)."""
        sent: dict[int, int] = {}  # room id -> seq, as chat_event would have set it
        frames: list[str] = []
        counted: list[dict[str, Any]] = []  # of rooms watched, not joined: counted last
        for event in events:
            if event.get("type") != ROOM_EVENT:
                return None
            step = self.live_step(event, sent)
            if step is Live.GAP:
                return None
            if step is Live.COUNT:
                counted.append(event)
            elif step is not Live.SKIP:
                if event.get("seq") is not None:
                    sent[event["room"]] = event["seq"]
                if step is Live.SEND:
                    frames.append(event["text"])
        if counted and self.count_gaps(counted):
            return None
        self.joined.update(sent)
        # Only once no event needs more than its frame: counting changes the counts.
        for event in counted:
            if activity := self.count_step(event):
                frames.append(encode(activity))
        return frames

    def live_step(self, event: dict[str, Any], sent: dict[int, int]) -> Live:
        """What a room broadcast needs at this socket; `sent` holds seqs of this batch
        not yet in `joined`."""
        room_id = event["room"]
        if room_id not in self.joined:
            watched = self.watched and room_id in self.watched and event.get("seq")
            return Live.COUNT if watched else Live.SKIP
        if event.get("not_to_user") == self.auth_user_id:
            return Live.SKIP
        seq = event.get("seq")
        if seq is None:
            return Live.SEND  # live-only: notices, typing
        last = sent.get(room_id, self.joined[room_id])
        if seq <= last:
            return Live.SKIP  # history and live overlap
        if seq != last + 1:
            return Live.GAP
        return Live.ADVANCE if event.get("change") and not self.takes_changes else Live.SEND

    async def hub_recovered(self, event: dict[str, Any]) -> None:
        """Called when this process's subscription to a room came back (e.g. Redis
        restarted): send what was stored meanwhile, or close (4008) to resume; a watched
        room is counted again (and dropped if the user lost it meanwhile: the event
        that would have said so may be among those lost)."""
        for room_id, last in list(self.joined.items()):
            if room_group(room_id) == event["group"]:
                await self.catch_up(room_id, last, MAX_ID)
        for room_id in list(self.watched or ()):
            if room_group(room_id) == event["group"]:
                await self.count_again(room_id)

    async def catch_up(self, room_id: int, after: int, before: int) -> bool:
        """Send the stored messages with after < seq < before (to a client that takes no
        changes: those created in between, by number, as they are now); if there are
        more than CHAT_GAP_FILL_LIMIT, close with 4008 instead (the client resumes)."""
        limit = settings.CHAT_GAP_FILL_LIMIT
        read = missed_messages if self.takes_changes else new_messages
        missed = await database_sync_to_async(read)(room_id, after, before, limit + 1)
        if room_id not in self.joined:
            # Left while reading (a send of this socket was refused: rooms/in_flight.py,
            # which answers outside the socket's turn): nothing more of the room.
            return False
        if len(missed) > limit:
            logger.warning("socket %s is too far behind in room %s", self.channel_name, room_id)
            await self.close(code=CLOSE_TOO_SLOW)
            self.joined.clear()  # deliver nothing more
            return False
        for message in missed:
            if room_id not in self.joined:
                return False
            await self.send_frame(encode(message))
            if self.takes_changes:
                self.joined[room_id] = message["seq"]
        if room_id not in self.joined:
            return False
        if not self.takes_changes:
            # Read by number: every message created before `before` has been sent now.
            newest = missed[-1]["id"] if missed else after
            self.joined[room_id] = max(after, newest if before == MAX_ID else before - 1)
        return True

    def shows(self, event: dict[str, Any], since: int | None) -> bool:
        """Whether a message event read from the record goes to this client, which had
        the room up to seq `since`: always, unless the client takes no changes (then
        only messages it has not had, never a deletion)."""
        if self.takes_changes:
            return True
        return not event.get("deleted") and (since is None or event["id"] > since)
