"""The sales flow a seller does by hand, in a real Chromium driven by Playwright.

A visitor fills in a public web form (a mistyped mobile first, then a Persian-digit one),
the lead goes to a seller by a round-robin rule, the seller converts it into a contact and a
deal, then moves deals across the Kanban board by dragging, by keyboard and by the card's
"Move to stage" menu; won and lost stages ask for a reason in a dialog. A read-only user
sees the board but cannot move anything.

Transactional tests flush the database, so the default pipeline the data migration makes is
gone: the sales ``conftest`` makes it again (``default_pipeline``).
"""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.accounts.models import ObjectType, Role, VisibilityLevel, VisibilityPolicy
from peyvand.accounts.tests.factories import PASSWORD, UserFactory
from peyvand.contacts.models import Contact
from peyvand.sales.models import (
    AssignmentMethod,
    AssignmentRule,
    AssignmentTarget,
    Deal,
    DealStatus,
    Lead,
    LeadStatus,
    Pipeline,
    Stage,
)
from peyvand.sales.tests.factories import make_deal
from peyvand.sales.web_forms import web_form_save
from peyvand.timeline.models import Event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _stages(pipeline: Pipeline) -> list[Stage]:
    """The pipeline's stages in board order: four open, then won, then lost."""
    return list(pipeline.stages.order_by("position", "id"))


def _card(deal: Deal) -> str:
    return f'.deal-card[data-deal="{deal.pk}"]'


def _column(stage: Stage) -> str:
    return f'.board-column[data-stage="{stage.pk}"]'


def _open_board(page: Any, live_server: Any) -> None:
    # Six 17rem columns need a wide screen to be seen at once; a column scrolled out of view
    # cannot be dropped on (and Sortable's auto-scroll would move the target mid-drag).
    page.set_viewport_size({"width": 1920, "height": 1000})
    page.goto(f"{live_server.url}/sales/deals/")
    page.wait_for_selector('#board[data-ready="1"]', state="attached")


def _is_move(response: Any) -> bool:
    return "/move/" in response.url and response.request.method == "POST"


def _center(page: Any, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    viewport = page.viewport_size
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], f"{selector} off-screen"
    return box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 40)


def _drag(page: Any, deal: Deal, target: str) -> None:
    """Drag a deal's card onto the list ``target`` with real pointer moves, as SortableJS
    needs: press on the card, move a little until Sortable has started the drag (the card
    gets its ghost class), move in steps to the target list until Sortable has put the card
    there, release. Waiting on those states, not on time, keeps it deterministic."""
    card = _card(deal)
    page.hover(card)
    x, y = _center(page, card)
    page.mouse.down()
    page.mouse.move(x - 10, y + 10, steps=5)
    page.wait_for_selector(f"{card}.sortable-ghost", state="attached")
    x, y = _center(page, target)
    page.mouse.move(x, y, steps=20)
    page.wait_for_selector(f"{target} {card}", state="attached")
    page.mouse.move(x + 2, y + 2, steps=2)
    page.mouse.up()


def _drag_and_wait(page: Any, deal: Deal, target: str) -> Any:
    """Drag a card onto an open stage and wait for the move request and the board reload
    (``move`` sets ``data-ready`` to 0 before posting; the reload sets it back to 1)."""
    with page.expect_response(_is_move) as response_info:
        _drag(page, deal, target)
    response = response_info.value
    page.wait_for_selector('#board[data-ready="1"]', state="attached")
    return response


def _count(page: Any, stage: Stage) -> str:
    return str(page.inner_text(f'{_column(stage)} [data-role="count"]')).strip()


