"""Tests of the SLA clock: working-time arithmetic across weekends and holidays.

Pure functions, no database. Concrete examples are in Tehran wall-clock time; the properties
run over random instants in 2025–2028 (Iran has kept standard time all year since 2022, so
the Tehran offset is a constant +03:30 there), random durations and random holiday sets.
"""

import datetime
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

import jdatetime
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.service.business_time import (
    IRANIAN_WORK_WEEK,
    WorkSchedule,
    add_business_time,
    business_time_between,
    is_working_instant,
)

TEHRAN = ZoneInfo("Asia/Tehran")
UTC = datetime.UTC
H = datetime.timedelta(hours=1)
SECOND = datetime.timedelta(seconds=1)
ZERO = datetime.timedelta(0)
FRIDAY = 4

Interval = tuple[datetime.time, datetime.time]


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime.datetime:
    """An aware instant in Tehran wall-clock time."""
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=TEHRAN)


def jalali(year: int, month: int, day: int) -> datetime.date:
    gregorian: datetime.date = jdatetime.date(year, month, day).togregorian()
    return gregorian


def hours(start: int, end: int) -> Interval:
    return (datetime.time(start), datetime.time(end))


# Saturday to Thursday with a lunch break; Friday off.
LUNCH_WEEK: Mapping[int, Sequence[Interval]] = {
    **{day: (hours(8, 12), hours(13, 17)) for day in (5, 6, 0, 1, 2, 3)},
    FRIDAY: (),
}
# Only Mondays, a short day: long stretches without work.
MONDAYS_ONLY: Mapping[int, Sequence[Interval]] = {0: (hours(9, 11),)}
# Two adjacent intervals (allowed: they touch but do not overlap) and a half-hour evening shift.
ODD_WEEK: Mapping[int, Sequence[Interval]] = {
    5: (hours(8, 10), hours(10, 12), (datetime.time(18), datetime.time(18, 30))),
    1: ((datetime.time(9, 15, 30), datetime.time(9, 45)),),
    3: (hours(0, 6),),
}

IRANIAN = WorkSchedule()

# A week in January 2026: Wed 7, Thu 8, Fri 9, Sat 10, Sun 11, Mon 12.
WED, THU, FRI, SAT, SUN, MON = 7, 8, 9, 10, 11, 12

# Nowruz 1405: Esfand 1404 has 29 days; Esfand 28 = Thu 2026-03-19, Esfand 29 = Fri
# 2026-03-20, Farvardin 1 = Sat 2026-03-21 … Farvardin 4 = Tue 2026-03-24.
NOWRUZ_1405 = frozenset(jalali(1405, 1, day) for day in range(1, 5))
ESFAND_END_1404 = frozenset({jalali(1404, 12, 29)})


def test_calendar_assumptions() -> None:
    assert datetime.date(2026, 1, WED).weekday() == 2
    assert datetime.date(2026, 1, FRI).weekday() == FRIDAY
    assert jalali(1404, 12, 28) == datetime.date(2026, 3, 19)
    assert jalali(1404, 12, 29) == datetime.date(2026, 3, 20)
    assert sorted(NOWRUZ_1405) == [datetime.date(2026, 3, day) for day in range(21, 25)]
    assert datetime.date(2026, 3, 19).weekday() == 3  # Esfand 28 is a Thursday
    assert IRANIAN.hours is IRANIAN_WORK_WEEK
    assert IRANIAN.zone == "Asia/Tehran"
    assert IRANIAN.holidays == frozenset()


