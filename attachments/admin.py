"""Attachments in the admin: a read-only list (files come from the chat's upload, and
become part of a message there). Deleting a message (rooms/admin.py) deletes its files."""

from django.contrib import admin

from rooms.admin import rooms_seen_by

from .models import Attachment
from .sizes import human_size


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["name", "room", "uploader", "shown_size", "content_type", "sent", "created"]
    list_filter = [("room", admin.RelatedOnlyFieldListFilter), "content_type"]
    list_select_related = ["room", "uploader"]
    search_fields = ["name", "uploader__username"]
    date_hierarchy = "created"
    fields = [*list_display[:5], "message", "width", "height", "created"]
    readonly_fields = fields

    def get_queryset(self, request):
        # As messages: staff see only the files of rooms they may see.
        return super().get_queryset(request).filter(room__in=rooms_seen_by(request).values("pk"))

    @admin.display(description="size", ordering="size")
    def shown_size(self, attachment: Attachment) -> str:
        return human_size(attachment.size)

    @admin.display(description="sent", boolean=True, ordering="message")
    def sent(self, attachment: Attachment) -> bool:
        return attachment.message_id is not None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
