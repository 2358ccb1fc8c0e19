"""Every write to contacts, companies, tags and consent goes through these functions.

Each one validates (field-level errors in the active language), writes inside one
transaction, and appends one event per changed record to the timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.permissions import Area, require_permission
from peyvand.common.persian import clean_persian, name_key, search_key
from peyvand.common.validators import (
    normalize_company_national_id,
    normalize_economic_code,
    normalize_email,
    normalize_national_id,
    normalize_phone,
    normalize_postal_code,
    phone_search_forms,
)
from peyvand.timeline.events import event_record, field_changes, snapshot

from .custom_fields import clean_custom_values, searchable_custom_keys, searchable_values
from .models import (
    Channel,
    Company,
    ConsentMethod,
    ConsentStatus,
    Contact,
    ContactConsent,
    ContactEmail,
    ContactPhone,
    CustomField,
    Tag,
)

if TYPE_CHECKING:
    import datetime

    from peyvand.accounts.models import User

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "national_id",
    "birthday",
    "gender",
    "job_title",
    "company",
    "province",
    "city",
    "address",
    "postal_code",
    "source",
    "language",
    "lifecycle_stage",
    "owner",
    "interests",
    "concerns",
    "description",
)
COMPANY_FIELDS = (
    "name",
    "national_id",
    "economic_code",
    "industry",
    "size",
    "website",
    "email",
    "province",
    "city",
    "address",
    "postal_code",
    "description",
    "owner",
    "is_key_account",
    "account_team",
)
# Free text typed by people: stored with Arabic ي/ك folded to Persian and spacing tidied.
_TEXT_FIELDS = frozenset(
    {"first_name", "last_name", "job_title", "city", "address", "interests", "concerns"}
    | {"description", "name", "industry"}
)
_NORMALIZERS = {
    "postal_code": normalize_postal_code,
    "economic_code": normalize_economic_code,
}


def _check(actor: User | None, action: str, area: Area) -> None:
    """System writes (``actor`` None: seeds, tasks) skip the role check; people never do."""
    if actor is not None:
        require_permission(actor, action, area)  # type: ignore[arg-type]


def _clean_scalar(model: type[Model], name: str, value: Any) -> Any:
    if value is None:
        field = model._meta.get_field(name)
        return None if getattr(field, "null", False) else ""
    if isinstance(value, str):
        value = value.strip()
        if name in _TEXT_FIELDS:
            value = clean_persian(value)
        if not value:
            return value
        if name == "national_id":
            normalizer = (
                normalize_company_national_id if model is Company else normalize_national_id
            )
            return normalizer(value)
        if name in _NORMALIZERS:
            return _NORMALIZERS[name](value)
        if name == "email":
            return normalize_email(value)
    return value


def _assign(
    instance: Model, values: Mapping[str, Any], allowed: Sequence[str]
) -> dict[str, list[ValidationError]]:
    """Set the allowed scalar fields on ``instance``; return per-field normalization errors."""
    errors: dict[str, list[ValidationError]] = {}
    for name, value in values.items():
        if name not in allowed:
            continue
        try:
            setattr(instance, name, _clean_scalar(type(instance), name, value))
        except ValidationError as error:
            errors[name] = [error]
    return errors


def _clean_list(
    raw_items: Iterable[str], normalizer: Any, field: str
) -> tuple[list[str], dict[str, list[ValidationError]]]:
    """Normalize a list of phones or emails, dropping blanks and duplicates."""
    cleaned: list[str] = []
    problems: list[ValidationError] = []
    for raw in raw_items:
        text = str(raw).strip()
        if not text:
            continue
        try:
            value = normalizer(text)
        except ValidationError as error:
            problems.append(
                ValidationError(
                    f"«{text}»: {' '.join(error.messages)}",
                    code=getattr(error, "code", None) or "invalid",
                )
            )
            continue
        if value not in cleaned:
            cleaned.append(value)
    return cleaned, ({field: problems} if problems else {})


def _full_clean(instance: Model, errors: dict[str, list[ValidationError]]) -> None:
    try:
        instance.full_clean(
            exclude=[*errors.keys(), "search_text", "name_key"], validate_unique=False
        )
    except ValidationError as error:
        for key, messages in error.error_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def tags_resolve(names: Iterable[str]) -> list[Tag]:
    """The tags with these names (Persian-normalized), created when missing."""
    tags: list[Tag] = []
    for raw in names:
        name = clean_persian(str(raw))
        if not name:
            continue
        if len(name) > 80:
            raise ValidationError(
                {"tags": [ValidationError(_("A tag can be at most 80 characters."), code="long")]}
            )
        tag, _created = Tag.objects.get_or_create(key=search_key(name), defaults={"name": name})
        if tag not in tags:
            tags.append(tag)
    return tags


def contact_search_text(
    contact: Contact,
    phones: Sequence[str],
    emails: Sequence[str],
    *,
    searchable_keys: Sequence[str] | None = None,
) -> str:
    """The normalized text a contact is found by: name key, phone forms, emails, national ID
    and searchable custom values, joined by ``|``. Pass ``searchable_keys`` when building
    many rows at once to skip looking them up per contact."""
    keys = searchable_custom_keys("contact") if searchable_keys is None else searchable_keys
    return search_text_for(
        full_name=contact.full_name,
        national_id=contact.national_id,
        phones=phones,
        emails=emails,
        custom_values=searchable_values(contact.custom_fields, keys),
    )


def search_text_for(
    *,
    full_name: str,
    national_id: str,
    phones: Sequence[str],
    emails: Sequence[str],
    custom_values: Sequence[str] = (),
) -> str:
    """:func:`contact_search_text` from plain values (bulk writers have no instances)."""
    parts = [search_key(full_name), national_id]
    for number in phones:
        parts.extend(phone_search_forms(number))
    parts.extend(emails)
    parts.extend(search_key(value) for value in custom_values)
    return "|".join(part for part in parts if part)


def _contact_state(contact: Contact) -> dict[str, Any]:
    state = snapshot(contact, CONTACT_FIELDS)
    state["custom_fields"] = dict(contact.custom_fields)
    if contact.pk:
        state["phones"] = list(contact.phones.values_list("number", flat=True))
        state["emails"] = list(contact.emails.values_list("address", flat=True))
        state["tags"] = sorted(contact.tags.values_list("name", flat=True))
    return state


def _save_contact(
    *, contact: Contact, values: Mapping[str, Any], is_new: bool
) -> tuple[list[str] | None, list[str] | None]:
    errors = _assign(contact, values, CONTACT_FIELDS)
    phones = emails = None
    if "phones" in values:
        phones, phone_errors = _clean_list(values["phones"] or (), normalize_phone, "phones")
        errors.update(phone_errors)
    if "emails" in values:
        emails, email_errors = _clean_list(values["emails"] or (), normalize_email, "emails")
        errors.update(email_errors)
    if "custom_fields" in values or is_new:
        try:
            contact.custom_fields = clean_custom_values(
                "contact", values.get("custom_fields") or {}, current=contact.custom_fields
            )
        except ValidationError as error:
            for key, messages in error.error_dict.items():
                errors[key] = list(messages)
    if not (contact.first_name or contact.last_name):
        errors.setdefault("last_name", []).append(
            ValidationError(_("Enter a first name or a last name."), code="required")
        )
    _full_clean(contact, errors)
    return phones, emails


def _store_contact_children(
    contact: Contact, phones: list[str] | None, emails: list[str] | None, tags: list[Tag] | None
) -> None:
    if phones is not None:
        contact.phones.all().delete()
        ContactPhone.objects.bulk_create(
            ContactPhone(contact=contact, number=number, position=index)
            for index, number in enumerate(phones)
        )
    if emails is not None:
        contact.emails.all().delete()
        ContactEmail.objects.bulk_create(
            ContactEmail(contact=contact, address=address, position=index)
            for index, address in enumerate(emails)
        )
    if tags is not None:
        contact.tags.set(tags)
    current_phones = (
        phones if phones is not None else list(contact.phones.values_list("number", flat=True))
    )
    current_emails = (
        emails if emails is not None else list(contact.emails.values_list("address", flat=True))
    )
    contact.search_text = contact_search_text(contact, current_phones, current_emails)
    contact.name_key = name_key(contact.first_name, contact.last_name)[:200]
    Contact.objects.filter(pk=contact.pk).update(
        search_text=contact.search_text, name_key=contact.name_key
    )


def contact_create(*, actor: User | None, values: Mapping[str, Any]) -> Contact:
    """Create a contact from field values plus ``phones``, ``emails``, ``tags``, ``custom_fields``.

    Raises ``ValidationError`` keyed by field name when anything is invalid; nothing is saved.
    """
    _check(actor, "write", "contacts")
    contact = Contact(created_by=actor)
    if "owner" not in values and actor is not None:
        contact.owner = actor
    with transaction.atomic():
        phones, emails = _save_contact(contact=contact, values=values, is_new=True)
        tags = tags_resolve(values.get("tags") or ())
        contact.save()
        _store_contact_children(contact, phones or [], emails or [], tags)
        event_record(
            actor=actor,
            verb="contact.created",
            subject=contact,
            contact=contact,
            company=contact.company,
            summary=contact.full_name,
            payload={"changes": field_changes({}, _contact_state(contact))},
        )
    return contact


def contact_update(*, actor: User | None, contact: Contact, values: Mapping[str, Any]) -> Contact:
    """Change the given fields of a contact (a partial update); one event with the field diff."""
    _check(actor, "write", "contacts")
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        before = _contact_state(contact)
        phones, emails = _save_contact(contact=contact, values=values, is_new=False)
        tags = tags_resolve(values["tags"] or ()) if "tags" in values else None
        contact.save()
        _store_contact_children(contact, phones, emails, tags)
        changes = field_changes(before, _contact_state(contact))
        if changes:
            event_record(
                actor=actor,
                verb="contact.updated",
                subject=contact,
                contact=contact,
                company=contact.company,
                summary=contact.full_name,
                payload={"changes": changes},
            )
    return contact


def contact_delete(*, actor: User | None, contact: Contact) -> None:
    """Delete a contact, and the contacts merged into it (they are the same person and would
    otherwise reappear); the event keeps a snapshot of what was removed."""
    _check(actor, "delete", "contacts")
    with transaction.atomic():
        # Snapshot the stored row, not the caller's possibly stale copy.
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        merged = list(Contact.objects.filter(merged_into=contact).values_list("pk", flat=True))
        payload: dict[str, Any] = {"deleted": _contact_state(contact)}
        if merged:
            payload["merged_contacts"] = merged
        event_record(
            actor=actor,
            verb="contact.deleted",
            subject=contact,
            company=contact.company,
            summary=contact.full_name,
            payload=payload,
        )
        try:
            Contact.objects.filter(pk__in=merged).delete()
            contact.delete()
        except ProtectedError as error:
            # Orders are the customer's purchase history and keep their contact.
            raise ValidationError(
                {"contact": [_("This contact has orders, so it cannot be deleted.")]},
                code="protected",
            ) from error


def contacts_bulk_update(
    *, actor: User | None, contacts: Iterable[Contact], values: Mapping[str, Any]
) -> int:
    """Apply the same partial update (owner, stage, …) to many contacts; returns how many."""
    count = 0
    with transaction.atomic():
        for contact in contacts:
            contact_update(actor=actor, contact=contact, values=values)
            count += 1
    return count


def contacts_bulk_tag(
    *, actor: User | None, contacts: Iterable[Contact], tag_names: Sequence[str]
) -> int:
    """Add tags to many contacts (keeping their other tags); one event per contact."""
    _check(actor, "write", "contacts")
    with transaction.atomic():
        tags = tags_resolve(tag_names)
        count = 0
        for contact in contacts:
            existing = set(contact.tags.all())
            added = [tag for tag in tags if tag not in existing]
            if not added:
                continue
            contact.tags.add(*added)
            event_record(
                actor=actor,
                verb="contact.tagged",
                subject=contact,
                contact=contact,
                summary="، ".join(tag.name for tag in added),
                payload={"added_tags": [tag.name for tag in added]},
            )
            count += 1
    return count


def contact_set_consent(
    *,
    actor: User | None,
    contact: Contact,
    channel: str,
    status: str,
    method: str,
    note: str = "",
    recorded_at: datetime.datetime | None = None,
) -> ContactConsent:
    """Record that a contact granted or withdrew consent on a channel, and how."""
    _check(actor, "write", "contacts")
    errors: dict[str, list[ValidationError]] = {}
    if channel not in Channel.values:
        errors["channel"] = [ValidationError(_("Unknown channel."), code="invalid_choice")]
    if status not in ConsentStatus.values:
        errors["status"] = [ValidationError(_("Unknown consent status."), code="invalid_choice")]
    if method not in ConsentMethod.values:
        errors["method"] = [ValidationError(_("Unknown consent method."), code="invalid_choice")]
    if errors:
        raise ValidationError(errors)
    when = recorded_at or timezone.now()
    with transaction.atomic():
        previous = ContactConsent.objects.filter(contact=contact, channel=channel).first()
        consent, _created = ContactConsent.objects.update_or_create(
            contact=contact,
            channel=channel,
            defaults={"status": status, "method": method, "recorded_at": when, "note": note},
        )
        event_record(
            actor=actor,
            verb=f"consent.{status}",
            subject=consent,
            contact=contact,
            payload={
                "channel": channel,
                "method": method,
                "note": note,
                "changes": {"status": [previous.status if previous else None, status]},
            },
            occurred_at=when,
        )
    return consent


def _clean_company_phones(values: Mapping[str, Any]) -> tuple[list[str] | None, dict[str, Any]]:
    if "phones" not in values:
        return None, {}
    return _clean_list(values["phones"] or (), normalize_phone, "phones")


def company_search_text(company: Company) -> str:
    """The normalized text a company is found by (name, IDs, email, phones, custom values)."""
    keys = searchable_custom_keys("company")
    return company_search_text_for(
        name=company.name,
        national_id=company.national_id,
        economic_code=company.economic_code,
        email=company.email,
        phones=company.phones,
        custom_values=searchable_values(company.custom_fields, keys),
    )


def company_search_text_for(
    *,
    name: str,
    national_id: str,
    economic_code: str,
    email: str,
    phones: Sequence[str],
    custom_values: Sequence[str] = (),
) -> str:
    """A company's search text from plain values (bulk writers have no instances)."""
    parts = [search_key(name), national_id, economic_code, email]
    for number in phones:
        parts.extend(phone_search_forms(number))
    parts.extend(search_key(value) for value in custom_values)
    return "|".join(part for part in parts if part)


