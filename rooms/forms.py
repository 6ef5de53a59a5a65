import re

from django import forms
from django.conf import settings

from .models import MessageType, Room, RoomKind
from .ownership import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, user_named
from .posting import SERVER_MESSAGE_TYPES


class BackendSendForm(forms.Form):
    room = forms.ModelChoiceField(queryset=Room.objects.none(), empty_label=None)
    msg_type = forms.TypedChoiceField(
        label="Type",
        choices=[(code, name.capitalize()) for name, code in SERVER_MESSAGE_TYPES.items()],
        coerce=int,
        initial=MessageType.MESSAGE,
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=settings.CHAT_MAX_MESSAGE_LENGTH,
        strip=True,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the rooms this staff user may see: a private or direct room of others is
        # neither listed nor accepted.
        self.fields["room"].queryset = Room.objects.visible_to(user)


class RoomDetailsForm(forms.Form):
    """A room's name and description (the service checks the name is free)."""

    title = forms.CharField(label="Name", max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional: what the room is for.",
    )


class NewRoomForm(RoomDetailsForm):
    kind = forms.ChoiceField(
        label="Who can find it",
        choices=[
            (RoomKind.PUBLIC, "Public: everyone sees it in the lobby and can open it"),
            (RoomKind.PRIVATE, "Private: only the people you invite"),
        ],
        initial=RoomKind.PUBLIC,
        widget=forms.RadioSelect,
    )


class InviteForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150)


class DirectForm(forms.Form):
    """The people of a direct conversation besides the user: 1 to MAX_MEMBERS - 1 names."""

    usernames = forms.CharField(label="To", max_length=2000)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.max_others = settings.CHAT_DIRECT_MAX_MEMBERS - 1
        hint = f"1 to {self.max_others} usernames, separated by commas or spaces."
        self.fields["usernames"].help_text = hint

    def clean_usernames(self) -> list[str]:
        typed = re.split(r"[\s,;]+", self.cleaned_data["usernames"])
        names = [name for name in dict.fromkeys(typed) if name]
        too_many = forms.ValidationError(f"At most {self.max_others} people besides you.")
        if len(names) > self.max_others + 1:  # the user may have named themselves too
            raise too_many
        # Each name is looked up here to say which one is wrong; open_direct checks again.
        found = {name: user_named(name) for name in names}
        unknown = [name for name, user in found.items() if user is None]
        if unknown:
            raise forms.ValidationError(f"Nobody here is called {', '.join(unknown)}.")
        others = {user.pk for user in found.values() if user.pk != self.user.pk}
        if not others:
            raise forms.ValidationError("Name at least one other person.")
        if len(others) > self.max_others:
            raise too_many
        return names
