"""The course slot finder: pure functions, no ORM, so property tests can hammer them.

A *course* is N sessions on the same local weekday and wall-clock time in the
therapist's zone, one a week. Each week is expanded in the therapist's zone and only
then converted to UTC, so 10:00 New York stays 10:00 New York across daylight saving.
A week that falls in the therapist's time off is *skipped* and the course runs a week
longer (PRODUCT.md rule 4), at most ``MAX_SKIPS`` times; any other week that cannot be
booked (taken, outside the hours, not on the grid) is a conflict.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.UTC
MAX_DAYS = 62
MAX_WEEKS = 16
MAX_SKIPS = 4

# Weekly times in words, in the viewer's zone: the course picker, the group list and the
# guided match say them alike ("tue", "evening"). Morning is before 12, afternoon 12-17.
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS_OF_DAY = (("morning", 0, 12), ("afternoon", 12, 17), ("evening", 17, 24))


@dataclass(frozen=True, slots=True)
class WeeklyRange:
    """Working hours on one weekday (0 = Monday), wall-clock in the therapist's zone."""

    weekday: int
    start: dt.time
    end: dt.time


@dataclass(frozen=True, slots=True)
class Schedule:
    """Everything the finder needs to know about one therapist."""

    tz: ZoneInfo
    hours: Sequence[WeeklyRange]
    session_minutes: int
    step_minutes: int = 60
    time_off: Sequence[tuple[dt.date, dt.date]] = ()  # inclusive local dates
    busy: Sequence[tuple[dt.datetime, dt.datetime]] = ()  # aware UTC intervals


@dataclass(frozen=True, slots=True)
class Course:
    """A course the finder offers: when it starts and ends, and the weeks it skips."""

    start: dt.datetime  # UTC
    last: dt.datetime  # UTC start of the final session
    skipped: tuple[dt.date, ...] = ()  # local dates of the weeks skipped for time off


@dataclass(frozen=True, slots=True)
class Plan:
    """One course worked out week by week: its sessions (aware, in the therapist's
    zone), the local dates it skips, and every week that fails (UTC start, reason)."""

    sessions: tuple[dt.datetime, ...]
    skipped: tuple[dt.date, ...]
    conflicts: tuple[tuple[dt.datetime, str], ...]


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def local_occurrences(start: dt.datetime, tz: ZoneInfo, weeks: int) -> list[dt.datetime]:
    """The N weekly occurrences of ``start``'s local weekday and wall-clock time, as
    aware datetimes in ``tz``: week k is the same wall time, k * 7 days later."""
    local = start.astimezone(tz)
    wall = local.replace(tzinfo=None)
    return [(wall + dt.timedelta(weeks=k)).replace(tzinfo=tz) for k in range(weeks)]


