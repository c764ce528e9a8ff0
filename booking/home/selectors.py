"""Reads for the therapist's home: what needs their attention, each list in one query
whatever its length (requests waiting, this week's sessions, licenses expiring, groups
with a waitlist or open seats, members who missed their last three meetings), and the
count of requests waiting the navigation shows on every page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Min

from booking.groups.selectors import MissedMeetings, missed_in_a_row, seats_left, with_seats
from booking.models import ACTIVE_SESSION_STATES, Booking, Group, Session
from providers.models import License, Therapist
from therapy_directory import clock

# What a week of sessions shows: those that hold the time and those that took place.
WEEK_STATES = ("pending", "confirmed", "completed", "no_show")
DAYS_AHEAD = 7


@dataclass
class DaySessions:
    day: dt.date
    sessions: list[Session]


@dataclass
class GroupSeats:
    group: Group
    seats_left: int
    waitlisted: int


@dataclass
class TherapistHome:
    today: dt.date
    requests: list[Booking]
    sessions_today: list[Session]
    later: list[DaySessions]  # the next six days that have a session
    licenses: list[License]
    license_window_days: int
    groups: list[GroupSeats]
    absences: list[MissedMeetings]  # members absent from their last three meetings

    @property
    def needs_nothing(self) -> bool:
        return not (
            self.requests
            or self.sessions_today
            or self.later
            or self.licenses
            or self.groups
            or self.absences
        )


def requests_waiting(user) -> int:
    """Requests (pending courses) waiting for the therapist's answer: one count, for the
    navigation of every page."""
    return Booking.objects.filter(therapist__user_id=user.pk, status=Booking.Status.PENDING).count()


def therapist_home(therapist: Therapist, *, at: dt.datetime) -> TherapistHome:
    """What needs ``therapist``'s attention at ``at``, their own rows only (the page's
    caller is that therapist: ``booking.pages.therapist_only``), in five reads."""
    tz = ZoneInfo(therapist.timezone)
    today = at.astimezone(tz).date()
    days = [today + dt.timedelta(days=n) for n in range(DAYS_AHEAD)]
    window_start = dt.datetime.combine(today, dt.time(), tzinfo=tz)
    window_end = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), tzinfo=tz)

    requests = list(
        Booking.objects.filter(therapist=therapist, status=Booking.Status.PENDING)
        .select_related("client", "modality")
        .annotate(first_start=Min("sessions__start"))
        .order_by("hold_until", "id")
    )

    by_day: dict[dt.date, list[Session]] = {day: [] for day in days}
    sessions = (
        Session.objects.filter(
            therapist=therapist,
            start__gte=window_start,
            start__lt=window_end,
            status__in=WEEK_STATES,
        )
        .select_related("client", "booking__modality", "group")
        .order_by("start", "id")
    )
    for session in sessions:
        by_day[session.start.astimezone(tz).date()].append(session)

    window = settings.LICENSE_EXPIRING_WINDOW_DAYS
    licenses = list(
        therapist.licenses.expiring_within(window, clock.today()).order_by("expires_on", "id")
    )

    running = Group.objects.filter(
        therapist=therapist,
        status=Group.Status.ACTIVE,
        pk__in=Session.objects.filter(
            therapist=therapist,
            group__isnull=False,
            status__in=ACTIVE_SESSION_STATES,
            start__gt=at,
        ).values("group_id"),
    )
    groups = [
        GroupSeats(group=g, seats_left=seats_left(g), waitlisted=g.waitlisted)
        for g in with_seats(running).order_by("next_meeting", "id")
    ]
    groups = [g for g in groups if g.seats_left or g.waitlisted]

    return TherapistHome(
        today=today,
        requests=requests,
        sessions_today=by_day.pop(today),
        later=[DaySessions(day=day, sessions=rows) for day, rows in by_day.items() if rows],
        licenses=licenses,
        license_window_days=window,
        groups=groups,
        absences=missed_in_a_row(therapist, at=at),
    )
