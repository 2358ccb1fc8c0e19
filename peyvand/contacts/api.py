"""REST endpoints for contacts and companies (``/api/v1/contacts``, ``/api/v1/companies``)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.api.common import PageOut, cursor_page, resolve_relations

from . import services
from .merging import possible_company_duplicates, possible_duplicates
from .models import Company, Contact
from .selectors import (
    COMPANY_SORTS,
    CONTACT_SORTS,
    companies_filtered,
    companies_visible_to,
    contacts_filtered,
    contacts_visible_to,
)

router = Router(tags=["contacts"])


class ConsentOut(Schema):
    channel: str
    status: str
    method: str
    recorded_at: datetime.datetime


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    full_name: str
    phones: list[str]
    emails: list[str]
    national_id: str
    birthday: datetime.date | None
    gender: str
    job_title: str
    company_id: int | None
    province: str
    city: str
    address: str
    postal_code: str
    source: str
    lifecycle_stage: str
    owner_id: int | None
    tags: list[str]
    interests: str
    concerns: str
    description: str
    custom_fields: dict[str, Any]
    consents: list[ConsentOut]
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_phones(obj: Contact) -> list[str]:
        return [phone.number for phone in obj.phones.all()]

    @staticmethod
    def resolve_emails(obj: Contact) -> list[str]:
        return [email.address for email in obj.emails.all()]

    @staticmethod
    def resolve_tags(obj: Contact) -> list[str]:
        return [tag.name for tag in obj.tags.all()]

    @staticmethod
    def resolve_consents(obj: Contact) -> list[Any]:
        return list(obj.consents.all())


class ContactIn(Schema):
    """Fields of a contact; on PATCH send only those to change."""

    model_config = ConfigDict(extra="forbid")

    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    phones: list[str] = []
    emails: list[str] = []
    national_id: str = ""
    birthday: datetime.date | None = None
    gender: str = ""
    job_title: str = ""
    company_id: int | None = None
    province: str = ""
    city: str = ""
    address: str = ""
    postal_code: str = ""
    source: str = ""
    lifecycle_stage: str = "lead"
    owner_id: int | None = None
    tags: list[str] = []
    interests: str = ""
    concerns: str = ""
    description: str = ""
    custom_fields: dict[str, Any] = {}
    allow_duplicate: bool = False


class ContactFilters(Schema):
    search: str = ""
    owner: str = ""
    stage: str = ""
    tag: str = ""
    city: str = ""
    province: str = ""
    company: str = ""
    source: str = ""
    sort: str = "newest"
    cursor: str | None = None
    limit: int = 50


class ConsentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    channel: str
    status: str
    method: str = "api"
    note: str = ""


def _contacts_with_children(queryset: Any) -> Any:
    return queryset.prefetch_related("phones", "emails", "tags", "consents")


@router.get("/contacts", response=PageOut[ContactOut], summary="List contacts")
def list_contacts(request: AuthenticatedRequest, filters: Query[ContactFilters]) -> dict[str, Any]:
    """Visible contacts, filtered; ``search`` is Persian-normalized; cursor pagination."""
    require_permission(request.user, "read", "contacts")
    extra = {key: value for key, value in request.GET.items() if key.startswith("cf_")}
    queryset = contacts_filtered(request.user, {**filters.dict(), "q": filters.search, **extra})
    page = cursor_page(
        _contacts_with_children(queryset),
        ordering=CONTACT_SORTS.get(filters.sort, CONTACT_SORTS["newest"]),
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


class DuplicateOut(Schema):
    id: int
    full_name: str
    score: float
    reasons: list[str]


class DuplicateConflictOut(Schema):
    detail: str
    duplicates: list[DuplicateOut]


def _duplicates_conflict(
    detail: str, duplicates: list[tuple[Any, float, list[str]]], name_field: str
) -> Status[Any]:
    """409 listing the likely duplicates (id, name, score, reasons): nothing was saved."""
    return Status(
        409,
        {
            "detail": detail,
            "duplicates": [
                {
                    "id": other.pk,
                    name_field: getattr(other, name_field),
                    "score": round(score, 3),
                    "reasons": reasons,
                }
                for other, score, reasons in duplicates
            ],
        },
    )


@router.post(
    "/contacts",
    response={201: ContactOut, 409: DuplicateConflictOut},
    summary="Create a contact",
    description=(
        "When the contact looks like one that already exists (same phone, email or national "
        "ID, or a very similar name), nothing is saved and 409 lists the likely duplicates; "
        'send `"allow_duplicate": true` to create it anyway.'
    ),
)
def create_contact(request: AuthenticatedRequest, payload: ContactIn) -> Status[Any]:
    require_permission(request.user, "write", "contacts")
    data = payload.dict(exclude_unset=True)
    allow_duplicate = bool(data.pop("allow_duplicate", False))
    values = resolve_relations(request.user, data)
    if not allow_duplicate:
        duplicates = possible_duplicates(request.user, values)
        if duplicates:
            detail = _("This looks like a contact you already have.")
            return _duplicates_conflict(detail, duplicates, "full_name")
    contact = services.contact_create(actor=request.user, values=values)
    return Status(201, _contacts_with_children(Contact.objects).get(pk=contact.pk))


@router.get("/contacts/{contact_id}", response=ContactOut, summary="Get a contact")
def get_contact(request: AuthenticatedRequest, contact_id: int) -> Contact:
    require_permission(request.user, "read", "contacts")
    return _contacts_with_children(contacts_visible_to(request.user)).get(pk=contact_id)


@router.patch("/contacts/{contact_id}", response=ContactOut, summary="Change a contact")
def update_contact(request: AuthenticatedRequest, contact_id: int, payload: ContactIn) -> Contact:
    require_permission(request.user, "write", "contacts")
    contact = contacts_visible_to(request.user).get(pk=contact_id)
    data = payload.dict(exclude_unset=True, exclude={"allow_duplicate"})
    values = resolve_relations(request.user, data)
    services.contact_update(actor=request.user, contact=contact, values=values)
    return _contacts_with_children(Contact.objects).get(pk=contact.pk)


@router.delete("/contacts/{contact_id}", response={204: None}, summary="Delete a contact")
def delete_contact(request: AuthenticatedRequest, contact_id: int) -> Status[None]:
    require_permission(request.user, "delete", "contacts")
    contact = contacts_visible_to(request.user).get(pk=contact_id)
    services.contact_delete(actor=request.user, contact=contact)
    return Status(204, None)


@router.post(
    "/contacts/{contact_id}/consents", response=ContactOut, summary="Record consent on a channel"
)
def set_consent(request: AuthenticatedRequest, contact_id: int, payload: ConsentIn) -> Contact:
    require_permission(request.user, "write", "contacts")
    contact = contacts_visible_to(request.user).get(pk=contact_id)
    services.contact_set_consent(actor=request.user, contact=contact, **payload.dict())
    return _contacts_with_children(Contact.objects).get(pk=contact.pk)


class CompanyOut(Schema):
    id: int
    name: str
    national_id: str
    economic_code: str
    industry: str
    size: str
    website: str
    email: str
    phones: list[str]
    province: str
    city: str
    address: str
    postal_code: str
    description: str
    owner_id: int | None
    is_key_account: bool
    account_team_id: int | None
    tags: list[str]
    custom_fields: dict[str, Any]
    people_count: int = 0
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_tags(obj: Company) -> list[str]:
        return [tag.name for tag in obj.tags.all()]

    @staticmethod
    def resolve_people_count(obj: Company) -> int:
        return int(getattr(obj, "people_total", 0) or 0)


class CompanyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=200)
    national_id: str = ""
    economic_code: str = ""
    industry: str = ""
    size: str = ""
    website: str = ""
    email: str = ""
    phones: list[str] = []
    province: str = ""
    city: str = ""
    address: str = ""
    postal_code: str = ""
    description: str = ""
    owner_id: int | None = None
    is_key_account: bool = False
    account_team_id: int | None = None
    tags: list[str] = []
    custom_fields: dict[str, Any] = {}
    allow_duplicate: bool = False


class CompanyDuplicateOut(Schema):
    id: int
    name: str
    score: float
    reasons: list[str]


class CompanyConflictOut(Schema):
    detail: str
    duplicates: list[CompanyDuplicateOut]


class CompanyFilters(Schema):
    search: str = ""
    owner: str = ""
    industry: str = ""
    city: str = ""
    tag: str = ""
    sort: str = "name"
    cursor: str | None = None
    limit: int = 50


def _companies_with_children(queryset: Any) -> Any:
    from django.db.models import Count

    return queryset.prefetch_related("tags").annotate(people_total=Count("people"))


@router.get("/companies", response=PageOut[CompanyOut], summary="List companies")
def list_companies(request: AuthenticatedRequest, filters: Query[CompanyFilters]) -> dict[str, Any]:
    require_permission(request.user, "read", "companies")
    extra = {key: value for key, value in request.GET.items() if key.startswith("cf_")}
    queryset = companies_filtered(request.user, {**filters.dict(), "q": filters.search, **extra})
    page = cursor_page(
        _companies_with_children(queryset),
        ordering=COMPANY_SORTS.get(filters.sort, COMPANY_SORTS["name"]),
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(
    "/companies",
    response={201: CompanyOut, 409: CompanyConflictOut},
    summary="Create a company",
    description=(
        "When the company looks like one that already exists (same national ID or phone, or "
        "a very similar name once the legal form is set aside), nothing is saved and 409 "
        "lists the likely "
        'duplicates; send `"allow_duplicate": true` to create it anyway.'
    ),
)
def create_company(request: AuthenticatedRequest, payload: CompanyIn) -> Status[Any]:
    require_permission(request.user, "write", "companies")
    data = payload.dict(exclude_unset=True)
    allow_duplicate = bool(data.pop("allow_duplicate", False))
    values = resolve_relations(request.user, data)
    if not allow_duplicate:
        duplicates = possible_company_duplicates(request.user, values)
        if duplicates:
            detail = _("This looks like a company you already have.")
            return _duplicates_conflict(detail, duplicates, "name")
    company = services.company_create(actor=request.user, values=values)
    return Status(201, _companies_with_children(Company.objects).get(pk=company.pk))


@router.get("/companies/{company_id}", response=CompanyOut, summary="Get a company")
def get_company(request: AuthenticatedRequest, company_id: int) -> Company:
    require_permission(request.user, "read", "companies")
    return _companies_with_children(companies_visible_to(request.user)).get(pk=company_id)


@router.patch("/companies/{company_id}", response=CompanyOut, summary="Change a company")
def update_company(request: AuthenticatedRequest, company_id: int, payload: CompanyIn) -> Company:
    require_permission(request.user, "write", "companies")
    company = companies_visible_to(request.user).get(pk=company_id)
    data = payload.dict(exclude_unset=True, exclude={"allow_duplicate"})
    values = resolve_relations(request.user, data)
    services.company_update(actor=request.user, company=company, values=values)
    return _companies_with_children(Company.objects).get(pk=company.pk)


@router.delete("/companies/{company_id}", response={204: None}, summary="Delete a company")
def delete_company(request: AuthenticatedRequest, company_id: int) -> Status[None]:
    require_permission(request.user, "delete", "companies")
    company = companies_visible_to(request.user).get(pk=company_id)
    services.company_delete(actor=request.user, company=company)
    return Status(204, None)
