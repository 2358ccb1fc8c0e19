"""Every write to a lead: capture (by hand, API, web form), change, qualify or disqualify,
and convert into a contact, a company and a deal, keeping the lead's history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.common.persian import clean_persian, name_key, search_key
from peyvand.common.validators import normalize_email, normalize_phone, phone_search_forms
from peyvand.contacts.models import Channel, Company, ConsentMethod, ConsentStatus, Contact
from peyvand.timeline.events import event_record, field_changes, snapshot

from .assignment import Assignment, AssignmentFacts, owner_pick
from .deals import deal_create
from .models import OPEN_LEAD_STATUSES, Deal, Lead, LeadStatus
from .service_helpers import check_permission, error, notify_assignee, validate

if TYPE_CHECKING:
    from peyvand.accounts.models import User

LEAD_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "email",
    "company_name",
    "job_title",
    "province",
    "city",
    "message",
    "estimated_amount",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "owner",
    "consent_given",
    "extra",
)
_TRACKED = (*LEAD_FIELDS, "status", "status_reason", "contact", "deal")
_PERSIAN_TEXT = frozenset({"first_name", "last_name", "company_name", "job_title", "city"})


def lead_search_text(lead: Lead) -> str:
    """Name, company, phone forms and email, normalized."""
    parts = [search_key(lead.full_name), search_key(lead.company_name)]
    if lead.phone:
        parts.extend(phone_search_forms(lead.phone))
    parts.append(lead.email)
    return "|".join(part for part in parts if part)


def _set_values(lead: Lead, values: Mapping[str, Any]) -> dict[str, list[ValidationError]]:
    errors: dict[str, list[ValidationError]] = {}
    for name in LEAD_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if isinstance(value, str):
            value = clean_persian(value) if name in _PERSIAN_TEXT else value.strip()
        if value is None and name not in {"owner", "estimated_amount"}:
            value = {} if name == "extra" else (False if name == "consent_given" else "")
        try:
            if name == "phone" and value:
                value = normalize_phone(value)
            elif name == "email" and value:
                value = normalize_email(value)
        except ValidationError as failure:
            errors[name] = [failure]
            continue
        setattr(lead, name, value)
    if not (lead.first_name or lead.last_name or lead.company_name):
        errors.setdefault("last_name", []).append(
            ValidationError(_("Enter a name or a company."), code="required")
        )
    if not (lead.phone or lead.email) and "phone" not in errors and "email" not in errors:
        errors.setdefault("phone", []).append(
            ValidationError(_("Enter a phone number or an email address."), code="required")
        )
    if lead.estimated_amount is not None and lead.estimated_amount < 0:
        errors.setdefault("estimated_amount", []).append(
            ValidationError(_("The amount cannot be negative."), code="negative_money")
        )
    return errors


def matching_contact(*, phone: str, email: str) -> Contact | None:
    """An existing contact with the same (normalized) phone or email: the duplicate check a
    new lead gets, so a returning customer is recognised rather than created twice."""
    condition = Q(pk__in=[])
    if phone:
        condition |= Q(phones__number=phone)
    if email:
        condition |= Q(emails__address=email)
    return (
        Contact.objects.filter(merged_into__isnull=True)
        .filter(condition)
        .select_related("owner")
        .order_by("id")
        .first()
    )


def _lead_event(
    *, actor: User | None, lead: Lead, verb: str, summary: str, payload: Mapping[str, Any]
) -> None:
    """An event on the lead's timeline (and its matched contact's)."""
    event_record(
        actor=actor,
        verb=verb,
        subject=lead,
        contact=lead.contact,
        lead=lead,
        summary=summary,
        payload=payload,
    )


def _lead_url(lead: Lead) -> str:
    return reverse("sales:lead_detail", args=[lead.pk])


def lead_create(
    *,
    actor: User | None,
    values: Mapping[str, Any],
    web_form: Any = None,
    origin: Mapping[str, Any] | None = None,
    notify: bool = True,
) -> Lead:
    """Capture a lead. Its phone and email are checked against existing contacts (a match is
    linked); with no ``owner`` given the assignment rules pick one (else the actor); then it
    is scored. Raises ``ValidationError`` by field; nothing is saved then.

    ``origin`` is added to the ``lead.created`` event (an import names its job and row);
    ``notify=False`` leaves telling the owner to the caller (an import sends one summary)."""
    check_permission(actor, "write", "leads")
    lead = Lead(created_by=actor, web_form=web_form)
    errors = _set_values(lead, values)
    validate(lead, errors)
    with transaction.atomic():
        lead.contact = matching_contact(phone=lead.phone, email=lead.email)
        assignment = Assignment(owner=lead.owner)
        if values.get("owner") is None:
            assignment = owner_pick(
                AssignmentFacts(
                    target="lead",
                    province=lead.province,
                    city=lead.city,
                    source=lead.source,
                    contact=lead.contact,
                )
            )
            lead.owner = assignment.owner or (
                actor if actor is not None and actor.is_authenticated else None
            )
        lead.search_text = lead_search_text(lead)
        lead.save()
        _rescore(lead)
        _lead_event(
            actor=actor,
            lead=lead,
            verb="lead.created",
            summary=str(lead),
            payload={
                "changes": field_changes({}, snapshot(lead, _TRACKED)),
                "web_form": web_form.pk if web_form is not None else None,
                **(origin or {}),
            },
        )
        if assignment.rule is not None:
            _lead_event(
                actor=actor,
                lead=lead,
                verb="lead.assigned",
                summary=assignment.rule.name,
                payload=assignment.event_payload(),
            )
        if notify:
            notify_assignee(
                owner=lead.owner,
                actor=actor,
                title=_("New lead assigned to you: %(name)s") % {"name": str(lead)},
                url=_lead_url(lead),
            )
    return lead


def _rescore(lead: Lead) -> None:
    """Recompute the lead's rule score (``scoring``) and, once a predictive model has been
    trained, its predicted chance to win (``predictive``)."""
    from .models import LeadScoreModel
    from .predictive import predict
    from .scoring import lead_score

    score, reasons = lead_score(lead)
    if score != lead.score or reasons != lead.score_reasons:
        lead.score, lead.score_reasons = score, reasons
        Lead.objects.filter(pk=lead.pk).update(score=score, score_reasons=reasons)
    model = LeadScoreModel.objects.first()
    if model is not None:
        probability, why = predict(model, lead)
        lead.win_probability, lead.win_reasons = round(probability, 4), why
        Lead.objects.filter(pk=lead.pk).update(
            win_probability=lead.win_probability, win_reasons=why
        )


def lead_update(
    *,
    actor: User | None,
    lead: Lead,
    values: Mapping[str, Any],
    origin: Mapping[str, Any] | None = None,
) -> Lead:
    """Change a lead's fields (partial); one event with the diff (and ``origin``, such as the
    import that made the change)."""
    check_permission(actor, "write", "leads")
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        before = snapshot(lead, _TRACKED)
        previous_owner_id = lead.owner_id
        errors = _set_values(lead, values)
        validate(lead, errors)
        lead.search_text = lead_search_text(lead)
        lead.save()
        _rescore(lead)
        changes = field_changes(before, snapshot(lead, _TRACKED))
        if changes:
            _lead_event(
                actor=actor,
                lead=lead,
                verb="lead.updated",
                summary=str(lead),
                payload={"changes": changes, **(origin or {})},
            )
        if lead.owner_id != previous_owner_id:
            notify_assignee(
                owner=lead.owner,
                actor=actor,
                title=_("Lead assigned to you: %(name)s") % {"name": str(lead)},
                url=_lead_url(lead),
            )
    return lead


def lead_set_status(*, actor: User | None, lead: Lead, status: str, reason: str = "") -> Lead:
    """Qualify or disqualify a lead (``unqualified`` needs a reason); conversion has its own
    service."""
    check_permission(actor, "write", "leads")
    allowed = {*OPEN_LEAD_STATUSES, LeadStatus.UNQUALIFIED}
    if status not in allowed:
        raise error("status", _("Choose a valid status."), "invalid_choice")
    reason = clean_persian(reason)
    if status == LeadStatus.UNQUALIFIED and not reason:
        raise error("status_reason", _("Say why the lead is not qualified."), "required")
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.status == LeadStatus.CONVERTED:
            raise error("status", _("This lead is already converted."), "converted")
        before = snapshot(lead, _TRACKED)
        lead.status, lead.status_reason = status, reason
        lead.save(update_fields=["status", "status_reason", "updated_at"])
        changes = field_changes(before, snapshot(lead, _TRACKED))
        if changes:
            _lead_event(
                actor=actor,
                lead=lead,
                verb="lead.qualified" if status == LeadStatus.QUALIFIED else "lead.updated",
                summary=reason or str(lead),
                payload={"changes": changes},
            )
    return lead


def _company_for(actor: User | None, lead: Lead) -> Company | None:
    """The lead's company: an existing one with the same normalized name that the actor can
    see, else a new one."""
    from peyvand.contacts.selectors import companies_visible_to
    from peyvand.contacts.services import company_create

    if not lead.company_name:
        return None
    companies = (
        companies_visible_to(actor)
        if actor is not None
        else Company.objects.filter(merged_into__isnull=True)
    )
    existing = companies.filter(name_key=name_key(lead.company_name)[:200]).order_by("id").first()
    if existing is not None:
        return existing
    return company_create(
        actor=actor,
        values={
            "name": lead.company_name,
            "owner": lead.owner,
            "province": lead.province,
            "city": lead.city,
        },
    )


def _contact_for(
    actor: User | None, lead: Lead, contact: Contact | None, company: Company | None
) -> Contact:
    from peyvand.contacts.services import contact_create, contact_update

    chosen = contact or lead.contact
    if chosen is not None:
        missing: dict[str, Any] = {}
        if company is not None and chosen.company_id is None:
            missing["company"] = company
        if missing:
            contact_update(actor=actor, contact=chosen, values=missing)
        return chosen
    return contact_create(
        actor=actor,
        values={
            "first_name": lead.first_name,
            "last_name": lead.last_name or ("" if lead.first_name else lead.company_name),
            "phones": [lead.phone] if lead.phone else [],
            "emails": [lead.email] if lead.email else [],
            "job_title": lead.job_title,
            "province": lead.province,
            "city": lead.city,
            "source": lead.source,
            "owner": lead.owner,
            "company": company,
            "lifecycle_stage": "opportunity",
        },
    )


def _record_consent(actor: User | None, lead: Lead, contact: Contact) -> None:
    from peyvand.contacts.services import contact_set_consent

    channels = ([Channel.EMAIL] if lead.email else []) + ([Channel.SMS] if lead.phone else [])
    for channel in channels:
        contact_set_consent(
            actor=actor,
            contact=contact,
            channel=channel,
            status=ConsentStatus.GRANTED,
            method=ConsentMethod.WEB_FORM if lead.web_form_id else ConsentMethod.AGENT,
            note=_("Given with lead #%(id)s") % {"id": lead.pk},
        )


def lead_convert(
    *,
    actor: User | None,
    lead: Lead,
    contact: Contact | None = None,
    create_deal: bool = True,
    deal_values: Mapping[str, Any] | None = None,
) -> tuple[Contact, Company | None, Deal | None]:
    """Turn an open lead into a contact (the matched or given one, else a new one), a company
    (when the lead names one) and, unless ``create_deal`` is false, a deal. All or nothing:
    one transaction. The lead keeps its links, and its history shows on the contact's
    timeline."""
    check_permission(actor, "write", "leads")
    if create_deal:
        check_permission(actor, "write", "deals")
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.status not in OPEN_LEAD_STATUSES:
            raise error("status", _("Only an open lead can be converted."), "not_open")
        company = _company_for(actor, lead)
        person = _contact_for(actor, lead, contact, company)
        if lead.consent_given:
            _record_consent(actor, lead, person)
        deal: Deal | None = None
        if create_deal:
            values: dict[str, Any] = {
                "title": lead.company_name or lead.full_name or str(lead),
                "amount": lead.estimated_amount or 0,
                "contact": person,
                "company": company,
                "owner": lead.owner,
                "source": lead.source,
                "description": lead.message,
            }
            values.update(deal_values or {})
            deal = deal_create(actor=actor, values=values)
        before = snapshot(lead, _TRACKED)
        lead.status = LeadStatus.CONVERTED
        lead.contact, lead.deal, lead.converted_at = person, deal, timezone.now()
        lead.save(update_fields=["status", "contact", "deal", "converted_at", "updated_at"])
        event_record(
            actor=actor,
            verb="lead.converted",
            subject=lead,
            contact=person,
            company=company,
            deal=deal,
            lead=lead,
            summary=str(lead),
            payload={
                "changes": field_changes(before, snapshot(lead, _TRACKED)),
                "source": lead.source,
                "utm_campaign": lead.utm_campaign,
            },
        )
    return person, company, deal


def lead_delete(*, actor: User | None, lead: Lead) -> None:
    check_permission(actor, "delete", "leads")
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        event_record(
            actor=actor,
            verb="lead.deleted",
            subject=lead,
            contact=lead.contact,
            summary=str(lead),
            payload={"deleted": snapshot(lead, _TRACKED)},
        )
        lead.delete()