# --- add_business_time: concrete cases -------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        # Wednesday afternoon + 4h: 1h on Wednesday, 3h on Thursday morning.
        (at(2026, 1, WED, 15), 4 * H, at(2026, 1, THU, 11)),
        # Thursday is a half day and Friday is off.
        (at(2026, 1, THU, 11), 2 * H, at(2026, 1, SAT, 9)),
        (at(2026, 1, THU, 11, 30), 30 * datetime.timedelta(minutes=1), at(2026, 1, THU, 12)),
        (at(2026, 1, THU, 12), SECOND, at(2026, 1, SAT, 8, 0, 1)),
        # Starting on Friday, at night or before opening: counting begins at the next opening.
        (at(2026, 1, FRI, 10), H, at(2026, 1, SAT, 9)),
        (at(2026, 1, FRI, 0), 8 * H, at(2026, 1, SAT, 16)),
        (at(2026, 1, SUN, 22), H, at(2026, 1, MON, 9)),
        (at(2026, 1, SUN, 6), H, at(2026, 1, SUN, 9)),
        (at(2026, 1, SUN, 16), H, at(2026, 1, MON, 9)),
        (at(2026, 1, SUN, 23, 59, 59), 90 * datetime.timedelta(minutes=1), at(2026, 1, MON, 9, 30)),
        # Reaching closing time exactly is due at closing time, not the next morning.
        (at(2026, 1, SAT, 8), 8 * H, at(2026, 1, SAT, 16)),
        (at(2026, 1, SAT, 12), 4 * H, at(2026, 1, SAT, 16)),
        (at(2026, 1, THU, 8), 4 * H, at(2026, 1, THU, 12)),
        (at(2026, 1, WED, 15), H, at(2026, 1, WED, 16)),
        (at(2026, 1, WED, 15), H + SECOND, at(2026, 1, THU, 8, 0, 1)),
        # A whole Iranian week is 5 × 8 + 4 = 44 working hours.
        (at(2026, 1, SAT, 8), 44 * H, at(2026, 1, 15, 12)),
        (at(2026, 1, SAT, 8), 44 * H + SECOND, at(2026, 1, 17, 8, 0, 1)),
        # Seconds are kept.
        (at(2026, 1, SUN, 9, 10, 11), datetime.timedelta(seconds=7), at(2026, 1, SUN, 9, 10, 18)),
    ],
)
def test_add_business_time_examples(
    start: datetime.datetime, duration: datetime.timedelta, due: datetime.datetime
) -> None:
    assert add_business_time(IRANIAN, start, duration) == due
    assert business_time_between(IRANIAN, start, due) == duration


@pytest.mark.parametrize(
    "start",
    [
        at(2026, 1, WED, 15),
        at(2026, 1, FRI, 10),  # Friday
        at(2026, 1, SUN, 23),  # night
        at(2026, 1, SUN, 16),  # closing time
        at(2026, 3, 21, 10),  # Nowruz (a holiday below)
        datetime.datetime(2026, 1, SUN, 9, 1, 2, 345678, tzinfo=UTC),
    ],
)
def test_zero_duration_returns_the_start(start: datetime.datetime) -> None:
    schedule = WorkSchedule(holidays=NOWRUZ_1405)
    due = add_business_time(schedule, start, ZERO)
    assert due == start
    assert due.utcoffset() == start.utcoffset()


def test_holiday_on_a_working_day_is_skipped() -> None:
    schedule = WorkSchedule(holidays=frozenset({datetime.date(2026, 1, SAT)}))
    assert add_business_time(schedule, at(2026, 1, THU, 11), 2 * H) == at(2026, 1, SUN, 9)
    assert add_business_time(schedule, at(2026, 1, SAT, 10), H) == at(2026, 1, SUN, 9)


def test_nowruz_ticket_on_esfand_28_afternoon_is_due_after_the_holidays() -> None:
    schedule = WorkSchedule(holidays=NOWRUZ_1405 | ESFAND_END_1404)
    esfand_28_afternoon = at(2026, 3, 19, 14)  # after Thursday's 12:00 closing
    due = add_business_time(schedule, esfand_28_afternoon, 4 * H)
    assert due == at(2026, 3, 25, 12)  # Wednesday, Farvardin 5
    assert jdatetime.date.fromgregorian(date=due.date()) == jdatetime.date(1405, 1, 5)
    # A ticket on Esfand 28 morning uses the rest of Thursday first.
    assert add_business_time(schedule, at(2026, 3, 19, 10), 4 * H) == at(2026, 3, 25, 10)
    # Without the holidays, the same ticket would be due on Farvardin 1.
    assert add_business_time(IRANIAN, esfand_28_afternoon, 4 * H) == at(2026, 3, 21, 12)


def test_nowruz_when_the_last_esfand_days_are_holidays_too() -> None:
    holidays = NOWRUZ_1405 | {jalali(1404, 12, 28), jalali(1404, 12, 29)}
    schedule = WorkSchedule(holidays=holidays)
    assert add_business_time(schedule, at(2026, 3, 18, 15), 2 * H) == at(2026, 3, 25, 9)
    assert add_business_time(schedule, at(2026, 3, 19, 9), H) == at(2026, 3, 25, 9)
    assert not is_working_instant(schedule, at(2026, 3, 19, 9))
    assert business_time_between(schedule, at(2026, 3, 18, 8), at(2026, 3, 25, 16)) == 16 * H


