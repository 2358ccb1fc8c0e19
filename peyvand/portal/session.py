"""Who is signed in to the portal: a contact id kept in the session under its own keys.

Staff logins use Django's auth keys in the same session machinery; the portal never reads
them and staff pages never read these, so neither kind of sign-in opens the other's pages.
A portal sign-in rotates the session key; it ends on sign-out or after
``PEYVAND_PORTAL_SESSION_SECONDS`` without a request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

from peyvand.contacts.models import Contact

CONTACT_KEY = "portal_contact_id"
SEEN_KEY = "portal_seen_at"
_CACHE_ATTRIBUTE = "_portal_contact"

P = ParamSpec("P")


class PortalRequest(HttpRequest):
    """A request of a signed-in customer: ``portal_contact`` is set (never ``None``)."""

    portal_contact: Contact
    LANGUAGE_CODE: str


def _now() -> int:
    return int(timezone.now().timestamp())


def portal_sign_in(request: HttpRequest, contact: Contact) -> None:
    """Sign ``contact`` in: a new session key (so a key planted before cannot ride along)."""
    request.session.cycle_key()
    request.session[CONTACT_KEY] = contact.pk
    request.session[SEEN_KEY] = _now()
    setattr(request, _CACHE_ATTRIBUTE, contact)


def portal_sign_out(request: HttpRequest) -> None:
    """End the portal sign-in (a staff login in the same browser, if any, is left alone)."""
    had = CONTACT_KEY in request.session
    request.session.pop(CONTACT_KEY, None)
    request.session.pop(SEEN_KEY, None)
    if had:
        request.session.cycle_key()
    setattr(request, _CACHE_ATTRIBUTE, None)


def portal_contact(request: HttpRequest) -> Contact | None:
    """The contact signed in to the portal on this request, or ``None`` (never signed in,
    signed out, idle too long, or the contact is gone or merged into another)."""
    if hasattr(request, _CACHE_ATTRIBUTE):
        cached: Contact | None = getattr(request, _CACHE_ATTRIBUTE)
        return cached
    contact: Contact | None = None
    contact_id = request.session.get(CONTACT_KEY)
    if contact_id is not None:
        seen = int(request.session.get(SEEN_KEY) or 0)
        now = _now()
        if now - seen <= settings.PEYVAND_PORTAL_SESSION_SECONDS:
            contact = Contact.objects.filter(pk=contact_id, merged_into__isnull=True).first()
        if contact is None:
            portal_sign_out(request)
        elif now - seen >= 60:  # write the session at most once a minute
            request.session[SEEN_KEY] = now
    setattr(request, _CACHE_ATTRIBUTE, contact)
    return contact


def portal_required(
    view: Callable[Concatenate[PortalRequest, P], HttpResponseBase],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """For portal pages: a signed-in customer, or a redirect to the sign-in page (back here
    afterwards). The page speaks the customer's chosen language and is never cached."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        contact = portal_contact(request)
        if contact is None:
            target = reverse("portal:sign_in")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return redirect(target)
        portal_request: Any = request
        portal_request.portal_contact = contact
        if contact.language:
            translation.activate(contact.language)
            portal_request.LANGUAGE_CODE = contact.language
        response = view(portal_request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper
