"""Pick the language of each request: the API follows Accept-Language, pages the user's choice."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

_SUPPORTED = {"fa", "en"}


def language_for(request: HttpRequest) -> str:
    """The request's language: the API's Accept-Language, else the user's, else Farsi."""
    if request.path.startswith("/api/") and request.headers.get("Accept-Language"):
        chosen = translation.get_language_from_request(request)
        return chosen if chosen in _SUPPORTED else "fa"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in _SUPPORTED:
        return str(user.language)
    cookie = request.COOKIES.get("peyvand_language")
    if cookie in _SUPPORTED:
        return str(cookie)
    return "fa"


class UserLanguageMiddleware:
    """Activates the chosen language for the request and sets Content-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language() or language)
        translation.deactivate()
        return response
