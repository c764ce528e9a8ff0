"""A therapist's weekly hours and time off: the only code that changes them, and
their reads. Each change locks the therapist (as a booking does) and marks the next
opening stale in its transaction. Also the sessions booked in time off (PRODUCT.md rule
4): which they are, where deferring each would take it, and keeping one."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Max, Q, QuerySet

from accounts.templatetags.us_time import us_clock
from audit import services as audit
from booking import openings, slots
from booking.courses.services import HELD_STATES, deferral_plan, deferral_window
from booking.exceptions import InvalidTransition
from booking.locking import locked_therapist
from booking.models import AvailabilityRule, Session, TimeOff
from booking.schedules import earliest_start, schedule_for
from providers.models import Therapist
from therapy_directory.transactions import service_transaction
from therapy_directory.validators import validate_fields, validate_within_booking_window


def weekly_hours(therapist: Therapist) -> QuerySet[AvailabilityRule]:
    """The therapist's weekly ranges, by weekday and start."""
    return AvailabilityRule.objects.filter(therapist=therapist).order_by("weekday", "start")


def time_off_ahead(therapist: Therapist, *, today: dt.date) -> QuerySet[TimeOff]:
    """The therapist's time off that has not ended before ``today``, soonest first."""
    return TimeOff.objects.filter(therapist=therapist, end_date__gte=today).order_by(
        "start_date", "id"
    )


def set_weekly_hours(
    *, therapist: Therapist, ranges: list[tuple[int, dt.time, dt.time]]
) -> list[AvailabilityRule]:
    """Replace all weekly hours. Inverted or overlapping ranges are refused whole."""
    errors = []
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, start, end in ranges:
        day = dict(AvailabilityRule.WEEKDAYS).get(weekday)
        if day is None:
            errors.append(f"{weekday} is not a weekday (0 = Monday … 6 = Sunday).")
            continue
        if start >= end:
            errors.append(
                f"{day} {us_clock(start)} – {us_clock(end)}: the end must be after the start."
            )
            continue
        by_day.setdefault(weekday, []).append((start, end))
    for weekday, day_ranges in by_day.items():
        day_ranges.sort()
        for (s1, e1), (s2, e2) in zip(day_ranges, day_ranges[1:], strict=False):
            if s2 < e1:
                day = dict(AvailabilityRule.WEEKDAYS)[weekday]
                errors.append(
                    f"{day} {us_clock(s1)} – {us_clock(e1)} overlaps "
                    f"{us_clock(s2)} – {us_clock(e2)}: "
                    "merge them into one range."
                )
    if errors:
        raise ValidationError(errors)
    with service_transaction():
        therapist = locked_therapist(therapist.pk)
        AvailabilityRule.objects.filter(therapist=therapist).delete()
        rules = AvailabilityRule.objects.bulk_create(
            [AvailabilityRule(therapist=therapist, weekday=w, start=s, end=e) for w, s, e in ranges]
        )
        openings.mark_stale(therapist)
    return sorted(rules, key=lambda r: (r.weekday, r.start))


def add_time_off(
    *, therapist: Therapist, start_date: dt.date, end_date: dt.date, note: str = ""
) -> TimeOff:
    """Whole days off, within two years of today (the booking window). Sessions already
    booked in them stay: the therapist decides."""
    errors = {}
    for field, day in (("start_date", start_date), ("end_date", end_date)):
        try:
            validate_within_booking_window(day)
        except ValidationError as exc:
            errors[field] = exc.messages
    try:
        validate_fields(TimeOff, note=note)
    except ValidationError as exc:
        errors |= exc.message_dict
    if errors:
        raise ValidationError(errors)
    if end_date < start_date:
        raise ValidationError({"end_date": "The last day off cannot be before the first."})
    if (end_date - start_date).days > 366:
        raise ValidationError({"end_date": "Time off longer than a year: split it up."})
    with service_transaction():
        therapist = locked_therapist(therapist.pk)
        time_off = TimeOff.objects.create(
            therapist=therapist, start_date=start_date, end_date=end_date, note=note
        )
        openings.mark_stale(therapist)
    return time_off


