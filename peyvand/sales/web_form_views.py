"""Web forms: the builder pages for staff, and the public page visitors fill in (hosted at
``/f/<key>/`` and embeddable by an iframe snippet)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from peyvand.accounts.permissions import has_permission, require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.accounts.throttle import attempt_allowed
from peyvand.accounts.views import client_address
from peyvand.web.form_errors import add_service_errors

from .forms import WebFormForm
from .models import WebForm
from .web_forms import (
    DEFAULT_FIELDS,
    FIELD_TYPES,
    HONEYPOT_FIELD,
    UTM_KEYS,
    is_spam,
    public_form_class,
    web_form_save,
    web_form_submit,
)


@login_required
def web_form_list(request: AuthenticatedRequest) -> HttpResponse:
    require_permission(request.user, "read", "leads")
    forms_ = WebForm.objects.annotate(lead_total=Count("leads")).order_by("name", "id")
    return render(
        request,
        "sales/web_form_list.html",
        {"web_forms": forms_, "can_write": has_permission(request.user, "write", "leads")},
    )


def _builder_rows(web_form: WebForm | None, posted: WebFormForm | None) -> list[dict[str, object]]:
    """One row per possible field: chosen or not, its label and whether it is required; the
    chosen ones first, in the form's order."""
    if posted is not None and posted.is_bound:
        chosen = {row["name"]: row for row in posted.field_rows()}
    else:
        chosen = {row["name"]: row for row in (web_form.fields if web_form else DEFAULT_FIELDS)}
    order = list(chosen) + [name for name in FIELD_TYPES if name not in chosen]
    return [
        {
            "name": name,
            "default_label": FIELD_TYPES[name].label,
            "chosen": name in chosen,
            "label": chosen.get(name, {}).get("label", ""),
            "required": chosen.get(name, {}).get("required", False),
        }
        for name in order
    ]


def _edit(request: AuthenticatedRequest, web_form: WebForm | None) -> HttpResponse:
    require_permission(request.user, "write", "leads")
    form = WebFormForm(request.POST or None, web_form=web_form)
    if request.method == "POST" and form.is_valid():
        try:
            saved = web_form_save(
                actor=request.user,
                values={**form.cleaned_data, "fields": form.field_rows()},
                web_form=web_form,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:web_form_detail", saved.pk)
    context = {
        "form": form,
        "record": web_form,
        "rows": _builder_rows(web_form, form if request.method == "POST" else None),
    }
    return render(request, "sales/web_form_form.html", context)


@login_required
def web_form_create(request: AuthenticatedRequest) -> HttpResponse:
    return _edit(request, None)


@login_required
def web_form_edit(request: AuthenticatedRequest, form_id: int) -> HttpResponse:
    web_form = WebForm.objects.filter(pk=form_id).first()
    if web_form is None:
        raise Http404
    return _edit(request, web_form)


@login_required
def web_form_detail(request: AuthenticatedRequest, form_id: int) -> HttpResponse:
    """The form's public address, the embed snippet and its latest leads."""
    require_permission(request.user, "read", "leads")
    web_form = WebForm.objects.filter(pk=form_id).first()
    if web_form is None:
        raise Http404
    from .selectors import leads_visible_to

    public_url = request.build_absolute_uri(reverse("public:public_form", args=[web_form.key]))
    context = {
        "web_form": web_form,
        "public_url": public_url,
        "embed_snippet": (
            f'<iframe src="{public_url}?embed=1" title="{web_form.title or web_form.name}" '
            'style="width:100%;min-height:560px;border:0" loading="lazy"></iframe>'
        ),
        "leads": leads_visible_to(request.user).filter(web_form=web_form).order_by("-id")[:20],
        "can_write": has_permission(request.user, "write", "leads"),
    }
    return render(request, "sales/web_form_detail.html", context)


@csrf_exempt  # a public form posted from any site; it carries no one's authority
@xframe_options_exempt  # embeddable by the iframe snippet
def public_form(request: HttpRequest, key: str) -> HttpResponse:
    """The hosted form. Bots filling the hidden field get the thank-you page and no lead;
    more than the allowed submissions per address per window get a clear 429."""
    web_form = WebForm.objects.filter(key=key, is_active=True).first()
    if web_form is None:
        raise Http404
    form_class = public_form_class(web_form)
    embed = request.GET.get("embed") == "1"
    tracking = {key_: request.GET.get(key_, "") for key_ in UTM_KEYS}
    tracking["referrer"] = request.GET.get("ref", "") or request.META.get("HTTP_REFERER", "")
    context: dict[str, object] = {
        "web_form": web_form,
        "embed": embed,
        "honeypot": HONEYPOT_FIELD,
        "tracking": tracking,
    }
    if request.method != "POST":
        context["form"] = form_class()
        return render(request, "sales/public_form.html", context)
    if not attempt_allowed(
        "web-form",
        client_address(request),
        limit=settings.PEYVAND_FORM_SUBMISSIONS_PER_ADDRESS,
        window=settings.PEYVAND_FORM_WINDOW_SECONDS,
    ):
        context["form"] = form_class(request.POST)
        context["throttled"] = True
        return render(request, "sales/public_form.html", context, status=429)
    form = form_class(request.POST)
    context["form"] = form
    if is_spam(request.POST):
        context["done"] = True
        return render(request, "sales/public_form.html", context)
    if form.is_valid():
        # The hidden fields carry what the page saw when it was opened; the Referer of this
        # POST is the form page itself, never the visitor's referring page.
        posted_tracking = {
            key_: request.POST.get(key_, "") or request.GET.get(key_, "") for key_ in UTM_KEYS
        }
        posted_tracking["referrer"] = request.POST.get("referrer", "") or request.GET.get("ref", "")
        try:
            web_form_submit(web_form=web_form, answers=form.cleaned_data, tracking=posted_tracking)
        except ValidationError as error:
            add_service_errors(form, error, field_map=_lead_to_form_fields(web_form))
        else:
            if web_form.redirect_url:
                return redirect(web_form.redirect_url)
            context["done"] = True
            return render(request, "sales/public_form.html", context)
    return render(request, "sales/public_form.html", context, status=422)


def _lead_to_form_fields(web_form: WebForm) -> dict[str, str]:
    """Lead field name → the form's field name (they are the same for built-in fields)."""
    return {
        FIELD_TYPES[row["name"]].lead_field: row["name"]
        for row in web_form.fields
        if row["name"] in FIELD_TYPES and FIELD_TYPES[row["name"]].lead_field
    }
