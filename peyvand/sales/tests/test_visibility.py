"""Who sees which deals and leads: the visibility levels, managers and their teams, key
accounts and their account teams, and the pages that must answer 404 (not the record) for
a deal the user may not see, and 403 for a role that may not write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from peyvand.accounts.models import Role, Team, User, VisibilityPolicy
from peyvand.contacts.models import Company, Contact
from peyvand.contacts.selectors import companies_visible_to, contacts_visible_to
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.sales.leads import lead_create
from peyvand.sales.models import Deal, DealStageChange, Lead
from peyvand.sales.selectors import deals_visible_to, leads_visible_to
from peyvand.timeline.models import Activity, Event

from .factories import make_deal, stage_of

pytestmark = pytest.mark.django_db


def set_level(object_type: str, level: str) -> None:
    VisibilityPolicy.objects.update_or_create(object_type=object_type, defaults={"level": level})


@dataclass
class World:
    """Team A: sellers a1 and a2 and their manager; team B: seller b1; an admin, a read-only
    viewer; a deal and a lead for each seller and one of each with no owner."""

    a1: User
    a2: User
    manager: User
    b1: User
    admin: User
    viewer: User
    team_a: Team
    team_b: Team
    deals: dict[str, Deal]
    leads: dict[str, Lead]


@pytest.fixture
def world(make_user: Callable[..., User]) -> World:
    team_a = Team.objects.create(name="فروش تهران")
    team_b = Team.objects.create(name="فروش اصفهان")
    a1 = make_user(teams=(team_a,))
    a2 = make_user(teams=(team_a,))
    manager = make_user(role=Role.MANAGER, teams=(team_a,))
    b1 = make_user(teams=(team_b,))
    admin = make_user(role=Role.ADMIN)
    viewer = make_user(role=Role.READ_ONLY, teams=(team_a,))
    deals: dict[str, Deal] = {}
    leads: dict[str, Lead] = {}
    for name, owner in (("a1", a1), ("a2", a2), ("b1", b1), ("none", None)):
        deals[name] = make_deal(owner=owner, title=f"معامله {name}")
        leads[name] = lead_create(
            actor=None,
            values={
                "first_name": "سرنخ",
                "last_name": name,
                "phone": "09121234567",
                "owner": owner,
            },
        )
    return World(a1, a2, manager, b1, admin, viewer, team_a, team_b, deals, leads)


def visible_deals(user: Any) -> set[str]:
    return {deal.title.removeprefix("معامله ") for deal in deals_visible_to(user)}


def visible_leads(user: Any) -> set[str]:
    return {lead.last_name for lead in leads_visible_to(user)}


ALL = {"a1", "a2", "b1", "none"}


@pytest.mark.parametrize(
    ("level", "seller_a1", "seller_b1", "manager", "viewer"),
    [
        ("private", {"a1"}, {"b1"}, {"a1", "a2", "none"}, set()),
        ("team", {"a1", "a2"}, {"b1"}, {"a1", "a2", "none"}, {"a1", "a2"}),
        ("everyone", ALL, ALL, ALL, ALL),
    ],
)
def test_deal_visibility_by_level(
    world: World,
    level: str,
    seller_a1: set[str],
    seller_b1: set[str],
    manager: set[str],
    viewer: set[str],
) -> None:
    set_level("deal", level)
    assert visible_deals(world.a1) == seller_a1
    assert visible_deals(world.b1) == seller_b1
    assert visible_deals(world.manager) == manager
    assert visible_deals(world.viewer) == viewer
    assert visible_deals(world.admin) == ALL


@pytest.mark.parametrize(
    ("level", "seller_a1", "manager"),
    [
        ("private", {"a1"}, {"a1", "a2", "none"}),
        ("team", {"a1", "a2"}, {"a1", "a2", "none"}),
        ("everyone", ALL, ALL),
    ],
)
def test_lead_visibility_by_level(
    world: World, level: str, seller_a1: set[str], manager: set[str]
) -> None:
    set_level("lead", level)
    assert visible_leads(world.a1) == seller_a1
    assert visible_leads(world.manager) == manager
    assert visible_leads(world.admin) == ALL


def test_the_deal_and_lead_levels_are_independent(world: World) -> None:
    set_level("deal", "everyone")
    set_level("lead", "private")
    assert visible_deals(world.a1) == ALL
    assert visible_leads(world.a1) == {"a1"}


def test_without_a_policy_the_level_is_team(world: World) -> None:
    assert not VisibilityPolicy.objects.exists()
    assert visible_deals(world.a1) == {"a1", "a2"}
    assert visible_leads(world.a1) == {"a1", "a2"}


def test_a_manager_sees_every_team_they_are_in(world: World) -> None:
    set_level("deal", "private")
    world.manager.teams.add(world.team_b)
    assert visible_deals(world.manager) == ALL


def test_anonymous_and_inactive_users_see_nothing(world: World) -> None:
    set_level("deal", "everyone")
    set_level("lead", "everyone")
    world.a1.is_active = False
    world.a1.save(update_fields=["is_active"])
    for user in (AnonymousUser(), None, world.a1):
        assert visible_deals(user) == set()
        assert visible_leads(user) == set()


# --- key accounts ------------------------------------------------------------------------


@dataclass
class KeyAccount:
    company: Company
    contact: Contact
    deal: Deal


@pytest.fixture
def key_account(world: World) -> KeyAccount:
    """A key account of team A managed by b1 (team B): its people and deal are b1's."""
    for object_type in ("deal", "contact", "company"):
        set_level(object_type, "private")
    company = make_company(
        name="پتروشیمی نمونه", owner=world.b1, is_key_account=True, account_team=world.team_a
    )
    contact = make_contact(owner=world.b1, company=company, first_name="نادر")
    deal = make_deal(owner=world.b1, company=company, contact=contact, title="معامله کلیدی")
    return KeyAccount(company, contact, deal)