def test_public_form_lead_assigned_and_converted(page, live_server) -> None:  # type: ignore[no-untyped-def]
    seller = UserFactory(username="seller", first_name="مینا", last_name="رحیمی", role=Role.SALES)
    web_form = web_form_save(
        actor=None,
        values={
            "name": "فرم تماس سایت",
            "title": "درخواست مشاوره",
            "consent_text": "با تماس فروشنده موافقم.",
            "fields": [
                {"name": "first_name", "label": "", "required": True},
                {"name": "last_name", "label": "", "required": True},
                {"name": "phone", "label": "", "required": True},
            ],
        },
    )
    rule = AssignmentRule.objects.create(
        name="نوبتی فروش",
        method=AssignmentMethod.ROUND_ROBIN,
        applies_to=AssignmentTarget.LEAD,
        respect_working_hours=False,
    )
    rule.users.set([seller])

    # A visitor, not logged in, comes from an Instagram campaign.
    page.goto(f"{live_server.url}/f/{web_form.key}/?utm_source=instagram&utm_campaign=yalda")
    page.fill("#id_first_name", "رضا")
    page.fill("#id_last_name", "كريمي")
    page.fill("#id_phone", "۰۹۱۲")
    page.check("#id_consent")
    page.click("#public-form button[type=submit]")
    phone_error = page.locator('[data-error-for="phone"]')
    phone_error.wait_for()
    assert "شماره تلفن معتبر" in phone_error.inner_text()
    assert not Lead.objects.exists()

    page.fill("#id_phone", "۰۹۱۲ ۳۴۵ ۶۷۸۹")
    page.click("#public-form button[type=submit]")
    page.locator("#form-done").wait_for()

    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name) == ("رضا", "کریمی")
    assert lead.phone == "+989123456789"
    assert (lead.utm_source, lead.utm_campaign) == ("instagram", "yalda")
    assert lead.consent_given is True
    assert lead.owner == seller
    assert lead.web_form == web_form

    # The seller finds the lead on their list, sees why it is theirs and converts it.
    _log_in(page, live_server, "seller")
    page.goto(f"{live_server.url}/sales/leads/")
    page.locator("#lead-table a", has_text="رضا کریمی").click()
    page.wait_for_url(f"{live_server.url}/sales/leads/{lead.pk}/")
    assert "مینا رحیمی" in page.inner_text("#lead-owner")
    assigned = page.locator('#timeline-list > li[data-verb="lead.assigned"]')
    assert assigned.count() == 1
    assert "نوبتی فروش" in assigned.inner_text()

    page.click("#convert-button")
    page.wait_for_url(f"{live_server.url}/sales/deals/*/")

    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    assert lead.deal is not None and lead.contact is not None
    assert page.url == f"{live_server.url}/sales/deals/{lead.deal.pk}/"
    contact = Contact.objects.get(phones__number="+989123456789")
    assert contact == lead.contact
    assert lead.deal.contact == contact
    assert lead.deal.owner == seller


def test_a_persian_quote_is_built_and_emailed_from_the_deal(  # type: ignore[no-untyped-def]
    page, live_server, smtp_settings
) -> None:
    from peyvand.sales.models import Quote, QuoteStatus
    from peyvand.sales.quotes import product_save

    seller = UserFactory(username="seller", role=Role.SALES)
    product = product_save(
        actor=None,
        values={"code": "LP-15", "name": "لپ‌تاپ ۱۵ اینچ", "unit": "دستگاه", "price": 450_000_000},
    )
    deal = make_deal(owner=seller, actor=seller, title="تجهیز دفتر")
    _log_in(page, live_server, "seller")
    page.goto(f"{live_server.url}/sales/deals/{deal.pk}/")
    page.click("#new-quote")
    page.select_option('select[name="line0-product"]', str(product.pk))
    page.fill('input[name="line0-quantity"]', "۳")
    page.fill('input[name="line0-discount_percent"]', "۱۰")
    page.click("#quote-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/sales/quotes/*/")
    quote = Quote.objects.get()
    # 3 × 45,000,000 Toman − 10% = 121,500,000; + 10% VAT = 133,650,000 Toman
    assert quote.total == 1_336_500_000
    assert page.inner_text("#quote-total").strip() == "۱۳۳٬۶۵۰٬۰۰۰ تومان"
    page.fill("#send-to", "buyer@example.ir")
    page.click("#send-button")
    page.wait_for_selector(".alert-success")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT
    assert len(smtp_settings.messages) == 1
    _recipients, message = smtp_settings.messages[0]
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "quote-1405-0001.pdf"
    assert quote.sent_to == "buyer@example.ir"
    assert page.inner_text("#quote-status").strip() == "ارسال‌شده"


