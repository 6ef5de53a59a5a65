"""The process-local hub, through routed consumers on the in-memory or the Redis layer."""

import asyncio
import json

import pytest
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from django.urls import path

from chatapp.websocket import CLOSE_TOO_SLOW, NO_PERM_REQUIRED, WebsocketConsumer
from chatapp.websocket.backend import agroup_send
from chatapp.websocket.hub import get_hub
from chatapp.websocket.testing import group_members, hub_channel

pytestmark = pytest.mark.django_db(transaction=True)

GROUP = "hub-test"
# Sockets opened with ?stuck wait here before sending anything on.
unstuck = asyncio.Event()


class EchoGroupConsumer(WebsocketConsumer):
    """Joins GROUP through the hub and forwards each event's text."""

    async def get_groups(self) -> list[str]:
        return [GROUP]

    async def receive_callback(self, *args) -> None:
        if args == ("leave",):
            await self.hub_leave(GROUP)
            await self.channel_send_commands([["left"]])

    async def group_text(self, event) -> None:
        if self.scope["query_string"] == b"stuck":
            await unstuck.wait()
        await self.send(text_data=event["text"])


app = URLRouter([path("hub/", EchoGroupConsumer.as_asgi(perm=NO_PERM_REQUIRED))])


def text_event(text: str) -> dict:
    return {"type": "group.text", "text": text}


@pytest.fixture(autouse=True)
def _reset_stuck():
    global unstuck
    unstuck = asyncio.Event()  # an Event belongs to the loop it is first awaited in
    yield
    unstuck.set()


async def test_one_layer_membership_serves_every_socket_of_the_process(connect):
    sockets = [await connect("/hub/", app=app) for _ in range(3)]
    assert len(await group_members(GROUP)) == 1
    assert get_hub().local_count(GROUP) == 3
    await agroup_send(GROUP, text_event("to all"))
    for socket in sockets:
        assert await socket.receive_from() == "to all"
        assert await socket.receive_nothing(timeout=0.05)


async def test_events_arrive_in_the_order_they_were_sent(connect):
    socket = await connect("/hub/", app=app)
    for n in range(50):
        await agroup_send(GROUP, text_event(str(n)))
    assert [await socket.receive_from() for _ in range(50)] == [str(n) for n in range(50)]


async def test_a_socket_that_leaves_gets_nothing_more_and_the_last_one_out_unsubscribes(connect):
    first = await connect("/hub/", app=app)
    second = await connect("/hub/", app=app)
    await first.send_json_to({"args": ["leave"]})
    assert await first.receive_json_from() == [["left"]]
    await agroup_send(GROUP, text_event("after leave"))
    assert await second.receive_from() == "after leave"
    assert await first.receive_nothing(timeout=0.1)
    await second.send_json_to({"args": ["leave"]})
    assert await second.receive_json_from() == [["left"]]
    assert await group_members(GROUP) == set()
    assert GROUP not in get_hub().groups


async def test_disconnect_cleans_up_the_subscription(connect):
    socket = await connect("/hub/", app=app)
    assert len(await group_members(GROUP)) == 1
    await socket.disconnect()
    assert get_hub().local_count(GROUP) == 0
    assert await group_members(GROUP) == set()


async def test_a_stuck_socket_does_not_hold_up_the_others_and_is_closed_when_full(
    connect, settings
):
    settings.WEBSOCKET_INBOX_SIZE = 5
    stuck = await connect("/hub/?stuck", app=app)
    fine = await connect("/hub/", app=app)
    for n in range(20):
        await agroup_send(GROUP, text_event(str(n)))
    assert [await fine.receive_from() for _ in range(20)] == [str(n) for n in range(20)]
    assert (await stuck.receive_output())["code"] == CLOSE_TOO_SLOW
    assert get_hub().local_count(GROUP) == 1


async def test_a_lost_layer_subscription_is_taken_again_and_sockets_are_told(connect, monkeypatch):
    """Redis restarting forgets every group: the hub joins again and says so."""
    socket = await connect("/hub/", app=app)
    layer = get_channel_layer()
    real_receive = layer.receive
    failures = [ConnectionError("redis went away")]

    held = hub_channel(GROUP)

    async def failing_receive(channel):
        if channel == held and failures:
            error = failures.pop()
            await asyncio.sleep(0.01)
            raise error
        return await real_receive(channel)

    recovered = []

    async def hub_recovered(self, event):
        recovered.append(event["group"])
        await self.send(text_data="recovered")

    monkeypatch.setattr(EchoGroupConsumer, "hub_recovered", hub_recovered, raising=False)
    # Lose the membership, as a Redis restart would; the pump's next receive fails.
    for channel in await group_members(GROUP):
        await layer.group_discard(GROUP, channel)
    monkeypatch.setattr(layer, "receive", failing_receive)
    await layer.send(held, text_event("ends the pump's current receive"))
    assert await socket.receive_from(timeout=5) == "ends the pump's current receive"
    assert await socket.receive_from(timeout=5) == "recovered"
    assert recovered == [GROUP]
    assert len(await group_members(GROUP)) == 1
    await agroup_send(GROUP, text_event("after recovery"))
    assert await socket.receive_from(timeout=5) == "after recovery"