def _company_state(company: Company) -> dict[str, Any]:
    state = snapshot(company, COMPANY_FIELDS)
    state["phones"] = list(company.phones)
    state["custom_fields"] = dict(company.custom_fields)
    if company.pk:
        state["tags"] = sorted(company.tags.values_list("name", flat=True))
    return state


def _save_company(*, company: Company, values: Mapping[str, Any], is_new: bool) -> None:
    errors = _assign(company, values, COMPANY_FIELDS)
    phones, phone_errors = _clean_company_phones(values)
    errors.update(phone_errors)
    if phones is not None:
        company.phones = phones
    if "custom_fields" in values or is_new:
        try:
            company.custom_fields = clean_custom_values(
                "company", values.get("custom_fields") or {}, current=company.custom_fields
            )
        except ValidationError as error:
            for key, messages in error.error_dict.items():
                errors[key] = list(messages)
    _full_clean(company, errors)
    company.search_text = company_search_text(company)
    company.name_key = name_key(company.name)[:200]


def company_create(*, actor: User | None, values: Mapping[str, Any]) -> Company:
    """Create a company; ``phones``, ``tags`` and ``custom_fields`` are accepted too."""
    _check(actor, "write", "companies")
    company = Company(created_by=actor)
    if "owner" not in values and actor is not None:
        company.owner = actor
    with transaction.atomic():
        _save_company(company=company, values=values, is_new=True)
        tags = tags_resolve(values.get("tags") or ())
        company.save()
        company.tags.set(tags)
        event_record(
            actor=actor,
            verb="company.created",
            subject=company,
            company=company,
            summary=company.name,
            payload={"changes": field_changes({}, _company_state(company))},
        )
    return company


