"""Sign-in with throttling, language choice, personal API tokens and administrator settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.contacts.models import CustomField
from peyvand.contacts.services import custom_field_save
from peyvand.web.form_errors import add_service_errors

from . import services, throttle
from .forms import CustomFieldForm, LoginForm, TeamForm, TokenForm, UserForm, VisibilityForm
from .models import ApiToken, ObjectType, Team, User, VisibilityPolicy
from .permissions import has_permission
from .request import AuthenticatedRequest
from .tokens import api_token_create, api_token_revoke
from .visibility import visibility_level


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "unknown"))


class ThrottledLoginView(auth_views.LoginView):
    """Django's login, refusing more than N failed attempts per username and per address."""

    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = str(request.POST.get("username", "")).strip().lower()
        address = client_address(request)
        if throttle.is_throttled("login-user", username) or throttle.is_throttled(
            "login-ip", address, limit=settings.PEYVAND_LOGIN_ATTEMPTS_PER_ADDRESS
        ):
            # An unbound form: validating the posted one would still check the password
            # (a costly hash per refused attempt, and an answer nobody should get).
            form = self.form_class(request, initial={"username": request.POST.get("username", "")})
            form.cleaned_data = {}
            form.add_error(None, _("Too many failed attempts. Wait a few minutes and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        throttle.record_attempt(
            "login-user", str(self.request.POST.get("username", "")).strip().lower()
        )
        throttle.record_attempt("login-ip", client_address(self.request))
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        throttle.reset_attempts(
            "login-user", str(self.request.POST.get("username", "")).strip().lower()
        )
        return super().form_valid(form)


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Password reset by email, limited per address so it cannot be used to spam."""

    template_name = "accounts/password/form.html"
    email_template_name = "registration/password_reset_email.txt"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        address = client_address(request)
        if throttle.is_throttled("password-reset", address):
            form: PasswordResetForm = self.get_form()
            form.add_error(None, _("Too many requests. Wait a few minutes and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        throttle.record_attempt("password-reset", address)
        return super().post(request, *args, **kwargs)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language (stored on the user, or in a cookie before login)."""
    language = request.POST.get("language", "fa")
    if language not in {"fa", "en"}:
        language = "fa"
    if request.user.is_authenticated:
        services.user_set_language(user=request.user, language=language)
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = redirect(target)
    response.set_cookie("peyvand_language", language, samesite="Lax", max_age=365 * 24 * 3600)
    return response


@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    """The user's own page: their API tokens (create, revoke, last use)."""
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request, "accounts/profile.html", {"form": form, "tokens": tokens, "new_token": new_token}
    )


@login_required
@require_POST
def token_revoke(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404
    api_token_revoke(token=token)
    messages.success(request, _("Token revoked."))
    return redirect("accounts:profile")


def _require_admin(request: AuthenticatedRequest) -> None:
    if not has_permission(request.user, "write", "settings"):
        raise PermissionDenied


@login_required
def settings_home(request: AuthenticatedRequest) -> HttpResponse:
    _require_admin(request)
    visibility_form = VisibilityForm(request.POST or None, prefix="visibility")
    if request.method == "POST" and visibility_form.is_valid():
        services.visibility_set(actor=request.user, **visibility_form.cleaned_data)
        messages.success(request, _("Visibility saved."))
        return redirect("accounts:settings")
    context = {
        "users": User.objects.prefetch_related("teams").order_by("username"),
        "teams": Team.objects.prefetch_related("members"),
        "custom_fields": CustomField.objects.all(),
        "visibility": [(label, visibility_level(value)) for value, label in ObjectType.choices],
        "visibility_form": visibility_form,
        "policies": VisibilityPolicy.objects.all(),
    }
    return render(request, "accounts/settings.html", context)


@login_required
def user_edit(request: AuthenticatedRequest, user_id: int | None = None) -> HttpResponse:
    _require_admin(request)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    if user_id and user is None:
        raise Http404
    initial: dict[str, Any] = {}
    if user is not None:
        initial = {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "role": user.role,
            "language": user.language,
            "teams": list(user.teams.all()),
            "is_active": user.is_active,
        }
    form = UserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        teams = data.pop("teams")
        password = data.pop("password") or None
        try:
            if user is None:
                services.user_create(
                    actor=request.user, values=data, password=password, teams=teams
                )
            else:
                services.user_update(actor=request.user, user=user, values=data, teams=teams)
                if password:
                    services.user_set_password(actor=request.user, user=user, password=password)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("User saved."))
            return redirect("accounts:settings")
    return render(request, "accounts/user_form.html", {"form": form, "edited": user})


@login_required
def team_edit(request: AuthenticatedRequest, team_id: int | None = None) -> HttpResponse:
    _require_admin(request)
    team = Team.objects.filter(pk=team_id).first() if team_id else None
    if team_id and team is None:
        raise Http404
    initial = {"name": team.name, "description": team.description} if team else {}
    form = TeamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_save(actor=request.user, values=form.cleaned_data, team=team)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Team saved."))
            return redirect("accounts:settings")
    return render(request, "accounts/simple_form.html", {"form": form, "title": _("Team")})


@login_required
def custom_field_edit(request: AuthenticatedRequest, field_id: int | None = None) -> HttpResponse:
    _require_admin(request)
    field = CustomField.objects.filter(pk=field_id).first() if field_id else None
    if field_id and field is None:
        raise Http404
    initial: dict[str, Any] = {}
    if field is not None:
        initial = {
            name: getattr(field, name) for name in CustomFieldForm.base_fields if name != "choices"
        }
        initial["choices"] = "\n".join(map(str, field.choices))
    form = CustomFieldForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        values["choices"] = [
            line.strip() for line in values.get("choices", "").splitlines() if line.strip()
        ]
        try:
            custom_field_save(actor=request.user, values=values, field=field)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Custom field saved."))
            return redirect("accounts:settings")
    return render(request, "accounts/simple_form.html", {"form": form, "title": _("Custom field")})
