"""Business time: adding working hours to an instant, and counting the working hours between
two instants, on a calendar of weekly working hours and dated holidays.

SLA clocks run on this (a first response due "4 working hours" after a ticket arrives on a
Wednesday afternoon is due on Thursday morning; Nowruz does not count). Pure functions over
a :class:`WorkSchedule`; no database. Instants are aware datetimes; the schedule's hours are
local wall-clock times in its zone (``Asia/Tehran`` by default).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

__all__ = [
    "IRANIAN_WORK_WEEK",
    "WorkSchedule",
    "add_business_time",
    "business_time_between",
    "is_working_instant",
]

Interval = tuple[datetime.time, datetime.time]

# Python's weekday numbers: Monday 0 … Sunday 6. The Iranian week runs Saturday (5) to
# Friday (4): Saturday to Wednesday full days, Thursday a half day, Friday off.
_FULL_DAY: tuple[Interval, ...] = ((datetime.time(8), datetime.time(16)),)
_HALF_DAY: tuple[Interval, ...] = ((datetime.time(8), datetime.time(12)),)
IRANIAN_WORK_WEEK: Mapping[int, tuple[Interval, ...]] = {
    5: _FULL_DAY,
    6: _FULL_DAY,
    0: _FULL_DAY,
    1: _FULL_DAY,
    2: _FULL_DAY,
    3: _HALF_DAY,
    4: (),
}
# However long a holiday list, a schedule with working hours finds one within this many days.
_SEARCH_DAYS = 3 * 366
_ZERO = datetime.timedelta(0)


@dataclass(frozen=True)
class WorkSchedule:
    """Working hours per weekday (Python numbering), dated holidays and the time zone.

    Intervals of a day are ``(start, end)`` local times with ``start < end``, sorted and not
    overlapping; ``datetime.time(0)`` as an end would be empty, so a day working to midnight
    ends at ``23:59:59.999999``."""

    hours: Mapping[int, Sequence[Interval]] = field(default_factory=lambda: IRANIAN_WORK_WEEK)
    holidays: frozenset[datetime.date] = frozenset()
    zone: str = "Asia/Tehran"

    def __post_init__(self) -> None:
        if not any(self.hours.get(day) for day in range(7)):
            raise ValueError("A work schedule needs working hours on at least one weekday.")
        for day in range(7):
            previous_end: datetime.time | None = None
            for start, end in self.hours.get(day, ()):
                if not start < end or (previous_end is not None and start < previous_end):
                    raise ValueError(f"Working hours of weekday {day} overlap or are empty.")
                previous_end = end

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def intervals_on(self, day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
        """The working intervals of a local date as UTC instants (none on a holiday).

        In UTC, subtracting and adding durations measures elapsed time even across a
        daylight-saving change of the schedule's zone."""
        if day in self.holidays:
            return []
        zone = self.tzinfo
        return [
            (
                datetime.datetime.combine(day, start, tzinfo=zone).astimezone(datetime.UTC),
                datetime.datetime.combine(day, end, tzinfo=zone).astimezone(datetime.UTC),
            )
            for start, end in self.hours.get(day.weekday(), ())
        ]

    def intervals_from(
        self, instant: datetime.datetime
    ) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
        """Working intervals that end after ``instant``, in order, the first one clipped to
        start at ``instant``. Stops after :data:`_SEARCH_DAYS` days without work."""
        day = instant.astimezone(self.tzinfo).date()
        idle_days = 0
        while idle_days < _SEARCH_DAYS:
            intervals = self.intervals_on(day)
            idle_days = 0 if intervals else idle_days + 1
            for start, end in intervals:
                if end > instant:
                    yield max(start, instant), end
            day += datetime.timedelta(days=1)


def _aware(instant: datetime.datetime) -> datetime.datetime:
    """The instant in UTC (arithmetic in the caller's zone would skip or repeat an hour at
    a daylight-saving change)."""
    if instant.tzinfo is None:
        raise ValueError("Business time needs aware datetimes.")
    return instant.astimezone(datetime.UTC)


def add_business_time(
    schedule: WorkSchedule, start: datetime.datetime, duration: datetime.timedelta
) -> datetime.datetime:
    """The earliest instant at which ``duration`` of working time has passed since
    ``start``. ``duration`` 0 gives ``start``; otherwise the answer (in UTC) lies in working
    time (at most at the end of an interval), so a target reached exactly at closing time is
    due then, not the next morning."""
    if duration < _ZERO:
        raise ValueError("The duration cannot be negative.")
    if duration == _ZERO:
        _aware(start)
        return start
    start = _aware(start)
    remaining = duration
    for begin, end in schedule.intervals_from(start):
        available = end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise ValueError("The schedule has no working time left within three years.")


def business_time_between(
    schedule: WorkSchedule, start: datetime.datetime, end: datetime.datetime
) -> datetime.timedelta:
    """Working time inside ``[start, end]`` (zero when ``end`` is not after ``start``)."""
    start, end = _aware(start), _aware(end)
    total = _ZERO
    if end <= start:
        return total
    for begin, finish in schedule.intervals_from(start):
        if begin >= end:
            break
        total += min(finish, end) - begin
    return total


def is_working_instant(schedule: WorkSchedule, instant: datetime.datetime) -> bool:
    """Whether ``instant`` falls inside a working interval (start included, end excluded)."""
    instant = _aware(instant)
    local_day = instant.astimezone(schedule.tzinfo).date()
    return any(start <= instant < end for start, end in schedule.intervals_on(local_day))
