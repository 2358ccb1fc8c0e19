"""URL map: the web UI, the API at /api/v1/, accounts, and Django admin at /admin/."""

from django.contrib import admin
from django.urls import include, path

from peyvand.accounts.urls import app_patterns
from peyvand.api.urls import api
from peyvand.knowledge.urls import public_patterns as help_patterns
from peyvand.sales.urls import public_patterns as public_form_patterns
from peyvand.service.support_views import support_request

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("peyvand.accounts.urls")),
    path("accounts/", include((app_patterns, "accounts"))),
    path("contacts/", include("peyvand.contacts.urls")),
    path("tasks/", include("peyvand.timeline.urls")),
    path("sales/", include("peyvand.sales.urls")),
    path("service/", include("peyvand.service.urls")),
    path("feedback/", include("peyvand.feedback.urls")),
    path("commerce/", include("peyvand.commerce.urls")),
    path("integrations/", include("peyvand.integrations.urls")),
    path("messaging/", include("peyvand.messaging.urls")),
    path("kb/", include("peyvand.knowledge.urls")),
    path("insights/", include("peyvand.intelligence.urls")),
    path("marketing/", include("peyvand.marketing.urls")),
    path("help/", include((help_patterns, "help"))),
    path("f/", include((public_form_patterns, "public"))),
    path("support/", support_request, name="support_request"),
    path("portal/", include("peyvand.portal.urls")),
    path("", include("peyvand.web.urls")),
]
