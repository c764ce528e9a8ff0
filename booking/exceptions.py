"""Domain errors of booking; the API maps ``http_status``, pages show ``detail``."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.templatetags.us_time import us_datetime
from therapy_directory.errors import DomainError

REASONS = {
    "taken": "already booked",
    "time_off": "the therapist is away",
    "outside_hours": "outside the therapist's weekly hours",
    "off_grid": "not one of the therapist's start times",
    "too_soon": "too soon to book (inside the therapist's notice period)",
}


class SlotConflict(DomainError):
    """Some weeks of a course cannot be booked; ``conflicts`` lists their starts."""

    def __init__(self, conflicts: list[tuple[dt.datetime, str]]):
        self.weeks = conflicts
        dates = ", ".join(f"{start:%Y-%m-%d}" for start, _ in conflicts)
        super().__init__(
            f"{len(conflicts)} of the weeks cannot be booked: {dates}.",
            conflicts=[start.isoformat() for start, _ in conflicts],
            reasons=[REASONS.get(reason, reason) for _, reason in conflicts],
        )


class IndividualCourseConflict(SlotConflict):
    """The weekly individual course that comes with a group program (``Group.individual``)
    cannot be booked at the chosen time, so neither it nor the enrolment is written.
    ``conflicts`` names each failing week: ``{start, reason}``, the reason one of
    ``REASONS``' codes."""

    def __init__(
        self,
        conflicts: list[tuple[dt.datetime, str]],
        *,
        weeks: int,
        tz: dt.tzinfo = dt.UTC,
        outcome: str = "Nothing was booked and you are not enrolled",
    ):
        """``tz``: the zone the dates are said in (the client's); ``outcome``: what stands
        now, said before "choose another weekly time"."""
        self.weeks = conflicts
        with timezone.override(tz):  # "Thu, Jan 14 · 10:00 AM ET", as people read it
            listed = "; ".join(
                f"{us_datetime(start)} {REASONS.get(reason, reason)}" for start, reason in conflicts
            )
        DomainError.__init__(
            self,
            f"The weekly individual course can’t be booked at that time: {len(conflicts)} of "
            f"its {weeks} weeks {'is' if len(conflicts) == 1 else 'are'} not free ({listed}). "
            f"{outcome}: choose another weekly time.",
            conflicts=[
                {"start": start.isoformat(), "reason": reason} for start, reason in conflicts
            ],
        )


class NotLicensedInState(DomainError):
    http_status = 403

    def __init__(self, *, therapist_name: str, state: str, detail: str = ""):
        """``detail``: the same refusal worded for someone else (the therapist)."""
        super().__init__(
            detail
            or f"{therapist_name} holds no verified, current license in {state or 'your state'}, "
            "so they cannot treat you there. Search for therapists licensed in your state."
        )


class NotAcceptingClients(DomainError):
    def __init__(self, *, therapist_name: str):
        super().__init__(f"{therapist_name} is not accepting new clients at the moment.")


class InvalidTransition(DomainError):
    def __init__(self, detail: str, *, status: str):
        super().__init__(detail, status=status)


class GroupFull(DomainError):
    """Every seat of the group is taken and the client did not ask for the waitlist."""

    def __init__(self, *, title: str, waitlisted: int):
        super().__init__(
            f"“{title}” is full. Join the waitlist to be offered the next free seat "
            f"({waitlisted} waiting).",
            waitlisted=waitlisted,
        )
