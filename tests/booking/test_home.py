"""The therapist's home (issue 16, item 1): what needs attention, each item a link to
act on it; the count of requests waiting in every page's navigation; the therapist's
own data only; a constant number of queries whatever the number of rows."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking.courses import services
from booking.groups import services as groups
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, client_in
from tests.factories import (
    PASSWORD,
    UserFactory,
    make_records_viewer,
    make_verifier,
    verified_license,
)

pytestmark = pytest.mark.django_db

# Monday Jan 11, 2027, 9:00 AM in New York (Eastern Standard Time all week).
NOW = dt.datetime(2027, 1, 11, 14, tzinfo=dt.UTC)
TODAY = NOW.date()
EARLIER = NOW - dt.timedelta(days=14)
WEDNESDAY = dt.date(2027, 1, 13)
HOME = reverse("booking:dashboard_home")
frozen = time_machine.travel(NOW, tick=False)


def text(html: str) -> str:
    """What a reader sees: the page without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(html: str, name: str) -> str:
    """One section of the home page (``requests``, ``sessions``, ``licenses``, ``groups``,
    ``absences``)."""
    match = re.search(rf'<section[^>]*id="home-{name}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def confirmed_course(therapist, start: dt.datetime, *, name="Dana Reyes", weeks=1, **kwargs):
    """A course booked and confirmed two weeks ago (so it may start today)."""
    with time_machine.travel(EARLIER, tick=False):
        booking = book(client_in(name=name), therapist, start, weeks=weeks, **kwargs)
        services.confirm_booking(booking_id=booking.pk, by=therapist.user)
    return booking


def group_of(therapist, **fields):
    with time_machine.travel(EARLIER, tick=False):
        return make_group(therapist, start_date=WEDNESDAY, **fields)


def home(client, user) -> str:
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


# --- Requests waiting -------------------------------------------------------------------------


@frozen
def test_a_pending_request_is_listed_with_a_link_to_answer_it(client):
    therapist = group_therapist()
    booking = book(client_in(name="Sam Ortiz"), therapist, at(dt.date(2027, 1, 19), 10), weeks=12)

    html = section(home(client, therapist.user), "requests")

    assert "Requests waiting (1)" in text(html)
    assert f'href="{reverse("booking:requests")}#request-{booking.pk}"' in html
    assert "Answer Sam Ortiz’s request" in text(html)
    assert "12 weekly sessions, Tuesdays at 10:00 AM ET, from Tue, Jan 19" in text(html)
    assert "Answer by Wed, Jan 13 · 9:00 AM ET" in text(html)  # when the hold ends


@frozen
def test_a_confirmed_course_is_no_request(client):
    therapist = group_therapist()
    confirmed_course(therapist, at(dt.date(2027, 1, 19), 10))

    assert section(home(client, therapist.user), "requests") == ""


@frozen
def test_past_five_requests_the_home_links_to_all_of_them(client):
    therapist = group_therapist()
    for hour in range(9, 16):
        book(client_in(), therapist, at(dt.date(2027, 1, 19), hour), weeks=1)

    html = section(home(client, therapist.user), "requests")

    assert html.count("’s request</a>") == 5
    assert "See all 7 requests" in text(html)


# --- The count in the navigation --------------------------------------------------------------


def nav(html: str) -> str:
    return re.search(r'<nav aria-label="Main">.*?</nav>', html, re.S).group(0)


@frozen
def test_every_page_shows_a_therapist_the_count_of_requests_waiting(client):
    therapist = group_therapist()
    for hour in (10, 11, 12):
        book(client_in(), therapist, at(dt.date(2027, 1, 19), hour), weeks=1)
    client.force_login(therapist.user)

    for url in (reverse("providers:search"), reverse("accounts:account"), HOME):
        menu = nav(client.get(url).content.decode())
        assert f'<a href="{reverse("booking:requests")}">Requests (3)</a>' in menu, url


@frozen
def test_with_no_request_waiting_the_navigation_shows_no_count(client):
    therapist = group_therapist()
    confirmed_course(therapist, at(dt.date(2027, 1, 19), 10))
    client.force_login(therapist.user)

    menu = nav(client.get(reverse("providers:search")).content.decode())

    assert ">Requests</a>" in menu


@frozen
def test_the_count_is_the_therapists_own(client):
    therapist, other = group_therapist(), group_therapist()
    book(client_in(), other, at(dt.date(2027, 1, 19), 10), weeks=1)
    book(client_in(), therapist, at(dt.date(2027, 1, 19), 10), weeks=1)
    client.force_login(therapist.user)

    assert "Requests (1)" in nav(client.get(reverse("providers:search")).content.decode())


def _booking_reads(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries if '"booking_booking"' in q["sql"]]


@frozen
def test_the_count_costs_a_therapist_one_query_and_anyone_else_none(client):
    therapist = group_therapist()
    book(client_in(), therapist, at(dt.date(2027, 1, 19), 10), weeks=1)
    search = reverse("providers:search")

    client.force_login(therapist.user)
    reads = _booking_reads(client, search)
    assert len(reads) == 1 and "COUNT(" in reads[0]

    client.force_login(client_in())
    assert _booking_reads(client, search) == []
    client.logout()
    assert _booking_reads(client, search) == []


def test_clients_and_staff_have_no_home_or_requests_in_their_navigation(client):
    for user in (client_in(), make_verifier()):
        client.force_login(user)
        menu = nav(client.get(reverse("providers:search")).content.decode())
        assert HOME not in menu and "Requests" not in menu


# --- This week's sessions ---------------------------------------------------------------------


@frozen
def test_todays_and_this_weeks_sessions_link_to_their_course_and_group(client):
    therapist = group_therapist(video_url="https://video.example.com/room-7")
    today = confirmed_course(therapist, at(TODAY, 14), name="Dana Reyes", weeks=4)
    later = confirmed_course(therapist, at(dt.date(2027, 1, 14), 10), name="Lee Park")
    group = group_of(therapist, title="After a loss")

    html = section(home(client, therapist.user), "sessions")
    seen = text(html)

    assert "Today, Mon, Jan 11 2:00 PM ET Dana Reyes" in seen
    assert "week 1 of 4 · Telehealth" in seen
    assert f'href="{reverse("booking:booking_detail", args=[today.pk])}"' in html
    assert "Wed, Jan 13 6:00 PM ET Group: After a loss · meeting 1 of 8" in seen
    assert f'href="{reverse("booking:dashboard_group", args=[group.pk])}"' in html
    assert "Thu, Jan 14 10:00 AM ET Lee Park" in seen
    assert f'href="{reverse("booking:booking_detail", args=[later.pk])}"' in html
    assert seen.index("Wed, Jan 13") < seen.index("Thu, Jan 14")


@frozen
def test_a_telehealth_session_has_the_therapists_join_link_and_an_in_person_one_none(client):
    therapist = group_therapist(
        video_url="https://video.example.com/room-7",
        formats=["telehealth", "in_person"],
        office_city="Albany",
        office_state="NY",
    )
    confirmed_course(therapist, at(TODAY, 14), name="Dana Reyes", format="telehealth")
    confirmed_course(therapist, at(TODAY, 16), name="Lee Park", format="in_person")

    html = section(home(client, therapist.user), "sessions")

    assert html.count('href="https://video.example.com/room-7"') == 1
    dana, lee = html.split("Lee Park", 1)
    assert "Join the video room" in dana and "Join the video room" not in lee


@frozen
def test_without_a_video_link_the_home_says_where_to_add_it(client):
    therapist = group_therapist(video_url="")
    confirmed_course(therapist, at(TODAY, 14))

    html = section(home(client, therapist.user), "sessions")

    assert "Join the video room" not in html
    assert (
        f'<a href="{reverse("providers:dashboard_profile")}">Add your video room link</a>' in html
    )


@frozen
def test_a_session_waiting_for_an_answer_links_to_the_request(client):
    therapist = group_therapist()
    booking = book(client_in(name="Sam Ortiz"), therapist, at(dt.date(2027, 1, 13), 10), weeks=1)

    html = section(home(client, therapist.user), "sessions")

    assert "Waiting for your answer" in text(html)
    assert f'href="{reverse("booking:requests")}#request-{booking.pk}"' in html
    assert "Join the video room" not in html


@frozen
def test_sessions_after_this_week_and_cancelled_ones_are_left_out(client):
    therapist = group_therapist()
    confirmed_course(therapist, at(dt.date(2027, 1, 18), 10), name="Next Monday")
    cancelled = confirmed_course(therapist, at(dt.date(2027, 1, 12), 10), name="Cancelled Client")
    services.cancel_booking(booking_id=cancelled.pk, by=cancelled.client)

    html = home(client, therapist.user)

    assert "Next Monday" not in html and "Cancelled Client" not in html


@frozen
def test_times_are_in_the_therapists_zone(client):
    therapist = group_therapist(tz="America/Los_Angeles", video_url="https://v.example.com/r")
    therapist.user.timezone = "America/New_York"  # the account's zone differs
    therapist.user.save()
    # 10:00 in Los Angeles is 1:00 PM in New York.
    confirmed_course(therapist, at(dt.date(2027, 1, 13), 10, tz=ZoneInfo(therapist.timezone)))

    html = home(client, therapist.user)

    assert "Wed, Jan 13 10:00 AM PT" in text(section(html, "sessions"))
    assert "Times are in your practice’s zone, Pacific Time — Los Angeles." in text(html)


# --- Licenses expiring ------------------------------------------------------------------------


@frozen
def test_a_license_expiring_within_60_days_links_to_the_licenses_page(client):
    therapist = group_therapist()
    verified_license(
        therapist=therapist,
        state="NJ",
        license_type="LPC",
        number="NJ-4410",
        expires_on=TODAY + dt.timedelta(days=40),
    )
    verified_license(
        therapist=therapist,
        state="CT",
        expires_on=TODAY + dt.timedelta(days=90),
    )

    html = section(home(client, therapist.user), "licenses")

    assert "LPC in New Jersey, number NJ-4410: expires Feb 20, 2027" in text(html)
    assert "Connecticut" not in html
    assert f'href="{reverse("providers:dashboard_licenses")}"' in html


# --- Groups -----------------------------------------------------------------------------------


@frozen
def test_a_group_with_a_waitlist_or_open_seats_links_to_its_page(client):
    therapist = group_therapist()
    open_group = group_of(therapist, title="Open group", capacity=3)
    full = group_of(therapist, title="Full group", capacity=1, start_time=dt.time(20))
    waiting = group_of(therapist, title="Waiting group", capacity=1, start_time=dt.time(16))
    with time_machine.travel(EARLIER, tick=False):
        groups.enrol(client=client_in(), group_id=open_group.pk)
        groups.enrol(client=client_in(), group_id=full.pk)
        groups.enrol(client=client_in(), group_id=waiting.pk)
        groups.enrol(client=client_in(), group_id=waiting.pk, waitlist=True)
        groups.enrol(client=client_in(), group_id=waiting.pk, waitlist=True)

    html = section(home(client, therapist.user), "groups")
    seen = text(html)

    assert "Open group 2 open seats of 3" in seen
    assert "Waiting group 2 on the waitlist" in seen
    assert "Full group" not in seen
    assert "Next meeting Wed, Jan 13 · 4:00 PM ET" in seen
    for group in (open_group, waiting):
        assert f'href="{reverse("booking:dashboard_group", args=[group.pk])}"' in html


@frozen
def test_a_cancelled_group_is_left_out(client):
    therapist = group_therapist()
    group = group_of(therapist, title="Cancelled group")
    groups.cancel_group(group_id=group.pk, by=therapist.user, reason="Too few members.")

    assert "Cancelled group" not in home(client, therapist.user)


# --- Members missing meetings -------------------------------------------------------------------

# A Wednesday seven weeks before NOW: a weekly program begun then has held seven meetings by
# NOW and has three still to come.
PROGRAM_START = dt.date(2026, 11, 25)


def program_of(therapist, marks: dict[str, str], *, title="Evening IOP", start_time=dt.time(18)):
    """A running program and its members; ``marks``: each member's name and their marks at
    the meetings held, oldest first ("P" present, "A" absent, "-" not marked)."""
    with time_machine.travel(PROGRAM_START - dt.timedelta(days=5), tick=False):
        group = make_group(
            therapist,
            title=title,
            start_date=PROGRAM_START,
            start_time=start_time,
            meeting_minutes=60,
            weeks=10,
            capacity=len(marks),
        )
        people = {name: client_in(name=name) for name in marks}
        for person in people.values():
            groups.enrol(client=person, group_id=group.pk)
    for n, meeting in enumerate(group.meetings.filter(start__lt=NOW).order_by("start")):
        present = {
            people[name].pk: row[n] == "P"
            for name, row in marks.items()
            if n < len(row) and row[n] != "-"
        }
        if present:
            with time_machine.travel(meeting.end + dt.timedelta(minutes=5), tick=False):
                groups.mark_attendance(by=therapist.user, session_id=meeting.pk, present=present)
    return group, people


@frozen
def test_a_member_absent_from_the_last_three_marked_meetings_is_flagged_with_a_link(client):
    therapist = group_therapist()
    group, _ = program_of(therapist, {"Sam Kim": "APAAA", "Lee Park": "PPPPP"})

    html = section(home(client, therapist.user), "absences")

    assert "Sam K. missed the last 3 meetings of Evening IOP" in text(html)
    assert "Last missed Wed, Dec 23, 2026 · 6:00 PM ET" in text(html)
    assert f'href="{reverse("booking:dashboard_group", args=[group.pk])}#roster-heading"' in html
    assert "Lee" not in html
    assert "Nothing needs your attention" not in home(client, therapist.user)


@frozen
def test_two_absences_in_a_row_or_a_recent_presence_are_not_flagged(client):
    therapist = group_therapist()
    program_of(
        therapist, {"Sam Kim": "PPPAA", "Lee Park": "AAAP", "Ari Cole": "AA", "Dee Fox": "PAAA"}
    )

    html = text(section(home(client, therapist.user), "absences"))

    assert "Dee F. missed the last 3 meetings of Evening IOP" in html
    for name in ("Sam", "Lee", "Ari"):
        assert name not in html


@frozen
def test_meetings_left_unmarked_do_not_break_the_run(client):
    therapist = group_therapist()
    program_of(therapist, {"Sam Kim": "PA-A--A", "Lee Park": "PP-P--P"})

    html = section(home(client, therapist.user), "absences")

    assert "Sam K. missed the last 3 meetings" in text(html)


@frozen
def test_members_who_left_or_were_removed_are_not_flagged_but_those_still_in_are(client):
    therapist = group_therapist()
    group, people = program_of(therapist, {"Sam Kim": "AAA", "Lee Park": "AAA", "Ari Cole": "AAA"})
    groups.leave(client=people["Sam Kim"], group_id=group.pk)
    removed = group.enrolments.get(client=people["Lee Park"])
    groups.remove_member(by=therapist.user, enrolment_id=removed.pk)

    html = text(section(home(client, therapist.user), "absences"))

    assert "Ari C. missed the last 3 meetings" in html  # still enrolled
    assert "Sam" not in html and "Lee" not in html


@frozen
def test_another_therapists_absent_members_never_show(client):
    therapist, other = group_therapist(), group_therapist()
    program_of(other, {"Sam Kim": "AAA"}, title="Their program")
    program_of(therapist, {"Dee Fox": "AAA"})

    html = text(section(home(client, therapist.user), "absences"))

    assert "Dee F. missed the last 3 meetings of Evening IOP" in html
    assert "Sam" not in html and "Their program" not in html


@frozen
def test_a_cancelled_program_flags_nobody_and_a_running_one_still_does(client):
    therapist = group_therapist()
    group, _ = program_of(therapist, {"Sam Kim": "AAA"}, title="Closed program")
    program_of(therapist, {"Dee Fox": "AAA"}, start_time=dt.time(20))
    groups.cancel_group(by=therapist.user, group_id=group.pk, reason="Closing the program.")

    html = text(section(home(client, therapist.user), "absences"))

    assert "Dee F. missed the last 3 meetings of Evening IOP" in html
    assert "Sam" not in html and "Closed program" not in html


# --- Nothing to do ----------------------------------------------------------------------------


@frozen
def test_with_nothing_to_do_the_home_says_so_in_plain_words(client):
    therapist = group_therapist()

    html = home(client, therapist.user)

    assert "Nothing needs your attention right now." in text(html)
    for name in ("requests", "sessions", "licenses", "groups", "absences"):
        assert section(html, name) == ""


@frozen
def test_with_something_to_do_the_empty_state_is_gone(client):
    therapist = group_therapist()
    book(client_in(), therapist, at(dt.date(2027, 1, 19), 10), weeks=1)

    assert "Nothing needs your attention" not in home(client, therapist.user)


# --- Whose data -------------------------------------------------------------------------------


@frozen
def test_another_therapists_requests_sessions_licenses_and_groups_never_show(client):
    therapist, other = group_therapist(), group_therapist()
    book(client_in(name="Other Request"), other, at(dt.date(2027, 1, 19), 10), weeks=1)
    confirmed_course(other, at(TODAY, 14), name="Other Session")
    verified_license(
        therapist=other,
        state="NJ",
        number="OTHER-1",
        expires_on=TODAY + dt.timedelta(days=10),
    )
    group_of(other, title="Other Group")

    html = home(client, therapist.user)

    for seen_elsewhere in ("Other Request", "Other Session", "OTHER-1", "Other Group"):
        assert seen_elsewhere not in html
    assert "Nothing needs your attention right now." in text(html)


@frozen
def test_a_therapist_who_is_also_a_records_viewer_sees_only_their_own_requests(client):
    therapist, other = group_therapist(), group_therapist()
    make_records_viewer(therapist.user)
    book(client_in(name="Other Request"), other, at(dt.date(2027, 1, 19), 10), weeks=1)

    assert "Other Request" not in home(client, therapist.user)


def test_clients_and_staff_get_a_404_and_anonymous_visitors_the_log_in_page(client):
    for user in (client_in(), make_verifier(), UserFactory(role="staff", is_staff=True)):
        client.force_login(user)
        assert client.get(HOME).status_code == 404
    client.logout()
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_a_therapist_lands_on_the_home_after_logging_in(client):
    therapist = group_therapist()

    response = client.post(
        reverse("accounts:login"),
        {"username": therapist.user.email, "password": PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == HOME
    assert 'aria-current="page">Home</a>' in response.content.decode()


# --- Queries ----------------------------------------------------------------------------------


def _busy_therapist(n: int):
    """A therapist with ``n`` of everything: requests, sessions today and this week,
    licenses expiring, groups with a waitlist, programs with a member who missed their
    last three meetings."""
    therapist = group_therapist(video_url="https://video.example.com/r")
    for i in range(n):
        book(client_in(), therapist, at(dt.date(2027, 1, 19), 9 + i), weeks=2)
        confirmed_course(therapist, at(TODAY, 10 + i), weeks=2)
        confirmed_course(therapist, at(dt.date(2027, 1, 12), 10 + i), weeks=1)
        verified_license(
            therapist=therapist,
            state=["NJ", "CT", "PA", "MA"][i],
            expires_on=TODAY + dt.timedelta(days=10 + i),
        )
        group = group_of(therapist, title=f"Group {i}", capacity=1, start_time=dt.time(10 + 2 * i))
        with time_machine.travel(EARLIER, tick=False):
            groups.enrol(client=client_in(), group_id=group.pk)
            groups.enrol(client=client_in(), group_id=group.pk, waitlist=True)
        program_of(
            therapist,
            {f"Absent Member{i}": "PAAA", f"Present Member{i}": "PPPP"},
            title=f"Program {i}",
            start_time=dt.time(18 + i),
        )
    return therapist


def _queries(client, therapist) -> tuple[int, str]:
    client.force_login(therapist.user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@frozen
def test_the_home_takes_the_same_queries_whatever_the_number_of_rows(client):
    small, small_html = _queries(client, _busy_therapist(1))
    large, large_html = _queries(client, _busy_therapist(4))

    assert "Requests (4)" in nav(large_html)
    assert "Requests waiting (4)" in text(section(large_html, "requests"))
    for name in ("licenses", "groups", "absences"):
        assert section(large_html, name).count("<li>") == 4, name
    # Today, tomorrow (a course each) and Wednesday (the groups' and programs' meetings).
    assert section(large_html, "sessions").count('<li class="home-session') == 16
    assert small == large
    # The log-in session and user, the therapist and whether a license of theirs is
    # valid, the five reads, and the session's idle time-out saved (three statements).
    assert large == 12


@frozen
def test_the_requests_page_of_a_therapist_who_is_also_a_records_viewer_lists_only_theirs(
    client,
):
    therapist, other = group_therapist(), group_therapist()
    make_records_viewer(therapist.user)
    therapist.user.is_staff = True  # a therapist on Rapport's staff, who may read records
    therapist.user.save(update_fields=["is_staff"])
    book(client_in(name="Other Request"), other, at(dt.date(2027, 1, 19), 10), weeks=1)
    client.force_login(therapist.user)

    page = client.get(reverse("booking:requests")).content.decode()
    assert "Other Request" not in page and "Requests to confirm" in page
