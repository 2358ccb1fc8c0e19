"""Campaign pages, added to the marketing URL namespace (``/marketing/campaigns/``)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create_view, name="campaign_create"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:campaign_id>/edit/", views.campaign_edit, name="campaign_edit"),
    path(
        "campaigns/<int:campaign_id>/progress/", views.campaign_progress, name="campaign_progress"
    ),
    path("campaigns/<int:campaign_id>/preview/", views.campaign_preview, name="campaign_preview"),
    path("campaigns/<int:campaign_id>/launch/", views.campaign_launch_view, name="campaign_launch"),
    path(
        "campaigns/<int:campaign_id>/schedule/",
        views.campaign_schedule_view,
        name="campaign_schedule",
    ),
    path("campaigns/<int:campaign_id>/cancel/", views.campaign_cancel_view, name="campaign_cancel"),
]
