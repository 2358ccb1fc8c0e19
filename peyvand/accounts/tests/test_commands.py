"""Management commands: ``token``, ``seed`` and ``demo --no-serve``."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.test import Client

from peyvand.accounts.models import ApiToken, User
from peyvand.contacts.models import Company, CompanyDuplicateCandidate, Contact, DuplicateCandidate
from peyvand.contacts.tests.factories import make_contact
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db


def run(*args: Any) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


class TestTokenCommand:
    def test_create_prints_the_token_alone_on_its_last_line(self, sales_user: User) -> None:
        make_contact(actor=sales_user)
        output = run("token", "create", "--user", sales_user.username, "--scopes", "contacts:read")
        lines = output.rstrip("\n").split("\n")
        plain = lines[-1]
        token = ApiToken.objects.get(user=sales_user)
        assert plain.startswith(f"pv_{token.prefix}_")
        assert plain == plain.strip()
        assert " " not in plain
        assert token.scopes == ["contacts:read"]
        assert token.name == "cli"
        assert lines[:-1] == [
            f"Token {token.prefix} for {sales_user.username}, scopes: contacts:read"
        ]

        api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
        listed = api.get("/api/v1/contacts")
        assert listed.status_code == 200
        assert len(listed.json()["items"]) == 1
        created = api.post(
            "/api/v1/contacts",
            {"first_name": "نو", "last_name": "تازه"},
            content_type="application/json",
        )
        assert created.status_code == 403
        assert Contact.objects.count() == 1
        assert (
            Client(HTTP_AUTHORIZATION="Bearer pv_nope_nope").get("/api/v1/contacts").status_code
            == 401
        )

    def test_several_scopes_and_default_scopes(self, sales_user: User) -> None:
        output = run(
            "token",
            "create",
            "--user",
            sales_user.username,
            "--name",
            "sync",
            "--scopes",
            "contacts:read,contacts:write",
            "tasks:read",
        )
        plain = output.rstrip("\n").split("\n")[-1]
        token = ApiToken.objects.get(name="sync")
        assert token.scopes == ["contacts:read", "contacts:write", "tasks:read"]
        created = Client(HTTP_AUTHORIZATION=f"Bearer {plain}").post(
            "/api/v1/contacts",
            {"first_name": "نو", "last_name": "تازه"},
            content_type="application/json",
        )
        assert created.status_code == 201
        run("token", "create", "--user", sales_user.username, "--name", "default")
        assert ApiToken.objects.get(name="default").scopes == ["*:read", "*:write"]

    def test_unknown_user_and_unknown_scope_are_command_errors(self, sales_user: User) -> None:
        with pytest.raises(CommandError, match="No user named 'ghost'"):
            run("token", "create", "--user", "ghost")
        with pytest.raises(CommandError, match="root:all"):
            run("token", "create", "--user", sales_user.username, "--scopes", "root:all")
        assert ApiToken.objects.count() == 0

    def test_list_and_revoke(self, sales_user: User) -> None:
        plain = run("token", "create", "--user", sales_user.username).rstrip("\n").split("\n")[-1]
        token = ApiToken.objects.get()
        listing = run("token", "list", "--user", sales_user.username)
        assert listing == f"{token.prefix}\tcli\t*:read *:write\tactive\n"
        assert run("token", "revoke", token.prefix) == f"revoked {token.prefix}\n"
        assert run("token", "list", "--user", sales_user.username).endswith("\trevoked\n")
        assert (
            Client(HTTP_AUTHORIZATION=f"Bearer {plain}").get("/api/v1/contacts").status_code == 401
        )
        with pytest.raises(CommandError):
            run("token", "revoke", "ffffffff")


class TestSeed:
    def test_seed_creates_exactly_the_contacts_asked_for_with_events(self) -> None:
        output = run("seed", "--contacts", "20")
        assert Contact.objects.count() == 20
        assert output.startswith("20 contacts, 2 companies, ")
        created = Event.objects.filter(verb="contact.created")
        assert created.count() == 20
        assert set(created.values_list("contact_id", flat=True)) == set(
            Contact.objects.values_list("pk", flat=True)
        )
        assert Company.objects.count() == 2
        assert not Contact.objects.filter(owner__isnull=True).exists()
        assert not Contact.objects.annotate(phone_total=Count("phones")).filter(phone_total=0)
        # Arabic ي/ك typed into the seed data is stored in Persian form
        assert not Contact.objects.filter(last_name__contains="ي").exists()
        assert not Contact.objects.filter(first_name__contains="ك").exists()
        # One person and one company were entered twice, and the review queue has them.
        person_pair = DuplicateCandidate.objects.get()
        assert {person_pair.first.full_name, person_pair.second.full_name} == {
            person_pair.first.full_name
        }
        company_pair = CompanyDuplicateCandidate.objects.get()
        assert company_pair.second.name == f"{company_pair.first.name} (سهامی خاص)"

    def test_seed_is_deterministic_for_a_seed(self) -> None:
        run("seed", "--contacts", "5", "--seed", "7")
        first = list(Contact.objects.order_by("id").values_list("first_name", "last_name"))
        from peyvand.commerce.models import Order, Refund

        Refund.objects.all().delete()  # the purchase history protects its contacts
        Order.objects.all().delete()
        Contact.objects.all().delete()
        run("seed", "--contacts", "5", "--seed", "7")
        assert list(Contact.objects.order_by("id").values_list("first_name", "last_name")) == first


class TestDemo:
    def test_demo_is_idempotent_and_sets_the_demo_password(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("PEYVAND_DEMO_PASSWORD", "Demo-pass-2024")
        first = run("demo", "--no-serve", "--contacts", "12")
        assert "Seeded 12 contacts" in first
        assert "  username: demo\n" in first
        assert "  password: Demo-pass-2024\n" in first
        assert Contact.objects.count() == 12
        companies = Company.objects.count()

        monkeypatch.setenv("PEYVAND_DEMO_PASSWORD", "Second-pass-2025")
        second = run("demo", "--no-serve", "--contacts", "12")
        assert "Seeded" not in second
        assert Contact.objects.count() == 12
        assert Company.objects.count() == companies
        assert User.objects.filter(username="demo").count() == 1

        demo = User.objects.get(username="demo")
        assert demo.is_active and demo.is_superuser and demo.is_staff
        assert demo.role == "admin"
        assert demo.check_password("Second-pass-2025")
        client = Client()
        response = client.post(
            "/accounts/login/", {"username": "demo", "password": "Second-pass-2025"}
        )
        assert response.status_code == 302
        assert client.get("/").context["contact_total"] == 12

    def test_demo_without_a_password_prints_a_new_one(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("PEYVAND_DEMO_PASSWORD", raising=False)
        make_contact()  # data present: nothing is seeded
        output = run("demo", "--no-serve")
        password = output.rstrip("\n").split("\n")[-1].removeprefix("  password: ")
        assert len(password) >= 12
        assert User.objects.get(username="demo").check_password(password)
        assert Contact.objects.count() == 1

    def test_the_demo_sends_sms_to_a_local_fake_kavenegar_unless_one_is_configured(
        self, settings: Any
    ) -> None:
        from peyvand.messaging.sms.base import configured_gateway
        from peyvand.web.management.commands.demo import start_demo_sms_gateway

        settings.PEYVAND_SMS_GATEWAY = "smsir"
        assert start_demo_sms_gateway() is None
        settings.PEYVAND_SMS_GATEWAY = ""
        fake = start_demo_sms_gateway()
        assert fake is not None
        try:
            gateway = configured_gateway()
            assert gateway is not None and settings.PEYVAND_SMS_GATEWAY == "kavenegar"
            result = gateway.send(recipient="+989121234567", text="یلدا مبارک", local_id="71")
            assert result.provider_message_id
            assert [message.text for message in fake.state.messages.values()] == ["یلدا مبارک"]
        finally:
            fake.stop()