# --- business_time_between: concrete cases ---------------------------------------------------


def test_between_counts_only_working_time_across_a_weekend_and_a_holiday() -> None:
    schedule = WorkSchedule(holidays=frozenset({datetime.date(2026, 1, SAT)}))
    start, end = at(2026, 1, WED, 14), at(2026, 1, SUN, 10)
    # Wednesday 14–16, Thursday 8–12, Friday off, Saturday holiday, Sunday 8–10.
    assert business_time_between(schedule, start, end) == 8 * H
    assert business_time_between(IRANIAN, start, end) == 16 * H


def test_between_across_nowruz() -> None:
    schedule = WorkSchedule(holidays=NOWRUZ_1405 | ESFAND_END_1404)
    # Thursday Esfand 28 08–12, then nothing until Wednesday Farvardin 5 08–16.
    assert business_time_between(schedule, at(2026, 3, 19, 8), at(2026, 3, 25, 16)) == 12 * H
    assert business_time_between(schedule, at(2026, 3, 19, 12), at(2026, 3, 25, 8)) == ZERO


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(2026, 1, SAT, 0), at(2026, 1, 17, 0), 44 * H),  # one whole week
        (at(2026, 1, SAT, 0), at(2026, 1, 24, 0), 88 * H),  # two weeks
        (at(2026, 1, FRI, 0), at(2026, 1, SAT, 0), ZERO),  # Friday
        (at(2026, 1, SUN, 16), at(2026, 1, MON, 8), ZERO),  # night
        (at(2026, 1, SUN, 10), at(2026, 1, SUN, 10), ZERO),  # empty
        (at(2026, 1, SUN, 12), at(2026, 1, SUN, 10), ZERO),  # reversed
        (at(2026, 1, SUN, 7), at(2026, 1, SUN, 17), 8 * H),
        (at(2026, 1, SUN, 9, 30), at(2026, 1, SUN, 9, 30, 1), SECOND),
        (at(2026, 1, THU, 11, 59, 59), at(2026, 1, SAT, 8, 0, 1), 2 * SECOND),
    ],
)
def test_between_examples(
    start: datetime.datetime, end: datetime.datetime, expected: datetime.timedelta
) -> None:
    assert business_time_between(IRANIAN, start, end) == expected


@pytest.mark.parametrize(
    ("instant", "working"),
    [
        (at(2026, 1, SUN, 8), True),  # opening included
        (at(2026, 1, SUN, 15, 59, 59), True),
        (at(2026, 1, SUN, 16), False),  # closing excluded
        (at(2026, 1, SUN, 7, 59, 59), False),
        (at(2026, 1, THU, 11, 59, 59), True),
        (at(2026, 1, THU, 12), False),
        (at(2026, 1, FRI, 10), False),
        (datetime.datetime(2026, 1, SUN, 4, 30, tzinfo=UTC), True),  # 08:00 Tehran
        (datetime.datetime(2026, 1, SUN, 4, 29, 59, tzinfo=UTC), False),
        (datetime.datetime(2026, 1, SUN, 12, 29, 59, tzinfo=UTC), True),  # 15:59:59 Tehran
    ],
)
def test_is_working_instant(instant: datetime.datetime, working: bool) -> None:
    assert is_working_instant(IRANIAN, instant) is working


def test_is_working_instant_on_a_holiday() -> None:
    schedule = WorkSchedule(holidays=NOWRUZ_1405)
    assert not is_working_instant(schedule, at(2026, 3, 21, 10))
    assert is_working_instant(schedule, at(2026, 3, 25, 10))


# --- a custom schedule with a lunch break ----------------------------------------------------


