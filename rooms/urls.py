from django.urls import path

from . import views, views_rooms, views_search

app_name = "rooms"
urlpatterns = [
    path("", views.lobby, name="lobby"),
    path("search/", views_search.search, name="search"),
    path("rooms/<int:room_id>/", views.lobby, name="room"),
    path("rooms/<int:room_id>/messages/", views.older_messages, name="older_messages"),
    path("rooms/send/", views.backend_send, name="send"),
    # Rooms users make and run (rooms/views_rooms.py).
    path("rooms/new/", views_rooms.new_room, name="new_room"),
    path("rooms/direct/new/", views_rooms.new_direct, name="new_direct"),
    path("rooms/<int:room_id>/settings/", views_rooms.room_settings, name="settings"),
    path("rooms/<int:room_id>/settings/rename/", views_rooms.rename_room, name="rename"),
    path("rooms/<int:room_id>/settings/invite/", views_rooms.invite_member, name="invite"),
    path(
        "rooms/<int:room_id>/settings/remove/",
        views_rooms.remove_room_member,
        name="remove_member",
    ),
    path("rooms/<int:room_id>/archive/", views_rooms.archive_room, name="archive"),
    path("rooms/<int:room_id>/leave/", views_rooms.leave, name="leave"),
    path("rooms/<int:room_id>/mute/", views_rooms.mute, name="mute"),
    # Last: /rooms/new/, /rooms/send/ and every /rooms/<id>/ are matched before a slug
    # (Room.get_absolute_url never gives a slug those could take).
    path("rooms/<slug:slug>/", views.room_by_slug, name="room_slug"),
]
