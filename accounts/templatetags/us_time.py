"""Times and dates the way people in the USA read them (PRODUCT.md, "Pages"):
"Tue, Dec 8 · 10:00 AM ET", "Dec 8, 2026", "Tuesdays at 6:00 PM PT".

Built into every template (settings.TEMPLATES ``builtins``), and usable from Python
for messages and e-mails. Aware datetimes are shown in the active zone (the viewer's,
or the one a ``{% timezone %}`` block sets), always with its label; the API keeps
ISO 8601 and IANA names.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date

from accounts.places import timezone_common_name

register = template.Library()

# Daylight and standard names of a US zone read as one: "ET" all year, as Americans
# write it. Any other zone keeps its own abbreviation (GMT, CET) or reads "UTC+3".
_US_ZONES = {
    "EST": "ET", "EDT": "ET", "CST": "CT", "CDT": "CT", "MST": "MT", "MDT": "MT",
    "PST": "PT", "PDT": "PT", "AKST": "AKT", "AKDT": "AKT", "HST": "HT", "HDT": "HT",
}  # fmt: skip


def _local(value: dt.datetime) -> dt.datetime:
    """In the active zone, unless the template's ``timezone`` filter already chose one."""
    return timezone.template_localtime(value, use_tz=True)


def zone_label(value: dt.datetime) -> str:
    """ "ET" for 10:00 in New York, "GMT" in London, "UTC+5:30" where the zone has no
    letters of its own."""
    local = _local(value)
    name = local.tzname() or ""
    if name in _US_ZONES:
        return _US_ZONES[name]
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds() // 60)
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


@register.filter(expects_localtime=True)
def us_time(value: dt.datetime | None) -> str:
    """10:00 AM ET"""
    if not value:
        return ""
    return f"{format_date(_local(value), 'g:i A')} {zone_label(value)}"


def us_time_range(start: dt.datetime, end: dt.datetime) -> str:
    """ "6:00–9:00 PM ET", or "11:00 AM–1:00 PM ET" when the range crosses noon."""
    first, last = _local(start), _local(end)
    if format_date(first, "A") == format_date(last, "A"):
        return f"{format_date(first, 'g:i')}–{format_date(last, 'g:i A')} {zone_label(start)}"
    return f"{format_date(first, 'g:i A')}–{format_date(last, 'g:i A')} {zone_label(start)}"


@register.filter(expects_localtime=True)
def us_day(value: dt.date | dt.datetime | None) -> str:
    """Tue, Dec 8"""
    if not value:
        return ""
    return format_date(_local(value) if isinstance(value, dt.datetime) else value, "D, M j")


@register.filter(expects_localtime=True)
def us_date(value: dt.date | dt.datetime | None) -> str:
    """Dec 8, 2026"""
    if not value:
        return ""
    return format_date(_local(value) if isinstance(value, dt.datetime) else value, "M j, Y")


@register.filter(expects_localtime=True)
def us_datetime(value: dt.datetime | None) -> str:
    """Tue, Dec 8 · 10:00 AM ET (the year too when it is not this year's)."""
    if not value:
        return ""
    local = _local(value)
    day = us_day(local)
    if local.year != timezone.localdate().year:
        day = f"{day}, {local.year}"
    return f"{day} · {us_time(local)}"


@register.filter(expects_localtime=True)
def us_weekly(value: dt.datetime | None) -> str:
    """Tuesdays at 10:00 AM ET"""
    if not value:
        return ""
    return f"{format_date(_local(value), 'l')}s at {us_time(value)}"


@register.filter(expects_localtime=True)
def us_long(value: dt.datetime | None) -> str:
    """Tuesday, December 8, 2026 at 10:00 AM ET (for the body of an e-mail)."""
    if not value:
        return ""
    return f"{format_date(_local(value), 'l, F j, Y')} at {us_time(value)}"


@register.filter(expects_localtime=True)
def us_stamp(value: dt.datetime | None) -> str:
    """Dec 8, 2026, 10:00:05 AM ET (when to the second matters: logs, heartbeats)."""
    if not value:
        return ""
    local = _local(value)
    return f"{us_date(local)}, {format_date(local, 'g:i:s A')} {zone_label(local)}"


@register.filter
def us_clock(value: dt.time | None) -> str:
    """10:00 AM, for a wall-clock time that has no date (weekly hours, a group's time)."""
    if value is None or value == "":
        return ""
    return format_date(dt.datetime.combine(dt.date(2000, 1, 1), value), "g:i A")


@register.filter
def zone_name(value) -> str:
    """ "Central Time" for America/Chicago, "Paris time" for Europe/Paris."""
    return timezone_common_name(value)
