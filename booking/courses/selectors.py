"""Reads for courses: the free weekly starts of the course picker, and the one place a
``Booking`` query is scoped by who is asking (anything else answers 404)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils.timezone import now

from booking import slots
from booking.models import Booking
from booking.schedules import earliest_start, schedule_for, schedules_for
from providers.models import Therapist


@dataclass(frozen=True)
class FreeCourse:
    """A course of N sessions free to book: its first session (start, end), the start
    of its last session and the local dates it skips for time off (UTC datetimes)."""

    start: dt.datetime
    end: dt.datetime
    last: dt.datetime
    skipped: tuple[dt.date, ...]


def free_slots(
    therapist: Therapist, *, first_day: dt.date, days: int, weeks: int
) -> list[FreeCourse]:
    """The courses of ``weeks`` sessions starting on a local date in
    [first_day, first_day + days) whose every session is free, by start."""
    tz = ZoneInfo(therapist.timezone)
    window_start = dt.datetime.combine(first_day, dt.time(), tzinfo=tz) - dt.timedelta(days=1)
    window_end = window_start + dt.timedelta(days=days + 7 * (weeks + slots.MAX_SKIPS) + 2)
    schedule = schedule_for(therapist, window_start=window_start, window_end=window_end)
    courses = slots.free_courses(
        schedule,
        first_day=first_day,
        days=days,
        weeks=weeks,
        earliest=earliest_start(therapist),
    )
    length = dt.timedelta(minutes=therapist.session_minutes)
    return [FreeCourse(c.start, c.start + length, c.last, c.skipped) for c in courses]


def first_free_course_starts(
    therapists: list[Therapist],
    *,
    weeks: int,
    days: int,
    fits: Callable[[dt.datetime], bool] | None = None,
    at: dt.datetime | None = None,
) -> dict[int, dt.datetime | None]:
    """For each therapist (read with at least their zone, session length, slot step and
    notice), by id: the first start (UTC) of a course of ``weeks`` sessions free for every
    week, on a local date in their next ``days`` days, that ``fits`` accepts (any start
    when no ``fits``); None when there is none. The picker's window, so the start is one
    it offers. Three queries whatever the number of therapists."""
    if not therapists:
        return {}
    at = at or now()
    schedules = schedules_for(
        therapists,
        window_start=at - dt.timedelta(days=1),
        window_end=at + dt.timedelta(days=days + 7 * (weeks + slots.MAX_SKIPS) + 2),
    )
    found: dict[int, dt.datetime | None] = {}
    for therapist in therapists:
        schedule = schedules[therapist.pk]
        if not schedule.hours:
            found[therapist.pk] = None
            continue
        courses = slots.free_courses(
            schedule,
            first_day=at.astimezone(schedule.tz).date(),
            days=days,
            weeks=weeks,
            earliest=earliest_start(therapist, at),
            limit=1,
            accept=fits,
        )
        found[therapist.pk] = courses[0].start if courses else None
    return found


def bookings_visible_to(user) -> QuerySet[Booking]:
    """A client's own bookings, a therapist's clients' bookings, everything for staff who
    hold the client-records permission (other staff see none: 404)."""
    qs = Booking.objects.select_related("therapist", "client", "modality")
    if not user.is_authenticated:
        return qs.none()
    if user.can_view_client_records:
        return qs
    therapist_id = getattr(user, "therapist_pk", None)
    if therapist_id is not None:
        return qs.filter(therapist_id=therapist_id)
    return qs.filter(client=user)
