"""A group's weekly pattern in words, in the viewer's zone (the active time zone):
"Mon, Wed, Thu · 6:00–9:00 PM ET · 8 weeks · from Jan 4"."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateformat import format as format_date

from accounts.templatetags.us_time import us_time_range
from booking.models import Group


def meeting_days(group: Group, reference: dt.datetime) -> list[dt.datetime]:
    """One meeting on each of the group's weekdays, in the week of ``reference`` (a
    meeting's UTC start): the same wall-clock time in the therapist's zone, in UTC."""
    tz = ZoneInfo(group.therapist.timezone)
    local = reference.astimezone(tz)
    monday = local.date() - dt.timedelta(days=local.weekday())
    return [
        dt.datetime.combine(
            monday + dt.timedelta(days=day), group.start_time, tzinfo=tz
        ).astimezone(dt.UTC)
        for day in group.weekdays
    ]


def weekly_pattern(group: Group, reference: dt.datetime | None) -> str:
    """The days and hours it meets seen from the viewer's zone, its length and its first
    day; ``reference`` is a meeting's start (the next one, say). Days come Monday first, as
    the viewer's calendar shows them."""
    if reference is None:
        return ""
    starts = meeting_days(group, reference)
    viewer = timezone.get_current_timezone()
    days = sorted({start.astimezone(viewer).weekday() for start in starts})
    names = ", ".join(format_date(dt.date(2024, 1, 1 + day), "D") for day in days)  # a Monday
    hours = us_time_range(reference, reference + dt.timedelta(minutes=group.meeting_minutes))
    parts = [names, hours, f"{group.weeks} week{'s' if group.weeks != 1 else ''}"]
    first = getattr(group, "first_meeting", None)
    if first is not None:
        parts.append(f"from {format_date(timezone.localtime(first, viewer), 'M j')}")
    return " · ".join(parts)
