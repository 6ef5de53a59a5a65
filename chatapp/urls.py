from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("features/", include("chatapp.features.urls")),
    path("", include("rooms.urls")),
]
