"""iCalendar (.ics) feeds of a person's sessions, times in their own zone, and the
private address calendar apps poll them at (``CalendarFeed``: its only writer).

Written so every common reader shows the same thing:
- The zone (VTIMEZONE) is the viewer's current yearly rule as two RRULEs where it has one
  (US zones), else one STANDARD or DAYLIGHT part per change of offset; never a list of
  dates on one RDATE line, of which vobject reads only the first (every session after the
  March change showed an hour late there).
- Each event carries the session's own version: SEQUENCE, LAST-MODIFIED and DTSTAMP come
  from the session row (``sequence``, ``changed_at``: a database trigger bumps them when
  its start, end or status changes), so a moved session replaces the old one in calendars
  that match by UID, and fetching twice with no change gives the same bytes.
- No video link, ever: LOCATION says where to find it (Rapport, from 24 h before).
- Cancelled, declined and expired sessions are left out: the event disappears from every
  subscriber at its next refresh (calcurse, for one, ignores STATUS:CANCELLED and would
  show them as booked)."""

from __future__ import annotations

import calendar as months
import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.utils.timezone import now

from booking import video
from booking.models import CalendarFeed, Session, new_calendar_token
from booking.sessions import own_sessions
from therapy_directory.transactions import service_transaction

STATUS = {
    "pending": "TENTATIVE",
    "confirmed": "CONFIRMED",
    "completed": "CONFIRMED",
    "no_show": "CONFIRMED",
}
SHOWN = list(STATUS)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_TICK = dt.timedelta(microseconds=1)


