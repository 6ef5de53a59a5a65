"""`{{ text|chat_markdown }}`: a message's text as the chat shows it (rooms/rendering.py)."""

from django import template
from django.utils.safestring import SafeString

from rooms.rendering import render_message_text

register = template.Library()


@register.filter
def chat_markdown(value: str | None) -> SafeString:
    """The safe Markdown subset of a message, links and mentions, as HTML."""
    return render_message_text(value)
