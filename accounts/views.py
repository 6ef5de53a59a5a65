from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache


@never_cache
def admin_login(request: HttpRequest) -> HttpResponse:
    """Stands in for Django admin's own login, which has no brute-force throttle.

    Anonymous visitors (GET or POST alike: posted credentials are never checked
    here) go to allauth's login, whose ACCOUNT_RATE_LIMITS lock-out then covers the
    admin too. A staff member already logged in goes on to the admin. A logged-in
    user without admin access gets a 403 page, not allauth's login: allauth sends
    logged-in users straight back to `next` (/admin/), and the admin would send
    them here again, for ever.
    """
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")
    if admin.site.has_permission(request):
        return redirect(next_url)
    return render(request, "accounts/admin_no_access.html", status=403)
