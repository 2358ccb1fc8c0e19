"""Service desk pages (the agent's side): ticket inbox and pages, reports."""

from django.urls import URLPattern

app_name = "service"
urlpatterns: list[URLPattern] = []
