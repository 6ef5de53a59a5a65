from django import forms
from django.conf import settings

from .models import MessageType, Room
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
