"""The customer portal's pages: sign-in by one-time code, the customer's tickets (list,
thread, reply, new, "solved"), their quotes with the PDF, and their profile and consent.

Every page after sign-in goes through ``portal_required`` and finds records only through
``selectors`` starting from the signed-in contact: another customer's id is a 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from peyvand.accounts.throttle import (
    attempt_allowed,
    is_throttled,
    record_attempt,
    reset_attempts,
)
from peyvand.accounts.views import client_address
from peyvand.common.pagination import keyset_page
from peyvand.contacts.models import ConsentMethod, ConsentStatus
from peyvand.contacts.selectors import contact_first_email
from peyvand.contacts.services import contact_set_consent, contact_update
from peyvand.feedback.selectors import survey_link_for
from peyvand.sales.quote_pdf import quote_pdf
from peyvand.service.attachments import attachment_response
from peyvand.service.models import MessageKind, Ticket, TicketChannel, TicketStatus
from peyvand.service.tickets import ticket_create, ticket_customer_message, ticket_set_status
from peyvand.web.form_errors import add_service_errors

from .codes import SignInAddress, code_request, code_verify
from .forms import CodeForm, ConsentForm, OnceForm, ProfileForm, ReplyForm, SignInForm, TicketForm
from .selectors import (
    knowledge_suggestions,
    portal_attachment,
    portal_messages,
    portal_quote,
    portal_quotes,
    portal_ticket,
    portal_tickets,
)
from .senders import SenderNotReady, code_sender
from .session import (
    PortalRequest,
    portal_contact,
    portal_required,
    portal_sign_in,
    portal_sign_out,
)

PENDING_KEY = "portal_pending_address"
NEXT_KEY = "portal_next"
TICKETS_PER_PAGE = 25
_ONCE_SECONDS = 24 * 3600

# Ticket statuses in the customer's words, with a badge colour.
CUSTOMER_STATUS: dict[str, tuple[Any, str]] = {
    TicketStatus.NEW: (gettext_lazy("Received"), "secondary"),
    TicketStatus.OPEN: (gettext_lazy("We are working on it"), "primary"),
    TicketStatus.WAITING: (gettext_lazy("Waiting for your reply"), "warning"),
    TicketStatus.RESOLVED: (gettext_lazy("Solved"), "success"),
    TicketStatus.CLOSED: (gettext_lazy("Closed"), "dark"),
}
# The customer may say "solved" while we are still on it.
CONFIRMABLE = frozenset({TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING})


def _status(ticket: Ticket) -> dict[str, Any]:
    word, colour = CUSTOMER_STATUS[ticket.status]
    return {"word": word, "colour": colour}


def _throttle_message() -> str:
    return _("Too many attempts. Wait a few minutes and try again.")


def _code_request_allowed(scope: str, identity: str, limit: int) -> bool:
    return attempt_allowed(
        scope, identity, limit=limit, window=settings.PEYVAND_PORTAL_WINDOW_SECONDS
    )


# Wrong codes for one address: per window, and per day so that a slow guesser spread over
# many client addresses cannot keep trying window after window.
_VERIFY_LIMITS = (
    ("portal-verify-address", "PEYVAND_PORTAL_VERIFY_PER_ADDRESS", "PEYVAND_PORTAL_WINDOW_SECONDS"),
    ("portal-verify-address-day", "PEYVAND_PORTAL_VERIFY_PER_ADDRESS_PER_DAY", None),
)


def _verify_blocked(client: str, address: str) -> bool:
    if is_throttled(
        "portal-verify-client", client, limit=settings.PEYVAND_PORTAL_VERIFY_PER_CLIENT
    ):
        return True
    return any(
        is_throttled(scope, address, limit=getattr(settings, limit))
        for scope, limit, _window in _VERIFY_LIMITS
    )


def _count_wrong_code(client: str, address: str) -> None:
    record_attempt("portal-verify-client", client, window=settings.PEYVAND_PORTAL_WINDOW_SECONDS)
    for scope, _limit, window in _VERIFY_LIMITS:
        seconds = getattr(settings, window) if window else 24 * 3600
        record_attempt(scope, address, window=seconds)


def _safe_next(request: HttpRequest, target: str) -> str | None:
    """Only a portal page of this site is a place to return to after signing in."""
    if target.startswith("/portal/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


# --- Signing in ---------------------------------------------------------------------------


def _sms_ready() -> bool:
    return code_sender("sms").is_ready()


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for a code. The answer is the same whether or not the address is a customer's."""
    if portal_contact(request) is not None:
        return redirect("portal:tickets")
    context: dict[str, Any] = {"sms_ready": _sms_ready()}
    if request.method == "GET":
        target = _safe_next(request, request.GET.get("next", ""))
        if target:
            request.session[NEXT_KEY] = target
        context["form"] = SignInForm()
        return render(request, "portal/sign_in.html", context)
    form = SignInForm(request.POST)
    context["form"] = form
    client = client_address(request)
    if not _code_request_allowed(
        "portal-code-client", client, settings.PEYVAND_PORTAL_CODES_PER_CLIENT
    ):
        form.errors.clear()
        form.add_error(None, _throttle_message())
        return render(request, "portal/sign_in.html", context, status=429)
    if not form.is_valid():
        return render(request, "portal/sign_in.html", context, status=422)
    address: SignInAddress = form.cleaned_data["address"]
    if not _code_request_allowed(
        "portal-code-address", address.value, settings.PEYVAND_PORTAL_CODES_PER_ADDRESS
    ):
        form.add_error(None, _throttle_message())
        return render(request, "portal/sign_in.html", context, status=429)
    try:
        code_request(address=address)
    except SenderNotReady:
        form.add_error("address", _sms_not_ready_message())
        return render(request, "portal/sign_in.html", context, status=422)
    request.session[PENDING_KEY] = [address.channel, address.value]
    return redirect("portal:sign_in_code")


