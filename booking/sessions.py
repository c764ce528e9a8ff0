"""Who sees which sessions (PRODUCT rule 11), course sessions and group meetings alike:
the one place a ``Session`` query is scoped by who is asking (anything else is a 404)."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery

from booking.models import Attendance, Enrolment, Session


def _as_client(user) -> Q:
    """A client's own course sessions, and the meetings of groups they are enrolled in
    from the time they took their seat (or were marked at, once they have left).

    The group and attendance ids are read first (two small indexed reads) and given as
    lists: with subqueries inside the OR, PostgreSQL can use no index and reads every
    session of every client (a year of sessions: ~150 ms a page); with lists it combines
    the indexes on client, group and id."""
    seats = Enrolment.objects.filter(client=user, status="enrolled").values_list(
        "group_id", "seated_at"
    )
    attended = list(Attendance.objects.filter(client=user).values_list("session_id", flat=True))
    mine = Q(client=user) | Q(pk__in=attended)
    for group_id, seated_at in seats:
        # A member's meetings start with the seat (one under way counts), not before.
        since = Q(end__gt=seated_at) if seated_at else Q()
        mine |= Q(group_id=group_id) & since
    return mine


def sessions_visible_to(user) -> QuerySet[Session]:
    qs = Session.objects.select_related("therapist", "client", "booking", "group")
    if not user.is_authenticated:
        return qs.none()
    if user.can_view_client_records:  # staff with the permission; reads audited by views
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


def with_own_attendance(qs: QuerySet[Session], user) -> QuerySet[Session]:
    """Annotate ``my_present``: ``user``'s own attendance mark at each group meeting (True,
    False; None where unmarked, for course sessions, and for a therapist), in the same
    query."""
    mark = Attendance.objects.filter(session=OuterRef("pk"), client_id=user.pk)
    return qs.annotate(my_present=Subquery(mark.values("present")[:1]))
