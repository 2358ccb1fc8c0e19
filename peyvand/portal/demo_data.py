"""A demo customer who can sign in to the portal: one of the seeded contacts gets the
documented email address, tickets (one answered, with an internal note the portal must not
show; one solved) and a quote sent to them."""

from __future__ import annotations

from django.db import transaction
from django.test.utils import override_settings

from peyvand.accounts.models import Role, User
from peyvand.contacts.models import Contact
from peyvand.contacts.services import contact_update
from peyvand.sales.deals import deal_create
from peyvand.sales.leads import matching_contact
from peyvand.sales.quotes import quote_create, quote_send
from peyvand.service.models import TicketStatus
from peyvand.service.tickets import ticket_create, ticket_reply, ticket_set_status

DEMO_CUSTOMER_EMAIL = "moshtari@example.ir"


def seed_portal_demo(contact: Contact) -> Contact:
    """Make ``contact`` the demo customer (``DEMO_CUSTOMER_EMAIL`` added to its emails),
    unless some contact already is: that one is returned unchanged."""
    existing = matching_contact(phone="", email=DEMO_CUSTOMER_EMAIL)
    if existing is not None:
        return existing
    agent = User.objects.filter(role=Role.SUPPORT, is_active=True).order_by("id").first()
    with transaction.atomic():
        emails = list(contact.emails.values_list("address", flat=True))
        contact = contact_update(
            actor=None, contact=contact, values={"emails": [DEMO_CUSTOMER_EMAIL, *emails]}
        )
        late = ticket_create(
            actor=None,
            values={"subject": "سفارش ۱۲۳ هنوز نرسیده", "contact": contact},
            body="سلام، سفارش ۱۲۳ را هفته پیش ثبت کردم و هنوز نرسیده است.",
            channel="portal",
            requester_email=DEMO_CUSTOMER_EMAIL,
        )
        invoice = ticket_create(
            actor=None,
            values={"subject": "مبلغ فاکتور اشتباه است", "contact": contact},
            body="در فاکتور آخر، هزینهٔ ارسال دو بار حساب شده است.",
            channel="email",
            requester_email=DEMO_CUSTOMER_EMAIL,
        )
        if agent is not None:
            ticket_reply(
                actor=agent,
                ticket=late,
                body="انبار تأیید کرد که بسته دیروز تحویل پست شده است.",
                internal=True,
            )
            ticket_reply(
                actor=agent,
                ticket=late,
                body="سلام، بسته دیروز ارسال شد و تا دو روز کاری می‌رسد. کد رهگیری: ۱۲۳۴۵۶۷۸۹۰",
            )
            ticket_reply(
                actor=agent, ticket=invoice, body="حق با شماست؛ فاکتور اصلاح‌شده فرستاده شد."
            )
            ticket_set_status(actor=agent, ticket=invoice, status=TicketStatus.RESOLVED)
        deal = deal_create(
            actor=None,
            values={"title": "پشتیبانی سالانه", "contact": contact, "amount": 120_000_000},
        )
        quote = quote_create(
            actor=None,
            deal=deal,
            lines=[
                {"description": "پشتیبانی سالانه", "unit_price": 120_000_000, "quantity": 1},
                {"description": "آموزش حضوری", "unit_price": 25_000_000, "quantity": 2},
            ],
            values={"note": "اعتبار این پیش‌فاکتور یک هفته است."},
        )
    # The demo has no mail server: the quote is "emailed" to memory so that it counts as
    # sent and shows in the customer's portal.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        quote_send(actor=None, quote=quote, to=DEMO_CUSTOMER_EMAIL)
    return contact
