from django.contrib import admin, messages

from .changes import delete_and_broadcast
from .models import ChangeKind, Membership, Message, ModerationLogEntry, Room, RoomKind

# Private and direct rooms are their members' business: staff who are not superusers see
# in the admin, as in the chat, only the rooms they may see (and their messages, members
# and moderation log); superusers see and moderate every room.
ROOM_FILTER = ("room", admin.RelatedOnlyFieldListFilter)


def rooms_seen_by(request):
    if request.user.is_superuser:
        return Room.objects.all()
    # Archived rooms are out of the site's sight, not the admin's: staff keep the public
    # ones they saw, to bring them back.
    archived = Room.objects.filter(archived__isnull=False, kind=RoomKind.PUBLIC)
    return Room.objects.visible_to(request.user) | archived


class MembershipInline(admin.TabularInline):
    """Who is in the room: add members of a private room here, make owners."""

    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "muted", "read_seq", "joined"]
    readonly_fields = ["read_seq", "joined"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "kind", "staff_only", "created", "archived"]
    list_display_links = ["id", "title"]
    list_filter = ["kind", "staff_only", ("archived", admin.EmptyFieldListFilter)]
    inlines = [MembershipInline]
    # Archived: nobody sees the room on the site; clearing the date brings it back. A
    # direct room's key (its members' ids) is what finds it again: never edited by hand.
    readonly_fields = ["direct_key"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=rooms_seen_by(request).values("pk"))

    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["room", "number", "author", "msg_type", "short_text", "created", "deleted"]
    list_filter = [ROOM_FILTER, "msg_type", ("deleted", admin.EmptyFieldListFilter)]
    search_fields = ["text", "author__username"]
    list_select_related = ["room", "author"]
    # Every change to a room rides its seq and reaches open pages: an edit here would do
    # neither, so the text is read-only (authors edit on the page). Deleting is
    # moderation, through the same service as the page: a tombstone with the room's next
    # seq, broadcast, and logged.
    readonly_fields = [
        "room",
        "number",
        "seq",
        "author",
        "text",
        "msg_type",
        "reply_to",
        "client_id",
        "created",
        "edited",
        "deleted",
    ]
    exclude = ["html"]
    date_hierarchy = "created"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(room__in=rooms_seen_by(request).values("pk"))

    def has_add_permission(self, request) -> bool:
        # New messages go through the staff send page, which assigns seq and broadcasts.
        return False

    @admin.display(description="text")
    def short_text(self, message: Message) -> str:
        return message.text[:80]

    def delete_model(self, request, obj: Message) -> None:
        delete_and_broadcast(request.user, obj)

    def delete_queryset(self, request, queryset) -> None:
        deleted = sum(delete_and_broadcast(request.user, message) for message in queryset)
        if deleted < len(queryset):
            self.message_user(
                request, "Messages already deleted were left as they were.", messages.INFO
            )


@admin.register(ModerationLogEntry)
class ModerationLogAdmin(admin.ModelAdmin):
    """Who deleted whose message, when, in which room (the text is not kept)."""

    list_display = ["created", "room", "message_number", "author", "actor"]
    list_filter = [ROOM_FILTER]
    list_select_related = ["room", "actor", "message__author"]
    date_hierarchy = "created"

    def get_queryset(self, request):
        deletions = super().get_queryset(request).filter(kind=ChangeKind.DELETE)
        return deletions.filter(room__in=rooms_seen_by(request).values("pk"))

    @admin.display(description="message")
    def message_number(self, entry: ModerationLogEntry) -> str:
        return f"#{entry.message.number}"

    @admin.display(description="author")
    def author(self, entry: ModerationLogEntry):
        return entry.message.author

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
