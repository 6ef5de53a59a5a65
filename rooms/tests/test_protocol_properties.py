"""A state machine over connect, join, leave, send, edit, delete, react, read, watch,
invitations into and removals from a private room, leaving and coming back to a direct
conversation, reconnect-with-since and logout.

Properties: a socket only ever receives events of rooms its user may see and has
joined (in frame order), never the same seq of a room twice; every command is
answered as the rules say and a refused one changes nothing; and after a final
resume every socket's view of every room it has joined (each message applied by id,
newer seqs replacing older ones, as the page does) is exactly the database's
current state; and a watching socket's counts (its `rooms` frame, then `activity` and
`read` frames) of every room it has not had open since are exactly what the record
counts. After a user loses a room, nothing more of it reaches any of their sockets.
"""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.test import Client
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    multiple,
    rule,
    run_state_machine_as_test,
)

from chatapp.asgi import application
from chatapp.websocket import group_send
from chatapp.websocket.testing import ClientCommunicator, session_cookie
from rooms.changes import delete_and_broadcast, edit_message
from rooms.direct import open_direct
from rooms.events import room_group
from rooms.history import forget_latest_pages
from rooms.models import MemberRole, Membership, Message, Room, RoomKind
from rooms.ownership import invite, leave_room, remove_member
from rooms.posting import send_room_message
from rooms.presence import reset_local_presence
from rooms.reactions import summary_of

pytestmark = pytest.mark.django_db(transaction=True)

STREAM = "/chat/stream/"


def edit_and_broadcast(message, room: int) -> None:
    """An edit by its author from another device: stored and broadcast, as a socket does."""
    changed = edit_message(message.author_id, room, message.number, "edited while away", "")
    group_send(room_group(room), changed.broadcast())


def record_counts(user, room: int) -> tuple[int, int]:
    """The oracle of unread and mentions, apart from the code's (rooms.unread): messages
    by others after the read position, not deleted; those naming the user (all of them
    in a direct room)."""
    member = Membership.objects.get(room_id=room, user=user)
    after = Message.objects.filter(room_id=room, number__gt=member.read_seq, deleted=None)
    unread = [m for m in after if m.author_id != user.pk]
    if member.room.kind == RoomKind.DIRECT:  # every message there is for each of them
        return len(unread), len(unread)
    return len(unread), sum(user.username in m.mentioned for m in unread)


def shown(reactions: list[dict]) -> tuple:
    """Reactions as a comparable value: emoji, count and names, in order."""
    return tuple((r["emoji"], r["count"], tuple(r["users"])) for r in reactions)


def pick_room(socket, choice: int) -> int:
    """Mostly a room the socket is in, sometimes any room (which must be refused).

    Drawn as a plain integer so that the data drawn never depends on run-time state.
    """
    options = sorted(socket.joined) if choice < 5 and socket.joined else socket.machine.room_ids
    return options[choice % len(options)]