class ClassGroupsConsumer(WebsocketConsumer):
    """Joins GROUP the usual Channels way, with the `groups` attribute."""

    groups = [GROUP]

    async def receive_callback(self, *args) -> None:
        await self.channel_send(text_event(f"to myself: {args[0]}"))

    async def group_text(self, event) -> None:
        await self.send(text_data=event["text"])


class LayerChannelConsumer(ClassGroupsConsumer):
    """Also takes sends to its own channel name from anywhere."""

    layer_channel = True


groups_app = URLRouter(
    [
        path("groups/", ClassGroupsConsumer.as_asgi(perm=NO_PERM_REQUIRED)),
        path("direct/", LayerChannelConsumer.as_asgi(perm=NO_PERM_REQUIRED)),
    ]
)


def layer_receivers() -> set[str]:
    """The channels the layer keeps receive state for (in-memory or channels-redis)."""
    layer = get_channel_layer()
    return set(getattr(layer, "receive_buffer", None) or getattr(layer, "channels", {}))


async def test_class_groups_come_through_the_hub_and_sockets_hold_no_layer_channel(connect):
    sockets = [await connect("/groups/", app=groups_app) for _ in range(3)]
    assert len(await group_members(GROUP)) == 1  # the hub's, not one per socket
    consumers = get_hub().groups[GROUP].members
    assert len({c.channel_name for c in consumers}) == 3  # still unique names
    assert not {c.channel_name for c in consumers} & layer_receivers()
    await agroup_send(GROUP, text_event("to all"))
    for socket in sockets:
        assert await socket.receive_from() == "to all"


async def test_channel_send_reaches_the_socket_itself_and_no_other(connect):
    me = await connect("/groups/", app=groups_app)
    other = await connect("/groups/", app=groups_app)
    await me.send_json_to({"args": ["hello"]})
    assert await me.receive_from() == "to myself: hello"
    assert await other.receive_nothing(timeout=0.1)


async def test_a_consumer_with_a_layer_channel_takes_sends_to_its_name(connect):
    socket = await connect("/direct/", app=groups_app)
    (consumer,) = get_hub().groups[GROUP].members
    await get_channel_layer().send(consumer.channel_name, text_event("sent to my name"))
    assert await socket.receive_from() == "sent to my name"
    await socket.send_json_to({"args": ["hello"]})
    assert await socket.receive_from() == "to myself: hello"
    await agroup_send(GROUP, text_event("to the group"))
    assert await socket.receive_from() == "to the group"
    assert len(await group_members(GROUP)) == 1


class JsonFrameConsumer(EchoGroupConsumer):
    """Group text events carry a JSON frame, which is all group_text() sends."""

    def frames_of(self, events) -> list[str] | None:
        if any(event["type"] != "group.text" for event in events):
            return None
        return [event["text"] for event in events]


batch_app = URLRouter([path("hub/", JsonFrameConsumer.as_asgi(perm=NO_PERM_REQUIRED))])


async def test_events_that_come_during_the_wait_after_a_pass_go_out_as_one_frame(
    connect, long_linger
):
    socket = await connect("/hub/", app=batch_app)
    await agroup_send(GROUP, text_event('{"n":1}'))
    assert json.loads(await socket.receive_from()) == {"n": 1}  # a quiet group: at once
    for n in (2, 3, 4):
        await agroup_send(GROUP, text_event(f'{{"n":{n}}}'))
    assert json.loads(await socket.receive_from()) == {"batch": [{"n": 2}, {"n": 3}, {"n": 4}]}
    assert await socket.receive_nothing(timeout=0.4)


async def test_a_consumer_that_cannot_batch_gets_each_event_alone_in_order(connect, long_linger):
    socket = await connect("/hub/", app=app)
    for n in range(4):
        await agroup_send(GROUP, text_event(str(n)))
    assert [await socket.receive_from(timeout=2) for _ in range(4)] == ["0", "1", "2", "3"]


async def test_a_socket_still_busy_gets_the_batch_one_event_at_a_time(connect, long_linger):
    busy = await connect("/hub/?stuck", app=batch_app)
    idle = await connect("/hub/", app=batch_app)
    await agroup_send(GROUP, text_event('{"n":1}'))  # holds `busy` in its handler
    assert json.loads(await idle.receive_from()) == {"n": 1}
    for n in (2, 3):
        await agroup_send(GROUP, text_event(f'{{"n":{n}}}'))
    assert json.loads(await idle.receive_from()) == {"batch": [{"n": 2}, {"n": 3}]}
    unstuck.set()
    assert [await busy.receive_from() for _ in range(3)] == ['{"n":1}', '{"n":2}', '{"n":3}']
