"""Service desk pages (the agent's side): ticket inbox and pages, canned responses."""

from django.urls import URLPattern, path

from . import report_views, views

app_name = "service"
urlpatterns: list[URLPattern] = [
    path("tickets/", views.ticket_inbox, name="inbox"),
    path("tickets/new/", views.ticket_create_view, name="ticket_create"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:ticket_id>/edit/", views.ticket_edit, name="ticket_edit"),
    path("tickets/<int:ticket_id>/reply/", views.ticket_reply_view, name="ticket_reply"),
    path("tickets/<int:ticket_id>/status/", views.ticket_status_view, name="ticket_status"),
    path("tickets/<int:ticket_id>/take/", views.ticket_take, name="ticket_take"),
    path(
        "tickets/<int:ticket_id>/complaint/",
        views.ticket_complaint_view,
        name="ticket_complaint",
    ),
    path("tickets/<int:ticket_id>/merge/", views.ticket_merge_view, name="ticket_merge"),
    path("tickets/<int:ticket_id>/split/", views.ticket_split_view, name="ticket_split"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("canned/", views.canned_list, name="canned_list"),
    path("canned/new/", views.canned_edit, name="canned_create"),
    path("canned/<int:canned_id>/edit/", views.canned_edit, name="canned_edit"),
    path("canned/<int:canned_id>/delete/", views.canned_delete_view, name="canned_delete"),
    path("reports/", report_views.sla_report_page, name="sla_report"),
]
