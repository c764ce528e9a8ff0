"""Validators shared by every app's models, forms and serializers, and the bounds they
hold (README, "Limits on what people type")."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.timezone import now

from therapy_directory import clock

# Line and paragraph breaks of every kind (str.splitlines() splits on each of these):
# a name with one would add its own line to the e-mails and calendars it appears in.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def validate_single_line(value: str) -> None:
    """Names, display names and credentials are one line of text."""
    if isinstance(value, str) and any(ch in _LINE_BREAKS for ch in value):
        raise ValidationError("Use one line, without line breaks.", code="single_line")


# --- Free text -----------------------------------------------------------------------------

# The longest free text people type, in characters (README, "Limits on what people type").
# One-line fields (names, titles, numbers) are CharFields with their own max_length.
LONG_TEXT_MAX = 5_000  # a therapist's bio, a group's or a modality's description
REASON_MAX = 2_000  # why a session, course, group or license was cancelled, declined, rejected


def at_most_chars(field: str, most: int) -> models.CheckConstraint:
    """The database's copy of a TextField's ``max_length`` (which Django leaves to forms)."""
    return models.CheckConstraint(
        condition=LessThanOrEqual(Length(field), most),
        name=f"%(app_label)s_%(class)s_{field}_at_most_{most}",
    )


def limited_text(value: str | None, *, field: str, most: int = REASON_MAX) -> str:
    """``value`` stripped, or a ValidationError naming ``field`` when it is too long: for
    services that write a reason without cleaning the whole row."""
    value = (value or "").strip()
    if len(value) > most:
        raise ValidationError({field: f"Keep it to {most:,} characters (this has {len(value):,})."})
    return value


def validate_fields(model: type[models.Model], **values) -> None:
    """The model's own checks of these fields only (validators, max_length, choices), as
    ``full_clean`` would run them: for services that write a few fields of a row. Raises a
    ValidationError keyed by field."""
    others = [f.name for f in model._meta.fields if f.name not in values]
    model(**values).clean_fields(exclude=others)


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
