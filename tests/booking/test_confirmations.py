"""Destructive actions ask first (PRODUCT.md, "Pages"; issue 15 item 7): cancelling the
rest of a course, leaving a group and removing time off each have a confirmation page,
reached by a GET that writes nothing, saying what will happen. Only a POST carrying
`confirm` (the page's own button) does it: a one-click POST from an old form only shows
the page."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking import availability
from booking.groups import services as groups
from booking.models import Enrolment, TimeOff
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, bookable_therapist, client_in, committed

pytestmark = pytest.mark.django_db

# A Monday in winter; the courses below start on Tuesday, Dec 1, 2026.
MONDAY = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)
frozen = time_machine.travel(MONDAY, tick=False)
TUESDAY_DEC_1 = dt.date(2026, 12, 1)
WRITES = ("INSERT", "UPDATE", "DELETE")


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def get_writing_nothing(client, url: str):
    """GET ``url``; fail if it wrote a row (the log-in session's own row aside)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    written = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(WRITES) and '"django_session"' not in q["sql"]
    ]
    assert written == []
    return response


def has_post_form(html: str, url: str) -> bool:
    return re.search(rf'<form method="post" action="{re.escape(url)}"', html) is not None


# --- Cancelling the rest of a course ---------------------------------------------------------


@pytest.fixture
def course():
    with frozen:
        return book(client_in(name="Dana Reyes"), bookable_therapist(), at(TUESDAY_DEC_1, 10))


def cancel_url(course) -> str:
    return reverse("booking:cancel_booking", args=[course.pk])


def statuses(course) -> set[str]:
    return set(course.sessions.values_list("status", flat=True))


@frozen
def test_the_course_page_links_to_the_confirmation_instead_of_cancelling(client, course):
    client.force_login(course.client)
    html = client.get(reverse("booking:booking_detail", args=[course.pk])).content.decode()
    assert f'href="{cancel_url(course)}"' in html
    assert not has_post_form(html, cancel_url(course))


@frozen
def test_the_confirmation_says_what_will_be_cancelled_and_the_get_changes_nothing(client, course):
    client.force_login(course.client)

    response = get_writing_nothing(client, cancel_url(course))

    assert response.status_code == 200
    page = text(response.content.decode())
    assert "Cancel the 12 remaining sessions, Tue, Dec 1 – Feb 16, 2027?" in page
    assert "Tue, Dec 1 · 10:00 AM ET" in page and "Tue, Feb 16, 2027 · 10:00 AM ET" in page
    assert "Past sessions stay as they are" in page
    assert "Yes, cancel these 12 sessions" in page
    html = response.content.decode()
    assert '<input type="hidden" name="confirm" value="yes">' in html
    no = reverse("booking:booking_detail", args=[course.pk])
    assert f'<a href="{no}">No, keep the course</a>' in html
    assert statuses(course) == {"pending"}


@frozen
def test_a_one_click_post_from_an_old_form_only_shows_the_confirmation(client, course):
    client.force_login(course.client)

    with committed():
        response = client.post(cancel_url(course), {"reason": "Moving away"})

    assert response.status_code == 200
    assert "Cancel the 12 remaining sessions" in text(response.content.decode())
    assert "Moving away</textarea>" in response.content.decode()  # carried over
    assert statuses(course) == {"pending"}
    assert mail.outbox == []


@frozen
def test_the_confirmed_post_cancels_the_rest_of_the_course(client, course):
    client.force_login(course.client)

    with committed():
        response = client.post(cancel_url(course), {"confirm": "yes", "reason": ""})

    assert response.status_code == 302
    assert response.url == reverse("booking:booking_detail", args=[course.pk])
    assert statuses(course) == {"cancelled"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [course.client.email, course.therapist.user.email]
    )
    assert "Cancelled the rest of the course" in text(client.get(response.url).content.decode())


@frozen
def test_a_therapist_confirming_without_a_reason_sees_the_error_beside_the_field(client, course):
    client.force_login(course.therapist.user)

    response = client.post(cancel_url(course), {"confirm": "yes", "reason": ""})

    assert response.status_code == 400
    assert (
        '<ul class="errorlist" id="id_cancel_reason_error"><li>Tell your client why you are '
        "cancelling.</li>" in response.content.decode()
    )
    assert "Cancel the 12 remaining sessions" in text(response.content.decode())
    assert statuses(course) == {"pending"}


@time_machine.travel(dt.datetime(2026, 11, 30, 20, tzinfo=dt.UTC), tick=False)
def test_the_confirmation_warns_of_a_late_cancellation(client):
    with time_machine.travel(MONDAY, tick=False):  # booked two weeks ahead
        course = book(client_in(), bookable_therapist(), at(TUESDAY_DEC_1, 10), weeks=3)
    client.force_login(course.client)
    page = text(client.get(cancel_url(course)).content.decode())
    assert "Cancel the 3 remaining sessions, Tue, Dec 1 – Dec 15, 2026?" in page
    assert (
        "The session on Tue, Dec 1 · 10:00 AM ET is less than 24 hours away: it counts as a "
        "late cancellation." in page
    )


