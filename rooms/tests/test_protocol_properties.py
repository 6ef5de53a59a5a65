"""A state machine over connect, join, leave, send, reconnect-with-since and logout.

Properties: a socket only ever receives events of rooms its user may see and has
joined (in frame order), never the same seq twice; and after a final resume,
every socket holds exactly the stored sequence of every room it has joined.
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
from chatapp.websocket.testing import ClientCommunicator, session_cookie
from rooms.models import Message, Room
from rooms.posting import send_room_message
from rooms.presence import reset_local_presence

pytestmark = pytest.mark.django_db(transaction=True)

STREAM = "/chat/stream/"


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
        self.closed = False
        headers = [
            (b"host", b"localhost"),
            (b"origin", b"http://localhost"),
            (b"cookie", f"sessionid={session}".encode()),
        ]

        async def make():  # the communicator starts the app on the running loop
            return ClientCommunicator(application, STREAM, headers=headers)

        self.communicator = self.run(make())

    def run(self, coro):
        return self.machine.loop.run_until_complete(coro)

    def check(self, frame: dict) -> None:
        allowed = self.machine.visible[self.username]
        if "join" in frame:
            assert frame["join"] in allowed
            self.joined.add(frame["join"])
        elif "leave" in frame:
            self.joined.discard(frame["leave"])
        elif "room" in frame and ("html" in frame or "presence" in frame or "typing" in frame):
            room = frame["room"]
            assert room in allowed, f"{self.username} got an event of room {room}"
            assert room in self.joined, f"{self.username} got room {room} without being in it"
            if frame.get("seq") is not None:
                seqs = self.seen.setdefault(room, [])
                assert not seqs or frame["seq"] > seqs[-1], "seq repeated or out of order"
                seqs.append(frame["seq"])
        elif "presence" in frame or "typing" in frame:
            room = frame.get("presence", frame.get("typing"))
            assert room in allowed and room in self.joined

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
            self.check(frame)
            if until is not None and until(frame):
                return frame

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
    rooms = [make_room("A"), make_room("B"), make_room("S", staff_only=True)]
    room_ids = [r.pk for r in rooms]
    visible = {
        name: {r.pk for r in rooms if not r.staff_only or user.is_staff}
        for name, user in users.items()
    }

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
            Message.objects.all().delete()
            Room.objects.update(last_seq=0)
            reset_local_presence()

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
            if socket.seen.get(room):
                frame["since"] = socket.seen[room][-1]
            reply = socket.request(frame, lambda f: f.get("join") == room or "error" in f)
            if room in visible[socket.username]:
                assert reply == {"join": room, "title": Room.objects.get(pk=room).title}
            else:
                assert reply == {"error": "ROOM_ACCESS_DENIED", "room": room}

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

        @rule(socket=sockets, data=st.integers(0, 7), text=st.text(min_size=1, max_size=20))
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
            again = self.open(socket.username, socket.session)
            for room in sorted(socket.joined):
                again.seen[room] = list(socket.seen.get(room, []))
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
            stored = {
                room: list(
                    Message.objects.filter(room_id=room)
                    .order_by("seq")
                    .values_list("seq", flat=True)
                )
                for room in room_ids
            }
            for socket in self.live:
                if socket.closed:
                    continue
                socket.run(socket.read())  # everything it was sent, checked in order
                for room in sorted(socket.joined):
                    since = (socket.seen.get(room) or [0])[-1]
                    socket.request(
                        {"command": "join", "room": room, "since": since},
                        lambda f, room=room: f.get("join") == room,
                    )
                    socket.run(socket.read())
                    assert socket.seen.get(room, []) == stored[room], (socket.username, room)

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
