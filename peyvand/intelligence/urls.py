from django.urls import path

from . import views

app_name = "intelligence"

urlpatterns = [
    path("rfm/", views.rfm_page, name="rfm"),
    path("rfm/recompute/", views.rfm_recompute, name="rfm_recompute"),
]