def test_lunch_break_schedule() -> None:
    schedule = WorkSchedule(hours=LUNCH_WEEK)
    add = add_business_time
    assert add(schedule, at(2026, 1, SUN, 11), 2 * H) == at(2026, 1, SUN, 14)
    assert add(schedule, at(2026, 1, SUN, 12, 30), 30 * datetime.timedelta(minutes=1)) == at(
        2026, 1, SUN, 13, 30
    )
    # Reaching the start of the lunch break exactly is due then, not after lunch.
    assert add(schedule, at(2026, 1, SUN, 11), H) == at(2026, 1, SUN, 12)
    assert add(schedule, at(2026, 1, SUN, 11), H + SECOND) == at(2026, 1, SUN, 13, 0, 1)
    assert add(schedule, at(2026, 1, SUN, 8), 8 * H) == at(2026, 1, SUN, 17)
    assert add(schedule, at(2026, 1, SUN, 8), 8 * H + SECOND) == at(2026, 1, MON, 8, 0, 1)
    # Thursday is a full day here; Friday is still off.
    assert add(schedule, at(2026, 1, THU, 16), 2 * H) == at(2026, 1, SAT, 9)

    between = business_time_between
    assert between(schedule, at(2026, 1, SUN, 11), at(2026, 1, SUN, 14)) == 2 * H
    assert between(schedule, at(2026, 1, SUN, 12), at(2026, 1, SUN, 13)) == ZERO
    assert between(schedule, at(2026, 1, SUN, 0), at(2026, 1, MON, 0)) == 8 * H
    assert between(schedule, at(2026, 1, SAT, 0), at(2026, 1, 17, 0)) == 48 * H

    assert is_working_instant(schedule, at(2026, 1, SUN, 11, 59, 59))
    assert not is_working_instant(schedule, at(2026, 1, SUN, 12))
    assert not is_working_instant(schedule, at(2026, 1, SUN, 12, 30))
    assert is_working_instant(schedule, at(2026, 1, SUN, 13))
    assert not is_working_instant(schedule, at(2026, 1, SUN, 17))


def test_adjacent_intervals_are_allowed_and_behave_as_one() -> None:
    split = WorkSchedule(hours={day: (hours(8, 12), hours(12, 16)) for day in range(7)})
    whole = WorkSchedule(hours={day: (hours(8, 16),) for day in range(7)})
    start = at(2026, 1, SUN, 11)
    for duration in (H, 2 * H, 5 * H, 5 * H + SECOND, 30 * H):
        assert add_business_time(split, start, duration) == add_business_time(
            whole, start, duration
        )
    # An interval's end is a valid answer even when the next interval starts right there.
    assert add_business_time(split, start, H) == at(2026, 1, SUN, 12)
    assert is_working_instant(split, at(2026, 1, SUN, 12))


def test_interval_ending_just_before_midnight() -> None:
    late = datetime.time(23, 59, 59, 999999)
    schedule = WorkSchedule(hours={day: ((datetime.time(20), late),) for day in range(7)})
    start = at(2026, 1, SUN, 23)
    micro = datetime.timedelta(microseconds=1)
    assert add_business_time(schedule, start, H - micro) == start.replace(
        hour=23, minute=59, second=59, microsecond=999999
    )
    assert add_business_time(schedule, start, H) == at(2026, 1, MON, 20) + micro
    assert business_time_between(schedule, at(2026, 1, SUN, 0), at(2026, 1, MON, 0)) == 4 * H - (
        micro
    )


def test_other_schedule_zone() -> None:
    schedule = WorkSchedule(hours={day: (hours(9, 17),) for day in range(5)}, zone="Asia/Tokyo")
    tokyo = ZoneInfo("Asia/Tokyo")
    # Friday 2026-01-09 16:00 in Tokyo + 2h → Monday 10:00 in Tokyo.
    start = datetime.datetime(2026, 1, 9, 16, tzinfo=tokyo)
    assert add_business_time(schedule, start, 2 * H) == datetime.datetime(
        2026, 1, 12, 10, tzinfo=tokyo
    )
    # The same instant expressed in Tehran time (10:30 on Friday there) gives the same answer.
    assert add_business_time(schedule, start.astimezone(TEHRAN), 2 * H) == datetime.datetime(
        2026, 1, 12, 10, tzinfo=tokyo
    )


# --- errors ----------------------------------------------------------------------------------


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime.datetime(2026, 1, SUN, 10)
    aware = at(2026, 1, SUN, 10)
    with pytest.raises(ValueError, match="aware"):
        add_business_time(IRANIAN, naive, H)
    with pytest.raises(ValueError, match="aware"):
        add_business_time(IRANIAN, naive, ZERO)
    with pytest.raises(ValueError, match="aware"):
        business_time_between(IRANIAN, naive, aware + H)
    with pytest.raises(ValueError, match="aware"):
        business_time_between(IRANIAN, aware, naive + H)
    with pytest.raises(ValueError, match="aware"):
        business_time_between(IRANIAN, naive, naive)  # even when the span is empty
    with pytest.raises(ValueError, match="aware"):
        is_working_instant(IRANIAN, naive)