def remove_time_off(*, therapist: Therapist, time_off_id: int) -> None:
    """Delete one of the therapist's own time off; another's is TimeOff.DoesNotExist."""
    with service_transaction():
        therapist = locked_therapist(therapist.pk)
        deleted, _ = TimeOff.objects.filter(therapist=therapist, pk=time_off_id).delete()
        if not deleted:
            raise TimeOff.DoesNotExist
        openings.mark_stale(therapist)


# --- Sessions booked in time off (PRODUCT.md rule 4) ------------------------------------------
# Nothing is cancelled silently: the therapist keeps each one, cancels it (the course's or
# the group's cancellation service tells the client) or defers it
# (``booking.courses.services.defer_session``).


def _local_days(therapist: Therapist, first: dt.date, last: dt.date) -> Q:
    """Sessions starting on the local dates ``first`` to ``last`` of the therapist's zone."""
    tz = ZoneInfo(therapist.timezone)
    return Q(
        start__gte=dt.datetime.combine(first, dt.time(), tzinfo=tz),
        start__lt=dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz),
    )


def sessions_booked_in(
    therapist: Therapist, *, start_date: dt.date, end_date: dt.date, after: dt.datetime
) -> QuerySet[Session]:
    """The therapist's sessions still held (pending or confirmed; course sessions and
    group meetings) that start after ``after`` on those days: what new time off covers."""
    return (
        Session.objects.active()
        .filter(_local_days(therapist, start_date, end_date), therapist=therapist, start__gt=after)
        .order_by("start", "id")
    )


def sessions_to_decide(therapist: Therapist, *, at: dt.datetime) -> list[Session]:
    """Upcoming sessions still held in any of the therapist's time off that they have not
    chosen to keep, soonest first (two reads)."""
    today = at.astimezone(ZoneInfo(therapist.timezone)).date()
    days = Q()
    for first, last in time_off_ahead(therapist, today=today).values_list("start_date", "end_date"):
        days |= _local_days(therapist, first, last)
    if not days:
        return []
    return list(
        Session.objects.active()
        .filter(days, therapist=therapist, start__gt=at, kept_in_time_off=False)
        .select_related("client", "booking", "group")
        .order_by("start", "id")
    )


def deferral_previews(therapist: Therapist, sessions: list[Session]) -> dict[int, slots.Plan]:
    """Where each course session would go if deferred now (the plan ``defer_session``
    follows), by session id; group meetings have none. Four reads whatever the number."""
    course_ids = {s.booking_id for s in sessions if s.booking_id is not None}
    if not course_ids:
        return {}
    lasts = dict(
        Session.objects.filter(booking_id__in=course_ids, status__in=HELD_STATES)
        .values("booking_id")
        .annotate(last=Max("start"))
        .values_list("booking_id", "last")
    )
    schedule = schedule_for(
        therapist,
        window_start=min(deferral_window(last)[0] for last in lasts.values()),
        window_end=max(deferral_window(last)[1] for last in lasts.values()),
    )
    earliest = earliest_start(therapist)
    return {
        s.pk: deferral_plan(schedule, lasts[s.booking_id], earliest=earliest)
        for s in sessions
        if s.booking_id is not None
    }


def keep_session(*, therapist: Therapist, session_id: int) -> Session:
    """The therapist holds a session that falls in their time off: it stays as booked
    and leaves the list to decide. Nobody is e-mailed (nothing changes for the client);
    the choice is audited. Another therapist's session is Session.DoesNotExist."""
    with service_transaction():
        session = Session.objects.select_for_update().get(pk=session_id, therapist=therapist)
        if not session.is_active:
            raise InvalidTransition(
                f"This session is {session.status}; there is nothing to keep.",
                status=session.status,
            )
        session.kept_in_time_off = True
        session.save(update_fields=["kept_in_time_off"])
        audit.record(
            action=audit.Action.SESSION_KEPT,
            actor=therapist.user,
            target=session,
            subject_id=session.client_id,
            details={"booking": session.booking_id, "group": session.group_id},
        )
    return session