class _Checker:
    """Answers "is this one occurrence bookable?" for a schedule, with sorted busy times."""

    def __init__(
        self,
        schedule: Schedule,
        earliest: dt.datetime | None,
        window: tuple[dt.datetime, dt.datetime] | None = None,
    ):
        self.schedule = schedule
        self.earliest = earliest
        self.length = dt.timedelta(minutes=schedule.session_minutes)
        self.hours: dict[int, list[tuple[int, int]]] = {}
        for r in schedule.hours:
            self.hours.setdefault(r.weekday, []).append((_minutes(r.start), _minutes(r.end)))
        busy = schedule.busy
        if window is not None:
            # Only intervals that can touch an occurrence matter (cheap to drop first).
            # Same tzinfo on both sides keeps each comparison a plain field compare.
            low, high = (moment.astimezone(UTC) for moment in window)
            busy = [(s, e) for s, e in busy if s < high and e > low]
        merged = sorted(
            (s, e)
            if s.tzinfo is UTC and e.tzinfo is UTC
            else (s.astimezone(UTC), e.astimezone(UTC))
            for s, e in busy
        )
        self.busy_starts = [s for s, _ in merged]
        # prefix maximum of ends: any interval before index i ends by max_end[i]
        self.max_end: list[dt.datetime] = []
        running = None
        for _, end in merged:
            running = end if running is None or end > running else running
            self.max_end.append(running)
        self.off = sorted(schedule.time_off)
        self.offsets: dict[dt.date, dt.timedelta | None] = {}

    def day_offset(self, day: dt.date) -> dt.timedelta | None:
        """The zone's UTC offset for the whole of ``day``, or None when the clocks change
        that day (then each time is converted the slow, careful way)."""
        if day not in self.offsets:
            tz = self.schedule.tz
            first = tz.utcoffset(dt.datetime.combine(day, dt.time()))
            after = tz.utcoffset(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
            self.offsets[day] = first if first == after else None
        return self.offsets[day]

    def grid_problem(self, wall: dt.datetime, wall_end: dt.datetime) -> str | None:
        """None when the session starts on a step from a range's start and ends inside
        that same range (wall-clock times; ``wall_end`` by the real clock, which may jump
        on a daylight-saving night). Otherwise ``off_grid`` when it fits inside a range
        but not at one of its steps (e.g. 10:30 on an hourly grid), else
        ``outside_hours``."""
        minute = wall.hour * 60 + wall.minute
        days_later = (wall_end.date() - wall.date()).days
        end_minute = days_later * 24 * 60 + wall_end.hour * 60 + wall_end.minute
        step = self.schedule.step_minutes
        inside = [
            start
            for start, end in self.hours.get(wall.weekday(), ())
            if start <= minute and end_minute <= end
        ]
        if not inside:
            return "outside_hours"
        if wall.second or wall.microsecond or all((minute - s) % step for s in inside):
            return "off_grid"
        return None

    def is_off(self, day: dt.date) -> bool:
        return any(first <= day <= last for first, last in self.off)

    def is_busy(self, start: dt.datetime, end: dt.datetime) -> bool:
        # Intervals that start before `end`; the latest-ending of them must end by `start`.
        i = bisect.bisect_left(self.busy_starts, end)
        return i > 0 and self.max_end[i - 1] > start

    def problem(self, local: dt.datetime) -> str | None:
        """Why this occurrence (an aware local time) cannot be booked, or None."""
        return self.problem_at_wall(local.replace(tzinfo=None))

    def problem_at_wall(self, wall: dt.datetime) -> str | None:
        """The same for a naive wall-clock time in the therapist's zone."""
        offset = self.day_offset(wall.date())
        if offset is not None:
            # No clock change today: plain arithmetic gives the same answers, fast.
            start = (wall - offset).replace(tzinfo=UTC)
            grid = self.grid_problem(wall, wall + self.length)
        else:
            tz = self.schedule.tz
            start = wall.replace(tzinfo=tz).astimezone(UTC)
            # A wall time inside a spring-forward gap (e.g. 02:30) does not exist.
            if start.astimezone(tz).replace(tzinfo=None) != wall:
                return "outside_hours"
            end_local = (start + self.length).astimezone(tz)
            grid = self.grid_problem(wall, end_local.replace(tzinfo=None))
        if self.earliest is not None and start < self.earliest:
            return "too_soon"
        if grid:
            return grid
        if self.is_off(wall.date()):
            return "time_off"
        if self.is_busy(start, start + self.length):
            return "taken"
        return None


def _aware(wall: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return wall.replace(tzinfo=tz)


def plan_course(
    schedule: Schedule, start: dt.datetime, weeks: int, *, earliest: dt.datetime | None = None
) -> Plan:
    """The course of ``weeks`` sessions starting at ``start``, week by week: a week in
    the therapist's time off is skipped (up to ``MAX_SKIPS``; the first week never is,
    a course starts with a session); every other week is a session, or a conflict when
    it cannot be booked. A week off beyond the last allowed skip is a conflict too."""
    checker = _Checker(schedule, earliest)
    wall = start.astimezone(schedule.tz).replace(tzinfo=None)
    sessions: list[dt.datetime] = []
    skipped: list[dt.date] = []
    conflicts: list[tuple[dt.datetime, str]] = []
    k = 0
    while len(sessions) + len(conflicts) < weeks:
        week = wall + dt.timedelta(weeks=k)
        k += 1
        if k > 1 and checker.is_off(week.date()) and len(skipped) < MAX_SKIPS:
            skipped.append(week.date())
            continue
        local = _aware(week, schedule.tz)
        reason = checker.problem_at_wall(week)
        if reason:
            conflicts.append((local.astimezone(UTC), reason))
        else:
            sessions.append(local)
    return Plan(tuple(sessions), tuple(skipped), tuple(conflicts))


def course_conflicts(
    schedule: Schedule, start: dt.datetime, weeks: int, *, earliest: dt.datetime | None = None
) -> list[tuple[dt.datetime, str]]:
    """Every week of the course starting at ``start`` that cannot be booked, as
    (UTC start of that week, reason); an empty list means the whole course is free."""
    return list(plan_course(schedule, start, weeks, earliest=earliest).conflicts)


def _grid_starts(schedule: Schedule, day: dt.date) -> Iterable[dt.datetime]:
    for r in schedule.hours:
        if r.weekday != day.weekday():
            continue
        minute, end = _minutes(r.start), _minutes(r.end)
        while minute + schedule.session_minutes <= end:
            yield dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=schedule.tz)
            minute += schedule.step_minutes


def free_courses(
    schedule: Schedule,
    *,
    first_day: dt.date,
    days: int,
    weeks: int = 1,
    earliest: dt.datetime | None = None,
    limit: int | None = None,
    accept: Callable[[dt.datetime], bool] | None = None,
) -> list[Course]:
    """Every course of ``weeks`` sessions whose start lies on the therapist's grid on a
    local date in [first_day, first_day + days) and whose every session is free (weeks
    off skipped as ``plan_course`` does), by start; only the first ``limit`` of them
    when a limit is given; only starts (aware, in the therapist's zone) that ``accept``
    takes when it is given: the others are not worked out at all."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be between 1 and {MAX_WEEKS}")
    tz = schedule.tz
    first = dt.datetime.combine(first_day, dt.time(), tzinfo=tz) - dt.timedelta(days=1)
    window = (first, first + dt.timedelta(days=days + 7 * (weeks + MAX_SKIPS) + 2))
    checker = _Checker(schedule, earliest, window)
    week = dt.timedelta(weeks=1)
    # Courses on the same weekday and time share their later weeks: check each
    # occurrence once, keyed by its wall-clock time (62 days x 16 weeks would otherwise
    # check most of them 16 times).
    free: dict[dt.datetime, bool] = {}

    def is_free(wall: dt.datetime) -> bool:
        known = free.get(wall)
        if known is None:
            known = free[wall] = checker.problem_at_wall(wall) is None
        return known

    def course_from(wall: dt.datetime) -> Course | None:
        last, skipped, held, k = wall, [], 0, 0
        while held < weeks:
            moment = wall + k * week
            k += 1
            if k > 1 and checker.is_off(moment.date()) and len(skipped) < MAX_SKIPS:
                skipped.append(moment.date())
            elif is_free(moment):
                last, held = moment, held + 1
            else:
                return None
        utc = _aware(wall, tz).astimezone(UTC)
        return Course(utc, _aware(last, tz).astimezone(UTC), tuple(skipped))

    found: dict[dt.datetime, Course] = {}
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        if checker.is_off(day):
            continue
        for local in _grid_starts(schedule, day):
            if accept is not None and not accept(local):
                continue
            course = course_from(local.replace(tzinfo=None))
            if course is not None:
                # Two wall times can share one instant (a spring-forward gap): keep one.
                found.setdefault(course.start, course)
        if limit is not None and len(found) >= limit:
            break  # days run in order: later days cannot hold an earlier start
    return [found[start] for start in sorted(found)][:limit]


def free_course_starts(schedule: Schedule, **window) -> list[dt.datetime]:
    """The starts (UTC) of ``free_courses``: the same arguments."""
    return [course.start for course in free_courses(schedule, **window)]
