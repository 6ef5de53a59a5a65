"""Tokens and webhooks in the admin: seen and revoked (deleted) there, never made there
(their secrets are shown once, on the pages that make them)."""

from django.contrib import admin

from .models import ApiToken, Webhook


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created", "expires", "last_used"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["user", "name", "prefix", "created", "expires", "last_used"]
    exclude = ["key_hash"]

    def has_add_permission(self, request):
        return False


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["name", "room", "bot", "prefix", "created_by", "created", "last_used"]
    list_select_related = ["room", "bot", "created_by"]
    search_fields = ["name", "room__title"]
    readonly_fields = ["room", "name", "bot", "prefix", "created_by", "created", "last_used"]
    exclude = ["key_hash"]

    def has_add_permission(self, request):
        return False
