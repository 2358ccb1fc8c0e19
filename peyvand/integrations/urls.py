"""Integration endpoints called by other systems: the inbound email webhook."""

from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("email/inbound/", views.email_inbound, name="email_inbound"),
]
