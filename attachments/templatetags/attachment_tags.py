"""`{% attach_button %}`: the composer's "Attach a file" button and its file input, with
what the page's script needs (static/js/chat/attachments.js): where to upload, the
limits, and the CSRF token (`{% csrf_token %}`, as every form of the site has it)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("attachments/attach_button.html", takes_context=True)
def attach_button(context: template.Context) -> dict[str, Any]:
    return {
        "max_bytes": settings.CHAT_MAX_UPLOAD_BYTES,
        "max_files": settings.CHAT_MAX_ATTACHMENTS_PER_MESSAGE,
        "csrf_token": context.get("csrf_token", ""),
    }