def company_update(*, actor: User | None, company: Company, values: Mapping[str, Any]) -> Company:
    """Change the given fields of a company; one event with the field diff."""
    _check(actor, "write", "companies")
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company.pk)
        before = _company_state(company)
        _save_company(company=company, values=values, is_new=False)
        company.save()
        if "tags" in values:
            company.tags.set(tags_resolve(values["tags"] or ()))
        changes = field_changes(before, _company_state(company))
        if changes:
            event_record(
                actor=actor,
                verb="company.updated",
                subject=company,
                company=company,
                summary=company.name,
                payload={"changes": changes},
            )
    return company


def company_delete(*, actor: User | None, company: Company) -> None:
    """Delete a company, and the companies merged into it (they are the same organisation
    and would otherwise reappear); its people stay, without a company."""
    _check(actor, "delete", "companies")
    with transaction.atomic():
        # Snapshot the stored row, not the caller's possibly stale copy.
        company = Company.objects.select_for_update().get(pk=company.pk)
        merged = list(Company.objects.filter(merged_into=company).values_list("pk", flat=True))
        payload: dict[str, Any] = {"deleted": _company_state(company)}
        if merged:
            payload["merged_companies"] = merged
        event_record(
            actor=actor,
            verb="company.deleted",
            subject=company,
            summary=company.name,
            payload=payload,
        )
        Company.objects.filter(pk__in=merged).delete()
        company.delete()


