"""Validators shared by every app's models, forms and serializers, and the bounds they
hold (README, "Limits on what people type")."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.timezone import now

from therapy_directory import clock

# Line and paragraph breaks of every kind (str.splitlines() splits on each of these):
# a name with one would add its own line to the e-mails and calendars it appears in.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def validate_single_line(value: str) -> None:
    """Names, display names and credentials are one line of text."""
    if isinstance(value, str) and any(ch in _LINE_BREAKS for ch in value):
        raise ValidationError("Use one line, without line breaks.", code="single_line")


# --- Dates --------------------------------------------------------------------------------

# Courses, groups and time off are planned weeks or months ahead, and looked back on for
# about as long; a date further away is a typo (and one like 9999-12-31 overflows the
# date arithmetic that follows it). Every date a person gives the booking side - a
# course's start, the first day of a slot search, a sessions range, a group's first
# week, time off - lies within this many days of today, either side.
BOOKING_WINDOW = dt.timedelta(days=2 * 365)


def booking_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last day allowed (inclusive)."""
    today = today or clock.today()
    return today - BOOKING_WINDOW, today + BOOKING_WINDOW


def within_booking_window(value: dt.date | dt.datetime) -> bool:
    """A day (or an aware instant) no more than ``BOOKING_WINDOW`` from today (now)."""
    if isinstance(value, dt.datetime):
        # A difference of aware datetimes never overflows, whatever their offsets.
        return abs(value - now()) <= BOOKING_WINDOW
    first, last = booking_window()
    return first <= value <= last


def validate_within_booking_window(value: dt.date | None) -> None:
    if value is not None and not within_booking_window(value):
        first, last = booking_window()
        raise ValidationError(
            f"Choose a date within two years of today ({us_date(first)} to {us_date(last)}).",
            code="outside_window",
        )


def us_date(day: dt.date) -> str:
    """Dec 8, 2026."""
    return f"{day:%b} {day.day}, {day.year}"
