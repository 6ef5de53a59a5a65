"""Incoming webhooks: a secret URL that posts into one room (Slack's `{"text": …}` shape).

A webhook posts as a bot user of its own, so its messages carry its name (`deploys-bot`).
The bot is never a member of anything and never active: it cannot log in, be invited,
be written to, inherit a room when its owners leave, or see a thing. What lets a webhook
post is its maker's standing: each post checks that the user who made it still runs the
room (an owner, or staff) and that the room is not archived; otherwise the webhook is dead
(404) until they run it again. Posts go through the send service's own steps (clean text,
`@here` rule, the room's next seq, mentions, live delivery), as the bot.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.adapter import lookalike_exists
from chatapp.ratelimit import within_rate
from rooms.access import role_in
from rooms.errors import PERMISSION_DENIED, RATE_LIMITED, ChatError
from rooms.events import message_event, room_broadcast
from rooms.mentions import check_here
from rooms.models import Room
from rooms.ownership import runs
from rooms.posting import clean_text, post_message

from .broadcast import tell_room
from .models import Webhook
from .secrets import HOOK_PREFIX, hash_secret, new_secret

BOT_SUFFIX = "-bot"


class TooManyWebhooks(Exception):
    pass


def may_manage_webhooks(user: AbstractBaseUser, room: Room) -> bool:
    """Those who run the room (its owners, staff), while it is not archived; never in a
    direct room (nobody runs one)."""
    if room.archived is not None or not user.is_active:
        return False
    return runs(user, room, role_in(user.pk, room))


def _free_bot_username(name: str) -> str:
    """A username for a webhook's bot: its name as a slug, ending in `-bot`, that no
    existing name equals or looks like (the sign-up's lookalike rule)."""
    base = (slugify(name)[:40].strip("-") or "integration").removesuffix(BOT_SUFFIX)
    for n in range(1, 1000):
        candidate = f"{base}{BOT_SUFFIX}" if n == 1 else f"{base}-{n}{BOT_SUFFIX}"
        if not lookalike_exists(candidate):
            return candidate
    raise TooManyWebhooks


def _new_bot(name: str) -> AbstractBaseUser:
    model = get_user_model()
    for _ in range(3):  # two webhooks of one name made at once: the loser takes the next
        try:
            with transaction.atomic():
                bot = model(**{model.USERNAME_FIELD: _free_bot_username(name)})
                bot.is_active = False
                bot.set_unusable_password()
                bot.save()
                return bot
        except IntegrityError:
            continue
    raise TooManyWebhooks


def create_webhook(actor: AbstractBaseUser, room: Room, name: str) -> tuple[Webhook, str]:
    """A new webhook of `room` and its secret key (shown once, stored hashed)."""
    if not may_manage_webhooks(actor, room):
        raise ChatError(PERMISSION_DENIED, room.pk)
    if Webhook.objects.filter(room=room).count() >= settings.CHAT_MAX_WEBHOOKS_PER_ROOM:
        raise TooManyWebhooks
    secret, prefix, key_hash = new_secret(HOOK_PREFIX)
    hook = Webhook.objects.create(
        room=room,
        name=name.strip(),
        bot=_new_bot(name),
        prefix=prefix,
        key_hash=key_hash,
        created_by=actor,
    )
    return hook, secret


def delete_webhook(actor: AbstractBaseUser, room: Room, hook_id: int) -> bool:
    """Its address stops at once; its bot (inactive, in no room) keeps its messages."""
    if not may_manage_webhooks(actor, room):
        raise ChatError(PERMISSION_DENIED, room.pk)
    deleted, _ = Webhook.objects.filter(room=room, pk=hook_id).delete()
    return bool(deleted)


def webhooks_of(room: Room) -> list[Webhook]:
    return list(Webhook.objects.filter(room=room).select_related("bot", "created_by"))


def working_hook(secret: str) -> Webhook | None:
    """The webhook of this key, if it may post now: its room is not archived and its
    maker still runs it. None for anything else (one answer: no webhook here)."""
    if not secret.startswith(HOOK_PREFIX) or len(secret) > 100:
        return None
    hook = (
        Webhook.objects.filter(key_hash=hash_secret(secret))
        .select_related("room", "bot", "created_by")
        .first()
    )
    if hook is None or hook.created_by is None:
        return None
    if not may_manage_webhooks(hook.created_by, hook.room):
        return None
    return hook


def post_from_webhook(hook: Webhook, text: str) -> dict[str, Any]:
    """Post `text` as the webhook's bot and tell the room's open pages: the message
    event. A refusal is a ChatError, as for a send on the socket."""
    if not within_rate(f"webhook:{hook.pk}", settings.CHAT_MAX_WEBHOOK_POSTS_PER_MINUTE):
        raise ChatError(RATE_LIMITED, hook.room_id)
    text = clean_text(text)
    check_here(text, hook.room, hook.bot)  # the bot has no role: @here in small rooms only
    message = post_message(room=hook.room, author=hook.bot, text=text).message
    event = message_event(message)
    tell_room(hook.room_id, room_broadcast(event))
    Webhook.objects.filter(pk=hook.pk).update(last_used=timezone.now())
    return event
