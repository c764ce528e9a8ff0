"""The therapist's week calendar: one Monday-to-Sunday week in the therapist's zone, as a
grid of hour rows and day columns (PRODUCT.md "Pages: Therapist").

``week_of`` reads the week in three queries whatever its size: the sessions (course
sessions and group meetings, each with its place in its course and its group's seats
taken), the weekly hours, and the time off that touches the week. ``lay_out`` is pure:
it turns them into rows and cells. Everything is wall-clock in the therapist's zone, so
a 10:00 session sits in the 10 AM row in the weeks before and after a DST change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from booking.models import SEAT_STATES, AvailabilityRule, Enrolment, Session, TimeOff
from providers.models import Therapist

# Sessions the week shows: what holds time, and what happened.
CALENDAR_STATES = ("pending", "confirmed", "completed", "no_show")
# Rows shown when the therapist has no hours and the week no session.
DEFAULT_HOURS = (9, 17)
# ``?week=`` further than this from today is nonsense (and would overflow date arithmetic).
FARTHEST = dt.timedelta(days=3660)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_asked(value: str | None, *, today: dt.date) -> tuple[dt.date, bool]:
    """The Monday of the week holding ``value`` (any ISO date in it), and whether the
    value was refused; no value, an unreadable one or one more than ten years away from
    ``today`` means this week."""
    if not value:
        return monday_of(today), False
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return monday_of(today), True
    if abs(day - today) > FARTHEST:
        return monday_of(today), True
    return monday_of(day), False


@dataclass
class Event:
    session: Session
    start: dt.datetime  # local
    end: dt.datetime  # local
    marks: list[str] = field(default_factory=list)  # what the therapist can mark it as
    attendance: bool = False  # its attendance can be taken (a group meeting that began)


@dataclass
class Cell:
    """One hour of a day, or a block of hours holding events that touch each other."""

    row: int  # grid row (1 is the days' heads)
    span: int
    shade: str  # "open" (weekly hours), "closed" or "off" (time off)
    events: list[Event] = field(default_factory=list)


@dataclass
class Day:
    date: dt.date
    is_today: bool
    hours: list[AvailabilityRule]
    time_off: TimeOff | None
    cells: list[Cell]
    events: int


@dataclass
class Week:
    first_day: dt.date
    last_day: dt.date
    hours: list[dict]  # the row heads: {"row", "time"}
    rows: int  # grid rows, the days' heads included
    days: list[Day]


def week_sessions(sessions: QuerySet[Session], *, start: dt.datetime, end: dt.datetime):
    """``sessions`` starting in [start, end), each with ``course_position`` (its place in
    its course, counting that course's sessions by start) and ``seats_taken`` (its group's
    seats held), in one query."""
    earlier = Session.objects.filter(booking=OuterRef("booking")).filter(
        Q(start__lt=OuterRef("start")) | Q(start=OuterRef("start"), pk__lte=OuterRef("pk"))
    )
    seats = Enrolment.objects.filter(group=OuterRef("group"), status__in=SEAT_STATES)
    return (
        sessions.filter(start__gte=start, start__lt=end, status__in=CALENDAR_STATES)
        .annotate(
            course_position=_count(earlier, "booking"),
            seats_taken=_count(seats, "group"),
        )
        .order_by("start", "id")
    )


def _count(qs: QuerySet, by: str) -> Coalesce:
    return Coalesce(
        Subquery(qs.values(by).annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
        0,
    )


def week_of(
    therapist: Therapist, *, sessions: QuerySet[Session], monday: dt.date, at: dt.datetime
) -> Week:
    """The week from ``monday``, of ``sessions`` (the caller's own, already scoped), as
    seen at ``at`` (today marked, past sessions markable)."""
    tz = ZoneInfo(therapist.timezone)
    sunday = monday + dt.timedelta(days=6)
    start = dt.datetime.combine(monday, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(sunday + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    rows = list(week_sessions(sessions, start=start, end=end))
    rules = list(AvailabilityRule.objects.filter(therapist=therapist).order_by("weekday", "start"))
    time_off = list(
        TimeOff.objects.filter(
            therapist=therapist, start_date__lte=sunday, end_date__gte=monday
        ).order_by("start_date", "id")
    )
    events = [_event(session, tz, at) for session in rows]
    return lay_out(
        monday=monday, today=at.astimezone(tz).date(), rules=rules, time_off=time_off, events=events
    )


def _event(session: Session, tz: ZoneInfo, at: dt.datetime) -> Event:
    event = Event(
        session=session, start=session.start.astimezone(tz), end=session.end.astimezone(tz)
    )
    if session.start <= at:
        if session.group_id is not None:
            # A group meeting is marked per member (attendance), not as a whole.
            event.attendance = session.status in ("confirmed", "completed")
        elif session.status in ("confirmed", "completed", "no_show"):
            event.marks = [s for s in ("completed", "no_show") if s != session.status]
    return event


def _end_hour(event: Event) -> int:
    """The hour row after the event's last: 24 when it runs past midnight."""
    if event.end.date() > event.start.date():
        return 24
    end = event.end.hour + (1 if (event.end.minute or event.end.second) else 0)
    return max(end, event.start.hour + 1)


def _hour_span(rules: list[AvailabilityRule], events: list[Event]) -> tuple[int, int]:
    starts = [r.start.hour for r in rules] + [e.start.hour for e in events]
    ends = [r.end.hour + (1 if r.end.minute else 0) for r in rules] + [_end_hour(e) for e in events]
    if not starts:
        return DEFAULT_HOURS
    return min(starts), max(ends)


def _shade(hour: int, rules: list[AvailabilityRule], off: TimeOff | None) -> str:
    if off is not None:
        return "off"
    start, end = dt.time(hour), (dt.time(hour + 1) if hour < 23 else dt.time.max)
    return "open" if any(r.start < end and r.end > start for r in rules) else "closed"


def _cells(
    events: list[Event], first: int, last: int, rules: list[AvailabilityRule], off: TimeOff | None
) -> list[Cell]:
    """One cell per hour from ``first`` to ``last``; events whose hours touch share one
    block of rows, so nothing overlaps."""
    blocks: list[tuple[int, int, list[Event]]] = []
    for event in events:
        begin, end = event.start.hour, _end_hour(event)
        if blocks and begin < blocks[-1][1]:
            blocks[-1] = (blocks[-1][0], max(blocks[-1][1], end), [*blocks[-1][2], event])
        else:
            blocks.append((begin, end, [event]))

    def empty(hour: int) -> Cell:
        return Cell(row=hour - first + 2, span=1, shade=_shade(hour, rules, off))

    cells, hour = [], first
    for begin, end, held in blocks:
        cells += [empty(h) for h in range(hour, begin)]
        block = empty(begin)
        block.span, block.events = end - begin, held
        cells.append(block)
        hour = end
    cells += [empty(h) for h in range(hour, last)]
    return cells


def lay_out(
    *,
    monday: dt.date,
    today: dt.date,
    rules: list[AvailabilityRule],
    time_off: list[TimeOff],
    events: list[Event],
) -> Week:
    """The grid: a row per hour from the earliest of the hours and the events to the
    latest, a column per day; pure."""
    first, last = _hour_span(rules, events)
    days = []
    for n in range(7):
        date = monday + dt.timedelta(days=n)
        own_rules = [r for r in rules if r.weekday == date.weekday()]
        off = next((t for t in time_off if t.start_date <= date <= t.end_date), None)
        own_events = [e for e in events if e.start.date() == date]
        days.append(
            Day(
                date=date,
                is_today=date == today,
                hours=own_rules,
                time_off=off,
                cells=_cells(own_events, first, last, own_rules, off),
                events=len(own_events),
            )
        )
    return Week(
        first_day=monday,
        last_day=monday + dt.timedelta(days=6),
        hours=[{"row": h - first + 2, "time": dt.time(h)} for h in range(first, last)],
        rows=last - first + 1,
        days=days,
    )
