"""Service desk pages (the agent's side): ticket inbox and pages, reports."""

from django.urls import URLPattern, path

from . import report_views

app_name = "service"
urlpatterns: list[URLPattern] = [
    # SLA report (feedback branch).
    path("reports/", report_views.sla_report_page, name="sla_report"),
]
