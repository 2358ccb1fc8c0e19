"""Messaging URLs: the staff's outbox page and the public endpoints (unsubscribe, tracking,
bounce and SMS callbacks)."""

from django.urls import URLPattern, path

from . import public_views, views

app_name = "messaging"
urlpatterns: list[URLPattern] = [
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<int:message_id>/resend/", views.outbox_resend_view, name="outbox_resend"),
    path("u/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("o/<str:token>/", public_views.open_pixel, name="open"),
    path("c/<str:token>/", public_views.click, name="click"),
    path("email/bounces/", public_views.bounce_webhook, name="bounces"),
    path(
        "sms/<str:gateway>/delivery/<str:secret>/",
        public_views.sms_delivery,
        name="sms_delivery",
    ),
    path("sms/<str:gateway>/inbound/<str:secret>/", public_views.sms_inbound, name="sms_inbound"),
]
