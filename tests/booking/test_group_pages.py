"""The group pages: browse and join (clients), run a group (therapists)."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking.groups import services as groups
from booking.models import Attendance, Enrolment, Group
from tests.booking.group_helpers import WEDNESDAY, group_therapist, make_group
from tests.booking.helpers import at, book, client_in, next_weekday

pytestmark = pytest.mark.django_db


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def therapist():
    return group_therapist(display_name="Maya Lindqvist")


@pytest.fixture
def group(therapist):
    return make_group(therapist, capacity=2, start_time=dt.time(14))


def group_post(**changes) -> dict:
    data = {
        "title": "Monday process group",
        "description": "Weekly interpersonal process group.",
        "kind": "interpersonal_process",
        "modality": "group",
        "format": "telehealth",
        "weekdays": "0",
        "start_time": "12:00",
        "meeting_minutes": "90",
        "start_date": next_weekday(0).isoformat(),
        "weeks": "10",
        "capacity": "8",
        "states": ["NY"],
    }
    data.update(changes)
    return data


# --- Browse and join --------------------------------------------------------------------------


def test_the_group_list_shows_groups_in_the_clients_state_with_seats_left(client, group):
    verified = group_therapist()
    from tests.factories import verified_license

    verified_license(therapist=verified, state="NJ")
    make_group(verified, states=["NJ"], title="Jersey support group")
    client.force_login(client_in(state="NY"))
    page = text(client.get(reverse("booking:groups")).content.decode())
    assert "Grief and loss group" in page
    assert "Jersey support group" not in page
    assert "2 seats left" in page


def test_a_full_group_offers_the_waitlist(client, group):
    for _ in range(2):
        groups.enrol(client=client_in(), group_id=group.pk)
    client.force_login(client_in())
    assert "Join the waitlist" in client.get(reverse("booking:groups")).content.decode()
    assert "Join the waitlist" in client.get(group.get_absolute_url()).content.decode()


def test_the_group_list_runs_a_constant_number_of_queries(client, therapist):
    client.force_login(client_in())
    make_group(therapist)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("booking:groups")).status_code == 200
        return len(queries)

    few = count()
    for hour in (9, 11, 13):
        make_group(group_therapist(), start_time=dt.time(hour))
    assert count() == few


def test_page_links_keep_a_blank_state_and_drop_other_blank_filters(client, therapist, monkeypatch):
    from booking.groups import views as group_views

    monkeypatch.setattr(group_views, "GROUPS_PER_PAGE", 1)
    make_group(therapist, title="First group")
    make_group(therapist, title="Second group", start_time=dt.time(9))
    client.force_login(client_in(state="NY"))
    # A blank state means "any state", not the client's own: the next page must keep it.
    page = client.get(reverse("booking:groups"), {"state": "", "kind": "", "format": "telehealth"})
    links = re.findall(r'href="([^"]*page=2)"', page.content.decode())
    assert links == ["?state=&amp;format=telehealth&amp;page=2"]


def test_the_group_page_shows_meetings_in_the_viewers_zone(client, group):
    client.force_login(client_in(tz="America/Chicago"))
    page = text(client.get(group.get_absolute_url()).content.decode())
    assert "Times are in your time zone, Central Time." in page
    assert re.search(r"Wed, [A-Z][a-z]{2} \d{1,2}(, \d{4})? · 1:00 PM CT", page)
    assert re.search(r"Wed · 1:00–2:30 PM CT · 8 weeks · from [A-Z][a-z]{2} \d{1,2}\b", page)
    where = "In Eastern Time, where the therapist is, the group meets at 2:00 PM ET"
    assert where in page
    assert not re.search(r"\d{4}-\d\d-\d\d|\b(1[3-9]|2[0-3]):\d\d\b", page)


def test_a_client_joins_and_sees_the_meetings_in_my_sessions(client, group):
    member = client_in()
    client.force_login(member)
    response = client.post(reverse("booking:group_enrol", args=[group.pk]), follow=True)
    assert "You joined “Grief and loss group”" in text(response.content.decode())
    sessions = text(client.get(reverse("booking:my_sessions")).content.decode())
    assert sessions.count("Group: Grief and loss group") == 8
    assert "Upcoming (8)" in sessions
    assert "Leave the group" in client.get(group.get_absolute_url()).content.decode()


def test_a_client_outside_the_served_states_is_told_why(client, group):
    client.force_login(client_in(state="NJ"))
    page = text(client.get(group.get_absolute_url()).content.decode())
    assert "serves clients in NY only" in page
    assert "Join this group" not in page
    response = client.post(reverse("booking:group_enrol", args=[group.pk]), follow=True)
    assert "serves clients in NY only" in text(response.content.decode())
    assert not Enrolment.objects.exists()


def test_the_waitlist_position_and_an_offer_are_shown_and_can_be_accepted(client, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=client_in(), group_id=group.pk)
    waiting = client_in()
    client.force_login(waiting)
    response = client.post(reverse("booking:group_enrol", args=[group.pk]), follow=True)
    page = text(response.content.decode())
    assert "you are number 1 on the waitlist" in page
    assert "You are number 1 on the waitlist" in page
    groups.leave(client=member, group_id=group.pk)
    page = text(client.get(group.get_absolute_url()).content.decode())
    assert "A seat is free and it is yours" in page
    response = client.post(reverse("booking:group_accept", args=[group.pk]), follow=True)
    assert "The seat is yours" in text(response.content.decode())
    assert Enrolment.objects.get(client=waiting, group=group).status == "enrolled"


def test_an_offer_cannot_be_accepted_after_the_license_lapsed(client, group):
    member, waiting = client_in(), client_in()
    groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=client_in(), group_id=group.pk)
    groups.enrol(client=waiting, group_id=group.pk)
    groups.leave(client=member, group_id=group.pk)
    group.therapist.licenses.update(expires_on=dt.date(2020, 1, 1))
    client.force_login(waiting)
    response = client.post(reverse("booking:group_accept", args=[group.pk]), follow=True)
    page = text(response.content.decode())
    assert "holds no verified, current license in NY" in page
    assert "The seat is yours" not in page
    assert Enrolment.objects.get(client=waiting, group=group).status == "offered"


def test_leaving_from_the_page(client, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    client.force_login(member)
    response = client.post(
        reverse("booking:group_leave", args=[group.pk]), {"confirm": "yes"}, follow=True
    )
    assert "You left" in text(response.content.decode())
    assert Enrolment.objects.get(client=member).status == "left"


# --- The therapist's pages ---------------------------------------------------------------------


def test_a_therapist_creates_a_group_from_the_dashboard(client, therapist):
    client.force_login(therapist.user)
    form = client.get(reverse("booking:create_group"))
    assert form.status_code == 200
    response = client.post(reverse("booking:create_group"), group_post(), follow=True)
    assert response.status_code == 200
    group = Group.objects.get()
    assert group.meetings.count() == 10
    assert "its 10 meetings are in your calendar" in text(response.content.decode())
    listing = text(client.get(reverse("booking:dashboard_groups")).content.decode())
    assert "Monday process group" in listing


def test_creating_over_a_booked_session_names_the_dates(client, therapist):
    day = next_weekday(0, weeks_ahead=2)
    book(client_in(), therapist, at(day, 12), weeks=1)
    client.force_login(therapist.user)
    response = client.post(reverse("booking:create_group"), group_post())
    assert response.status_code == 409
    page = text(response.content.decode())
    assert f"{day:%a, %b} {day.day}" in page  # "Mon, Jan 11", with ", 2027" when not this year
    assert "12:00 PM ET — refused: overlaps a session already booked" in page
    assert "Create anyway" not in page
    assert not Group.objects.exists()


def test_an_unlicensed_state_is_an_error_beside_the_field(client, therapist):
    client.force_login(therapist.user)
    response = client.post(reverse("booking:create_group"), group_post(states=["CA"]))
    assert response.status_code == 400
    assert not Group.objects.exists()


def test_a_therapist_edits_a_group(client, group):
    client.force_login(group.therapist.user)
    assert client.get(reverse("booking:edit_group", args=[group.pk])).status_code == 200
    data = group_post(
        title="Renamed group",
        weekdays=str(WEDNESDAY),
        start_time="15:00",
        start_date=group.start_date.isoformat(),
        weeks="8",
    )
    response = client.post(reverse("booking:edit_group", args=[group.pk]), data)
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.title == "Renamed group"
    assert group.start_time == dt.time(15)


def test_the_roster_page_is_the_groups_therapists_only(client, group):
    member = client_in(name="Dana Reyes")
    groups.enrol(client=member, group_id=group.pk)
    url = reverse("booking:dashboard_group", args=[group.pk])
    client.force_login(group.therapist.user)
    assert "Dana Reyes" in client.get(url).content.decode()
    client.force_login(group_therapist().user)
    assert client.get(url).status_code == 404
    client.force_login(member)
    assert client.get(url).status_code == 404
    assert "Dana Reyes" not in client.get(group.get_absolute_url()).content.decode()


def test_the_therapist_cancels_one_meeting_from_the_roster_page(client, group):
    groups.enrol(client=client_in(), group_id=group.pk)
    meeting = group.meetings.order_by("week")[1]
    client.force_login(group.therapist.user)
    url = reverse("booking:cancel_meeting", args=[group.pk, meeting.pk])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Give a reason" in text(response.content.decode())
    response = client.post(url, {"reason": "Conference"}, follow=True)
    assert "Cancelled the meeting" in text(response.content.decode())
    meeting.refresh_from_db()
    assert meeting.status == "cancelled"


def test_the_therapist_cancels_the_whole_group(client, group):
    client.force_login(group.therapist.user)
    response = client.post(
        reverse("booking:cancel_group", args=[group.pk]), {"reason": "Moving"}, follow=True
    )
    assert "Cancelled “Grief and loss group”" in text(response.content.decode())
    group.refresh_from_db()
    assert group.status == "cancelled"


def test_attendance_is_taken_per_member_after_the_meeting(client, group):
    present, absent = client_in(name="Ana Present"), client_in(name="Bo Absent")
    groups.enrol(client=present, group_id=group.pk)
    groups.enrol(client=absent, group_id=group.pk)
    meeting = group.meetings.order_by("week").first()
    client.force_login(group.therapist.user)
    url = reverse("booking:group_attendance", args=[group.pk, meeting.pk])
    with time_machine.travel(meeting.end + dt.timedelta(hours=1), tick=False):
        page = client.get(url).content.decode()
        assert "Ana Present" in page and "Bo Absent" in page
        response = client.post(
            url, {f"present_{present.pk}": "1", f"present_{absent.pk}": "0"}, follow=True
        )
        assert "1 of 2 present" in text(response.content.decode())
        calendar = client.get(
            reverse("booking:calendar") + f"?week={meeting.start.date().isoformat()}"
        )
        assert calendar.status_code == 200
        assert "Group: Grief and loss group" in calendar.content.decode()
    rows = dict(Attendance.objects.values_list("client_id", "present"))
    assert rows == {present.pk: True, absent.pk: False}


def test_the_attendance_page_lists_the_members_of_that_meeting_only(client, group):
    early, late = client_in(name="Ana Early"), client_in(name="Cy Late")
    groups.enrol(client=early, group_id=group.pk)
    first, second = group.meetings.order_by("start")[:2]
    with time_machine.travel(first.end + dt.timedelta(hours=1), tick=False):
        client.force_login(group.therapist.user)
        groups.enrol(client=late, group_id=group.pk)
        url = reverse("booking:group_attendance", args=[group.pk, first.pk])
        page = client.get(url).content.decode()
        assert "Ana Early" in page and "Cy Late" not in page
        response = client.post(url, {f"present_{early.pk}": "1"}, follow=True)
        assert "1 of 1 present" in text(response.content.decode())
    with time_machine.travel(second.end + dt.timedelta(hours=1), tick=False):
        client.force_login(group.therapist.user)  # a week on: the idle session has ended
        page = client.get(reverse("booking:group_attendance", args=[group.pk, second.pk]))
        assert "Ana Early" in page.content.decode() and "Cy Late" in page.content.decode()


def _marked(group, member, *present: bool):
    """Mark ``member`` at the group's first meetings, in order."""
    for meeting, here in zip(group.meetings.order_by("start"), present, strict=False):
        with time_machine.travel(meeting.end + dt.timedelta(minutes=5), tick=False):
            groups.mark_attendance(
                by=group.therapist.user, session_id=meeting.pk, present={member.pk: here}
            )