def test_drag_a_deal_across_the_board(page, live_server, default_pipeline) -> None:  # type: ignore[no-untyped-def]
    seller = UserFactory(username="seller", role=Role.SALES)
    first, second, *_middle, won, _lost = _stages(default_pipeline)
    deal = make_deal(owner=seller, actor=seller, pipeline=default_pipeline, stage=first)

    _log_in(page, live_server, "seller")
    _open_board(page, live_server)
    assert _count(page, first) == "۱" and _count(page, second) == "۰"

    response = _drag_and_wait(page, deal, f"{_column(second)} .board-cards")
    assert response.status == 200, response.text()
    deal.refresh_from_db()
    assert deal.stage == second and deal.status == DealStatus.OPEN
    assert Event.objects.filter(verb="deal.stage_changed", subject_id=deal.pk).count() == 1
    assert page.locator(f"{_column(second)} {_card(deal)}").count() == 1
    assert _count(page, first) == "۰" and _count(page, second) == "۱"

    # Onto the won column: the reason dialog opens first.
    _drag(page, deal, f"{_column(won)} .board-cards")
    page.wait_for_selector("#close-reason-dialog[open]")
    page.fill("#close-reason-input", "قیمت مناسب")
    with page.expect_response(_is_move) as response_info:
        page.click("#close-reason-ok")
    assert response_info.value.status == 200
    page.wait_for_selector('#board[data-ready="1"]', state="attached")

    deal.refresh_from_db()
    assert (deal.stage, deal.status, deal.close_reason) == (won, DealStatus.WON, "قیمت مناسب")
    assert Event.objects.filter(verb="deal.won", subject_id=deal.pk).count() == 1
    assert page.locator(f"{_column(won)} {_card(deal)}").count() == 1
    assert _count(page, second) == "۰" and _count(page, won) == "۱"


def test_cancelling_the_reason_leaves_the_deal(page, live_server, default_pipeline) -> None:  # type: ignore[no-untyped-def]
    seller = UserFactory(username="seller", role=Role.SALES)
    first, *_others, lost = _stages(default_pipeline)
    deal = make_deal(owner=seller, actor=seller, pipeline=default_pipeline, stage=first)

    _log_in(page, live_server, "seller")
    _open_board(page, live_server)
    _drag(page, deal, f"{_column(lost)} .board-cards")
    page.wait_for_selector("#close-reason-dialog[open]")
    page.click("#close-reason-dialog button[value=cancel]")
    # Cancelling reloads the board from the server: the card is back in its column.
    page.wait_for_selector(f"{_column(first)} {_card(deal)}")
    page.wait_for_selector('#board[data-ready="1"]', state="attached")

    deal.refresh_from_db()
    assert (deal.stage, deal.status) == (first, DealStatus.OPEN)
    assert not Event.objects.filter(verb="deal.lost").exists()


def test_keyboard_move(page, live_server, default_pipeline) -> None:  # type: ignore[no-untyped-def]
    seller = UserFactory(username="seller", role=Role.SALES)
    first, second, third, *_others = _stages(default_pipeline)
    deal = make_deal(owner=seller, actor=seller, pipeline=default_pipeline, stage=first)

    _log_in(page, live_server, "seller")
    _open_board(page, live_server)
    assert page.get_attribute("html", "dir") == "rtl"

    # RTL: Alt+← moves to the next stage (reading order), Alt+→ back.
    page.focus(_card(deal))
    with page.expect_response(_is_move):
        page.keyboard.press("Alt+ArrowLeft")
    page.wait_for_selector('#board[data-ready="1"]', state="attached")
    deal.refresh_from_db()
    assert deal.stage == second
    assert page.locator(f"{_column(second)} {_card(deal)}").count() == 1
    # The reloaded card keeps the focus, so the next key press moves it on.
    assert page.evaluate("document.activeElement.dataset.deal") == str(deal.pk)

    with page.expect_response(_is_move):
        page.keyboard.press("Alt+ArrowRight")
    page.wait_for_selector('#board[data-ready="1"]', state="attached")
    deal.refresh_from_db()
    assert deal.stage == first

    # The card's "Move to stage" menu.
    with page.expect_response(_is_move):
        page.select_option(f"{_card(deal)} select.move-select", str(third.pk))
    page.wait_for_selector('#board[data-ready="1"]', state="attached")
    deal.refresh_from_db()
    assert deal.stage == third
    assert page.locator(f"{_column(third)} {_card(deal)}").count() == 1
    assert page.input_value(f"{_card(deal)} select.move-select") == str(third.pk)
    assert Event.objects.filter(verb="deal.stage_changed", subject_id=deal.pk).count() == 3