def _sms_not_ready_message() -> str:
    return _(
        "Signing in with a mobile number needs SMS, which is not set up yet. "
        "Use your email address."
    )


@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """Type the code. A wrong, expired or unknown code all read the same."""
    if portal_contact(request) is not None:
        return redirect("portal:tickets")
    pending = request.session.get(PENDING_KEY)
    if not (isinstance(pending, list) and len(pending) == 2):
        return redirect("portal:sign_in")
    address = SignInAddress(str(pending[0]), str(pending[1]))
    form = CodeForm(request.POST or None)
    context = {"form": form, "address": address}
    if request.method == "GET":
        return render(request, "portal/sign_in_code.html", context)
    client = client_address(request)
    if _verify_blocked(client, address.value):
        form.errors.clear()
        form.add_error(None, _throttle_message())
        return render(request, "portal/sign_in_code.html", context, status=429)
    contact = None
    if form.is_valid():
        contact = code_verify(address=address, code=form.cleaned_data["code"])
    if contact is None:
        _count_wrong_code(client, address.value)
        if form.is_valid():
            form.add_error(
                "code", _("This code is wrong or has expired. Check it, or ask for a new one.")
            )
        return render(request, "portal/sign_in_code.html", context, status=422)
    for scope, _limit, _window in _VERIFY_LIMITS:
        reset_attempts(scope, address.value)
    target = request.session.pop(NEXT_KEY, None)
    request.session.pop(PENDING_KEY, None)
    portal_sign_in(request, contact)
    return redirect(_safe_next(request, str(target or "")) or "portal:tickets")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    portal_sign_out(request)
    messages.info(request, _("You have signed out."))
    return redirect("portal:sign_in")


@portal_required
def home(request: PortalRequest) -> HttpResponse:
    return redirect("portal:tickets")


# --- Tickets ------------------------------------------------------------------------------


@portal_required
def ticket_list(request: PortalRequest) -> HttpResponse:
    try:
        page = keyset_page(
            portal_tickets(request.portal_contact),
            ordering=["-id"],
            cursor=request.GET.get("after") or None,
            limit=TICKETS_PER_PAGE,
        )
    except ValidationError:
        return redirect("portal:tickets")
    rows = [{"ticket": ticket, "status": _status(ticket)} for ticket in page.items]
    return render(request, "portal/tickets.html", {"rows": rows, "next_cursor": page.next_cursor})


def _once_key(form: OnceForm) -> str:
    return f"portal-once:{form.cleaned_data['once']}"


def _first_press(form: OnceForm) -> bool:
    """Claim the form's one-time token; ``False`` when it was posted before (a double
    click, a resubmitted page). A failed attempt gives the token back (``_release``)."""
    return bool(cache.add(_once_key(form), 0, timeout=_ONCE_SECONDS))


def _release(form: OnceForm) -> None:
    cache.delete(_once_key(form))


def _posts_over(request: PortalRequest) -> bool:
    return not attempt_allowed(
        "portal-post",
        str(request.portal_contact.pk),
        limit=settings.PEYVAND_PORTAL_POSTS_PER_HOUR,
        window=3600,
    )


