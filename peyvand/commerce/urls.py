"""Commerce pages (orders) and the shops' webhook."""

from django.urls import path

from . import views, webhooks

app_name = "commerce"
urlpatterns = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/import/", views.order_import, name="order_import"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/cancel/", views.order_cancel_view, name="order_cancel"),
    path(
        "webhooks/woocommerce/<slug:slug>/",
        webhooks.woocommerce_webhook,
        name="woocommerce_webhook",
    ),
]