@pytest.mark.parametrize(
    "duration", [-SECOND, -H, -datetime.timedelta(microseconds=1), -datetime.timedelta(days=400)]
)
def test_negative_duration_is_rejected(duration: datetime.timedelta) -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_time(IRANIAN, at(2026, 1, SUN, 10), duration)


@pytest.mark.parametrize(
    "week",
    [
        {},
        dict.fromkeys(range(7), ()),
        {7: (hours(8, 16),), -1: (hours(8, 16),)},  # no real weekday
    ],
)
def test_schedule_without_working_hours_is_rejected(
    week: Mapping[int, Sequence[Interval]],
) -> None:
    with pytest.raises(ValueError, match="at least one weekday"):
        WorkSchedule(hours=week)


@pytest.mark.parametrize(
    "day_hours",
    [
        (hours(8, 12), hours(11, 16)),  # overlapping
        (hours(8, 16), hours(9, 10)),  # nested
        (hours(9, 9),),  # empty
        (hours(16, 8),),  # reversed
        (hours(8, 0),),  # midnight as an end is empty
        (hours(13, 17), hours(8, 12)),  # not sorted
        (hours(8, 12), hours(13, 17), hours(16, 18)),
    ],
)
def test_overlapping_or_empty_intervals_are_rejected(day_hours: Sequence[Interval]) -> None:
    with pytest.raises(ValueError, match="overlap or are empty"):
        WorkSchedule(hours={**IRANIAN_WORK_WEEK, 1: day_hours})


def test_schedule_with_only_holidays_for_three_years_has_no_due_time() -> None:
    first = datetime.date(2026, 1, 1)
    every_day = frozenset(first + datetime.timedelta(days=n) for n in range(4 * 366))
    schedule = WorkSchedule(holidays=every_day)
    with pytest.raises(ValueError, match="three years"):
        add_business_time(schedule, at(2026, 1, 1, 10), SECOND)
    # Counting working time there is not an error: there is none.
    assert business_time_between(schedule, at(2026, 1, 1), at(2029, 1, 1)) == ZERO
    assert not is_working_instant(schedule, at(2026, 1, SUN, 10))


def test_one_weekday_schedule_with_that_weekday_always_a_holiday() -> None:
    first_monday = datetime.date(2026, 1, MON)
    mondays = frozenset(first_monday + datetime.timedelta(weeks=n) for n in range(3 * 53 + 2))
    schedule = WorkSchedule(hours=MONDAYS_ONLY, holidays=mondays)
    with pytest.raises(ValueError, match="three years"):
        add_business_time(schedule, at(2026, 1, SUN, 10), H)


def test_holidays_shorter_than_three_years_are_waited_out() -> None:
    first = datetime.date(2026, 1, 1)
    two_years = frozenset(first + datetime.timedelta(days=n) for n in range(2 * 365))
    schedule = WorkSchedule(holidays=two_years)
    first_free = first + datetime.timedelta(days=2 * 365)  # 2028-01-01, a Saturday
    assert first_free.weekday() == 5
    assert add_business_time(schedule, at(2026, 1, 1, 10), H) == at(2028, 1, 1, 9)


# --- DST: instants expressed in another zone -------------------------------------------------
#
# On 2026-03-08 New York springs forward at 02:00 EST (07:00 UTC), which is 10:30 on a working
# Sunday in Tehran. The same instants expressed in New York time must give the same answers.

NEW_YORK = ZoneInfo("America/New_York")


def test_dst_switch_assumptions() -> None:
    switch = datetime.datetime(2026, 3, 8, 7, tzinfo=UTC)
    assert switch.astimezone(TEHRAN) == at(2026, 3, 8, 10, 30)
    assert (switch - SECOND).astimezone(NEW_YORK).utcoffset() == -5 * H
    assert switch.astimezone(NEW_YORK).utcoffset() == -4 * H
    berlin = ZoneInfo("Europe/Berlin")
    night = (
        datetime.datetime(2026, 3, 29, tzinfo=berlin),
        datetime.datetime(2026, 3, 29, 6, tzinfo=berlin),
    )
    assert night[1].astimezone(UTC) - night[0].astimezone(UTC) == 5 * H