def _changes(zone: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The instants (UTC) after ``start``, up to ``end``, at which ``zone``'s offset
    changes: a day at a time, then halving to the microsecond."""

    def offset(t: dt.datetime) -> dt.timedelta | None:
        return t.astimezone(zone).utcoffset()

    found, day, t = [], dt.timedelta(days=1), start
    while t < end:
        if offset(t) != offset(t + day):
            before, after = t, t + day
            while after - before > _TICK:
                middle = before + (after - before) / 2
                before, after = (
                    (middle, after) if offset(middle) == offset(before) else (before, middle)
                )
            found.append(after)
        t += day
    return [change for change in found if change <= end]


def _part(zone: ZoneInfo, at: dt.datetime, before: dt.timedelta):
    """The zone from ``at`` (UTC) on, coming from offset ``before``."""
    local = at.astimezone(zone)
    part = icalendar.TimezoneDaylight() if local.dst() else icalendar.TimezoneStandard()
    # DTSTART is the change's local time on the clock before it (RFC 5545 3.6.5).
    part.add("dtstart", (at + before).replace(tzinfo=None))
    part.add("tzoffsetfrom", before)
    part.add("tzoffsetto", local.utcoffset())
    part.add("tzname", local.tzname())
    return part


def _yearly(part):
    """``part`` recurring every year on the same weekday of its month (2nd Sunday of
    March, last Sunday of October...)."""
    onset = part.DTSTART
    last_week = onset.day + 7 > months.monthrange(onset.year, onset.month)[1]
    nth = -1 if last_week else (onset.day + 6) // 7
    part.add(
        "rrule",
        {"freq": "yearly", "bymonth": onset.month, "byday": f"{nth}{WEEKDAYS[onset.weekday()]}"},
    )
    return part


def _vtimezone(key: str, times: list[dt.datetime]) -> icalendar.Timezone:
    """The VTIMEZONE for events at ``times`` shown in the zone ``key``: its yearly rule
    from the year before the first of them, when the rule's changes (as icalendar reads
    them back) are exactly the zone's from then to the last; else each change listed,
    one part each."""
    zone = ZoneInfo(key)
    start, end = min(times) - dt.timedelta(days=366), max(times)
    changes = _changes(zone, start, end)
    offsets = [(c - _TICK).astimezone(zone).utcoffset() for c in changes]
    vtz = icalendar.Timezone()
    vtz.add("tzid", key)
    if len(changes) >= 2:
        for change, before in zip(changes[:2], offsets[:2], strict=True):
            vtz.add_component(_yearly(_part(zone, change, before)))
        ruled = [t.replace(tzinfo=dt.UTC) for t in vtz.get_transitions()[0]]
        if [t for t in ruled if t <= end] == changes:
            return vtz
        vtz.subcomponents = []
    vtz.add_component(_part(zone, start, start.astimezone(zone).utcoffset()))
    for change, before in zip(changes, offsets, strict=True):
        vtz.add_component(_part(zone, change, before))
    return vtz


def _calendar(name: str, sessions: Iterable[Session], viewer) -> bytes:
    tz = ZoneInfo(viewer.timezone)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Rapport//Sessions//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", viewer.timezone)
    times = []
    for session in sessions:
        is_therapist = session.therapist.user_id == viewer.pk
        event = icalendar.Event()
        event.add("uid", f"session-{session.pk}@rapport")
        event.add("dtstamp", session.changed_at)
        event.add("last-modified", session.changed_at)
        event.add("sequence", session.sequence)
        event.add("dtstart", session.start.astimezone(tz))
        event.add("dtend", session.end.astimezone(tz))
        times += [session.start, session.end]
        # No clinical detail in calendars: who and when, nothing about the therapy.
        # A group's title is the therapist's own; members' calendars don't carry it.
        if session.group_id is not None:
            summary = (
                f"Group: {session.group.title}"
                if is_therapist
                else f"Group session with {session.therapist.display_name}"
            )
        else:
            other = session.client.name if is_therapist else session.therapist.display_name
            summary = f"Session with {other}"
        event.add("summary", summary)
        event.add("status", STATUS[session.status])
        fmt = session.meeting_format
        if fmt == "in_person":
            t = session.therapist
            event.add("location", ", ".join(p for p in [t.office_city, t.office_state] if p))
        else:
            # Never the video link (booking.video): a feed is fetched at any time and
            # copied to other devices. The event's URL leads to the page that has it.
            event.add("location", video.LINK_LATER)
        event.add(
            "url",
            f"{settings.SITE_URL}/groups/{session.group_id}/"
            if session.group_id is not None
            else f"{settings.SITE_URL}/my/sessions/",
        )
        cal.add_component(event)
    if viewer.timezone in cal.get_missing_tzids():  # none for UTC, nor with no event
        cal.subcomponents.insert(0, _vtimezone(viewer.timezone, times))
    return cal.to_ical()


def feed_for(user) -> bytes:
    """Every session from 90 days ago on, as the client or the therapist."""
    sessions = (
        own_sessions(user)
        .filter(status__in=SHOWN, start__gte=now() - dt.timedelta(days=90))
        .select_related("therapist", "client", "booking", "group")
        .order_by("start", "id")
    )
    return _calendar("Rapport sessions", sessions, user)


def booking_calendar(booking, viewer) -> bytes:
    sessions = (
        booking.sessions.filter(status__in=SHOWN)
        .select_related("therapist", "client", "booking")
        .order_by("start", "id")
    )
    return _calendar("Rapport course", sessions, viewer)


# --- The private address ---------------------------------------------------------------


def feed_of(user) -> CalendarFeed | None:
    """The person's private feed address, or None until they ask for one."""
    return CalendarFeed.objects.filter(user=user).first()


def feed_with_token(token: str) -> CalendarFeed | None:
    """The feed of an active account at this address, with its owner, or None."""
    return (
        CalendarFeed.objects.select_related("user")
        .filter(token=token, user__is_active=True)
        .first()
    )


def rotate_feed(*, user) -> CalendarFeed:
    """Give the person a new private feed address: their first, or one that replaces the
    old, which stops working at once (the token is the address's only credential)."""
    with service_transaction():
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(user=user)
        if not created:
            feed.token = new_calendar_token()
            feed.created_at = now()
            feed.save(update_fields=["token", "created_at"])
    return feed
