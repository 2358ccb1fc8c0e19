"""Timeline and task pages through HTTP: notes, the kind filter, tasks, my day, reminders."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone, translation

from peyvand.accounts.models import Notification, Role, Team, User
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.timeline.models import Activity, Event, Task
from peyvand.timeline.services import activity_log, reminders_deliver_due, task_create

pytestmark = pytest.mark.django_db


TEHRAN = zoneinfo.ZoneInfo("Asia/Tehran")


def _text(response: Any) -> str:
    return response.content.decode()


def tr(message: str, language: str = "fa", **params: Any) -> str:
    with translation.override(language):
        text = translation.gettext(message)
    return text % params if params else text


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def timeline_verbs(html: str) -> list[str]:
    """The verbs of the timeline entries on a page, top to bottom."""
    return re.findall(r'<li data-verb="([^"]+)">', html)


def my_day_titles(html: str) -> list[str]:
    block = re.search(r'<ul class="list-group list-group-flush" id="my-day">(.*?)</ul>', html, re.S)
    assert block is not None
    return re.findall(r'href="/tasks/\d+/"[^>]*>(?:<i [^>]*></i> )?([^<]+)</a>', block.group(1))


# --- activities on the 360 page --------------------------------------------------------


class TestActivities:
    def test_note_posted_to_the_activity_url_appears_on_the_360_timeline(
        self, logged_in: Any, sales_user: User
    ) -> None:
        contact = make_contact(actor=sales_user)
        client = logged_in(sales_user)
        response = client.post(
            f"/tasks/activity/contact/{contact.pk}/",
            {"kind": "note", "body": "مشتری  قیمت  عمده را خواست"},
            follow=True,
        )
        assert response.redirect_chain == [(f"/contacts/{contact.pk}/", 302)]
        assert messages_of(response) == [tr("Saved on the timeline.")]
        activity = Activity.objects.get(contact=contact)
        assert (activity.kind, activity.body, activity.created_by_id) == (
            "note",
            "مشتری  قیمت  عمده را خواست",
            sales_user.pk,
        )
        html = _text(response)
        assert timeline_verbs(html) == ["note.logged", "contact.created"]
        assert '<div class="white-space-pre mt-1">مشتری  قیمت  عمده را خواست</div>' in html

    def test_empty_note_is_refused_with_a_message(self, logged_in: Any, sales_user: User) -> None:
        contact = make_contact(actor=sales_user)
        response = logged_in(sales_user).post(
            f"/tasks/activity/contact/{contact.pk}/", {"kind": "note", "body": "  "}, follow=True
        )
        assert response.redirect_chain == [(f"/contacts/{contact.pk}/", 302)]
        label = tr("Text")
        assert messages_of(response) == [f"{label}: {tr('Write the text of the note.')}"]
        assert Activity.objects.count() == 0

    def test_call_with_time_and_duration_on_a_company(
        self, logged_in: Any, sales_user: User
    ) -> None:
        company = make_company(actor=sales_user)
        response = logged_in(sales_user).post(
            f"/tasks/activity/company/{company.pk}/",
            {
                "kind": "call",
                "subject": "پيگيري",
                "body": "",
                "occurred_on": "۱۴۰۳/۰۵/۱۲",
                "occurred_time": "10:15",
                "direction": "outbound",
                "duration_minutes": "5",
                "outcome": "answered",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == f"/contacts/companies/{company.pk}/"
        call = Activity.objects.get(company=company)
        assert call.subject == "پیگیری"
        assert call.duration_seconds == 300
        assert call.occurred_at == datetime.datetime(2024, 8, 2, 10, 15, tzinfo=TEHRAN)
        event = Event.objects.get(verb="call.logged")
        assert event.company_id == company.pk
        assert event.occurred_at == call.occurred_at

    def test_unknown_record_type_is_404(self, logged_in: Any, sales_user: User) -> None:
        contact = make_contact(actor=sales_user)
        response = logged_in(sales_user).post(
            f"/tasks/activity/deal/{contact.pk}/", {"kind": "note", "body": "x"}
        )
        assert response.status_code == 404

    def test_activity_url_is_post_only(self, logged_in: Any, sales_user: User) -> None:
        contact = make_contact(actor=sales_user)
        assert (
            logged_in(sales_user).get(f"/tasks/activity/contact/{contact.pk}/").status_code == 405
        )

    def test_timeline_fragment_filters_by_kind(self, logged_in: Any, sales_user: User) -> None:
        contact = make_contact(actor=sales_user)
        for kind, body in (("note", "اول"), ("call", "تماس"), ("note", "دوم"), ("meeting", "جلسه")):
            activity_log(actor=sales_user, values={"kind": kind, "body": body, "contact": contact})
        task_create(actor=sales_user, values={"title": "پیگیری", "contact": contact})
        client = logged_in(sales_user)

        everything = client.get(f"/tasks/timeline/contact/{contact.pk}/")
        assert everything.status_code == 200
        html = _text(everything)
        assert not html.lstrip().startswith("<!doctype")
        assert sorted(timeline_verbs(html)) == sorted(
            [
                "contact.created",
                "note.logged",
                "call.logged",
                "note.logged",
                "meeting.logged",
                "task.created",
            ]
        )

        notes = client.get(f"/tasks/timeline/contact/{contact.pk}/", {"kind": "note"})
        notes_html = _text(notes)
        assert timeline_verbs(notes_html) == ["note.logged", "note.logged"]
        assert re.findall(r'<div class="white-space-pre mt-1">([^<]+)</div>', notes_html) == [
            "دوم",
            "اول",
        ]
        assert notes.context["kind"] == "note"

        calls = client.get(f"/tasks/timeline/contact/{contact.pk}/", {"kind": "call"})
        assert timeline_verbs(_text(calls)) == ["call.logged"]
        records = client.get(f"/tasks/timeline/contact/{contact.pk}/", {"kind": "record"})
        assert timeline_verbs(_text(records)) == ["contact.created"]
        unknown = client.get(f"/tasks/timeline/contact/{contact.pk}/", {"kind": "bogus"})
        assert len(timeline_verbs(_text(unknown))) == 6

    def test_timeline_pages_with_a_cursor(self, logged_in: Any, sales_user: User) -> None:
        contact = make_contact(actor=sales_user)
        for number in range(31):
            activity_log(
                actor=sales_user, values={"kind": "note", "body": f"n{number}", "contact": contact}
            )
        client = logged_in(sales_user)
        first = client.get(f"/tasks/timeline/contact/{contact.pk}/", {"kind": "note"})
        assert len(timeline_verbs(_text(first))) == 30
        cursor = first.context["next_cursor"]
        assert cursor
        second = client.get(
            f"/tasks/timeline/contact/{contact.pk}/", {"kind": "note", "cursor": cursor}
        )
        assert re.findall(r'<div class="white-space-pre mt-1">([^<]+)</div>', _text(second)) == [
            "n0"
        ]
        assert second.context["next_cursor"] is None


# --- tasks ----------------------------------------------------------------------------


class TestTasks:
    def test_create_with_jalali_due_date_time_and_reminder(
        self, logged_in: Any, sales_user: User
    ) -> None:
        contact = make_contact(actor=sales_user)
        client = logged_in(sales_user)
        form = client.get(f"/tasks/new/?contact={contact.pk}")
        assert form.status_code == 200
        assert f'<input type="hidden" name="contact" value="{contact.pk}">' in _text(form)
        response = client.post(
            "/tasks/new/",
            {
                "contact": str(contact.pk),
                "title": "تماس براي پيش‌فاکتور",
                "description": "قیمت‌ها را بفرست",
                "due_date": "۱۴۰۳/۰۵/۱۲",
                "due_time": "14:30",
                "remind_minutes_before": "۳۰",
                "priority": "high",
                "status": "open",
                "assignee": str(sales_user.pk),
            },
        )
        task = Task.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/tasks/{task.pk}/"
        assert task.title == "تماس برای پیش‌فاکتور"
        assert task.contact_id == contact.pk
        assert task.assignee_id == sales_user.pk
        assert task.created_by_id == sales_user.pk
        assert task.priority == "high"
        assert task.due_at == datetime.datetime(2024, 8, 2, 14, 30, tzinfo=TEHRAN)
        assert task.due_at == datetime.datetime(2024, 8, 2, 11, 0, tzinfo=datetime.UTC)
        assert task.remind_at == datetime.datetime(2024, 8, 2, 14, 0, tzinfo=TEHRAN)
        assert timezone.is_aware(task.due_at)
        assert timezone.localtime(task.due_at).utcoffset() == datetime.timedelta(
            hours=3, minutes=30
        )
        assert Event.objects.filter(contact=contact, verb="task.created").count() == 1

        detail = _text(client.get(f"/tasks/{task.pk}/"))
        assert "۱۴۰۳/۰۵/۱۲ ۱۴:۳۰" in detail
        assert "۱۴۰۳/۰۵/۱۲ ۱۴:۰۰" in detail

        edit = client.get(f"/tasks/{task.pk}/edit/")
        assert edit.status_code == 200
        assert edit.context["form"].initial["remind_minutes_before"] == 30
        assert 'name="due_date" value="۱۴۰۳/۰۵/۱۲"' in _text(edit)

    def test_english_user_sees_iso_task_times(
        self, logged_in: Any, make_user: Callable[..., User], team: Team
    ) -> None:
        english = make_user(role=Role.SALES, teams=(team,), language="en")
        task = task_create(
            actor=english,
            values={
                "title": "Call back",
                "due_at": datetime.datetime(2024, 8, 2, 14, 30, tzinfo=TEHRAN),
            },
        )
        html = _text(logged_in(english).get(f"/tasks/{task.pk}/"))
        assert '<html lang="en" dir="ltr">' in html
        assert "2024-08-02 14:30" in html

    def test_reminder_without_due_date_is_a_field_error(
        self, logged_in: Any, sales_user: User
    ) -> None:
        response = logged_in(sales_user).post(
            "/tasks/new/",
            {"title": "بدون موعد", "remind_minutes_before": "10", "priority": "normal"}
            | {"status": "open"},
        )
        assert response.status_code == 200
        assert response.context["form"].errors == {
            "due_date": [tr("Set a due date to get a reminder.")]
        }
        assert 'data-error-for="due_date"' in _text(response)
        assert Task.objects.count() == 0

    def test_bad_jalali_date_is_a_field_error(self, logged_in: Any, sales_user: User) -> None:
        response = logged_in(sales_user).post(
            "/tasks/new/",
            {"title": "x", "due_date": "۱۴۰۳/۱۳/۰۱", "priority": "normal", "status": "open"},
        )
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["due_date"]
        assert Task.objects.count() == 0

    def test_complete_marks_done_and_records_an_event(
        self, logged_in: Any, sales_user: User
    ) -> None:
        task = task_create(actor=sales_user, values={"title": "ارسال قرارداد"})
        client = logged_in(sales_user)
        assert client.get(f"/tasks/{task.pk}/complete/").status_code == 405
        response = client.post(f"/tasks/{task.pk}/complete/", {"next": "/tasks/?status=open"})
        assert response.status_code == 302
        assert response["Location"] == "/tasks/?status=open"
        task.refresh_from_db()
        assert task.status == "done"
        assert task.completed_at is not None
        events = Event.objects.filter(verb="task.completed", subject_id=task.pk)
        assert [event.payload["changes"]["status"] for event in events] == [["open", "done"]]
        listing = client.get("/tasks/")
        assert listing.context["tasks"] == []
        done = client.get("/tasks/", {"status": "done"})
        assert [row.pk for row in done.context["tasks"]] == [task.pk]
        # an outside "next" is not followed
        other = task_create(actor=sales_user, values={"title": "دیگر"})
        away = client.post(f"/tasks/{other.pk}/complete/", {"next": "https://evil.example/"})
        assert away["Location"] == f"/tasks/{other.pk}/"

    def test_edit_and_delete(self, logged_in: Any, sales_user: User) -> None:
        task = task_create(actor=sales_user, values={"title": "قدیمی"})
        client = logged_in(sales_user)
        response = client.post(
            f"/tasks/{task.pk}/edit/",
            {
                "title": "جدید",
                "due_date": "2024-08-02",
                "priority": "low",
                "status": "open",
                "assignee": str(sales_user.pk),
            },
        )
        assert response.status_code == 302
        task.refresh_from_db()
        assert task.title == "جدید"
        assert task.due_at == datetime.datetime(2024, 8, 2, 9, 0, tzinfo=TEHRAN)
        assert task.priority == "low"
        deleted = client.post(f"/tasks/{task.pk}/delete/")
        assert deleted["Location"] == "/tasks/"
        assert not Task.objects.filter(pk=task.pk).exists()

    def test_tasks_of_others_are_404(
        self, logged_in: Any, sales_user: User, make_user: Callable[..., User]
    ) -> None:
        stranger = make_user(role=Role.SALES, teams=(Team.objects.create(name="دیگر"),))
        task = task_create(actor=stranger, values={"title": "مال دیگری"})
        client = logged_in(sales_user)
        assert client.get(f"/tasks/{task.pk}/").status_code == 404
        assert client.get(f"/tasks/{task.pk}/edit/").status_code == 404
        assert client.post(f"/tasks/{task.pk}/complete/").status_code == 404
        assert client.post(f"/tasks/{task.pk}/delete/").status_code == 404
        assert client.get("/tasks/", {"scope": "all"}).context["tasks"] == []
        task.refresh_from_db()
        assert task.status == "open"

    def test_my_day_shows_overdue_and_today(self, logged_in: Any, sales_user: User) -> None:
        now = timezone.localtime()
        end_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0) + datetime.timedelta(
            days=1
        )
        later_today = now + (end_of_day - now) / 2
        overdue = task_create(
            actor=sales_user,
            values={"title": "عقب‌افتاده", "due_at": now - datetime.timedelta(hours=2)},
        )
        today = task_create(actor=sales_user, values={"title": "امروز", "due_at": later_today})
        task_create(
            actor=sales_user,
            values={"title": "آینده", "due_at": now + datetime.timedelta(days=3)},
        )
        done = task_create(
            actor=sales_user,
            values={"title": "انجام‌شده", "due_at": now - datetime.timedelta(hours=1)},
        )
        done.status = "done"
        done.save()
        client = logged_in(sales_user)
        for url in ("/tasks/", "/"):
            response = client.get(url)
            assert [task.pk for task in response.context["day"]["overdue"]] == [overdue.pk]
            assert [task.pk for task in response.context["day"]["today"]] == [today.pk]
            assert my_day_titles(_text(response)) == ["عقب‌افتاده", "امروز"]
        html = _text(client.get("/tasks/"))
        assert f'<a href="/tasks/{overdue.pk}/" class="text-danger">' in html


# --- reminders and notifications ------------------------------------------------------


class TestReminders:
    def test_due_reminder_becomes_a_notification_that_opens_the_task(
        self, logged_in: Any, sales_user: User
    ) -> None:
        client = logged_in(sales_user)
        client.post(
            "/tasks/new/",
            {
                "title": "تماس با مشتری",
                "due_date": "۱۴۰۳/۰۵/۱۲",
                "due_time": "10:00",
                "remind_minutes_before": "15",
                "priority": "normal",
                "status": "open",
                "assignee": str(sales_user.pk),
            },
        )
        task = Task.objects.get()
        assert task.remind_at == datetime.datetime(2024, 8, 2, 9, 45, tzinfo=TEHRAN)
        assert 'id="notification-bell"' in _text(client.get("/"))
        assert client.get("/").context["unread_notifications"] == 0

        before = task.remind_at - datetime.timedelta(seconds=1)
        assert reminders_deliver_due(now=before) == 0
        assert reminders_deliver_due(now=task.remind_at) == 1
        assert reminders_deliver_due(now=task.remind_at) == 0  # exactly once

        notification = Notification.objects.get()
        assert (notification.user_id, notification.title, notification.url) == (
            sales_user.pk,
            "تماس با مشتری",
            f"/tasks/{task.pk}/",
        )
        dashboard = client.get("/")
        assert dashboard.context["unread_notifications"] == 1
        assert re.search(
            r'id="notification-bell"[^>]*>\s*<i class="bi bi-bell"></i>'
            r'<span class="badge rounded-pill text-bg-danger">۱</span>',
            _text(dashboard),
        )
        bell = client.get("/notifications/bell/")
        assert bell.status_code == 200
        assert _text(bell).count('<span class="badge rounded-pill text-bg-danger">۱</span>') == 1
        assert "<html" not in _text(bell)
        listing = client.get("/notifications/")
        assert [item.pk for item in listing.context["notifications"]] == [notification.pk]
        assert f'action="/notifications/{notification.pk}/open/"' in _text(listing)
        assert Event.objects.filter(verb="task.reminded", subject_id=task.pk).count() == 1

        opened = client.post(f"/notifications/{notification.pk}/open/")
        assert opened.status_code == 302
        assert opened["Location"] == f"/tasks/{task.pk}/"
        notification.refresh_from_db()
        assert notification.read_at is not None
        after = client.get(opened["Location"])
        assert after.context["unread_notifications"] == 0
        assert "text-bg-danger" not in _text(after)

    def test_english_badge_uses_ascii_digits_and_mark_all_read(
        self, logged_in: Any, make_user: Callable[..., User], team: Team
    ) -> None:
        english = make_user(role=Role.SALES, teams=(team,), language="en")
        for number in range(3):
            Notification.objects.create(user=english, title=f"n{number}", url="/tasks/")
        client = logged_in(english)
        html = _text(client.get("/notifications/"))
        assert '<span class="badge rounded-pill text-bg-danger">3</span>' in html
        response = client.post("/notifications/read/")
        assert response["Location"] == "/notifications/"
        assert Notification.objects.filter(read_at__isnull=True).count() == 0

    def test_someone_elses_notification_is_404_and_outside_links_are_not_followed(
        self, logged_in: Any, sales_user: User, make_user: Callable[..., User]
    ) -> None:
        other = make_user()
        theirs = Notification.objects.create(user=other, title="x", url="/tasks/")
        evil = Notification.objects.create(user=sales_user, title="y", url="https://evil.example/")
        client = logged_in(sales_user)
        assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
        theirs.refresh_from_db()
        assert theirs.read_at is None
        assert client.get(f"/notifications/{evil.pk}/open/").status_code == 405
        response = client.post(f"/notifications/{evil.pk}/open/")
        assert response["Location"] == "/notifications/"
