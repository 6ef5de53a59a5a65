"""What the API takes and gives, checked and described (the OpenAPI schema is made
from these). Field rules are the socket's: rooms/client_frames.py and rooms/posting.py
decide again in the service; these only refuse what could never be valid."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from rooms.client_frames import MAX_CLIENT_ID_LENGTH
from rooms.models import MAX_ID
from rooms.search import QUERY_MAX_LENGTH

PAGE_DEFAULT, PAGE_MAX = 100, 500


class ClientId(serializers.CharField):
    """An idempotency key: the same key again returns what the first request did."""

    def __init__(self, **kwargs):
        super().__init__(
            required=False,
            allow_blank=True,
            max_length=MAX_CLIENT_ID_LENGTH,
            trim_whitespace=False,
            default="",
            **kwargs,
        )


def text_field(**kwargs) -> serializers.CharField:
    # Length is the service's to refuse (MESSAGE_TOO_LONG, as on the socket); this cap
    # only keeps absurd bodies out before that.
    return serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        max_length=settings.CHAT_MAX_MESSAGE_LENGTH * 4,
        **kwargs,
    )


class PostMessageIn(serializers.Serializer):
    text = text_field()
    client_id = ClientId()
    attachments = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=100,  # the service refuses more than CHAT_MAX_ATTACHMENTS_PER_MESSAGE
        help_text="Ids of my uploads to this room not sent yet (POST …/attachments).",
    )
    reply_to = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_ID,
        help_text="The id of the message this one answers, in the same room.",
    )


class EditMessageIn(serializers.Serializer):
    text = text_field()
    client_id = ClientId()


class ReactIn(serializers.Serializer):
    emoji = serializers.CharField(max_length=32, trim_whitespace=False)
    on = serializers.BooleanField(default=True, help_text="false takes the reaction back.")
    client_id = ClientId()


class MessagesQuery(serializers.Serializer):
    after = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=MAX_ID,
        help_text="Changes after this seq (0: from the start).",
    )
    limit = serializers.IntegerField(
        required=False, default=PAGE_DEFAULT, min_value=1, max_value=PAGE_MAX
    )


class DeleteQuery(serializers.Serializer):
    client_id = ClientId()


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(max_length=QUERY_MAX_LENGTH * 4, trim_whitespace=True)
    room = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ID)

    def validate(self, attrs):
        # A query string's `room=` (empty) would pass as absent: it is a bad filter.
        if "room" in self.initial_data and "room" not in attrs:
            raise serializers.ValidationError({"room": "A room id, or no `room` at all."})
        return attrs


class ReplyOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(allow_null=True)
    excerpt = serializers.CharField(required=False, allow_null=True)


class ReactionOut(serializers.Serializer):
    emoji = serializers.CharField()
    count = serializers.IntegerField()
    users = serializers.ListField(child=serializers.CharField())


class MessageOut(serializers.Serializer):
    """A message as it is now: a stored change's event on the socket (docs/protocol.md).
    A deleted message has only room, id, seq and `deleted: true`."""

    room = serializers.IntegerField()
    id = serializers.IntegerField(help_text="Its number in the room.")
    seq = serializers.IntegerField(help_text="The seq of its last change.")
    deleted = serializers.BooleanField(required=False)
    message = serializers.CharField(required=False, help_text="The text (Markdown).")
    html = serializers.CharField(required=False, help_text="The text rendered, safe to show.")
    username = serializers.CharField(required=False, allow_null=True)
    msg_type = serializers.IntegerField(required=False)
    created = serializers.DateTimeField(required=False)
    edited = serializers.DateTimeField(required=False, allow_null=True)
    reactions = ReactionOut(many=True, required=False)
    reply_to = ReplyOut(required=False, allow_null=True)
    mentions = serializers.ListField(child=serializers.CharField(), required=False)


class PostedOut(serializers.Serializer):
    message = MessageOut()
    created = serializers.BooleanField(help_text="false: this client_id had stored it already.")


class ChangedOut(serializers.Serializer):
    seq = serializers.IntegerField(help_text="The room's seq the change took (or had taken).")
    message = MessageOut(required=False, help_text="Absent when nothing changed.")


class MessagesOut(serializers.Serializer):
    messages = MessageOut(many=True)
    next_after = serializers.IntegerField(help_text="`after` for the next page.")
    has_more = serializers.BooleanField()


class RoomOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=["public", "private", "direct"])
    slug = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    last_seq = serializers.IntegerField()
    member = serializers.BooleanField()
    unread = serializers.IntegerField(help_text="0 in a room one is not a member of.")
    mentions = serializers.IntegerField()
    muted = serializers.BooleanField()


class RoomsOut(serializers.Serializer):
    rooms = RoomOut(many=True)


class HitOut(serializers.Serializer):
    room = serializers.IntegerField()
    room_title = serializers.CharField()
    id = serializers.IntegerField()
    username = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField()
    snippet_html = serializers.CharField(help_text="Escaped text with the matches in <mark>.")


class SearchOut(serializers.Serializer):
    results = HitOut(many=True)


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class ErrorOut(serializers.Serializer):
    error = serializers.CharField(help_text="A code of the README's refusals table.")
    message = serializers.CharField()
    fields = serializers.DictField(required=False)


class WebhookIn(serializers.Serializer):
    text = text_field()


class HookPostedOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The message's number in its room.")
    seq = serializers.IntegerField()


class UploadIn(serializers.Serializer):
    file = serializers.FileField(help_text="One file, at most CHAT_MAX_UPLOAD_BYTES.")


class AttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    image = serializers.BooleanField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    url = serializers.CharField()
    thumbnail_url = serializers.CharField(allow_null=True)
