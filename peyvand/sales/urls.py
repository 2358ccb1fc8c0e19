from django.urls import path

from . import forecast_views, lead_views, quote_views, report_views, views, web_form_views

app_name = "sales"
urlpatterns = [
    path("deals/", views.deal_board, name="deal_board"),
    path("deals/list/", views.deal_list, name="deal_list"),
    path("deals/new/", views.deal_create_view, name="deal_create"),
    path("deals/<int:deal_id>/", views.deal_detail, name="deal_detail"),
    path("deals/<int:deal_id>/edit/", views.deal_edit, name="deal_edit"),
    path("deals/<int:deal_id>/delete/", views.deal_delete_view, name="deal_delete"),
    path("deals/<int:deal_id>/move/", views.deal_move, name="deal_move"),
    path("deals/<int:deal_id>/products/", quote_views.deal_products, name="deal_products"),
    path("deals/<int:deal_id>/quotes/new/", quote_views.quote_create_view, name="quote_create"),
    path("quotes/<int:quote_id>/", quote_views.quote_detail, name="quote_detail"),
    path("quotes/<int:quote_id>/edit/", quote_views.quote_edit, name="quote_edit"),
    path("quotes/<int:quote_id>/pdf/", quote_views.quote_pdf_view, name="quote_pdf"),
    path("quotes/<int:quote_id>/send/", quote_views.quote_send_view, name="quote_send"),
    path("quotes/<int:quote_id>/answer/", quote_views.quote_decide_view, name="quote_decide"),
    path("products/", quote_views.product_list, name="product_list"),
    path("products/new/", quote_views.product_create, name="product_create"),
    path("products/<int:product_id>/edit/", quote_views.product_edit, name="product_edit"),
    path("leads/", lead_views.lead_list, name="lead_list"),
    path("leads/new/", lead_views.lead_create_view, name="lead_create"),
    path("leads/<int:lead_id>/", lead_views.lead_detail, name="lead_detail"),
    path("leads/<int:lead_id>/edit/", lead_views.lead_edit, name="lead_edit"),
    path("leads/<int:lead_id>/status/", lead_views.lead_status, name="lead_status"),
    path("leads/<int:lead_id>/convert/", lead_views.lead_convert_view, name="lead_convert"),
    path("leads/<int:lead_id>/delete/", lead_views.lead_delete_view, name="lead_delete"),
    path("forecast/", forecast_views.forecast_page, name="forecast"),
    path("quotas/", forecast_views.quota_page, name="quotas"),
    path("reports/", report_views.reports_page, name="reports"),
    path("forms/", web_form_views.web_form_list, name="web_form_list"),
    path("forms/new/", web_form_views.web_form_create, name="web_form_create"),
    path("forms/<int:form_id>/", web_form_views.web_form_detail, name="web_form_detail"),
    path("forms/<int:form_id>/edit/", web_form_views.web_form_edit, name="web_form_edit"),
]

public_patterns = [
    path("<str:key>/", web_form_views.public_form, name="public_form"),
]