def custom_field_save(
    *, actor: User | None, values: Mapping[str, Any], field: CustomField | None = None
) -> CustomField:
    """Create or change a custom field definition (administrators only)."""
    _check(actor, "write", "settings")
    field = field or CustomField()
    before = snapshot(field, CUSTOM_FIELD_ATTRIBUTES) if field.pk else {}
    for name in CUSTOM_FIELD_ATTRIBUTES:
        if name in values:
            setattr(field, name, values[name])
    field.label_fa = clean_persian(field.label_fa)
    field.choices = [clean_persian(str(choice)) for choice in field.choices if str(choice).strip()]
    errors: dict[str, list[ValidationError]] = {}
    if field.field_type == "choice" and not field.choices:
        errors["choices"] = [ValidationError(_("Enter at least one choice."), code="required")]
    try:
        field.full_clean()
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(ValidationError(message) for message in messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        is_new = field.pk is None
        field.save()
        event_record(
            actor=actor,
            verb="custom_field.created" if is_new else "custom_field.updated",
            subject=field,
            summary=field.label_fa,
            payload={"changes": field_changes(before, snapshot(field, CUSTOM_FIELD_ATTRIBUTES))},
        )
    return field


CUSTOM_FIELD_ATTRIBUTES = (
    "object_type",
    "key",
    "label_fa",
    "label_en",
    "field_type",
    "choices",
    "is_required",
    "is_searchable",
    "is_filterable",
    "position",
)
