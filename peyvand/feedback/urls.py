"""/feedback/: the report for staff and the customer's survey pages (by token)."""

from django.urls import path

from . import report_views, views

app_name = "feedback"
urlpatterns = [
    path("reports/", report_views.csat_report_page, name="report"),
    path("<str:token>/", views.survey_page, name="survey"),
    path("<str:token>/details/", views.details_page, name="details"),
    path("<str:token>/thanks/", views.thanks_page, name="thanks"),
]