def test_utc_and_fixed_offsets_agree_with_tehran_across_the_new_york_switch() -> None:
    start, end = at(2026, 3, 8, 9), at(2026, 3, 8, 13)
    for zone in (UTC, datetime.timezone(datetime.timedelta(hours=-5))):
        assert add_business_time(IRANIAN, start.astimezone(zone), 4 * H) == end
        assert business_time_between(IRANIAN, start.astimezone(zone), end.astimezone(zone)) == (
            4 * H
        )


def test_add_is_independent_of_a_dst_zone_of_the_start() -> None:
    # Arithmetic in the caller's zone would gain or lose the DST hour (12:00, not 13:00).
    start = at(2026, 3, 8, 9).astimezone(NEW_YORK)
    assert add_business_time(IRANIAN, start, 4 * H) == at(2026, 3, 8, 13)


def test_between_is_independent_of_a_dst_zone_of_the_instants() -> None:
    start, end = at(2026, 3, 8, 9), at(2026, 3, 8, 13)
    assert business_time_between(IRANIAN, start.astimezone(NEW_YORK), end.astimezone(NEW_YORK)) == (
        4 * H
    )


def test_schedule_in_a_dst_zone_counts_elapsed_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    schedule = WorkSchedule(hours={day: (hours(0, 6),) for day in range(7)}, zone="Europe/Berlin")
    # 2026-03-29: Berlin goes from 02:00 CET to 03:00 CEST; the shift lasts 5 real hours.
    day_start = datetime.datetime(2026, 3, 29, tzinfo=berlin)
    day_end = datetime.datetime(2026, 3, 29, 6, tzinfo=berlin)
    assert business_time_between(schedule, day_start, day_end) == 5 * H
    assert add_business_time(schedule, day_start, 5 * H) == day_end


# --- properties ------------------------------------------------------------------------------

EPOCH = datetime.datetime(2025, 1, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime.datetime(2029, 1, 1, tzinfo=UTC) - EPOCH).total_seconds())
PRESENTATION_ZONES: list[datetime.tzinfo] = [
    TEHRAN,
    UTC,
    datetime.timezone(datetime.timedelta(hours=-5)),
    datetime.timezone(datetime.timedelta(hours=9)),
]
WEEKS: list[Mapping[int, Sequence[Interval]]] = [
    IRANIAN_WORK_WEEK,
    IRANIAN_WORK_WEEK,
    LUNCH_WEEK,
    ODD_WEEK,
    MONDAYS_ONLY,
]

# Instants in 2025–2028, to the second, in Tehran time.
instants = st.integers(0, SPAN_SECONDS).map(
    lambda s: (EPOCH + datetime.timedelta(seconds=s)).astimezone(TEHRAN)
)
durations = st.integers(0, 300 * 3600).map(lambda s: datetime.timedelta(seconds=s))
offsets = st.integers(-5 * 24 * 3600, 40 * 24 * 3600).map(lambda s: datetime.timedelta(seconds=s))


@st.composite
def schedules_near(draw: st.DrawFn, start: datetime.datetime) -> WorkSchedule:
    """The Iranian week (most often) or another, with holidays mostly in the weeks after
    ``start`` (where they matter) and a few anywhere in range."""
    week = draw(st.sampled_from(WEEKS))
    first = start.astimezone(TEHRAN).date()
    near = draw(
        st.frozensets(
            st.integers(-1, 60).map(lambda n: first + datetime.timedelta(days=n)), max_size=12
        )
    )
    anywhere = draw(
        st.frozensets(
            st.dates(min_value=datetime.date(2025, 1, 1), max_value=datetime.date(2029, 6, 30)),
            max_size=4,
        )
    )
    return WorkSchedule(hours=week, holidays=near | anywhere)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[WorkSchedule, datetime.datetime]:
    start = draw(instants)
    return draw(schedules_near(start)), start


@settings(max_examples=200, deadline=None)
@given(scenarios(), durations)
def test_between_inverts_add(
    scenario: tuple[WorkSchedule, datetime.datetime], duration: datetime.timedelta
) -> None:
    schedule, start = scenario
    due = add_business_time(schedule, start, duration)
    assert due >= start
    assert business_time_between(schedule, start, due) == duration


