"""Activities, tasks and the append-only event log."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from peyvand.accounts.models import Role, User
from peyvand.contacts.models import Contact
from peyvand.contacts.services import contact_delete
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.timeline.events import event_record, field_changes, json_value, snapshot
from peyvand.timeline.models import Activity, AppendOnlyError, Event, Task, TaskStatus
from peyvand.timeline.selectors import (
    activities_visible_to,
    timeline_for_company,
    timeline_for_contact,
)
from peyvand.timeline.services import (
    activity_delete,
    activity_log,
    activity_update,
    task_complete,
    task_create,
    task_delete,
    task_update,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2024, 3, 20, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def contact(sales_user: User) -> Contact:
    return make_contact(actor=sales_user, first_name="مریم", last_name="رضایی")


def _errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- activities ----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [None, "", "   \n  "])
def test_a_note_needs_a_body(sales_user: User, contact: Contact, body: str | None) -> None:
    before = (Activity.objects.count(), Event.objects.count())
    with pytest.raises(ValidationError) as excinfo:
        activity_log(actor=sales_user, values={"kind": "note", "contact": contact, "body": body})
    assert list(_errors(excinfo)) == ["body"]
    assert (Activity.objects.count(), Event.objects.count()) == before


def test_an_activity_needs_a_contact_or_company(sales_user: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        activity_log(actor=sales_user, values={"kind": "call", "subject": "تماس"})
    assert "contact" in _errors(excinfo)
    assert Activity.objects.count() == 0


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"kind": "fax"}, "kind"),
        ({"kind": "call", "direction": "sideways"}, "direction"),
        ({"kind": "call", "outcome": "exploded"}, "outcome"),
    ],
)
def test_bad_choices_are_rejected(
    sales_user: User, contact: Contact, values: dict[str, Any], key: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        activity_log(actor=sales_user, values={"contact": contact, "body": "x", **values})
    assert key in _errors(excinfo)


def test_a_call_keeps_direction_duration_and_time(sales_user: User, contact: Contact) -> None:
    occurred = NOW - datetime.timedelta(hours=2)
    call = activity_log(
        actor=sales_user,
        values={
            "kind": "call",
            "contact": contact,
            "subject": " پيگيري  سفارش ",
            "body": "  قرار شد فردا زنگ بزنیم.  ",
            "direction": "outbound",
            "duration_seconds": 185,
            "outcome": "answered",
            "occurred_at": occurred,
        },
    )

    call.refresh_from_db()
    assert call.kind == "call"
    assert call.direction == "outbound"
    assert call.duration_seconds == 185
    assert call.outcome == "answered"
    assert call.subject == "پیگیری سفارش"
    assert call.body == "قرار شد فردا زنگ بزنیم."
    assert call.occurred_at == occurred
    assert call.created_by_id == sales_user.pk

    (event,) = Event.objects.filter(verb="call.logged")
    assert event.occurred_at == call.occurred_at == occurred
    assert event.contact_id == contact.pk
    assert event.subject_type == "activity"
    assert event.subject_id == call.pk
    assert event.actor_id == sales_user.pk
    assert event.summary == "پیگیری سفارش"
    assert event.payload["direction"] == "outbound"
    assert event.payload["duration_seconds"] == 185
    assert event.payload["occurred_at"] == occurred.isoformat()


def test_activity_time_defaults_to_now(sales_user: User, contact: Contact) -> None:
    before = timezone.now()
    note = activity_log(actor=sales_user, values={"kind": "note", "contact": contact, "body": "x"})
    assert before <= note.occurred_at <= timezone.now()
    assert Event.objects.get(verb="note.logged").occurred_at == note.occurred_at


def test_activity_update_logs_only_the_diff(sales_user: User, contact: Contact) -> None:
    note = activity_log(
        actor=sales_user, values={"kind": "note", "contact": contact, "body": "اول"}
    )
    activity_update(
        actor=sales_user, activity=note, values={"body": "دوم", "kind": "call", "subject": ""}
    )
    note.refresh_from_db()
    assert (note.kind, note.body) == ("note", "دوم")
    (event,) = Event.objects.filter(verb="note.updated")
    assert event.payload == {"changes": {"body": ["اول", "دوم"]}}

    activity_update(actor=sales_user, activity=note, values={"body": "دوم"})
    assert Event.objects.filter(verb="note.updated").count() == 1


def test_activity_delete_keeps_what_it_said(
    make_user: Callable[..., User], sales_user: User, contact: Contact
) -> None:
    note = activity_log(
        actor=sales_user, values={"kind": "note", "contact": contact, "body": "متن"}
    )
    activity_id = note.pk
    activity_delete(actor=make_user(role=Role.MANAGER), activity=note)
    assert not Activity.objects.filter(pk=activity_id).exists()
    (event,) = Event.objects.filter(verb="note.deleted")
    assert event.subject_id == activity_id
    assert event.contact_id == contact.pk
    assert event.payload["deleted"]["body"] == "متن"
    assert Event.objects.filter(verb="note.logged", subject_id=activity_id).count() == 1


def test_read_only_cannot_log_or_delete(
    make_user: Callable[..., User], sales_user: User, contact: Contact
) -> None:
    reader = make_user(role=Role.READ_ONLY)
    with pytest.raises(PermissionDenied):
        activity_log(actor=reader, values={"kind": "note", "contact": contact, "body": "x"})
    note = activity_log(actor=sales_user, values={"kind": "note", "contact": contact, "body": "x"})
    with pytest.raises(PermissionDenied):
        activity_delete(actor=sales_user, activity=note)  # sales may not delete timeline items
    with pytest.raises(PermissionDenied):
        activity_update(actor=reader, activity=note, values={"body": "y"})
    assert Activity.objects.count() == 1


# --- the timeline --------------------------------------------------------------------------


def test_timeline_is_newest_first_and_filters_by_kind(sales_user: User, contact: Contact) -> None:
    def log(kind: str, hours_ago: int, **extra: Any) -> Activity:
        return activity_log(
            actor=sales_user,
            values={
                "kind": kind,
                "contact": contact,
                "body": f"{kind} {hours_ago}",
                "occurred_at": timezone.now() - datetime.timedelta(hours=hours_ago),
                **extra,
            },
        )

    log("note", 5)
    log("call", 4, direction="inbound")
    log("note", 3)
    log("meeting", 2, location="دفتر")
    later_note = log("note", 1)
    other = make_contact(actor=sales_user)
    activity_log(actor=sales_user, values={"kind": "note", "contact": other, "body": "دیگری"})

    verbs = [event.verb for event in timeline_for_contact(contact)]
    assert verbs == [
        "contact.created",
        "note.logged",
        "meeting.logged",
        "note.logged",
        "call.logged",
        "note.logged",
    ]
    notes = list(timeline_for_contact(contact, kinds=["note"]))
    assert [event.verb for event in notes] == ["note.logged"] * 3
    assert [event.summary for event in notes] == ["note 1", "note 3", "note 5"]
    assert notes[0].subject_id == later_note.pk
    assert [e.verb for e in timeline_for_contact(contact, kinds=["call", "meeting"])] == [
        "meeting.logged",
        "call.logged",
    ]
    assert [e.verb for e in timeline_for_contact(contact, kinds=["record"])] == ["contact.created"]
    # An unknown kind matches nothing rather than everything.
    assert list(timeline_for_contact(contact, kinds=["nonsense"])) == []


def test_same_time_events_are_ordered_by_id(sales_user: User, contact: Contact) -> None:
    for index in range(3):
        activity_log(
            actor=sales_user,
            values={"kind": "note", "contact": contact, "body": str(index), "occurred_at": NOW},
        )
    notes = list(timeline_for_contact(contact, kinds=["note"]))
    assert [event.summary for event in notes] == ["2", "1", "0"]


def test_company_timeline_includes_its_people(sales_user: User) -> None:
    company = make_company(actor=sales_user)
    person = make_contact(actor=sales_user, company=company)
    activity_log(actor=sales_user, values={"kind": "note", "company": company, "body": "شرکت"})
    activity_log(actor=sales_user, values={"kind": "note", "contact": person, "body": "فرد"})
    summaries = {e.summary for e in timeline_for_company(company, kinds=["note"])}
    assert summaries == {"شرکت", "فرد"}


def test_activities_are_scoped_to_visible_records(
    make_user: Callable[..., User], sales_user: User, contact: Contact
) -> None:
    note = activity_log(actor=sales_user, values={"kind": "note", "contact": contact, "body": "x"})
    assert list(activities_visible_to(sales_user)) == [note]
    assert list(activities_visible_to(make_user())) == []
    assert list(activities_visible_to(None)) == []


# --- the event log -------------------------------------------------------------------------


def test_events_are_append_only(sales_user: User, contact: Contact) -> None:
    event = Event.objects.get(verb="contact.created", contact=contact)

    event.summary = "دستکاری"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(summary="دستکاری")
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.update(verb="x")

    event.refresh_from_db()
    assert event.summary == "مریم رضایی"
    assert Event.objects.count() == 1


def test_deleting_the_record_keeps_its_events(make_user: Callable[..., User]) -> None:
    manager = make_user(role=Role.MANAGER)
    contact = make_contact(actor=manager)
    activity_log(actor=manager, values={"kind": "note", "contact": contact, "body": "x"})
    contact_id = contact.pk
    contact_delete(actor=manager, contact=contact)
    verbs = sorted(Event.objects.filter(subject_id__isnull=False).values_list("verb", flat=True))
    assert verbs == ["contact.created", "contact.deleted", "note.logged"]
    assert Event.objects.filter(contact_id=contact_id).count() == 0
    assert not Activity.objects.exists()


def test_event_record_makes_payloads_json_safe(sales_user: User, contact: Contact) -> None:
    event = event_record(
        actor=sales_user,
        verb="contact.checked",
        subject=contact,
        contact=contact,
        summary="ا" * 400,
        payload={"when": NOW, "day": NOW.date(), "who": sales_user, "list": (1, NOW)},
        occurred_at=NOW,
    )
    event.refresh_from_db()
    assert len(event.summary) == 300
    assert event.occurred_at == NOW
    assert event.payload == {
        "when": "2024-03-20T09:30:00+00:00",
        "day": "2024-03-20",
        "who": sales_user.pk,
        "list": [1, "2024-03-20T09:30:00+00:00"],
    }
    assert json_value({1: {"a": (2,)}}) == {"1": {"a": [2]}}
    assert field_changes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": [2, 3]}
    assert snapshot(contact, ["owner", "last_name"]) == {
        "owner": sales_user.pk,
        "last_name": "رضایی",
    }


# --- tasks ---------------------------------------------------------------------------------


def test_task_create_defaults_and_logs(sales_user: User, contact: Contact) -> None:
    task = task_create(
        actor=sales_user,
        values={
            "title": " تماس  با مشتري ",
            "contact": contact,
            "due_at": NOW,
            "remind_at": NOW - datetime.timedelta(minutes=30),
        },
    )
    task.refresh_from_db()
    assert task.title == "تماس با مشتری"
    assert task.assignee_id == sales_user.pk
    assert task.created_by_id == sales_user.pk
    assert task.status == TaskStatus.OPEN
    assert task.completed_at is None
    (event,) = Event.objects.filter(verb="task.created")
    assert event.contact_id == contact.pk
    assert event.payload["changes"]["due_at"] == [None, NOW.isoformat()]
    assert event.payload["changes"]["assignee"] == [None, sales_user.pk]


def test_remind_at_after_due_at_is_rejected(sales_user: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        task_create(
            actor=sales_user,
            values={
                "title": "الف",
                "due_at": NOW,
                "remind_at": NOW + datetime.timedelta(minutes=1),
            },
        )
    assert list(_errors(excinfo)) == ["remind_at"]
    assert Task.objects.count() == 0
    assert not Event.objects.filter(verb__startswith="task.").exists()

    task = task_create(actor=sales_user, values={"title": "الف", "due_at": NOW, "remind_at": NOW})
    with pytest.raises(ValidationError) as excinfo:
        task_update(actor=sales_user, task=task, values={"due_at": NOW - datetime.timedelta(1)})
    assert list(_errors(excinfo)) == ["remind_at"]
    task.refresh_from_db()
    assert task.due_at == NOW


def test_a_task_needs_a_title(sales_user: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        task_create(actor=sales_user, values={"title": "  "})
    assert "title" in _errors(excinfo)


def test_complete_and_reopen(sales_user: User, contact: Contact) -> None:
    task = task_create(actor=sales_user, values={"title": "الف", "contact": contact})
    before = timezone.now()

    done = task_complete(actor=sales_user, task=task)

    assert done.status == TaskStatus.DONE
    assert done.completed_at is not None
    assert before <= done.completed_at <= timezone.now()
    (completed,) = Event.objects.filter(verb="task.completed")
    assert completed.payload == {"changes": {"status": ["open", "done"]}}
    assert completed.contact_id == contact.pk

    # Completing again changes nothing and logs nothing.
    stamp = done.completed_at
    again = task_complete(actor=sales_user, task=done)
    assert again.completed_at == stamp
    assert Event.objects.filter(verb__in=["task.completed", "task.updated"]).count() == 1

    reopened = task_update(actor=sales_user, task=done, values={"status": TaskStatus.OPEN})
    reopened.refresh_from_db()
    assert reopened.status == TaskStatus.OPEN
    assert reopened.completed_at is None
    (updated,) = Event.objects.filter(verb="task.updated")
    assert updated.payload == {"changes": {"status": ["done", "open"]}}


def test_cancelling_is_not_completing(sales_user: User) -> None:
    task = task_create(actor=sales_user, values={"title": "الف"})
    cancelled = task_update(actor=sales_user, task=task, values={"status": TaskStatus.CANCELLED})
    assert cancelled.completed_at is None
    assert Event.objects.filter(verb="task.updated").count() == 1
    assert not Event.objects.filter(verb="task.completed").exists()


def test_task_roles(make_user: Callable[..., User], sales_user: User) -> None:
    reader = make_user(role=Role.READ_ONLY)
    with pytest.raises(PermissionDenied):
        task_create(actor=reader, values={"title": "الف"})
    task = task_create(actor=sales_user, values={"title": "الف"})
    with pytest.raises(PermissionDenied):
        task_complete(actor=reader, task=task)
    with pytest.raises(PermissionDenied):
        task_delete(actor=reader, task=task)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN

    task_id = task.pk
    task_delete(actor=sales_user, task=task)  # sales may delete tasks
    assert not Task.objects.filter(pk=task_id).exists()
    (event,) = Event.objects.filter(verb="task.deleted")
    assert event.payload["deleted"]["title"] == "الف"


def test_deletes_snapshot_the_stored_row_not_a_stale_copy(
    make_user: Callable[..., User], sales_user: User, contact: Contact
) -> None:
    manager = make_user(role=Role.MANAGER)
    task = task_create(actor=sales_user, values={"title": "قدیم"})
    task_update(actor=sales_user, task=task, values={"title": "جدید"})
    task_delete(actor=sales_user, task=task)  # ``task`` still says "قدیم"
    assert Event.objects.get(verb="task.deleted").payload["deleted"]["title"] == "جدید"

    note = activity_log(
        actor=sales_user, values={"kind": "note", "contact": contact, "body": "قدیم"}
    )
    activity_update(actor=sales_user, activity=note, values={"body": "جدید"})
    activity_delete(actor=manager, activity=note)
    assert Event.objects.get(verb="note.deleted").payload["deleted"]["body"] == "جدید"