def _new_ticket_context(form: TicketForm) -> dict[str, Any]:
    question = ""
    if form.is_bound:
        question = f"{form.data.get('subject', '')} {form.data.get('message', '')}".strip()
    return {
        "form": form,
        "suggestions": knowledge_suggestions(question),
        "suggestions_for": "customer",
    }


@portal_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: PortalRequest) -> HttpResponse:
    """Open a ticket (channel "portal"), on the signed-in contact."""
    contact = request.portal_contact
    form = TicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if not _first_press(form):
            made = cache.get(_once_key(form))  # the first press's ticket, once it is made
            return redirect("portal:ticket", made) if made else redirect("portal:tickets")
        if _posts_over(request):
            _release(form)
            form.add_error(None, _throttle_message())
            return render(request, "portal/ticket_new.html", _new_ticket_context(form), status=429)
        try:
            ticket = ticket_create(
                actor=None,
                values={"subject": form.cleaned_data["subject"], "contact": contact},
                body=form.cleaned_data["message"],
                channel=TicketChannel.PORTAL,
                requester_email=contact_first_email(contact),
                files=form.cleaned_data.get("attachments") or [],
            )
        except ValidationError as error:
            _release(form)
            add_service_errors(form, error, field_map={"body": "message"})
        else:
            cache.set(_once_key(form), ticket.pk, timeout=_ONCE_SECONDS)
            messages.success(request, _("Your request was received. We will answer here."))
            return redirect("portal:ticket", ticket.pk)
    status = 422 if form.is_bound else 200
    return render(request, "portal/ticket_new.html", _new_ticket_context(form), status=status)


def _ticket_or_404(request: PortalRequest, ticket_id: int) -> Ticket:
    ticket = portal_ticket(request.portal_contact, ticket_id)
    if ticket is None:
        raise Http404
    return ticket


def _render_ticket(
    request: PortalRequest, ticket: Ticket, form: ReplyForm | None = None, status: int = 200
) -> HttpResponse:
    can_reply = ticket.status != TicketStatus.CLOSED
    thread = list(portal_messages(ticket))
    context = {
        "ticket": ticket,
        "status": _status(ticket),
        "thread": thread,
        "form": (form or ReplyForm()) if can_reply else None,
        "can_confirm": ticket.status in CONFIRMABLE,
        "rating_url": (
            survey_link_for(ticket)
            if ticket.status in {TicketStatus.RESOLVED, TicketStatus.CLOSED}
            else None
        ),
        "is_finished": ticket.status in {TicketStatus.RESOLVED, TicketStatus.CLOSED},
        # Until support answers, the knowledge base may already have the answer.
        "suggestions": (
            knowledge_suggestions(f"{ticket.subject} {thread[0].body}")
            if thread and not any(message.kind != MessageKind.CUSTOMER for message in thread)
            else []
        ),
        "suggestions_for": "customer",
    }
    return render(request, "portal/ticket.html", context, status=status)


