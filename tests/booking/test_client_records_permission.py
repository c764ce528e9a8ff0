"""Staff read clients' bookings, sessions and rosters only with "Can view client records"
(issue 14, item 11; PRODUCT rule 11): other staff get 404 like anyone else, on the pages
and the API; every read by staff who hold it is audited, as before."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from booking.groups import services as groups
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, bookable_therapist, client_in, next_weekday
from tests.factories import PASSWORD, UserFactory, make_records_viewer, make_verifier

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return book(client_in(), bookable_therapist(), at(next_weekday(1), 10), weeks=2)


@pytest.fixture
def group():
    group = make_group(group_therapist())
    groups.enrol(client=client_in(), group_id=group.pk)
    return group


def api_as(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return api


def views() -> int:
    return AuditEvent.objects.filter(action=AuditEvent.Action.CLIENT_DATA_VIEWED).count()


def staff_without_it():
    return [
        ("plain staff", UserFactory(role="staff", is_staff=True)),
        ("license verifier", make_verifier()),
    ]


def superuser():
    return User.objects.create_superuser(email="boss@example.com", password=PASSWORD)


# --- The permission ----------------------------------------------------------------------------


def test_only_staff_holding_it_and_superusers_can_view_client_records():
    assert make_records_viewer().can_view_client_records
    assert superuser().can_view_client_records
    for _, staff in staff_without_it():
        assert not staff.can_view_client_records
    # Not without being active staff, even with the permission.
    assert not make_records_viewer(UserFactory(role="client")).can_view_client_records
    assert not make_records_viewer(is_active=False).can_view_client_records


def test_the_permission_reads_can_view_client_records_in_the_admin():
    from django.contrib.auth.models import Permission

    permission = Permission.objects.get(codename="view_client_records")
    assert (permission.content_type.app_label, permission.name) == (
        "accounts",
        "Can view client records",
    )


# --- Staff without it: 404 like anyone else ----------------------------------------------------


def test_staff_without_it_get_404_on_a_clients_booking_page_and_ics(client, course):
    for _, staff in staff_without_it():
        client.force_login(staff)
        assert client.get(reverse("booking:booking_detail", args=[course.pk])).status_code == 404
        assert client.get(reverse("booking:booking_ics", args=[course.pk])).status_code == 404
    assert views() == 0


def test_staff_without_it_get_404_on_a_clients_booking_and_session_in_the_api(course):
    session = course.sessions.first()
    for _, staff in staff_without_it():
        api = api_as(staff)
        assert api.get(f"/api/v1/bookings/{course.pk}/").status_code == 404
        listed = api.get("/api/v1/bookings/")
        assert listed.status_code == 200 and listed.json()["count"] == 0
        cancel = api.post(f"/api/v1/sessions/{session.pk}/cancel/", {"reason": "x"}, format="json")
        assert cancel.status_code == 404
    assert views() == 0


def test_staff_without_it_get_404_on_a_clients_session_page(client, course):
    session = course.sessions.first()
    for _, staff in staff_without_it():
        client.force_login(staff)
        response = client.post(
            reverse("booking:cancel_session", args=[session.pk]), {"reason": "x"}
        )
        assert response.status_code == 404


def test_staff_without_it_get_404_on_a_groups_roster(group):
    for _, staff in staff_without_it():
        assert api_as(staff).get(f"/api/v1/groups/{group.pk}/roster/").status_code == 404
    assert views() == 0


def test_staff_without_it_do_not_see_an_unlisted_group(client, group):
    groups.cancel_group(by=group.therapist.user, group_id=group.pk, reason="Closed")
    for _, staff in staff_without_it():
        assert api_as(staff).get(f"/api/v1/groups/{group.pk}/").status_code == 404
        client.force_login(staff)
        assert client.get(reverse("booking:group_detail", args=[group.pk])).status_code == 404


# --- Staff with it, and superusers: they read, and each read is audited -----------------------


@pytest.mark.parametrize("who", ["records viewer", "superuser"])
def test_staff_with_it_read_a_booking_page_and_the_read_is_audited(client, course, who):
    staff = make_records_viewer() if who == "records viewer" else superuser()
    client.force_login(staff)
    assert client.get(reverse("booking:booking_detail", args=[course.pk])).status_code == 200
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.CLIENT_DATA_VIEWED)
    assert (event.actor, event.subject, event.target_id) == (staff, course.client, course.pk)


@pytest.mark.parametrize("who", ["records viewer", "superuser"])
def test_staff_with_it_read_bookings_and_rosters_in_the_api_audited(course, group, who):
    api = api_as(make_records_viewer() if who == "records viewer" else superuser())
    assert api.get(f"/api/v1/bookings/{course.pk}/").status_code == 200
    assert api.get("/api/v1/bookings/").json()["count"] == 1
    roster = api.get(f"/api/v1/groups/{group.pk}/roster/")
    assert roster.status_code == 200 and len(roster.json()) == 1
    assert views() == 3  # the booking, the list, the roster: one client each
