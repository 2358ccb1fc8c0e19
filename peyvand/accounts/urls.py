from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views

# Our own template names: Django admin (installed first) ships templates under
# ``registration/password_*`` that would otherwise be found before ours.
urlpatterns = [
    path("login/", views.ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(template_name="accounts/password/form.html"),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password/done.html"),
        name="password_change_done",
    ),
    path("password/reset/", views.ThrottledPasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password/done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password/form.html",
            success_url=reverse_lazy("password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password/done.html"),
        name="password_reset_complete",
    ),
]

app_patterns = [
    path("language/", views.set_language, name="language"),
    path("me/", views.profile, name="profile"),
    path("me/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("settings/", views.settings_home, name="settings"),
    path("settings/users/new/", views.user_edit, name="user_create"),
    path("settings/users/<int:user_id>/", views.user_edit, name="user_edit"),
    path("settings/teams/new/", views.team_edit, name="team_create"),
    path("settings/teams/<int:team_id>/", views.team_edit, name="team_edit"),
    path("settings/fields/new/", views.custom_field_edit, name="custom_field_create"),
    path("settings/fields/<int:field_id>/", views.custom_field_edit, name="custom_field_edit"),
]