def test_the_account_team_sees_a_key_accounts_deals_company_and_contacts(
    world: World, key_account: KeyAccount
) -> None:
    for member in (world.a1, world.a2, world.viewer):
        assert visible_deals(member) == {
            "کلیدی",
            *({"a1"} if member == world.a1 else set()),
            *({"a2"} if member == world.a2 else set()),
        }
        assert list(companies_visible_to(member)) == [key_account.company]
        assert list(contacts_visible_to(member)) == [key_account.contact]
    # The owner sees it as before; a seller outside both teams does not.
    assert key_account.deal in deals_visible_to(world.b1)


def test_people_outside_the_account_team_do_not_see_the_key_account(
    world: World, key_account: KeyAccount, make_user: Callable[..., User]
) -> None:
    outsider = make_user(teams=(world.team_b,))
    loner = make_user()
    for user in (outsider, loner):
        assert key_account.deal not in deals_visible_to(user)
        assert key_account.company not in companies_visible_to(user)
        assert key_account.contact not in contacts_visible_to(user)


def test_a_key_account_deal_is_listed_once_for_a_member_who_also_owns_it(
    world: World, key_account: KeyAccount
) -> None:
    Deal.objects.filter(pk=key_account.deal.pk).update(owner=world.a1)
    assert list(deals_visible_to(world.a1).filter(company=key_account.company)) == [
        key_account.deal
    ]
    assert deals_visible_to(world.a1).count() == 2  # a1's own deal and the key account's


def test_a_key_account_team_member_opens_the_deal_page(
    world: World, key_account: KeyAccount, logged_in: Callable[[User], Client]
) -> None:
    client = logged_in(world.a1)
    response = client.get(f"/sales/deals/{key_account.deal.pk}/")
    assert response.status_code == 200
    assert response.context["deal"] == key_account.deal
    assert client.get(f"/contacts/companies/{key_account.company.pk}/").status_code == 200


# --- through HTTP: 404 for what is not visible, 403 for what the role may not do ----------


@pytest.fixture
def private_deals(world: World) -> World:
    set_level("deal", "private")
    set_level("lead", "private")
    return world