@portal_required
def ticket_detail(request: PortalRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket_or_404(request, ticket_id)
    if ticket.merged_into_id is not None:
        survivor = portal_ticket(request.portal_contact, ticket.merged_into_id)
        if survivor is not None:
            return redirect("portal:ticket", survivor.pk)
    return _render_ticket(request, ticket)


@portal_required
@require_POST
def ticket_reply(request: PortalRequest, ticket_id: int) -> HttpResponse:
    """The customer writes on their ticket (a waiting or solved one opens again)."""
    ticket = _ticket_or_404(request, ticket_id)
    if ticket.status == TicketStatus.CLOSED:
        messages.error(request, _("This ticket is closed. Please open a new one."))
        return redirect("portal:ticket", ticket.pk)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_ticket(request, ticket, form, status=422)
    if not _first_press(form):
        return redirect("portal:ticket", ticket.pk)
    if _posts_over(request):
        _release(form)
        form.add_error(None, _throttle_message())
        return _render_ticket(request, ticket, form, status=429)
    try:
        ticket_customer_message(
            ticket=ticket,
            body=form.cleaned_data["message"],
            from_email=contact_first_email(request.portal_contact),
            files=form.cleaned_data.get("attachments") or [],
        )
    except ValidationError as error:
        _release(form)
        add_service_errors(form, error, field_map={"body": "message"})
        return _render_ticket(request, ticket, form, status=422)
    messages.success(request, _("Your message was sent."))
    return redirect("portal:ticket", ticket.pk)


@portal_required
@require_POST
def ticket_solved(request: PortalRequest, ticket_id: int) -> HttpResponse:
    """The customer confirms the problem is solved: the ticket is resolved on their word
    (the system, not an agent, is the actor; the event is on the timeline). It counts
    against the customer's posts per hour. Should our team close the ticket at the same
    moment, the customer is told so instead of an error page."""
    ticket = _ticket_or_404(request, ticket_id)
    if ticket.status not in CONFIRMABLE:
        messages.info(request, _("This ticket is already solved."))
        return redirect("portal:ticket", ticket.pk)
    if _posts_over(request):
        messages.error(request, _throttle_message())
        return _render_ticket(request, ticket, status=429)
    try:
        ticket_set_status(actor=None, ticket=ticket, status=TicketStatus.RESOLVED, by_customer=True)
    except ValidationError:
        messages.warning(
            request,
            _(
                "Our team changed this ticket at the same moment, so it was not marked as "
                "solved. Please look at it again."
            ),
        )
        return redirect("portal:ticket", ticket.pk)
    messages.success(request, _("Thank you! We are glad it is solved."))
    return redirect("portal:ticket", ticket.pk)


# --- Quotes -------------------------------------------------------------------------------


@portal_required
def quote_list(request: PortalRequest) -> HttpResponse:
    quotes = portal_quotes(request.portal_contact).select_related("deal")
    return render(request, "portal/quotes.html", {"quotes": quotes})


@portal_required
def quote_pdf_download(request: PortalRequest, quote_id: int) -> HttpResponse:
    quote = portal_quote(request.portal_contact, quote_id)
    if quote is None:
        raise Http404
    response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="quote-{quote.number}.pdf"'
    return response


# --- Profile and consent ------------------------------------------------------------------


def _granted(request: PortalRequest) -> set[str]:
    return set(
        request.portal_contact.consents.filter(status=ConsentStatus.GRANTED).values_list(
            "channel", flat=True
        )
    )


def _render_profile(
    request: PortalRequest,
    profile_form: ProfileForm | None = None,
    consent_form: ConsentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    contact = request.portal_contact
    context = {
        "profile_form": profile_form or ProfileForm.for_contact(contact),
        "consent_form": consent_form or ConsentForm(granted=_granted(request)),
        "emails": list(contact.emails.values_list("address", flat=True)),
        "phones": list(contact.phones.values_list("number", flat=True)),
    }
    return render(request, "portal/profile.html", context, status=status)


@portal_required
@require_http_methods(["GET", "POST"])
def profile(request: PortalRequest) -> HttpResponse:
    """Name and language, changed through ``contact_update`` (one event with the diff)."""
    if request.method == "GET":
        return _render_profile(request)
    contact = request.portal_contact
    form = ProfileForm.for_contact(contact, request.POST)
    if form.is_valid():
        values = form.changed_values(contact)
        try:
            if values:
                contact_update(actor=None, contact=contact, values=values)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your details were saved."))
            return redirect("portal:profile")
    return _render_profile(request, profile_form=form, status=422)


@portal_required
@require_POST
def consent(request: PortalRequest) -> HttpResponse:
    """Consent per channel; each channel whose answer changed is one event (method
    "portal")."""
    contact = request.portal_contact
    granted = _granted(request)
    form = ConsentForm(request.POST, granted=granted)
    if not form.is_valid():
        return _render_profile(request, consent_form=form, status=422)
    with transaction.atomic():
        for channel, wanted in form.wanted().items():
            # Unchanged (a box never ticked that stays unticked records nothing either).
            if (channel in granted) == (wanted == ConsentStatus.GRANTED):
                continue
            contact_set_consent(
                actor=None,
                contact=contact,
                channel=channel,
                status=wanted,
                method=ConsentMethod.PORTAL,
            )
    messages.success(request, _("Your choices were saved."))
    return redirect("portal:profile")


@portal_required
def attachment_download(request: PortalRequest, attachment_id: int) -> FileResponse:
    """A file of the customer's own thread (never of an internal note), as a download."""
    attachment = portal_attachment(request.portal_contact, attachment_id)
    if attachment is None:
        raise Http404
    return attachment_response(attachment)


@portal_required
@require_http_methods(["GET"])
def suggestions(request: PortalRequest) -> HttpResponse:
    """Articles for the question being typed on the new-ticket form (fetched by htmx)."""
    question = f"{request.GET.get('subject', '')} {request.GET.get('message', '')}"
    context = {"suggestions": knowledge_suggestions(question), "suggestions_for": "customer"}
    return render(request, "knowledge/_suggestions.html", context)
