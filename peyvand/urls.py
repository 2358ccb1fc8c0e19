"""URL map: the web UI, the API at /api/v1/, accounts, and Django admin at /admin/."""

from django.contrib import admin
from django.urls import include, path

from peyvand.accounts.urls import app_patterns
from peyvand.api.urls import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("peyvand.accounts.urls")),
    path("accounts/", include((app_patterns, "accounts"))),
    path("contacts/", include("peyvand.contacts.urls")),
    path("tasks/", include("peyvand.timeline.urls")),
    path("", include("peyvand.web.urls")),
]