def test_another_sellers_private_deal_is_404_on_every_page(
    private_deals: World, logged_in: Callable[[User], Client]
) -> None:
    world = private_deals
    deal = world.deals["a2"]
    target = stage_of(deal.pipeline, index=1)
    client = logged_in(world.a1)

    assert client.get(f"/sales/deals/{deal.pk}/").status_code == 404
    assert client.get(f"/sales/deals/{deal.pk}/edit/").status_code == 404
    assert client.post(f"/sales/deals/{deal.pk}/edit/", {"title": "ربوده"}).status_code == 404
    moved = client.post(
        f"/sales/deals/{deal.pk}/move/",
        {"stage": target.pk},
        headers={"accept": "application/json"},
    )
    assert moved.status_code == 404
    logged = client.post(
        f"/tasks/activity/deal/{deal.pk}/", {"kind": "note", "body": "یادداشت نفوذی"}
    )
    assert logged.status_code == 404
    assert client.get(f"/sales/leads/{world.leads['a2'].pk}/").status_code == 404

    deal.refresh_from_db()
    assert (deal.title, deal.stage_id) == ("معامله a2", stage_of(deal.pipeline).pk)
    assert DealStageChange.objects.filter(deal=deal).count() == 1
    assert not Activity.objects.filter(deal=deal).exists()
    assert list(Event.objects.filter(deal=deal).values_list("verb", flat=True)) == ["deal.created"]


def test_the_same_requests_work_on_the_sellers_own_deal(
    private_deals: World, logged_in: Callable[[User], Client]
) -> None:
    world = private_deals
    deal = world.deals["a1"]
    target = stage_of(deal.pipeline, index=1)
    client = logged_in(world.a1)

    assert client.get(f"/sales/deals/{deal.pk}/").status_code == 200
    assert client.get(f"/sales/deals/{deal.pk}/edit/").status_code == 200
    moved = client.post(
        f"/sales/deals/{deal.pk}/move/",
        {"stage": target.pk},
        headers={"accept": "application/json"},
    )
    assert moved.status_code == 200
    logged = client.post(f"/tasks/activity/deal/{deal.pk}/", {"kind": "note", "body": "تماس شد"})
    assert logged.status_code == 302
    assert Activity.objects.filter(deal=deal).count() == 1


def test_deleting_a_deal_outside_the_managers_teams_is_404(
    private_deals: World, logged_in: Callable[[User], Client]
) -> None:
    world = private_deals
    client = logged_in(world.manager)
    assert client.post(f"/sales/deals/{world.deals['b1'].pk}/delete/").status_code == 404
    assert Deal.objects.filter(pk=world.deals["b1"].pk).exists()

    response = client.post(f"/sales/deals/{world.deals['a2'].pk}/delete/")
    assert (response.status_code, response["Location"]) == (302, "/sales/deals/")
    assert not Deal.objects.filter(pk=world.deals["a2"].pk).exists()


def test_a_seller_may_not_delete_deals_at_all(
    private_deals: World, logged_in: Callable[[User], Client]
) -> None:
    client = logged_in(private_deals.a1)
    assert client.post(f"/sales/deals/{private_deals.deals['a1'].pk}/delete/").status_code == 403
    assert client.post(f"/sales/deals/{private_deals.deals['a2'].pk}/delete/").status_code == 403
    assert Deal.objects.count() == 4


def test_read_only_users_cannot_create_or_move_deals(
    world: World, logged_in: Callable[[User], Client]
) -> None:
    set_level("deal", "everyone")
    deal = world.deals["a1"]
    client = logged_in(world.viewer)

    assert client.get("/sales/deals/").status_code == 200
    assert client.get(f"/sales/deals/{deal.pk}/").status_code == 200
    assert client.get("/sales/deals/new/").status_code == 403
    created = client.post(
        "/sales/deals/new/",
        {
            "title": "نباید ساخته شود",
            "pipeline": deal.pipeline_id,
            "currency": "IRR",
            "forecast_category": "pipeline",
        },
    )
    assert created.status_code == 403
    moved = client.post(
        f"/sales/deals/{deal.pk}/move/",
        {"stage": stage_of(deal.pipeline, index=1).pk},
        headers={"accept": "application/json"},
    )
    assert moved.status_code == 403
    deal.refresh_from_db()
    assert deal.stage == stage_of(deal.pipeline)
    assert Deal.objects.count() == 4


def test_anonymous_visitors_are_sent_to_sign_in(world: World, client: Client) -> None:
    response = client.get(f"/sales/deals/{world.deals['a1'].pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_account_team_opens_nothing_unless_the_company_is_a_key_account(
    world: World, key_account: KeyAccount
) -> None:
    from peyvand.contacts.models import Company

    Company.objects.filter(pk=key_account.company.pk).update(is_key_account=False)
    member = world.a1
    assert key_account.deal not in deals_visible_to(member)
    assert key_account.company not in companies_visible_to(member)
