"""Reads for booking: a therapist's schedule for the slot finder, free slots, and the
one place each model is scoped by who is asking (everything else answers 404)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils.timezone import now

from booking import slots
from booking.models import Attendance, AvailabilityRule, Booking, Enrolment, Session, TimeOff
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


def next_opening(therapist: Therapist, *, at: dt.datetime | None = None) -> dt.datetime | None:
    """The first free single-session start in the next 62 days, or None."""
    return next_opening_and_stale_at(therapist, at=at)[0]


def next_opening_and_stale_at(
    therapist: Therapist, *, at: dt.datetime | None = None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The next opening, and from when it stops being right as time passes: the bulk
    answer for a list of one, so one therapist and the sweep never disagree."""
    return next_openings([therapist], at=at)[therapist.pk]


def next_openings(
    therapists: list[Therapist], *, at: dt.datetime | None = None
) -> dict[int, tuple[dt.datetime | None, dt.datetime | None]]:
    """Each therapist's next opening and from when it goes stale, by id, in three
    queries whatever their number."""
    at = at or now()
    schedules = schedules_for(
        therapists,
        window_start=at - dt.timedelta(days=1),
        window_end=at + dt.timedelta(days=slots.MAX_DAYS + 2),
    )
    return {t.pk: _first_opening(t, schedules[t.pk], at) for t in therapists}


def _first_opening(
    therapist: Therapist, schedule: slots.Schedule, at: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime | None]:
    if not schedule.hours:
        # No weekly hours, no opening, until a calendar change (which marks it stale).
        return None, None
    local_today = at.astimezone(schedule.tz).date()
    found = slots.free_course_starts(
        schedule,
        first_day=local_today,
        days=slots.MAX_DAYS,
        weeks=1,
        earliest=earliest_start(therapist, at),
        limit=1,
    )
    if found:
        # It stays the first free start until it falls inside the notice period.
        return found[0], found[0] - dt.timedelta(hours=therapist.notice_hours)
    # None in the next 62 days: the window gains a day at the next local midnight.
    midnight = dt.datetime.combine(local_today + dt.timedelta(days=1), dt.time())
    return None, midnight.replace(tzinfo=schedule.tz)


# --- Who may see what (PRODUCT rule 11) --------------------------------------------


def bookings_visible_to(user) -> QuerySet[Booking]:
    """A client's own bookings, a therapist's clients' bookings, everything for staff."""
    qs = Booking.objects.select_related("therapist", "client", "modality")
    if not user.is_authenticated:
        return qs.none()
    if user.is_staff:
        return qs
    therapist_id = getattr(user, "therapist_pk", None)
    if therapist_id is not None:
        return qs.filter(therapist_id=therapist_id)
    return qs.filter(client=user)


def _as_client(user) -> Q:
    """A client's own course sessions, and the meetings of groups they are enrolled in
    (or were marked at, once they have left)."""
    return (
        Q(client=user)
        | Q(
            group_id__in=Enrolment.objects.filter(client=user, status="enrolled").values("group_id")
        )
        | Q(pk__in=Attendance.objects.filter(client=user).values("session_id"))
    )


def sessions_visible_to(user) -> QuerySet[Session]:
    qs = Session.objects.select_related("therapist", "client", "booking", "group")
    if not user.is_authenticated:
        return qs.none()
    if user.is_staff:
        return qs
    therapist_id = getattr(user, "therapist_pk", None)
    if therapist_id is not None:
        return qs.filter(therapist_id=therapist_id)
    return qs.filter(_as_client(user))


def own_sessions(user) -> QuerySet[Session]:
    """The sessions a person attends: as the client or a group member, or as the
    therapist."""
    therapist_id = getattr(user, "therapist_pk", None)
    qs = Session.objects.select_related("therapist", "client", "booking", "group")
    if therapist_id is not None:
        return qs.filter(therapist_id=therapist_id)
    return qs.filter(_as_client(user))
