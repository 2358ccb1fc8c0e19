"""Reads of contacts and companies, always scoped to what the user may see."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from peyvand.accounts.models import ObjectType
from peyvand.accounts.visibility import scope_by_owner
from peyvand.common.persian import normalize_text, search_key

from .models import Company, Contact, CustomField, Tag

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from peyvand.accounts.models import User

CONTACT_SORTS: dict[str, list[str]] = {
    "newest": ["-id"],
    "oldest": ["id"],
    "name": ["last_name", "first_name", "id"],
    "updated": ["-updated_at", "-id"],
}
COMPANY_SORTS: dict[str, list[str]] = {
    "name": ["name", "id"],
    "newest": ["-id"],
}


def contacts_visible_to(user: User | AnonymousUser | None) -> QuerySet[Contact]:
    """Every contact ``user`` may see (none for anonymous or inactive users); contacts merged
    into another are gone from every list, search and page."""
    return scope_by_owner(
        Contact.objects.filter(merged_into__isnull=True),
        user,
        ObjectType.CONTACT,
        account_team_field="company__account_team",
    )


def is_every_live_contact(contacts: QuerySet[Contact]) -> bool:
    """Whether ``contacts`` is exactly every contact not merged into another (what a viewer
    who sees everything gets from :func:`contacts_visible_to`, unfiltered): then rows kept
    only for live contacts need no join to them."""
    live = Contact.objects.using(contacts.db).filter(merged_into__isnull=True)
    return str(contacts.order_by().query) == str(live.order_by().query)


def companies_visible_to(user: User | AnonymousUser | None) -> QuerySet[Company]:
    """Every company ``user`` may see (key accounts also by their account team); companies
    merged into another are gone from every list, search and page."""
    return scope_by_owner(
        Company.objects.filter(merged_into__isnull=True),
        user,
        ObjectType.COMPANY,
        account_team_field="account_team",
    )


def search_terms(query: str) -> list[str]:
    """The normalized terms of a search box entry: each must appear in the search text."""
    return [key for key in (search_key(word) for word in normalize_text(query).split()) if key]


def apply_search(queryset: QuerySet[Any], query: str) -> QuerySet[Any]:
    """Keep rows whose normalized search text contains every term of ``query``."""
    for term in search_terms(query):
        queryset = queryset.filter(search_text__contains=term)
    return queryset


def custom_field_filter(object_type: str, filters: Mapping[str, str]) -> Q:
    """A Q for ``cf_<key>=value`` filters on filterable custom fields (others are ignored)."""
    from .custom_fields import convert_value

    condition = Q()
    definitions = {
        definition.key: definition
        for definition in CustomField.objects.filter(object_type=object_type, is_filterable=True)
    }
    for name, raw in filters.items():
        if not name.startswith("cf_") or raw in ("", None):
            continue
        definition = definitions.get(name[3:])
        if definition is None:
            continue
        try:
            value = convert_value(definition, raw)
        except Exception:
            return Q(pk__in=[])
        if definition.field_type == "text" and isinstance(value, str):
            condition &= Q(**{f"custom_fields__{definition.key}__icontains": value})
        else:
            condition &= Q(**{f"custom_fields__{definition.key}": value})
    return condition


def contacts_filtered(
    user: User | AnonymousUser | None, filters: Mapping[str, Any]
) -> QuerySet[Contact]:
    """Visible contacts narrowed by the list page / API filters.

    Known filters: ``q`` (search), ``owner`` (user id or ``me`` or ``none``), ``stage``,
    ``tag`` (tag id), ``city``, ``province``, ``company`` (id), ``source`` and ``cf_<key>``.
    """
    queryset = contacts_visible_to(user)
    query = str(filters.get("q") or "").strip()
    if query:
        queryset = apply_search(queryset, query)
    owner = str(filters.get("owner") or "")
    if owner == "me" and user is not None and user.is_authenticated:
        queryset = queryset.filter(owner_id=user.pk)
    elif owner == "none":
        queryset = queryset.filter(owner__isnull=True)
    elif owner.isdigit():
        queryset = queryset.filter(owner_id=int(owner))
    for name, field in (
        ("stage", "lifecycle_stage"),
        ("province", "province"),
        ("source", "source"),
    ):
        value = filters.get(name)
        if value:
            queryset = queryset.filter(**{field: value})
    city = str(filters.get("city") or "").strip()
    if city:
        queryset = queryset.filter(city=normalize_city(city))
    for name, field in (("tag", "tags"), ("company", "company_id")):
        value = str(filters.get(name) or "")
        if value.isdigit():
            queryset = queryset.filter(**{field: int(value)})
    return queryset.filter(custom_field_filter("contact", filters))


def normalize_city(city: str) -> str:
    from peyvand.common.persian import clean_persian

    return clean_persian(city)


def companies_filtered(
    user: User | AnonymousUser | None, filters: Mapping[str, Any]
) -> QuerySet[Company]:
    """Visible companies narrowed by ``q``, ``owner``, ``industry``, ``city``, ``tag``, ``cf_*``."""
    queryset = companies_visible_to(user)
    query = str(filters.get("q") or "").strip()
    if query:
        queryset = apply_search(queryset, query)
    owner = str(filters.get("owner") or "")
    if owner == "me" and user is not None and user.is_authenticated:
        queryset = queryset.filter(owner_id=user.pk)
    elif owner.isdigit():
        queryset = queryset.filter(owner_id=int(owner))
    for name in ("industry", "city"):
        value = normalize_city(str(filters.get(name) or ""))
        if value:
            queryset = queryset.filter(**{name: value})
    for name in ("province", "size"):
        value = str(filters.get(name) or "").strip()
        if value:
            queryset = queryset.filter(**{name: value})
    tag = str(filters.get("tag") or "")
    if tag.isdigit():
        queryset = queryset.filter(tags=int(tag))
    return queryset.filter(custom_field_filter("company", filters))


def contact_for_display(user: User | AnonymousUser | None, contact_id: int) -> Contact:
    """One visible contact with what its 360 page needs; raises ``Contact.DoesNotExist``."""
    return (
        contacts_visible_to(user)
        .select_related("owner", "company", "created_by")
        .prefetch_related("phones", "emails", "tags", "consents")
        .get(pk=contact_id)
    )


def global_search(
    user: User | AnonymousUser | None, query: str, *, limit: int = 10
) -> dict[str, list[Any]]:
    """Contacts and companies matching ``query``, each list at most ``limit`` long."""
    if not search_terms(query):
        return {"contacts": [], "companies": []}
    contacts = list(
        apply_search(contacts_visible_to(user), query)
        .select_related("company")
        .prefetch_related("phones")
        .order_by("-id")[:limit]
    )
    companies = list(apply_search(companies_visible_to(user), query).order_by("-id")[:limit])
    return {"contacts": contacts, "companies": companies}


def tags_all() -> QuerySet[Tag]:
    return Tag.objects.all()


def contact_first_email(contact: Contact | None) -> str:
    """The contact's first email address (in ``ContactEmail``'s own order), ``""`` when
    there is no contact or it has no email."""
    if contact is None:
        return ""
    return contact.emails.values_list("address", flat=True).first() or ""
