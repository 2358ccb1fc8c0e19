"""One error shape for the whole API, in the request's language.

``{"detail": [{"loc": ["body", "phones"], "field": "phones", "msg": "…", "type": "invalid"}]}``
for 422; ``{"detail": "…"}`` for 401/403/404. Pydantic's English messages are replaced by
our translated ones, so ``Accept-Language: fa`` gets Farsi everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

if TYPE_CHECKING:
    from ninja import NinjaAPI


def _pydantic_message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "string_too_short" and context.get("min_length") == 1:
        return _("This field is required.")
    if kind == "greater_than_equal":
        # Django's own catalog translates this one.
        return _("Ensure this value is greater than or equal to %(limit_value)s.") % {
            "limit_value": context.get("ge")
        }
    messages = {
        "missing": _("This field is required."),
        "string_type": _("Enter text."),
        "string_too_long": _("This text is too long."),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "bool_parsing": _("Enter true or false."),
        "list_type": _("Send a list."),
        "dict_type": _("Send an object."),
        "date_from_datetime_parsing": _("Enter a valid date (YYYY-MM-DD)."),
        "date_parsing": _("Enter a valid date (YYYY-MM-DD)."),
        "date_type": _("Enter a valid date (YYYY-MM-DD)."),
        "datetime_parsing": _("Enter a valid date and time (ISO 8601)."),
        "datetime_from_date_parsing": _("Enter a valid date and time (ISO 8601)."),
        "datetime_type": _("Enter a valid date and time (ISO 8601)."),
        "enum": _("Choose one of the allowed values."),
        "literal_error": _("Choose one of the allowed values."),
        "extra_forbidden": _("This field is not allowed."),
        "json_invalid": _("The request body is not valid JSON."),
        "model_attributes_type": _("The request body must be a JSON object."),
    }
    return messages.get(kind, str(error.get("msg", _("This value is not valid."))))


def _ninja_validation(
    request: HttpRequest, exc: NinjaValidationError, api: NinjaAPI
) -> HttpResponse:
    detail = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())]
        field_parts = location[1:] if location and location[0] in {"body", "query", "path"} else []
        if field_parts and field_parts[0] == "payload":
            field_parts = field_parts[1:]
        detail.append(
            {
                "loc": location,
                "field": ".".join(field_parts),
                "msg": _pydantic_message(error),
                "type": error.get("type", "invalid"),
            }
        )
    return api.create_response(request, {"detail": detail}, status=422)


# Services name relations as the model does; API clients send them as ``<name>_id``.
_API_FIELD_NAMES = {
    "owner": "owner_id",
    "assignee": "assignee_id",
    "company": "company_id",
    "contact": "contact_id",
    "pipeline": "pipeline_id",
    "stage": "stage_id",
    "other_contacts": "other_contact_ids",
    "account_team": "account_team_id",
    "category": "category_id",
    "team": "team_id",
    "deal": "deal_id",
    "target": "target_id",
}


def django_errors_as_detail(error: DjangoValidationError) -> list[dict[str, Any]]:
    """Flatten a Django ``ValidationError`` into the API's field-level list."""
    detail: list[dict[str, Any]] = []
    if hasattr(error, "error_dict"):
        for model_field, errors in error.error_dict.items():
            field = _API_FIELD_NAMES.get(model_field, model_field)
            for item in errors:
                for message in item.messages:
                    detail.append(
                        {
                            "loc": ["body", *field.split(".")],
                            "field": field,
                            "msg": message,
                            "type": item.code or "invalid",
                        }
                    )
    else:
        for item in error.error_list:
            for message in item.messages:
                detail.append(
                    {"loc": ["body"], "field": "", "msg": message, "type": item.code or "invalid"}
                )
    return detail


def install_error_handlers(api: NinjaAPI) -> None:
    """Register the project's handlers on ``api``."""

    def validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return _ninja_validation(request, exc, api)

    def django_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, {"detail": django_errors_as_detail(exc)}, status=422)

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, {"detail": _("Not found.")}, status=404)

    def forbidden(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(
            request, {"detail": _("You do not have permission to do this.")}, status=403
        )

    def unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(
            request, {"detail": _("Authentication required: send a valid API token.")}, status=401
        )

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)

    api.add_exception_handler(NinjaValidationError, validation)
    api.add_exception_handler(DjangoValidationError, django_validation)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(ObjectDoesNotExist, not_found)
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(HttpError, http_error)
