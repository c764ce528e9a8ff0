"""A client's sessions (course sessions and group meetings) are read through indexes:
"my sessions", the API's me/sessions/ and the calendar feed must not read every session
of every client (a year of sessions at 100 000 therapists is hundreds of thousands)."""

import pytest
from django.db import connection

from booking.groups import services as groups
from booking.models import Attendance
from booking.sessions import own_sessions, sessions_visible_to
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, bookable_therapist, client_in, next_weekday

pytestmark = pytest.mark.django_db


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)  # noqa: S608  (Django's own SQL)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def member():
    """A client with a course, a group they are enrolled in, and an attended meeting."""
    client = client_in()
    book(client, bookable_therapist(), at(next_weekday(1), 10), weeks=2)
    group = make_group(group_therapist())
    groups.enrol(client=client, group_id=group.pk)
    meeting = group.meetings.order_by("start").first()
    Attendance.objects.create(session=meeting, client=client, present=True)
    return client


@pytest.mark.parametrize("scope", [own_sessions, sessions_visible_to])
def test_a_clients_sessions_are_found_through_indexes(member, scope):
    sessions = scope(member)
    assert sessions.filter(group__isnull=False).exists()
    assert sessions.filter(booking__isnull=False).exists()
    # PostgreSQL cannot pull a subquery out of an OR: it stays a SubPlan, a filter run on
    # every session row that no index can answer. With the ids as lists, each branch of
    # the OR can use its index.
    assert "SubPlan" not in plan(sessions)
