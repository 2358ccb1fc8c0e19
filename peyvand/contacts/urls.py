from django.urls import path

from . import import_views, merge_views, views

app_name = "contacts"
urlpatterns = [
    path("", views.contact_list, name="list"),
    path("new/", views.contact_create, name="create"),
    path("export.csv", views.contact_export, name="export"),
    path("export/", views.contact_export, name="export_as"),
    path("exports/<int:job_id>/", views.export_detail, name="export_detail"),
    path("exports/<int:job_id>/download/", views.export_download, name="export_download"),
    path("companies/export/", views.company_export, name="company_export"),
    path("bulk/", views.contact_bulk, name="bulk"),
    path("<int:contact_id>/", views.contact_detail, name="detail"),
    path("<int:contact_id>/edit/", views.contact_edit, name="edit"),
    path("<int:contact_id>/delete/", views.contact_delete, name="delete"),
    path("<int:contact_id>/consent/", views.contact_consent, name="consent"),
    path("import/", import_views.import_list, name="import_list"),
    path("import/<int:job_id>/", import_views.import_detail, name="import_detail"),
    path("import/<int:job_id>/progress/", import_views.import_progress, name="import_progress"),
    path("import/<int:job_id>/run/", import_views.import_run, name="import_run"),
    path("import/<int:job_id>/rejects.csv", import_views.import_rejects, name="import_rejects"),
    path("duplicates/", merge_views.duplicate_queue, name="duplicates"),
    path("duplicates/scan/", merge_views.duplicate_scan_now, name="duplicates_scan"),
    path(
        "duplicates/<int:candidate_id>/dismiss/",
        merge_views.duplicate_dismiss_view,
        name="duplicate_dismiss",
    ),
    path(
        "duplicates/companies/<int:candidate_id>/dismiss/",
        merge_views.duplicate_dismiss_view,
        {"kind": "companies"},
        name="company_duplicate_dismiss",
    ),
    path("merge/", merge_views.merge_contacts, name="merge"),
    path("companies/merge/", merge_views.merge_companies, name="company_merge"),
    path(
        "companies/merges/<int:merge_id>/undo/",
        merge_views.merge_undo,
        {"kind": "companies"},
        name="company_merge_undo",
    ),
    path("merges/<int:merge_id>/undo/", merge_views.merge_undo, name="merge_undo"),
    path("companies/", views.company_list, name="company_list"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/options/", views.company_autocomplete, name="company_options"),
    path("companies/<int:company_id>/", views.company_detail, name="company_detail"),
    path("companies/<int:company_id>/edit/", views.company_edit, name="company_edit"),
    path("companies/<int:company_id>/delete/", views.company_delete, name="company_delete"),
]