@frozen
def test_a_course_with_nothing_left_has_no_button(client, course):
    client.force_login(course.client)
    client.post(cancel_url(course), {"confirm": "yes"})
    page = text(client.get(cancel_url(course)).content.decode())
    assert "No sessions left to cancel" in page
    assert "Yes, cancel" not in page


@frozen
def test_a_stranger_finds_no_such_course(client, course):
    client.force_login(client_in())
    assert client.get(cancel_url(course)).status_code == 404
    assert client.post(cancel_url(course), {"confirm": "yes"}).status_code == 404
    assert statuses(course) == {"pending"}


# --- Leaving a group -----------------------------------------------------------------------


@pytest.fixture
def group():
    return make_group(group_therapist())


def leave_url(group) -> str:
    return reverse("booking:group_leave", args=[group.pk])


def test_the_group_page_links_to_the_confirmation_instead_of_leaving(client, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    client.force_login(member)
    html = client.get(reverse("booking:group_detail", args=[group.pk])).content.decode()
    assert f'href="{leave_url(group)}"' in html
    assert not has_post_form(html, leave_url(group))


def test_leaving_asks_first_and_the_get_changes_nothing(client, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    client.force_login(member)

    response = get_writing_nothing(client, leave_url(group))

    assert response.status_code == 200
    page = text(response.content.decode())
    assert "Leave “Grief and loss group”?" in page
    assert "You give up your seat and its 8 remaining meetings" in page
    assert "Yes, leave the group" in page and "No, stay in the group" in page
    assert Enrolment.objects.get(client=member).status == "enrolled"


def test_a_one_click_leave_from_an_old_form_only_shows_the_confirmation(client, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    client.force_login(member)

    response = client.post(leave_url(group))

    assert response.status_code == 200
    assert "Leave “Grief and loss group”?" in text(response.content.decode())
    assert Enrolment.objects.get(client=member).status == "enrolled"


def test_the_confirmed_leave_leaves_the_group(client, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    client.force_login(member)

    response = client.post(leave_url(group), {"confirm": "yes"}, follow=True)

    assert "You left “Grief and loss group”." in text(response.content.decode())
    assert Enrolment.objects.get(client=member).status == "left"


def test_leaving_the_waitlist_says_what_place_is_given_up(client):
    group = make_group(group_therapist(), capacity=1)
    groups.enrol(client=client_in(), group_id=group.pk)
    waiting = client_in()
    groups.enrol(client=waiting, group_id=group.pk)
    client.force_login(waiting)

    page = text(client.get(leave_url(group)).content.decode())

    assert "Leave the waitlist of “Grief and loss group”?" in page
    assert "You are number 1 in line." in page
    assert Enrolment.objects.get(client=waiting).status == "waitlisted"


def test_someone_not_in_the_group_gets_no_button(client, group):
    client.force_login(client_in())
    page = text(client.get(leave_url(group)).content.decode())
    assert "You are not in “Grief and loss group”" in page
    assert "Yes, leave" not in page


# --- Removing time off ---------------------------------------------------------------------


@pytest.fixture
def time_off():
    therapist = bookable_therapist()
    return availability.add_time_off(
        therapist=therapist, start_date=dt.date(2026, 12, 28), end_date=dt.date(2027, 1, 3)
    )


def remove_url(time_off) -> str:
    return reverse("booking:remove_time_off", args=[time_off.pk])


@frozen
def test_the_hours_page_links_to_the_confirmation_instead_of_removing(client, time_off):
    client.force_login(time_off.therapist.user)
    html = client.get(reverse("booking:hours")).content.decode()
    assert f'href="{remove_url(time_off)}"' in html
    assert not has_post_form(html, remove_url(time_off))


@frozen
def test_removing_time_off_asks_first_and_the_get_changes_nothing(client, time_off):
    client.force_login(time_off.therapist.user)

    response = get_writing_nothing(client, remove_url(time_off))

    assert response.status_code == 200
    page = text(response.content.decode())
    assert "Remove your time off from Dec 28, 2026 to Jan 3, 2027?" in page
    assert "Clients can book you on those days again" in page
    assert "Yes, remove this time off" in page and "No, keep it" in page
    assert TimeOff.objects.filter(pk=time_off.pk).exists()


@frozen
def test_a_one_click_removal_from_an_old_form_only_shows_the_confirmation(client, time_off):
    client.force_login(time_off.therapist.user)
    response = client.post(remove_url(time_off))
    assert response.status_code == 200
    assert "Remove your time off" in text(response.content.decode())
    assert TimeOff.objects.filter(pk=time_off.pk).exists()


@frozen
def test_the_confirmed_removal_removes_the_time_off(client, time_off):
    client.force_login(time_off.therapist.user)
    response = client.post(remove_url(time_off), {"confirm": "yes"}, follow=True)
    assert "The time off from Dec 28, 2026 to Jan 3, 2027 is removed." in text(
        response.content.decode()
    )
    assert not TimeOff.objects.filter(pk=time_off.pk).exists()


def test_another_therapists_time_off_does_not_exist(client, time_off):
    client.force_login(bookable_therapist().user)
    assert client.get(remove_url(time_off)).status_code == 404
    assert client.post(remove_url(time_off), {"confirm": "yes"}).status_code == 404
    assert TimeOff.objects.filter(pk=time_off.pk).exists()
