from django.urls import path

from . import views

app_name = "attachments"
urlpatterns = [
    path("rooms/<int:room_id>/attachments/", views.upload, name="upload"),
    # Before the file's own: a file is never named "thumbnail" (its name always has an
    # extension: attachments.content.clean_name).
    path("files/<int:attachment_id>/thumbnail", views.serve_thumbnail, name="thumbnail"),
    path("files/<int:attachment_id>/<str:name>", views.serve_file, name="file"),
]
