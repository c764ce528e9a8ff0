"""A therapist's schedule as the slot finder reads it: weekly hours, time off and the
sessions that already hold time, between two instants, for one therapist or many."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils.timezone import now

from booking import slots
from booking.models import AvailabilityRule, Session, TimeOff
from providers.models import Therapist


def time_off_dates(window_start: dt.datetime, window_end: dt.datetime) -> tuple[dt.date, dt.date]:
    """The dates of the time off to read for a window, in any therapist's zone: the UTC
    dates of its two ends, widened by one day each side.

    Time off is whole local days, so a day off in a zone far from UTC straddles two
    UTC dates (Kiritimati, UTC+14: its 2nd runs from 10:00 UTC on the 1st; UTC-12: to
    12:00 UTC on the 3rd). No zone is a whole day from UTC (they run from -12:00 to
    +14:00), so the local date of any instant is its UTC date or one either side: a
    time off on any local date inside the window overlaps these dates, whatever the
    therapist's zone and whatever zone the window was given in. One rule for every
    therapist, so one query reads many."""
    return (
        window_start.astimezone(dt.UTC).date() - dt.timedelta(days=1),
        window_end.astimezone(dt.UTC).date() + dt.timedelta(days=1),
    )


def schedules_for(
    therapists: list[Therapist],
    *,
    window_start: dt.datetime,
    window_end: dt.datetime,
    ignore_booking_id: int | None = None,
) -> dict[int, slots.Schedule]:
    """Each therapist's hours, time off and active sessions between two instants, by id:
    three queries whatever their number (the therapists need only their zone, session
    length and slot step read)."""
    ids = [t.pk for t in therapists]
    hours: dict[int, list[slots.WeeklyRange]] = {pk: [] for pk in ids}
    for pk, weekday, start, end in AvailabilityRule.objects.filter(
        therapist_id__in=ids
    ).values_list("therapist_id", "weekday", "start", "end"):
        hours[pk].append(slots.WeeklyRange(weekday, start, end))
    first_day, last_day = time_off_dates(window_start, window_end)
    time_off: dict[int, list[tuple[dt.date, dt.date]]] = {pk: [] for pk in ids}
    for pk, first, last in TimeOff.objects.filter(
        therapist_id__in=ids, end_date__gte=first_day, start_date__lte=last_day
    ).values_list("therapist_id", "start_date", "end_date"):
        time_off[pk].append((first, last))
    sessions = Session.objects.active().filter(
        therapist_id__in=ids, start__lt=window_end, end__gt=window_start
    )
    if ignore_booking_id is not None:
        sessions = sessions.exclude(booking_id=ignore_booking_id)
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {pk: [] for pk in ids}
    for pk, start, end in sessions.values_list("therapist_id", "start", "end"):
        busy[pk].append((start, end))
    return {
        t.pk: slots.Schedule(
            tz=ZoneInfo(t.timezone),
            hours=hours[t.pk],
            session_minutes=t.session_minutes,
            step_minutes=t.slot_step_minutes,
            time_off=time_off[t.pk],
            busy=busy[t.pk],
        )
        for t in therapists
    }


def schedule_for(
    therapist: Therapist,
    *,
    window_start: dt.datetime,
    window_end: dt.datetime,
    ignore_booking_id: int | None = None,
) -> slots.Schedule:
    """The therapist's hours, time off and active sessions between two instants."""
    return schedules_for(
        [therapist],
        window_start=window_start,
        window_end=window_end,
        ignore_booking_id=ignore_booking_id,
    )[therapist.pk]


def earliest_start(therapist: Therapist, at: dt.datetime | None = None) -> dt.datetime:
    """Nothing can be booked inside the therapist's notice period."""
    return (at or now()) + dt.timedelta(hours=therapist.notice_hours)
