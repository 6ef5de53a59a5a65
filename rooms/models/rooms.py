"""Rooms and who is in them: the kinds of room, the one rule of who sees a room
(`may_see_room`, `RoomQuerySet.visible_to`), `Room` and `Membership`.

Import it through rooms.models.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

# The database's integer range: no room id, seq or message id is larger.
MAX_ID = 2**63 - 1

# Slugs that name other pages under /rooms/ (rooms/urls.py): a room with one of them, or
# an all-digit slug (read as an id), is addressed by its id instead.
RESERVED_SLUGS = frozenset({"new", "send", "direct"})


def sees_staff_rooms(user) -> bool:
    """Who may see and join staff-only rooms: the rule, written once."""
    return bool(getattr(user, "is_staff", False))


def has_own_address(slug: str) -> bool:
    """Whether /rooms/<slug>/ can name a room: not empty, not all digits, not reserved."""
    return bool(slug) and not slug.isdigit() and slug not in RESERVED_SLUGS


class RoomKind(models.TextChoices):
    """Who may see a room (staff-only is a flag beside it, kept as it always was)."""

    PUBLIC = "public", "public"  # every logged-in user sees it and may join it
    PRIVATE = "private", "private"  # only its members see it; its owners add them
    DIRECT = "direct", "direct"  # a conversation of 2 to 8 users; nobody joins later


def may_see_room(
    user, *, staff_only: bool, kind: str, is_member: bool, archived: bool = False
) -> bool:
    """The one rule of who sees a room: staff rooms only staff; private and direct
    rooms only their members; archived rooms nobody (on the site: the admin keeps them)."""
    if archived or (staff_only and not sees_staff_rooms(user)):
        return False
    return kind == RoomKind.PUBLIC or is_member


class RoomQuerySet(models.QuerySet):
    def open(self) -> RoomQuerySet:
        """The rooms not archived: every other room is out of the site's sight."""
        return self.filter(archived__isnull=True)

    def public(self) -> RoomQuerySet:
        """The rooms every logged-in user sees listed (public, not staff-only)."""
        return self.open().filter(staff_only=False, kind=RoomKind.PUBLIC)

    def listed_to_staff(self) -> RoomQuerySet:
        """The rooms every staff user sees listed (public, staff-only too)."""
        return self.open().filter(kind=RoomKind.PUBLIC)

    def listed_to(self, user) -> RoomQuerySet:
        """The public rooms `user` sees listed (staff-only ones too for staff)."""
        return self.listed_to_staff() if sees_staff_rooms(user) else self.public()

    def joined_by(self, user) -> RoomQuerySet:
        """The private and direct rooms `user` is a member of (and may see)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        mine = (
            self.open()
            .exclude(kind=RoomKind.PUBLIC)
            .filter(Exists(Membership.objects.filter(room=OuterRef("pk"), user=user)))
        )
        return mine if sees_staff_rooms(user) else mine.filter(staff_only=False)

    def visible_to(self, user) -> RoomQuerySet:
        """The rooms `user` may see and join (`may_see_room`, in one query)."""
        if not getattr(user, "is_authenticated", False):
            return self.public()
        return self.listed_to(user) | self.joined_by(user)


class Room(models.Model):
    title = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, blank=True)
    description = models.CharField(max_length=300, blank=True)
    staff_only = models.BooleanField(default=False, help_text="Only staff users may see and join.")
    kind = models.CharField(
        max_length=8,
        choices=RoomKind.choices,
        default=RoomKind.PUBLIC,
        help_text="Public: every user sees it. Private: only its members. Direct: a "
        "conversation between its members.",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    # Set when an owner or staff archives the room: nobody sees it on the site any more
    # (the admin keeps it, and clearing this brings it back).
    archived = models.DateTimeField(null=True, blank=True)
    # A direct room's members as "id.id…" (ascending): the same people always get the
    # same room. Empty (NULL) for every other kind.
    direct_key = models.CharField(
        max_length=200, null=True, blank=True, unique=True, editable=False
    )
    # The seq of the newest change (a message, an edit, a deletion, a reaction); bumped
    # in the same transaction as the change.
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)

    objects = RoomQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        permissions = [("moderate_room", "Can delete any message in the rooms they can see")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.title)[:100] or "room"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        """The room's address: /rooms/<slug>/ for public and private rooms, /rooms/<id>/
        for direct ones (their slug says nothing to the people in them) and for a slug
        that would be read as something else. /rooms/<id>/ answers for every room.
        static/js/chat/addresses.js follows the same rule for rooms listed live."""
        if self.kind == RoomKind.DIRECT or not has_own_address(self.slug):
            return reverse("rooms:room", args=[self.pk])
        return reverse("rooms:room_slug", args=[self.slug])

    def is_visible_to(self, user) -> bool:
        """`Room.objects.visible_to(user)` for one room already loaded (a query only for
        a private or direct room: is the user a member?)."""
        is_member = (
            self.kind != RoomKind.PUBLIC
            and getattr(user, "is_authenticated", False)
            and self.memberships.filter(user=user).exists()
        )
        return may_see_room(
            user,
            staff_only=self.staff_only,
            kind=self.kind,
            is_member=is_member,
            archived=self.archived is not None,
        )


class MemberRole(models.TextChoices):
    MEMBER = "member", "member"
    OWNER = "owner", "owner"  # renames, invites, removes, archives, moderates the room


class Membership(models.Model):
    """A user's place in a room, across devices: made when they first open a public room
    (or are added to a private or direct one), ended when they leave it."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_memberships"
    )
    role = models.CharField(max_length=8, choices=MemberRole.choices, default=MemberRole.MEMBER)
    # The seq the user has read up to, on any device (moves forward only).
    read_seq = models.PositiveBigIntegerField(default=0)
    muted = models.BooleanField(default=False)
    joined = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["room", "joined", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="membership_once_per_room")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.room}"