@settings(max_examples=200, deadline=None)
@given(scenarios(), durations, durations)
def test_add_is_monotonic_in_the_duration(
    scenario: tuple[WorkSchedule, datetime.datetime],
    first: datetime.timedelta,
    second: datetime.timedelta,
) -> None:
    schedule, start = scenario
    shorter, longer = sorted((first, second))
    assert add_business_time(schedule, start, shorter) <= add_business_time(schedule, start, longer)


@settings(max_examples=200, deadline=None)
@given(scenarios(), durations.filter(lambda d: d > ZERO))
def test_positive_duration_is_due_in_working_time(
    scenario: tuple[WorkSchedule, datetime.datetime], duration: datetime.timedelta
) -> None:
    schedule, start = scenario
    due = add_business_time(schedule, start, duration)
    assert due > start
    local_day = due.astimezone(TEHRAN).date()
    assert local_day not in schedule.holidays
    assert schedule.hours.get(local_day.weekday())
    if schedule.hours is IRANIAN_WORK_WEEK:
        assert local_day.weekday() != FRIDAY
    # The target is reached during working time: the second before it is working time …
    assert is_working_instant(schedule, due - SECOND)
    # … and it is the earliest such instant.
    assert business_time_between(schedule, start, due - SECOND) == duration - SECOND


@settings(max_examples=200, deadline=None)
@given(scenarios(), offsets, offsets)
def test_between_is_additive(
    scenario: tuple[WorkSchedule, datetime.datetime],
    first: datetime.timedelta,
    second: datetime.timedelta,
) -> None:
    schedule, start = scenario
    a = start
    b = a + abs(first)
    c = b + abs(second)
    ab = business_time_between(schedule, a, b)
    bc = business_time_between(schedule, b, c)
    assert ab + bc == business_time_between(schedule, a, c)


@settings(max_examples=200, deadline=None)
@given(scenarios(), offsets)
def test_between_is_bounded_by_elapsed_time(
    scenario: tuple[WorkSchedule, datetime.datetime], offset: datetime.timedelta
) -> None:
    schedule, start = scenario
    end = start + offset
    counted = business_time_between(schedule, start, end)
    assert ZERO <= counted <= max(end - start, ZERO)
    if end <= start:
        assert counted == ZERO
    # Reversing a non-empty span counts nothing.
    assert business_time_between(schedule, max(start, end), min(start, end)) == ZERO


@settings(max_examples=200, deadline=None)
@given(scenarios(), offsets, durations, st.sampled_from(PRESENTATION_ZONES))
def test_results_do_not_depend_on_the_zone_of_the_instants(
    scenario: tuple[WorkSchedule, datetime.datetime],
    offset: datetime.timedelta,
    duration: datetime.timedelta,
    zone: datetime.tzinfo,
) -> None:
    schedule, start = scenario
    end = start + offset
    due = add_business_time(schedule, start, duration)
    for shown in (UTC, zone):
        assert add_business_time(schedule, start.astimezone(shown), duration) == due
        assert business_time_between(
            schedule, start.astimezone(shown), end.astimezone(shown)
        ) == business_time_between(schedule, start, end)
        assert business_time_between(
            schedule, start.astimezone(shown), end
        ) == business_time_between(schedule, start, end)
        assert is_working_instant(schedule, start.astimezone(shown)) is is_working_instant(
            schedule, start
        )


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_is_working_instant_agrees_with_between(
    scenario: tuple[WorkSchedule, datetime.datetime],
) -> None:
    schedule, start = scenario
    # All interval ends fall on whole seconds, so the next second is all-or-nothing.
    working = business_time_between(schedule, start, start + SECOND) == SECOND
    assert is_working_instant(schedule, start) is working
    if working:
        assert add_business_time(schedule, start, SECOND) == start + SECOND


@settings(max_examples=100, deadline=None)
@given(scenarios(), durations, durations)
def test_add_composes(
    scenario: tuple[WorkSchedule, datetime.datetime],
    first: datetime.timedelta,
    second: datetime.timedelta,
) -> None:
    schedule, start = scenario
    # Adding in two steps agrees with adding at once (the middle stop may sit at a closing
    # time, which is no working time).
    middle = add_business_time(schedule, start, first)
    assert add_business_time(schedule, middle, second) == add_business_time(
        schedule, start, first + second
    )
