"""``/kb/``: the editor side of the knowledge base and the answer tools for tickets;
``public_patterns`` are the help centre at ``/help/`` (namespace ``help``)."""

from django.urls import path

from . import answer_views, public_views, views

app_name = "knowledge"
urlpatterns = [
    path("", views.article_list, name="article_list"),
    path("articles/new/", views.article_create, name="article_create"),
    path("articles/preview/", views.article_preview, name="article_preview"),
    path("articles/<int:article_id>/", views.article_detail, name="article_detail"),
    path("articles/<int:article_id>/edit/", views.article_edit, name="article_edit"),
    path("categories/", views.category_list, name="category_list"),
    path("categories/<int:category_id>/edit/", views.category_edit, name="category_edit"),
    path("searches/no-results/", views.no_result_report, name="no_results"),
    path(
        "tickets/<int:ticket_id>/answer/draft/",
        answer_views.answer_draft_create_view,
        name="answer_draft_create",
    ),
    path(
        "tickets/<int:ticket_id>/answer/<int:draft_id>/approve/",
        answer_views.answer_draft_approve_view,
        name="answer_draft_approve",
    ),
    path(
        "tickets/<int:ticket_id>/answer/<int:draft_id>/discard/",
        answer_views.answer_draft_discard_view,
        name="answer_draft_discard",
    ),
]

public_patterns = [
    path("", public_views.help_home, name="home"),
    path("search/", public_views.help_search, name="search"),
    path("categories/<int:category_id>/", public_views.help_category, name="category"),
    path("articles/<int:article_id>/", public_views.help_article, name="article"),
    path("articles/<int:article_id>/vote/", public_views.help_vote, name="vote"),
]
