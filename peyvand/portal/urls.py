"""The customer portal at /portal/ (public pages; no staff login involved)."""

from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("tickets/", views.ticket_list, name="tickets"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/new/suggestions/", views.suggestions, name="suggestions"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:ticket_id>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<int:ticket_id>/solved/", views.ticket_solved, name="ticket_solved"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("quotes/", views.quote_list, name="quotes"),
    path("quotes/<int:quote_id>/pdf/", views.quote_pdf_download, name="quote_pdf"),
    path("profile/", views.profile, name="profile"),
    path("profile/consent/", views.consent, name="consent"),
]