class Socket:
    """One client socket and what it has seen, checked frame by frame."""

    def __init__(self, machine, username: str, session: str):
        self.machine = machine
        self.username = username
        self.session = session
        self.joined: set[int] = set()  # as the frames say, in order
        self.seen: dict[int, list[int]] = {}  # room -> seqs received
        self.at: dict[int, int] = {}  # room -> the seq this client stands at (its `since`)
        # room -> message id -> (seq, text or None when deleted), as a page holds them
        self.view: dict[int, dict[int, tuple[int, str | None]]] = {}
        self.closed = False
        self.watching = False
        self.counts: dict[int, tuple[int, int]] = {}  # room -> (unread, mentions)
        self.opened_since_counted: set[int] = set()  # rooms whose counts went stale
        headers = [
            (b"host", b"localhost"),
            (b"origin", b"http://localhost"),
            (b"cookie", f"sessionid={session}".encode()),
        ]

        async def make():  # the communicator starts the app on the running loop
            # As the site's pages: chat.v2, which takes changes of messages it has.
            return ClientCommunicator(
                application, STREAM, headers=headers, subprotocols=["chat.v2"]
            )

        self.communicator = self.run(make())

    def run(self, coro):
        return self.machine.loop.run_until_complete(coro)

    def check(self, frame: dict) -> None:
        allowed = self.machine.visible[self.username]
        if "join" in frame:
            assert frame["join"] in allowed
            self.joined.add(frame["join"])
            self.opened_since_counted.add(frame["join"])
            self.at[frame["join"]] = max(self.at.get(frame["join"], 0), frame["seq"])
        elif "leave" in frame:
            self.joined.discard(frame["leave"])
        elif "room" in frame and ("html" in frame or "deleted" in frame):
            room = frame["room"]
            assert room in allowed, f"{self.username} got an event of room {room}"
            assert room in self.joined, f"{self.username} got room {room} without being in it"
            if frame.get("seq") is not None:
                seqs = self.seen.setdefault(room, [])
                assert frame["seq"] not in seqs, "a seq sent twice"
                seqs.append(frame["seq"])
                if frame["seq"] == self.at.get(room, 0) + 1:
                    self.at[room] = frame["seq"]
                held = self.view.setdefault(room, {})
                if frame["id"] not in held or held[frame["id"]][0] < frame["seq"]:
                    text = None if frame.get("deleted") else frame["message"]
                    held[frame["id"]] = (frame["seq"], text, shown(frame.get("reactions", [])))
        elif "read" in frame:  # a read position: of this user, in a room they may see
            assert frame["read"] in allowed, f"{self.username} got a position in {frame['read']}"
            self.counted(frame["read"], frame)
        elif "rooms" in frame:  # their rooms: only rooms they may see
            assert {r["id"] for r in frame["rooms"]} <= allowed, frame
            self.counts.clear()
            for listed in frame["rooms"]:
                self.counted(listed["id"], listed)
        elif "activity" in frame:  # of a room they may see, watch and have not open
            room = frame["activity"]
            assert room in allowed and room not in self.joined, frame
            assert self.watching
            self.counted(room, frame)
        elif "error" in frame and frame.get("room") in self.joined:
            if frame["error"] in ("ROOM_ACCESS_DENIED", "ROOM_INVALID"):
                self.joined.discard(frame["room"])  # the server left it (no longer allowed)
        elif "presence" in frame or "typing" in frame:
            room = frame.get("presence", frame.get("typing"))
            assert room in allowed and room in self.joined

    def counted(self, room: int, frame: dict) -> None:
        self.counts[room] = (frame["unread"], frame["mentions"])
        if room not in self.joined:
            self.opened_since_counted.discard(room)

    async def read(self, until=None, timeout: float = 2):
        """Read frames (checking each) until one matches `until`, or until quiet."""
        while True:
            if until is None and await self.communicator.receive_nothing(timeout=0.1):
                return None
            output = await self.communicator.receive_output(timeout=timeout)
            if output["type"] == "websocket.close":
                self.closed = True
                return output
            frame = json.loads(output["text"])
            items = frame["batch"] if "batch" in frame else [frame]
            for item in items:  # every item checked, also after the one looked for
                self.check(item)
            found = [item for item in items if until is not None and until(item)]
            if found:
                return found[0]

    def request(self, frame: dict, until) -> dict:
        async def go():
            await self.communicator.send_json_to(frame)
            return await self.read(until)

        return self.run(go())


