"""Journey pages, included in the marketing URLs (``marketing:journey_*``)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("journeys/", views.journey_list, name="journey_list"),
    path("journeys/new/", views.journey_create_view, name="journey_create"),
    path("journeys/builder/step/", views.builder_step, name="journey_builder_step"),
    path("journeys/builder/trigger/", views.builder_trigger, name="journey_builder_trigger"),
    path(
        "journeys/templates/<slug:key>/",
        views.journey_from_template_view,
        name="journey_from_template",
    ),
    path("journeys/runs/<int:run_id>/", views.run_detail, name="journey_run"),
    path("journeys/contact/<int:contact_id>/", views.contact_journeys, name="contact_journeys"),
    path("journeys/<int:journey_id>/", views.journey_detail, name="journey_detail"),
    path("journeys/<int:journey_id>/edit/", views.journey_edit, name="journey_edit"),
    path(
        "journeys/<int:journey_id>/activate/", views.journey_activate_view, name="journey_activate"
    ),
    path("journeys/<int:journey_id>/pause/", views.journey_pause_view, name="journey_pause"),
    path("journeys/<int:journey_id>/archive/", views.journey_archive_view, name="journey_archive"),
]
