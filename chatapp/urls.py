from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from accounts.views import admin_login

urlpatterns = [
    # Before the admin's own URLs: its login has no throttle, so it hands over to allauth's.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("", include("api.urls_pages")),  # before allauth's: /accounts/tokens/
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("api.urls")),
    path("", include("attachments.urls")),
    path("", include("rooms.urls")),
]

# The demo of every documented websocket feature: delete chatapp/features/ and its line
# in INSTALLED_APPS, and the site runs without it.
if apps.is_installed("chatapp.features"):
    urlpatterns.insert(-1, path("features/", include("chatapp.features.urls")))
