"""Who may join a session's video room, and when (PRODUCT rule 9): the one place that
decides it, for the pages, the API and the reminders alike.

A telehealth session's room is its group's own room (``Group.video_url``) or else the
therapist's (``Therapist.video_url``). Its link is shown only
- to the people in the session: the therapist; the course's client; for a group meeting,
  the members enrolled in the group (not the waitlist, not a seat on offer, not someone
  who left);
- while the session is confirmed, from ``OPENS_BEFORE`` (24 h) before it starts until it
  ends.
Anyone else, or at any other time, gets None. Calendar feeds (fetched at any time, copied
to other devices) and e-mail subjects never carry it; group event e-mails neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.timezone import now

from booking.models import Enrolment, Group, Session

OPENS_BEFORE = dt.timedelta(hours=24)
# A meeting whose link may show: confirmed, or completed once attendance is taken while
# it runs (someone joining late still needs the room until it ends).
LINK_STATES = (Session.Status.CONFIRMED, Session.Status.COMPLETED)
# What calendar feeds say where a video session takes place (never its link).
LINK_LATER = "Video session (join link on Rapport from 24 h before)"

ROOM_URL_MAX = Group._meta.get_field("video_url").max_length
_https_only = URLValidator(schemes=["https"])


def clean_room_url(value) -> str:
    """A group's video room address: empty, or a full https:// address. Raises
    ValidationError in plain words."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError("Give the video room's address as text.")
    value = value.strip()
    if not value:
        return ""
    message = "Give the full address of the video room, starting with https://"
    if len(value) > ROOM_URL_MAX:
        raise ValidationError(f"{message} (at most {ROOM_URL_MAX} characters).")
    try:
        _https_only(value)
    except ValidationError:
        raise ValidationError(f"{message}.") from None
    return value


def is_open(session: Session, at: dt.datetime) -> bool:
    """Whether ``at`` lies in the session's joining window: 24 h before its start to its end."""
    return session.start - OPENS_BEFORE <= at < session.end


class VideoAccess:
    """What one person may join at one moment. Their enrolled groups are read once, the
    first time a group meeting needs them, so a list of sessions costs one query more at
    most (none for a therapist's own sessions)."""

    def __init__(self, user, *, at: dt.datetime | None = None, therapist=None):
        """``therapist``: the viewer's own therapist profile, when the caller has read it."""
        self.user = user
        self.at = at or now()
        self.therapist = therapist
        if therapist is not None:
            self.therapist_id = therapist.pk
        else:
            self.therapist_id = getattr(user, "therapist_pk", None) if user else None
        self._groups: set[int] | None = None

    def _enrolled_groups(self) -> set[int]:
        if self._groups is None:
            self._groups = set(
                Enrolment.objects.filter(
                    client_id=self.user.pk, status=Enrolment.Status.ENROLLED
                ).values_list("group_id", flat=True)
            )
        return self._groups

    def takes_part(self, session: Session) -> bool:
        """The therapist, the course's client, or an enrolled member of the group."""
        if self.user is None or not self.user.is_authenticated:
            return False
        if self.therapist_id is not None and session.therapist_id == self.therapist_id:
            return True
        if session.group_id is None:
            return session.client_id == self.user.pk
        return session.group_id in self._enrolled_groups()

    def _therapist_of(self, session: Session):
        # The therapist's own sessions: their profile is already read (no query per row).
        if self.therapist_id is not None and session.therapist_id == self.therapist_id:
            return self.therapist or self.user.therapist
        return session.therapist

    def link(self, session: Session) -> str | None:
        """The video link this person may see for ``session`` now, or None."""
        if session.status not in LINK_STATES or not is_open(session, self.at):
            return None
        if session.meeting_format != "telehealth" or not self.takes_part(session):
            return None
        group = session.group if session.group_id is not None else None
        if group is not None and group.video_url:
            return group.video_url
        return self._therapist_of(session).video_url or None

    def attach(self, sessions: Iterable[Session]) -> list[Session]:
        """``sessions`` as a list, each with ``video_link``: what this person may join."""
        rows = list(sessions)
        for session in rows:
            session.video_link = self.link(session)
        return rows


def video_link(session: Session, user, *, at: dt.datetime | None = None) -> str | None:
    """The video link ``user`` may see for ``session`` at ``at`` (now), or None."""
    return VideoAccess(user, at=at).link(session)
