from django.urls import path

from . import dashboard_views, views

app_name = "intelligence"

urlpatterns = [
    path("", dashboard_views.insights_page, name="insights"),
    path("charts/<slug:chart_key>.csv", dashboard_views.chart_csv, name="chart_csv"),
    path("pins/", dashboard_views.chart_pin_toggle, name="chart_pin"),
    path("rfm/", views.rfm_page, name="rfm"),
    path("rfm/recompute/", views.rfm_recompute, name="rfm_recompute"),
]
