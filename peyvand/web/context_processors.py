"""Navigation items and the unread-notification count for the base layout."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from peyvand.accounts.permissions import has_permission
from peyvand.intelligence.dashboard import may_view_insights


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [
        ("web:dashboard", _("Dashboard"), "speedometer2"),
        ("contacts:list", _("Contacts"), "people"),
        ("contacts:company_list", _("Companies"), "buildings"),
        ("sales:lead_list", _("Leads"), "funnel"),
        ("sales:deal_board", _("Deals"), "kanban"),
        ("sales:forecast", _("Forecast"), "graph-up-arrow"),
        ("service:inbox", _("Tickets"), "life-preserver"),
        ("commerce:order_list", _("Orders"), "bag"),
        ("timeline:task_list", _("Tasks"), "check2-square"),
        ("service:sla_report", _("Reports"), "bar-chart-line"),
        ("intelligence:insights", _("Insights"), "graph-up"),
        ("marketing:segment_list", _("Marketing"), "megaphone"),
        ("marketing:journey_list", _("Journeys"), "diagram-3"),
        ("knowledge:article_list", _("Knowledge base"), "journal-bookmark"),
    ]
    if not may_view_insights(user):
        items = [item for item in items if item[0] != "intelligence:insights"]
    path = request.path
    nav_items = []
    for name, label, icon in items:
        url = reverse(name)
        active = path == url if url == "/" else path.startswith(url)
        nav_items.append({"url": url, "label": label, "icon": icon, "active": active})
    return {
        "nav_items": nav_items,
        "can_write_marketing": has_permission(user, "write", "marketing"),
        "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
    }
