"""Persian demo data for the service desk: ticket categories with their agents, canned
responses, and tickets in every state (answered, waiting, resolved, a complaint on its
way, one merged duplicate), so the inbox, a ticket's page and the SLA badges show real
cases."""

from __future__ import annotations

import random
from collections.abc import Sequence

from django.utils import timezone

from peyvand.accounts.models import Role, Team, User
from peyvand.contacts.models import Contact
from peyvand.contacts.selectors import contact_first_email

from .merging import ticket_merge
from .models import (
    AssignmentMethod,
    CannedResponse,
    MessageKind,
    TicketCategory,
    TicketMessage,
    TicketStatus,
)
from .tickets import (
    ticket_complaint_step,
    ticket_create,
    ticket_customer_message,
    ticket_reply,
    ticket_set_status,
)

CATEGORIES = (
    ("ارسال و تحویل", AssignmentMethod.ROUND_ROBIN),
    ("صورتحساب و پرداخت", AssignmentMethod.LEAST_OPEN),
    ("گارانتی و خدمات فنی", AssignmentMethod.ROUND_ROBIN),
)
REQUESTS = (
    ("ارسال و تحویل", "سفارش هنوز نرسیده", "سلام، سفارشم از هفته پیش ثبت شده ولی هنوز نرسیده است."),
    ("ارسال و تحویل", "کالا آسیب‌دیده رسید", "جعبه شکسته بود و یکی از لیوان‌ها ترک داشت."),
    ("صورتحساب و پرداخت", "درخواست فاکتور رسمی", "لطفاً فاکتور رسمی با کد اقتصادی شرکت صادر کنید."),
    ("صورتحساب و پرداخت", "مبلغ دو بار کسر شد", "مبلغ سفارش دو بار از حسابم کم شده است."),
    ("گارانتی و خدمات فنی", "یخچال خنک نمی‌کند", "یخچال خریداری‌شده بعد از دو ماه خنک نمی‌کند."),
    ("گارانتی و خدمات فنی", "نصب و راه‌اندازی", "برای نصب کولر گازی چه زمانی تکنسین می‌آید؟"),
)
CANNED = (
    (
        "تأیید دریافت",
        "{{ name }} عزیز، درخواست {{ ticket }} را دریافت کردیم و در حال بررسی آن هستیم.\n"
        "{{ agent }}",
    ),
    (
        "پیگیری مرسوله",
        "سلام {{ first_name }}، مرسوله شما امروز {{ today }} پیگیری شد و تا دو روز کاری می‌رسد.",
    ),
    (
        "پایان کار",
        "خوشحالیم که مشکل حل شد. اگر سؤال دیگری دارید همین‌جا بنویسید.\nبا احترام، {{ agent }}",
    ),
)


def _agents() -> list[User]:
    support, _created = Team.objects.get_or_create(name="پشتیبانی")
    agents = list(User.objects.filter(teams=support, role=Role.SUPPORT, is_active=True))
    mina, created = User.objects.get_or_create(
        username="mina",
        defaults={"first_name": "مینا", "last_name": "صادقی", "role": Role.SUPPORT},
    )
    if created:
        mina.set_unusable_password()
        mina.save()
        mina.teams.add(support)
    return [*{agent.pk: agent for agent in [*agents, mina]}.values()]


def seed_service_demo(*, rng: random.Random, contacts: Sequence[Contact], tickets: int) -> int:
    """Categories, canned responses and ``tickets`` tickets; returns how many were opened."""
    agents = _agents()
    team = Team.objects.get(name="پشتیبانی")
    categories = {}
    for name, method in CATEGORIES:
        category, _created = TicketCategory.objects.get_or_create(
            name=name, defaults={"team": team, "assignment": method}
        )
        category.agents.add(*agents)
        categories[name] = category
    for title, body in CANNED:
        CannedResponse.objects.get_or_create(title=title, defaults={"body": body})
    opened = []
    people = [contact for contact in contacts if contact.emails.exists()] or list(contacts)
    for index in range(tickets):
        category_name, subject, body = REQUESTS[index % len(REQUESTS)]
        contact = rng.choice(people) if people else None
        email = contact_first_email(contact)
        ticket = ticket_create(
            actor=None,
            values={
                "subject": subject,
                "category": categories[category_name],
                "contact": contact,
                "priority": rng.choice(("low", "normal", "normal", "high", "urgent")),
                # Most go to an agent; a few wait in the team's queue (at night the category
                # rule finds nobody on duty either).
                "assignee": rng.choice(agents) if index % 7 else None,
            },
            body=body,
            channel=rng.choice(("email", "email", "web", "phone", "portal")),
            requester_email=email or "",
            is_complaint=index % 6 == 1,
        )
        opened.append(ticket)
        agent = ticket.assignee or rng.choice(agents)
        fate = index % 5
        if fate >= 1:
            ticket_reply(actor=agent, ticket=ticket, body="سلام، درخواست شما را بررسی می‌کنیم.")
        if fate == 2:
            ticket_reply(
                actor=agent,
                ticket=ticket,
                body="پیگیری شد؛ داخلی: با انبار تماس گرفتم.",
                internal=True,
            )
            ticket_set_status(actor=agent, ticket=ticket, status=TicketStatus.WAITING)
        if fate == 3:
            ticket_customer_message(ticket=ticket, body="ممنون، منتظر خبرتان هستم.")
        if fate == 4:
            ticket_set_status(actor=agent, ticket=ticket, status=TicketStatus.RESOLVED)
        if ticket.complaint_step:
            ticket_complaint_step(
                actor=agent, ticket=ticket, step="investigating", note="با واحد انبار بررسی شد."
            )
    if len(opened) > 8 and opened[7].contact_id is not None:
        duplicate = ticket_create(
            actor=None,
            values={"subject": opened[7].subject, "contact": opened[7].contact},
            body="دوباره می‌نویسم چون جوابی نگرفتم.",
            channel="email",
            requester_email=opened[7].requester_email,
        )
        ticket_merge(actor=agents[0], source=duplicate, target=opened[7])
    # The demo's customers are made up: their replies count as already emailed, so the
    # reply emails queued when this transaction commits find nothing to send.
    TicketMessage.objects.filter(
        ticket__in=opened, kind=MessageKind.REPLY, emailed_at__isnull=True
    ).update(emailed_at=timezone.now())
    return len(opened)
