"""``ReadOnlyAdmin``: records that only services write are listed in the admin, and nothing
can be added, changed or deleted there (by URL or by the bulk action)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib import admin
from django.test import Client

from peyvand.accounts.models import User
from peyvand.common.admin import ReadOnlyAdmin
from peyvand.integrations.models import ImapMailboxState, InboundEmail, TicketAcknowledgement

pytestmark = pytest.mark.django_db


def test_the_email_channel_admin_uses_the_shared_read_only_admin() -> None:
    for model in (InboundEmail, ImapMailboxState, TicketAcknowledgement):
        assert isinstance(admin.site._registry[model], ReadOnlyAdmin)


def test_nothing_is_added_changed_or_deleted(
    logged_in: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    email = InboundEmail.objects.create(
        key="k-1", source="webhook", from_email="a@example.ir", subject="سلام", outcome="rejected"
    )
    client = logged_in(make_user(is_staff=True, is_superuser=True))
    listing = client.get("/admin/integrations/inboundemail/")
    assert listing.status_code == 200
    assert "delete_selected" not in listing.content.decode()
    assert client.get("/admin/integrations/inboundemail/add/").status_code == 403
    base = f"/admin/integrations/inboundemail/{email.pk}/"
    assert client.post(base + "change/", {"subject": "x"}).status_code == 403
    assert client.post(base + "delete/", {"post": "yes"}).status_code == 403
    bulk = client.post(
        "/admin/integrations/inboundemail/",
        {"action": "delete_selected", "_selected_action": [email.pk], "post": "yes"},
    )
    assert bulk.status_code == 200  # the list again: there is no such action
    assert list(InboundEmail.objects.values_list("pk", "subject")) == [(email.pk, "سلام")]
