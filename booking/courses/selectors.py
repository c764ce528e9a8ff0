"""Reads for courses: the free weekly starts of the course picker, and the one place a
``Booking`` query is scoped by who is asking (anything else answers 404)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from booking import slots
from booking.models import Booking
from booking.schedules import earliest_start, schedule_for
from providers.models import Therapist


def free_slots(
    therapist: Therapist, *, first_day: dt.date, days: int, weeks: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Starts (and ends) free for all ``weeks`` weekly occurrences, UTC."""
    tz = ZoneInfo(therapist.timezone)
    window_start = dt.datetime.combine(first_day, dt.time(), tzinfo=tz) - dt.timedelta(days=1)
    window_end = window_start + dt.timedelta(days=days + 7 * weeks + 2)
    schedule = schedule_for(therapist, window_start=window_start, window_end=window_end)
    starts = slots.free_course_starts(
        schedule,
        first_day=first_day,
        days=days,
        weeks=weeks,
        earliest=earliest_start(therapist),
    )
    length = dt.timedelta(minutes=therapist.session_minutes)
    return [(start, start + length) for start in starts]


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
