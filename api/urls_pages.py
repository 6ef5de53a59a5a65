"""The API's pages on the site (not under /api/v1/): tokens and a room's webhooks."""

from django.urls import path

from . import pages

urlpatterns = [
    path("accounts/tokens/", pages.tokens, name="api_tokens"),
    path("accounts/tokens/<int:token_id>/revoke/", pages.revoke, name="api_token_revoke"),
    path("rooms/<int:room_id>/integrations/", pages.integrations, name="api_integrations"),
    path(
        "rooms/<int:room_id>/integrations/<int:hook_id>/delete/",
        pages.delete_integration,
        name="api_integration_delete",
    ),
]