def _attendance_section(html: str) -> str:
    match = re.search(r'<section[^>]*id="my-attendance".*?</section>', html, re.S)
    return text(match.group(0)) if match else ""


def test_a_member_sees_their_own_attendance_on_the_group_page(client, group):
    member, other = client_in(name="Ana Alvarez"), client_in(name="Bo Brown")
    groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=other, group_id=group.pk)
    _marked(group, member, True, False, True)
    _marked(group, other, False, False, False)
    fourth = group.meetings.order_by("start")[3]
    with time_machine.travel(fourth.end + dt.timedelta(minutes=1), tick=False):
        client.force_login(member)
        seen = _attendance_section(client.get(group.get_absolute_url()).content.decode())
    assert "You attended 2 of 3 meetings. 1 more not marked yet." in seen
    assert seen.count("Attended") == 2
    assert seen.count("Missed") == 1
    assert seen.count("Not marked yet") == 1
    assert "Bo Brown" not in seen


def test_a_former_member_still_sees_their_attendance(client, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    _marked(group, member, True)
    second = group.meetings.order_by("start")[1]
    with time_machine.travel(second.end + dt.timedelta(minutes=1), tick=False):
        client.force_login(member)
        groups.leave(client=member, group_id=group.pk)
        seen = _attendance_section(client.get(group.get_absolute_url()).content.decode())
    assert "You attended 1 of 1 meeting." in seen


def test_only_the_member_sees_their_attendance_on_the_group_page(client, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    _marked(group, member, False)
    first = group.meetings.order_by("start")[0]
    with time_machine.travel(first.end + dt.timedelta(minutes=1), tick=False):
        for viewer in (client_in(), group.therapist.user, group_therapist().user):
            client.force_login(viewer)
            html = client.get(group.get_absolute_url()).content.decode()
            assert 'id="my-attendance"' not in html and "Missed" not in html
        client.logout()
        assert 'id="my-attendance"' not in client.get(group.get_absolute_url()).content.decode()
        client.force_login(member)
        assert 'id="my-attendance"' in client.get(group.get_absolute_url()).content.decode()


def test_my_sessions_says_which_past_meetings_a_member_attended_or_missed(client, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    _marked(group, member, True, False)
    third = group.meetings.order_by("start")[2]
    with time_machine.travel(third.end + dt.timedelta(minutes=1), tick=False):
        client.force_login(member)
        html = client.get(reverse("booking:my_sessions")).content.decode()
    past = text(re.search(r'aria-labelledby="past-heading".*?</section>', html, re.S).group(0))
    assert past.count("Attended") == 1 and past.count("Missed") == 1
    assert past.count("Group: Grief and loss group") == 3  # the third is not marked yet


def test_the_week_calendar_shows_group_meetings(client, group):
    client.force_login(group.therapist.user)
    meeting = group.meetings.order_by("week").first()
    week = meeting.start.date().isoformat()
    page = client.get(reverse("booking:calendar") + f"?week={week}").content.decode()
    assert "Group: Grief and loss group" in page


def test_dashboard_group_pages_do_not_exist_for_clients(client, group):
    client.force_login(client_in())
    for name, args in [
        ("dashboard_groups", []),
        ("create_group", []),
        ("dashboard_group", [group.pk]),
        ("edit_group", [group.pk]),
    ]:
        assert client.get(reverse(f"booking:{name}", args=args)).status_code == 404


def test_the_therapists_profile_lists_the_groups_they_run(client):
    from tests.booking.group_helpers import group_therapist, make_group

    therapist = group_therapist()
    group = make_group(therapist, title="Grief and loss circle")
    page = client.get(therapist.get_absolute_url())
    assert page.status_code == 200
    assert "Grief and loss circle" in page.content.decode()
    assert f"/groups/{group.pk}/" in page.content.decode()
