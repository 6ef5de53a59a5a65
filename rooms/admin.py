from django.contrib import admin

from .models import Message, Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "staff_only", "created"]
    list_display_links = ["id", "title"]
    list_filter = ["staff_only"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["room", "seq", "author", "msg_type", "short_text", "created"]
    list_filter = ["room", "msg_type"]
    search_fields = ["text", "author__username"]
    list_select_related = ["room", "author"]
    # Every change to a room rides its seq and reaches open pages: an edit here would do
    # neither, so the text is read-only too (deleting stays, as moderation).
    readonly_fields = ["room", "seq", "author", "text", "msg_type", "client_id", "created"]
    date_hierarchy = "created"

    def has_add_permission(self, request) -> bool:
        # New messages go through the staff send page, which assigns seq and broadcasts.
        return False

    @admin.display(description="text")
    def short_text(self, message: Message) -> str:
        return message.text[:80]