@pytest.mark.timeout(600)
def test_protocol_state_machine(make_user, make_room, settings):
    # Hundreds of connects, joins and sends a minute, on purpose.
    settings.CHAT_MAX_MESSAGES_PER_MINUTE = 0
    settings.CHAT_MAX_JOINS_PER_MINUTE = 0
    settings.WEBSOCKET_MAX_CONNECTIONS_PER_MINUTE = 0
    settings.WEBSOCKET_MAX_CONNECTIONS_PER_IP_PER_MINUTE = 0
    users = {
        "alice": make_user("alice"),
        "bob": make_user("bob"),
        "root": make_user("root", staff=True),
    }
    rooms = [
        make_room("A"),
        make_room("B"),
        make_room("S", staff_only=True),
        make_room("P", kind=RoomKind.PRIVATE),  # bob's: staff do not see it either
    ]
    Membership.objects.create(room=rooms[3], user=users["bob"], role=MemberRole.OWNER)
    rooms.append(open_direct(users["alice"], ["bob"]))  # D: alice and bob's conversation
    private, direct = rooms[3].pk, rooms[4].pk
    room_ids = [r.pk for r in rooms]
    # The oracle, written out apart from the code's rule (rooms.models.may_see_room); the
    # membership rules change it as they go.
    initially = {
        "alice": {rooms[0].pk, rooms[1].pk, direct},
        "bob": {rooms[0].pk, rooms[1].pk, private, direct},
        "root": {rooms[0].pk, rooms[1].pk, rooms[2].pk},
    }
    visible = {name: set(ids) for name, ids in initially.items()}

    class ChatMachine(RuleBasedStateMachine):
        sockets = Bundle("sockets")

        def __init__(self):
            super().__init__()
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            channel_layers.backends.clear()  # a fresh layer on this example's loop
            self.visible = visible
            self.room_ids = room_ids
            self.live: list[Socket] = []
            self.burst = 0  # send_burst's count, for its client_ids
            Message.objects.all().delete()
            Room.objects.update(last_seq=0)
            reset_local_presence()
            forget_latest_pages()
            # Each example starts with P bob's alone and D alice's and bob's.
            Membership.objects.filter(room_id=private).exclude(user=users["bob"]).delete()
            for name in ("alice", "bob"):
                Membership.objects.get_or_create(room_id=direct, user=users[name])
            Membership.objects.filter(room_id__in=(private, direct)).update(read_seq=0)
            for name, ids in initially.items():
                visible[name].clear()
                visible[name].update(ids)

        def open(self, username: str, session: str | None = None) -> Socket:
            session = session or session_cookie(users[username])
            socket = Socket(self, username, session)
            connected, _ = socket.run(socket.communicator.connect())
            assert connected
            self.live.append(socket)
            return socket

        @initialize(target=sockets)
        def two_members_in_a_room(self):
            """Every run starts from a room with two people in it and one message."""
            alice, bob = self.open("alice"), self.open("bob")
            for socket in (alice, bob):
                self.join(socket, room_ids[0])
            self.send_to(alice, room_ids[0], "hello")
            return multiple(alice, bob)

        @rule(target=sockets, username=st.sampled_from(sorted(users)))
        def connect(self, username):
            return self.open(username)

        @rule(socket=sockets, room=st.sampled_from(room_ids))
        def join(self, socket, room):
            if socket.closed:
                return
            socket.run(socket.read())  # what it has seen so far decides `since`
            frame = {"command": "join", "room": room}
            if socket.at.get(room):
                frame["since"] = socket.at[room]
            reply = socket.request(frame, lambda f: f.get("join") == room or "error" in f)
            if room in visible[socket.username]:
                current = Room.objects.get(pk=room)
                # A direct room is named after the other one in it.
                title = ({"alice": "bob", "bob": "alice"}[socket.username] if room == direct
                         else current.title)  # fmt: skip
                assert reply == {"join": room, "title": title, "seq": current.last_seq}
            else:  # a private or direct room is answered as one that does not exist
                refusal = "ROOM_INVALID" if room in (private, direct) else "ROOM_ACCESS_DENIED"
                assert reply == {"error": refusal, "room": room}

        @rule(socket=sockets, data=st.integers(0, 7))
        def leave(self, socket, data):
            if socket.closed:
                return
            # Mostly a room it is in; sometimes any room (which must be refused).
            room = pick_room(socket, data)
            was_in = room in socket.joined
            reply = socket.request(
                {"command": "leave", "room": room}, lambda f: f.get("leave") == room or "error" in f
            )
            assert reply == (
                {"leave": room} if was_in else {"error": "ROOM_ACCESS_DENIED", "room": room}
            )

        @rule(socket=sockets, data=st.integers(0, 7), seq=st.integers(0, 12))
        def read(self, socket, data, seq):
            """Move the read position; its user's other sockets are told (checked as they
            read), never anyone else's."""
            if socket.closed:
                return
            room = pick_room(socket, data)
            reply = socket.request(
                {"command": "read", "room": room, "seq": seq},
                lambda f: f.get("read") == room or "error" in f,
            )
            member = Membership.objects.filter(room_id=room, user=users[socket.username]).first()
            if room not in visible[socket.username]:
                refusal = "ROOM_INVALID" if room in (private, direct) else "ROOM_ACCESS_DENIED"
                assert reply == {"error": refusal, "room": room}
            elif member is None:  # never opened: not a member yet
                assert reply == {"error": "ROOM_ACCESS_DENIED", "room": room}
            else:
                last = Room.objects.get(pk=room).last_seq
                assert reply["seq"] == member.read_seq >= min(seq, last)

        @rule(username=st.sampled_from(["alice", "root"]), member=st.booleans())
        def private_membership(self, username, member):
            """bob, P's owner, invites `username` into it or removes them."""
            room = Room.objects.get(pk=private)
            if member:
                visible[username].add(private)  # before: gaining a room leaks nothing
                self.backend(lambda: invite(users["bob"], room, username))
            elif private in visible[username]:
                self.lose(username, lambda: remove_member(users["bob"], room, username), private)

        @rule(member=st.booleans())
        def direct_membership(self, member):
            """alice leaves her conversation with bob, or bob writes to her again."""
            if member:
                visible["alice"].add(direct)
                self.backend(lambda: open_direct(users["bob"], ["alice"]))
            elif direct in visible["alice"]:
                room = Room.objects.get(pk=direct)
                self.lose("alice", lambda: leave_room(users["alice"], room), direct)

        def backend(self, work):
            """Run a service as a page would, its broadcasts on this example's layer."""
            return self.loop.run_until_complete(sync_to_async(work)())

        def lose(self, username, end_membership, room):
            """End a membership; once the user's sockets have let the room go (everything
            sent before is read with the room still theirs), nothing more of it may come."""
            mine = [s for s in self.live if s.username == username and not s.closed]
            for socket in mine:
                socket.run(socket.read())
            self.backend(end_membership)
            for socket in mine:
                if room in socket.joined:
                    socket.run(socket.read(until=lambda f: f.get("room") == room and "error" in f))
                if socket.watching:
                    socket.run(
                        socket.read(
                            until=lambda f: (
                                "rooms" in f and room not in {r["id"] for r in f["rooms"]}
                            )
                        )
                    )
            visible[username].discard(room)
            # The room goes on without them: none of it may reach them now.
            self.backend(lambda: send_room_message(room=Room.objects.get(pk=room), text="after"))
            for socket in mine:
                socket.run(socket.read())

        @rule(socket=sockets)
        def watch(self, socket):
            if socket.closed:
                return
            reply = socket.request({"command": "watch"}, lambda f: "rooms" in f)
            socket.watching = True
            user = users[socket.username]
            mine = set(Membership.objects.filter(user=user).values_list("room_id", flat=True))
            assert {r["id"] for r in reply["rooms"]} == mine & visible[socket.username]

        @rule(
            socket=sockets,
            data=st.integers(0, 7),
            text=st.one_of(
                st.text(min_size=1, max_size=20),
                st.sampled_from(["hi @alice", "@BOB look", "@root", "@here all"]),
            ),
        )
        def send(self, socket, data, text):
            if socket.closed:
                return
            room = pick_room(socket, data)
            self.send_to(socket, room, text)

        def send_to(self, socket, room, text):
            before = Message.objects.count()
            reply = socket.request(
                {"command": "send", "room": room, "message": text},
                lambda f: "ack" in f or "error" in f,
            )
            if room in socket.joined and text.strip() and "\x00" not in text:
                assert reply["ack"] is None and reply["room"] == room
                assert Message.objects.count() == before + 1
            else:
                assert "error" in reply
                assert Message.objects.count() == before

        @rule(
            socket=sockets,
            data=st.integers(0, 7),
            texts=st.lists(st.sampled_from(["one", "two", " ", "@bob hi"]), min_size=2, max_size=4),
        )
        def send_burst(self, socket, data, texts):
            """Sends back to back, without waiting for answers (rooms/in_flight.py): each
            answered, in the order sent, and the stored ones with rising seqs."""
            if socket.closed:
                return
            room = pick_room(socket, data)
            before = Message.objects.count()
            self.burst += 1
            ids = [f"b{self.burst}-{n}" for n in range(len(texts))]

            async def go():
                for client_id, text in zip(ids, texts, strict=True):
                    frame = {"command": "send", "room": room, "message": text}
                    await socket.communicator.send_json_to({**frame, "client_id": client_id})
                got: list[dict] = []

                def answered(frame: dict) -> bool:
                    # Called for every item of a frame: acks settled together share one.
                    if frame.get("ack") in ids or "error" in frame:
                        got.append(frame)
                    return len(got) == len(ids)

                await socket.read(answered)
                return got

            replies = socket.run(go())
            if socket.closed:
                return
            expected = [room in socket.joined and bool(text.strip()) for text in texts]
            assert [("ack" in reply) for reply in replies] == expected, replies
            acked = [reply for reply in replies if "ack" in reply]
            assert [reply["ack"] for reply in acked] == [
                client_id for client_id, ok in zip(ids, expected, strict=True) if ok
            ]
            assert [r["seq"] for r in acked] == sorted(r["seq"] for r in acked)
            assert Message.objects.count() == before + sum(expected)

        def pick_message(self, room: int, pick: int) -> int:
            """A message of the room, or one that does not exist (drawn as an integer)."""
            numbers = list(Message.objects.filter(room_id=room).values_list("number", flat=True))
            numbers.append(Room.objects.get(pk=room).last_seq + 1)
            return sorted(numbers)[pick % len(numbers)]

        def change(self, socket, frame, allowed: bool):
            room = frame["room"]
            before = Room.objects.get(pk=room).last_seq
            reply = socket.request(frame, lambda f: "ack" in f or "error" in f)
            if allowed:
                assert reply.get("ack", "x") is None and reply["room"] == room, reply
            else:
                assert "error" in reply, reply
                assert Room.objects.get(pk=room).last_seq == before  # nothing changed
            return reply

        def may_change(self, socket, room, number, *, own_only: bool) -> Message | None:
            message = Message.objects.filter(room_id=room, number=number).first()
            if room not in socket.joined or message is None or message.deleted is not None:
                return None
            if own_only and (message.author is None or message.author.username != socket.username):
                return None
            return message

        @rule(
            socket=sockets,
            data=st.integers(0, 7),
            pick=st.integers(0, 9),
            text=st.text(max_size=12),
        )
        def edit(self, socket, data, pick, text):
            if socket.closed:
                return
            room = pick_room(socket, data)
            number = self.pick_message(room, pick)
            target = self.may_change(socket, room, number, own_only=True)
            ok = target is not None and bool(text.strip()) and "\x00" not in text
            frame = {"command": "edit", "room": room, "id": number, "message": text}
            self.change(socket, frame, ok)
            if ok:
                assert Message.objects.get(pk=target.pk).text == text.strip()

        @rule(socket=sockets, data=st.integers(0, 7), pick=st.integers(0, 9))
        def delete(self, socket, data, pick):
            if socket.closed:
                return
            room = pick_room(socket, data)
            number = self.pick_message(room, pick)
            staff = users[socket.username].is_staff
            target = self.may_change(socket, room, number, own_only=not staff)
            self.change(
                socket, {"command": "delete", "room": room, "id": number}, target is not None
            )
            if target is not None:
                assert Message.objects.get(pk=target.pk).deleted is not None

        @rule(
            socket=sockets,
            data=st.integers(0, 7),
            pick=st.integers(0, 9),
            emoji=st.sampled_from(["👍", "🎉", "👨‍👩‍👧", "xx"]),
            on=st.booleans(),
        )
        def react(self, socket, data, pick, emoji, on):
            if socket.closed:
                return
            room = pick_room(socket, data)
            number = self.pick_message(room, pick)
            target = self.may_change(socket, room, number, own_only=False)
            ok = target is not None and emoji != "xx"
            frame = {"command": "react", "room": room, "id": number, "emoji": emoji, "on": on}
            self.change(socket, frame, ok)
            if ok:
                given = target.reactions.filter(user__username=socket.username, emoji=emoji)
                assert given.exists() == on

        @rule(target=sockets, socket=consumes(sockets), missed=st.integers(0, 3))
        def reconnect(self, socket, missed):
            """In each of its rooms a message arrives live, then the socket drops, `missed`
            messages go by (sent from the backend), and it comes back on the same session
            and resumes each room from the last seq it saw."""
            if socket.closed:
                return self.open(socket.username)

            def backend_send(room, text):
                socket.run(
                    sync_to_async(send_room_message)(room=Room.objects.get(pk=room), text=text)
                )

            for room in sorted(socket.joined):
                backend_send(room, "seen live")
            socket.run(socket.read())
            socket.run(socket.communicator.disconnect())
            self.live.remove(socket)
            for room in sorted(socket.joined):
                for n in range(missed):
                    backend_send(room, f"while away {n}")
                if missed >= 2:
                    # Changes while away too: an edit by its author, a moderator's deletion.
                    live = Message.objects.filter(room_id=room, deleted__isnull=True)
                    edited = live.filter(author__isnull=False).order_by("number").last()
                    if edited is not None:
                        socket.run(sync_to_async(edit_and_broadcast)(edited, room))
                    doomed = live.order_by("number").first()
                    socket.run(sync_to_async(delete_and_broadcast)(users["root"], doomed))
            again = self.open(socket.username, socket.session)
            for room in sorted(socket.joined):
                # The page's state survives the reconnect; the seqs a socket was sent do not.
                again.at[room] = socket.at.get(room, 0)
                again.view[room] = dict(socket.view.get(room, {}))
                self.join(again, room)
            return again

        @rule(socket=sockets, now=st.integers(0, 3))
        def logout(self, socket, now):
            if socket.closed or now:  # one draw in four: logging out ends a socket for good
                return

            def post_logout():
                client = Client()
                client.cookies["sessionid"] = socket.session
                client.post("/accounts/logout/")

            socket.run(sync_to_async(post_logout)())
            closed = socket.run(socket.read(until=lambda f: False, timeout=3))
            assert closed["code"] == 4401

        def teardown(self):
            try:
                self.check_final_resume()
            finally:
                self.shut_down()

        def check_final_resume(self):
            # Reactions as the Reaction rows have them: the summary every event carries
            # must never drift from the record of who gave what.
            current = {
                room: {
                    m.number: (m.seq, None if m.deleted else m.text, shown(summary_of(m)))
                    for m in Message.objects.filter(room_id=room)
                }
                for room in room_ids
            }
            for socket in self.live:
                if socket.closed:
                    continue
                socket.run(socket.read())  # everything it was sent, checked in order
                for room in sorted(socket.joined):
                    socket.request(
                        {"command": "join", "room": room, "since": socket.at.get(room, 0)},
                        lambda f, room=room: f.get("join") == room,
                    )
                    socket.run(socket.read())
                    held = socket.view.get(room, {})
                    # Deleted messages it never had are not sent to it (nothing to take away).
                    expected = {
                        n: state
                        for n, state in current[room].items()
                        if state[1] is not None or n in held
                    }
                    assert held == expected, (socket.username, room)
                    assert socket.at[room] == Room.objects.get(pk=room).last_seq
            for socket in self.live:
                if socket.closed or not socket.watching:
                    continue
                for room, counts in socket.counts.items():
                    if room not in socket.opened_since_counted:
                        record = record_counts(users[socket.username], room)
                        assert counts == record, (socket.username, room, counts, record)

        def shut_down(self):
            for socket in self.live:
                socket.run(socket.communicator.disconnect())
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.close()
            asyncio.set_event_loop(None)

    run_state_machine_as_test(
        ChatMachine,
        settings=hypothesis_settings(
            max_examples=20,
            stateful_step_count=15,
            deadline=None,
            # A failing run is reported as found: shrinking ~1 s examples takes minutes.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )
