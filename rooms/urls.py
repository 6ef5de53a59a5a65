from django.urls import path

from . import views

app_name = "rooms"
urlpatterns = [
    path("", views.lobby, name="lobby"),
    path("rooms/<int:room_id>/", views.lobby, name="room"),
    path("rooms/<int:room_id>/messages/", views.older_messages, name="older_messages"),
    path("rooms/send/", views.backend_send, name="send"),
]
