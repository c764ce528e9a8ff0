"""What the audit log records (issue 8.4): every booking, enrolment and license
change, in the transaction of the change, and staff reads of a client's data."""

import datetime as dt

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.models import AuditEvent
from booking.courses import services
from booking.groups import services as groups
from notifications.models import Reminder
from providers import licensing
from providers.models import License
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, bookable_therapist, client_in, next_weekday
from tests.factories import LicenseFactory, UserFactory, make_records_viewer, make_verifier

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return book(client_in(), bookable_therapist(), at(next_weekday(1), 10), weeks=4)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def staff_member() -> "UserFactory":
    return make_records_viewer(name="Sam Staff")


def token_client(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return api


# --- Booking state changes -------------------------------------------------------------------


def test_booking_a_course_records_who_booked_whose_course(course):
    [event] = events("booking_requested")
    assert (event.actor, event.actor_role, event.subject) == (
        course.client,
        "client",
        course.client,
    )
    assert (event.target_type, event.target_id) == ("booking", course.pk)
    assert event.details == {"status": "pending"}


def test_a_rolled_back_booking_leaves_no_event():
    therapist, client = bookable_therapist(), client_in()
    with pytest.raises(RuntimeError), transaction.atomic():
        book(client, therapist, at(next_weekday(1), 10), weeks=2)
        assert events("booking_requested")  # written inside the transaction …
        raise RuntimeError("the request fails after the booking")
    assert not AuditEvent.objects.exists()  # … and gone with it


def test_a_refused_change_records_nothing(course):
    other = bookable_therapist()
    with pytest.raises(Exception, match="Only the booking's therapist"):
        services.confirm_booking(booking_id=course.pk, by=other.user)
    assert not events("booking_confirmed")


def test_confirming_and_declining_are_recorded_with_the_therapist_as_actor(course):
    services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    other = book(client_in(), course.therapist, at(next_weekday(2), 10), weeks=1)
    services.decline_booking(booking_id=other.pk, by=course.therapist.user, reason="Full, sorry")
    [confirmed], [declined] = events("booking_confirmed"), events("booking_declined")
    assert (confirmed.actor_role, confirmed.subject_id) == ("therapist", course.client_id)
    assert (declined.target_id, declined.subject_id) == (other.pk, other.client_id)
    assert "Full" not in str(declined.details)  # reasons stay out of the log


def test_expiry_is_recorded_as_the_systems_doing(course):
    with time_machine.travel(course.created_at + dt.timedelta(hours=49), tick=False):
        services.expire_pending_bookings()
    [event] = events("booking_expired")
    assert (event.actor, event.actor_role, event.subject_id) == (None, "system", course.client_id)


def test_cancelling_a_session_and_the_rest_of_the_course_are_recorded(course):
    first, second, *_ = course.sessions.order_by("start")
    services.cancel_session(session_id=first.pk, by=course.client, reason="A private reason")
    services.cancel_booking(booking_id=course.pk, by=course.client)
    [one] = events("session_cancelled")
    assert (one.target_type, one.target_id) == ("session", first.pk)
    assert one.details == {"booking": course.pk, "late": False}
    [rest] = events("booking_cancelled")
    assert rest.details["sessions"] == list(
        course.sessions.exclude(pk=first.pk).order_by("start").values_list("pk", flat=True)
    )


def test_moving_a_course_is_recorded(course):
    services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    services.move_booking(
        booking_id=course.pk, by=course.client, start=at(next_weekday(3, weeks_ahead=2), 11)
    )
    [event] = events("booking_moved")
    assert (event.actor, event.subject_id) == (course.client, course.client_id)


def test_marking_a_session_is_recorded(course):
    services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    first = course.sessions.order_by("start").first()
    with time_machine.travel(first.end + dt.timedelta(hours=1), tick=False):
        services.mark_session(session_id=first.pk, by=course.therapist.user, status="no_show")
    [event] = events("session_marked")
    assert event.details == {"booking": course.pk, "status": "no_show"}


# --- Group places ---------------------------------------------------------------------------


def test_every_enrolment_change_is_recorded_with_its_actor():
    group = make_group(group_therapist(), capacity=1)
    first, second = client_in(), client_in()
    groups.enrol(client=first, group_id=group.pk)
    groups.enrol(client=second, group_id=group.pk)
    groups.leave(client=first, group_id=group.pk)  # the seat is offered to `second`
    groups.decline_offer(client=second, group_id=group.pk)
    rows = list(
        AuditEvent.objects.filter(target_type="enrolment")
        .order_by("id")
        .values_list("action", "actor_id", "subject_id")
    )
    assert rows == [
        ("enrolment_enrolled", first.pk, first.pk),
        ("enrolment_waitlisted", second.pk, second.pk),
        ("enrolment_left", first.pk, first.pk),
        ("enrolment_offered", None, second.pk),
        ("enrolment_declined_offer", second.pk, second.pk),
    ]


def test_a_therapist_removing_a_member_is_recorded():
    group = make_group(group_therapist())
    member = client_in()
    enrolment = groups.enrol(client=member, group_id=group.pk)
    groups.remove_member(by=group.therapist.user, enrolment_id=enrolment.pk)
    [event] = events("enrolment_removed")
    assert (event.actor, event.subject, event.target_id) == (
        group.therapist.user,
        member,
        enrolment.pk,
    )


def test_attendance_is_recorded_per_member_in_one_insert():
    group = make_group(group_therapist())
    members = [client_in(), client_in()]
    for member in members:
        groups.enrol(client=member, group_id=group.pk)
    meeting = group.meetings.order_by("week").first()
    present = {members[0].pk: True, members[1].pk: False}
    with time_machine.travel(meeting.end + dt.timedelta(minutes=5), tick=False):
        groups.mark_attendance(by=group.therapist.user, session_id=meeting.pk, present=present)
    marked = {e.subject_id: e.details["present"] for e in events("attendance_marked")}
    assert marked == present
    assert {e.target_id for e in events("attendance_marked")} == {meeting.pk}


def test_cancelling_a_meeting_and_a_group_are_recorded():
    group = make_group(group_therapist())
    first = group.meetings.order_by("week").first()
    by = group.therapist.user
    groups.cancel_meeting(by=by, session_id=first.pk, reason="Therapist unwell")
    groups.cancel_group(by=by, group_id=group.pk, reason="Too few members")
    [meeting] = events("meeting_cancelled")
    assert (meeting.actor, meeting.target_type, meeting.target_id) == (by, "session", first.pk)
    [whole] = events("group_cancelled")
    assert (whole.target_type, whole.target_id) == ("group", group.pk)
    assert len(whole.details["meetings"]) == group.weeks - 1
    assert "unwell" not in str(meeting.details) and "few" not in str(whole.details)


# --- License decisions ----------------------------------------------------------------------


def test_license_decisions_are_recorded_with_the_verifier():
    verifier = make_verifier()
    good, bad = LicenseFactory(), LicenseFactory()
    licensing.verify_license(license_id=good.pk, by=verifier, source="NY board look-up")
    licensing.reject_license(license_id=bad.pk, by=verifier, reason="Number not found")
    assert [(e.actor, e.actor_role, e.target_id) for e in events("license_verified")] == [
        (verifier, "staff", good.pk)
    ]
    assert [(e.actor, e.target_id) for e in events("license_rejected")] == [(verifier, bad.pk)]


def test_the_daily_expiry_records_one_system_event_per_license():
    lapsed = [
        LicenseFactory(
            status=License.Status.VERIFIED,
            verified_on=dt.date(2025, 1, 1),
            expires_on=dt.date(2026, 1, 1),
        )
        for _ in range(3)
    ]
    licensing.expire_licenses(today=dt.date(2026, 1, 2))
    assert sorted(e.target_id for e in events("license_expired")) == sorted(
        lic.pk for lic in lapsed
    )
    assert {e.actor_role for e in events("license_expired")} == {"system"}


def test_a_rolled_back_license_decision_leaves_no_event():
    verifier, license = make_verifier(), LicenseFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        licensing.verify_license(license_id=license.pk, by=verifier, source="NY board")
        raise RuntimeError("the caller's transaction fails afterwards")
    license.refresh_from_db()
    assert license.status == "pending"
    assert not AuditEvent.objects.exists()


def test_a_refused_license_decision_records_nothing():
    verifier = make_verifier()
    license = LicenseFactory(status=License.Status.REJECTED)
    with pytest.raises(licensing.InvalidTransition):
        licensing.verify_license(license_id=license.pk, by=verifier, source="board")
    assert not AuditEvent.objects.exists()


# --- Staff reads of client data -------------------------------------------------------------


def test_staff_opening_a_booking_is_recorded_for_its_client(client, course):
    staff = staff_member()
    client.force_login(staff)
    assert client.get(reverse("booking:booking_detail", args=[course.pk])).status_code == 200
    [event] = events("client_data_viewed")
    assert (event.actor, event.actor_role, event.subject) == (staff, "staff", course.client)
    assert (event.target_type, event.target_id) == ("booking", course.pk)
    assert event.ip == "127.0.0.1"


def test_the_client_and_their_therapist_reading_it_record_nothing(client, course):
    for person in (course.client, course.therapist.user):
        client.force_login(person)
        assert client.get(reverse("booking:booking_detail", args=[course.pk])).status_code == 200
        assert token_client(person).get(f"/api/v1/bookings/{course.pk}/").status_code == 200
    assert not events("client_data_viewed")


def test_a_staff_booking_list_records_one_event_per_client_in_one_insert(course):
    book(client_in(), course.therapist, at(next_weekday(2), 10), weeks=1)
    book(course.client, course.therapist, at(next_weekday(3), 10), weeks=1)
    api = token_client(staff_member())
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/bookings/").status_code == 200
    inserts = [q for q in queries.captured_queries if 'INSERT INTO "audit_auditevent"' in q["sql"]]
    assert len(inserts) == 1
    seen = {e.subject_id: sorted(e.details["ids"]) for e in events("client_data_viewed")}
    assert len(seen) == 2
    assert len(seen[course.client_id]) == 2


def test_staff_reading_a_group_roster_is_recorded_per_member():
    group = make_group(group_therapist())
    members = [client_in(), client_in()]
    for member in members:
        groups.enrol(client=member, group_id=group.pk)
    response = token_client(staff_member()).get(f"/api/v1/groups/{group.pk}/roster/")
    assert response.status_code == 200
    assert sorted(e.subject_id for e in events("client_data_viewed")) == sorted(
        m.pk for m in members
    )


def test_staff_opening_a_clients_account_in_the_admin_is_recorded(client):
    member = client_in()
    admin = UserFactory(role="staff", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get(reverse("admin:accounts_user_change", args=[member.pk]))
    assert response.status_code == 200
    [event] = events("client_data_viewed")
    assert (event.subject, event.target_type) == (member, "user")


def test_the_admin_user_list_records_each_client_on_the_page(client):
    listed = [client_in(), client_in()]
    admin = UserFactory(role="staff", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert sorted(e.subject_id for e in events("client_data_viewed")) == sorted(
        u.pk for u in listed
    )


def test_staff_seeing_a_clients_failed_reminder_is_recorded(client, course):
    services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    Reminder.objects.filter(recipient=course.client).update(status=Reminder.Status.FAILED)
    Reminder.objects.filter(recipient=course.therapist.user).update(status=Reminder.Status.FAILED)
    client.force_login(staff_member())
    assert client.get(reverse("notifications:reminder_health")).status_code == 200
    # One event for the client; the therapist's own reminders are not client data.
    assert {e.subject_id for e in events("client_data_viewed")} == {course.client_id}


def test_recording_a_staff_list_costs_the_same_queries_whatever_its_size(course):
    api = token_client(staff_member())
    api.get("/api/v1/bookings/")  # warm the token and content-type caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/bookings/").status_code == 200
        return len(queries)

    few = count()
    for day in (2, 3, 4):
        book(client_in(), course.therapist, at(next_weekday(day), 10), weeks=1)
    assert count() == few
