from django.urls import path

from . import views

app_name = "timeline"
urlpatterns = [
    path("", views.task_list, name="task_list"),
    path("new/", views.task_create, name="task_create"),
    path("<int:task_id>/", views.task_detail, name="task_detail"),
    path("<int:task_id>/edit/", views.task_edit, name="task_edit"),
    path("<int:task_id>/complete/", views.task_complete, name="task_complete"),
    path("<int:task_id>/delete/", views.task_delete, name="task_delete"),
    path(
        "activity/<str:record_type>/<int:record_id>/",
        views.activity_create,
        name="activity_create",
    ),
    path("timeline/contact/<int:contact_id>/", views.contact_timeline, name="contact_timeline"),
]
