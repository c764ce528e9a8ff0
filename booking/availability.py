"""A therapist's weekly hours and time off: the only code that changes them, and
their reads. Each change locks the therapist (as a booking does) and marks the next
opening stale in its transaction."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from booking import openings
from booking.locking import locked_therapist
from booking.models import AvailabilityRule, TimeOff
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
            errors.append(f"{day} {start:%H:%M}–{end:%H:%M}: the end must be after the start.")
            continue
        by_day.setdefault(weekday, []).append((start, end))
    for weekday, day_ranges in by_day.items():
        day_ranges.sort()
        for (s1, e1), (s2, e2) in zip(day_ranges, day_ranges[1:], strict=False):
            if s2 < e1:
                day = dict(AvailabilityRule.WEEKDAYS)[weekday]
                errors.append(
                    f"{day} {s1:%H:%M}–{e1:%H:%M} overlaps {s2:%H:%M}–{e2:%H:%M}: "
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
