"""Who sees which sessions (PRODUCT rule 11), course sessions and group meetings alike:
the one place a ``Session`` query is scoped by who is asking (anything else is a 404)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from booking.models import Attendance, Enrolment, Session


def _as_client(user) -> Q:
    """A client's own course sessions, and the meetings of groups they are enrolled in
    (or were marked at, once they have left)."""
    return (
        Q(client=user)
        | Q(
            group_id__in=Enrolment.objects.filter(client=user, status="enrolled").values("group_id")
        )
        | Q(pk__in=Attendance.objects.filter(client=user).values("session_id"))
    )


def sessions_visible_to(user) -> QuerySet[Session]:
    qs = Session.objects.select_related("therapist", "client", "booking", "group")
    if not user.is_authenticated:
        return qs.none()
    if user.is_staff:
        return qs
    therapist_id = getattr(user, "therapist_pk", None)
    if therapist_id is not None:
        return qs.filter(therapist_id=therapist_id)
    return qs.filter(_as_client(user))


def own_sessions(user) -> QuerySet[Session]:
    """The sessions a person attends: as the client or a group member, or as the
    therapist."""
    therapist_id = getattr(user, "therapist_pk", None)
    qs = Session.objects.select_related("therapist", "client", "booking", "group")
    if therapist_id is not None:
        return qs.filter(therapist_id=therapist_id)
    return qs.filter(_as_client(user))
