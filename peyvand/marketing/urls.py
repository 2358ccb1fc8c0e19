"""Marketing pages: segments and their rule builder."""

from django.urls import URLPattern, path

from . import views

app_name = "marketing"
urlpatterns: list[URLPattern] = [
    path("segments/", views.segment_list, name="segment_list"),
    path("segments/new/", views.segment_create_view, name="segment_create"),
    path("segments/add/", views.add_contacts, name="add_contacts"),
    path("segments/builder/row/", views.builder_row, name="builder_row"),
    path("segments/builder/group/", views.builder_group, name="builder_group"),
    path("segments/builder/params/", views.builder_params, name="builder_params"),
    path("segments/builder/count/", views.builder_count, name="builder_count"),
    path("segments/<int:segment_id>/", views.segment_detail, name="segment_detail"),
    path("segments/<int:segment_id>/edit/", views.segment_edit, name="segment_edit"),
    path("segments/<int:segment_id>/delete/", views.segment_delete_view, name="segment_delete"),
    path("segments/<int:segment_id>/count/", views.segment_count_view, name="segment_count"),
    path("segments/<int:segment_id>/remove/", views.segment_remove_view, name="segment_remove"),
]

# Campaign pages (peyvand/marketing/campaigns/urls.py).
from .campaigns.urls import urlpatterns as campaign_urlpatterns  # noqa: E402

urlpatterns += campaign_urlpatterns
# Journeys (workflow automation) live in their own package.
from .journeys.urls import urlpatterns as journey_urlpatterns  # noqa: E402

urlpatterns += journey_urlpatterns
