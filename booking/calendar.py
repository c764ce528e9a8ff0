"""iCalendar (.ics) feeds of a person's sessions, times in their own zone, and the
private address calendar apps poll them at (``CalendarFeed``: its only writer)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.utils.timezone import now

from booking.models import CalendarFeed, Session, new_calendar_token
from booking.sessions import own_sessions
from therapy_directory.transactions import service_transaction

STATUS = {
    "pending": "TENTATIVE",
    "confirmed": "CONFIRMED",
    "completed": "CONFIRMED",
    "no_show": "CONFIRMED",
}
SHOWN = ["pending", "confirmed", "completed", "no_show", "cancelled"]


def _calendar(name: str, sessions: Iterable[Session], viewer) -> bytes:
    tz = ZoneInfo(viewer.timezone)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Rapport//Sessions//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", viewer.timezone)
    stamp = now()
    for session in sessions:
        is_therapist = session.therapist.user_id == viewer.pk
        event = icalendar.Event()
        event.add("uid", f"session-{session.pk}@rapport")
        event.add("dtstamp", stamp)
        event.add("dtstart", session.start.astimezone(tz))
        event.add("dtend", session.end.astimezone(tz))
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
        event.add("status", STATUS.get(session.status, "CANCELLED"))
        fmt = session.meeting_format
        if fmt == "in_person":
            t = session.therapist
            event.add("location", ", ".join(p for p in [t.office_city, t.office_state] if p))
        else:
            event.add("location", "Video session")
        event.add(
            "url",
            f"{settings.SITE_URL}/groups/{session.group_id}/"
            if session.group_id is not None
            else f"{settings.SITE_URL}/my/sessions/",
        )
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def feed_for(user) -> bytes:
    """Every session from 90 days ago on, as the client or the therapist."""
    sessions = (
        own_sessions(user)
        .filter(status__in=SHOWN, start__gte=now() - dt.timedelta(days=90))
        .select_related("therapist", "client", "booking", "group")
        .order_by("start")
    )
    return _calendar("Rapport sessions", sessions, user)


def booking_calendar(booking, viewer) -> bytes:
    sessions = (
        booking.sessions.filter(status__in=SHOWN)
        .select_related("therapist", "client", "booking")
        .order_by("start")
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
