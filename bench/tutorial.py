"""The baseline: the consumer of the Channels tutorial, as most Django chat sites start.

Every socket joins the room's group itself, each message is one `group_send`,
and every recipient's handler encodes the JSON frame again. It runs on the same
server, layer and load client as the site's consumer, so the two compare fairly.
"""

import json

from channels.generic.websocket import AsyncWebsocketConsumer


class TutorialChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.group_name = "tutorial_" + self.scope["url_route"]["kwargs"]["room_name"]
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        message = json.loads(text_data)["message"]
        await self.channel_layer.group_send(
            self.group_name, {"type": "chat.message", "message": message}
        )

    async def chat_message(self, event):
        await self.send(text_data=json.dumps({"message": event["message"]}))