def test_read_only_user_sees_the_board_but_cannot_move(page, live_server, default_pipeline) -> None:  # type: ignore[no-untyped-def]
    seller = UserFactory(username="seller", role=Role.SALES)
    UserFactory(username="viewer", role=Role.READ_ONLY)
    # The viewer owns no deal: let everyone see every deal.
    VisibilityPolicy.objects.create(object_type=ObjectType.DEAL, level=VisibilityLevel.EVERYONE)
    first, second, *_others = _stages(default_pipeline)
    deal = make_deal(owner=seller, actor=seller, pipeline=default_pipeline, stage=first)

    moves: list[str] = []
    page.on(
        "request", lambda request: moves.append(request.url) if "/move/" in request.url else None
    )
    _log_in(page, live_server, "viewer")
    _open_board(page, live_server)
    assert page.get_attribute("#board", "data-can-write") == "0"
    assert page.locator(_card(deal)).count() == 1
    assert page.locator("select.move-select").count() == 0
    assert page.locator("#new-deal").count() == 0

    # Without Sortable the card does not follow the pointer: a plain press, move, release.
    page.hover(_card(deal))
    page.mouse.down()
    page.mouse.move(*_center(page, f"{_column(second)} .board-cards"), steps=20)
    page.mouse.up()
    page.focus(_card(deal))
    page.keyboard.press("Alt+ArrowLeft")
    # Any move would have posted synchronously from these handlers; a round trip to the page
    # makes sure they have run.
    assert page.evaluate("document.getElementById('board').dataset.ready") == "1"
    assert moves == []
    assert page.locator(f"{_column(first)} {_card(deal)}").count() == 1
    deal.refresh_from_db()
    assert deal.stage == first


def test_a_manager_sees_the_forecast_against_the_quota(page, live_server) -> None:  # type: ignore[no-untyped-def]
    import jdatetime

    from peyvand.accounts.models import Team
    from peyvand.sales.forecast import Period, quota_set

    team = Team.objects.create(name="فروش تهران")
    manager = UserFactory(username="manager", role=Role.MANAGER)
    manager.teams.add(team)
    seller = UserFactory(username="seller", role=Role.SALES, first_name="رضا", last_name="احمدی")
    seller.teams.add(team)
    period = Period.current_month()
    close = jdatetime.date(period.year, period.month, 15).togregorian()
    make_deal(owner=seller, actor=seller, amount=200_000_000, expected_close_date=close)
    quota_set(actor=manager, user=seller, year=period.year, month=period.month, amount=100_000_000)

    _log_in(page, live_server, "manager")
    page.click('a.nav-link[href="/sales/forecast/"]')
    page.wait_for_url(f"{live_server.url}/sales/forecast/")
    row = page.locator("#forecast-table tbody tr").first
    cells = [text.strip() for text in row.locator("td").all_inner_texts()]
    # 200,000,000 Rials at 10% = 20,000,000 Rials weighted; quota 10,000,000 Toman.
    assert cells[0] == "رضا احمدی"
    assert cells[1] == "۱۰٬۰۰۰٬۰۰۰ تومان"
    assert cells[6] == "۲٬۰۰۰٬۰۰۰ تومان"
    assert cells[7] == "۲۰٬۰۰۰٬۰۰۰ تومان"
    page.wait_for_selector("#forecast-chart svg")
