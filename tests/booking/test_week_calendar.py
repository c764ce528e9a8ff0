"""The therapist's week calendar (issue 16, item 2): Monday to Sunday in the therapist's
zone, a row per hour, weekly hours shaded, course sessions ("Week 4 of 12"), group
meetings (seats taken), time off, week navigation (across DST changes too) and the date
jump; only the therapist's own week, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking import therapist_week
from booking.courses import services
from booking.groups import services as groups
from booking.models import AvailabilityRule, TimeOff
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import NY, at, book, bookable_therapist, client_in
from tests.factories import make_records_viewer

pytestmark = pytest.mark.django_db

# A Monday in winter (Eastern Standard Time).
MONDAY = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)
TUESDAY_DEC_1 = dt.date(2026, 12, 1)
frozen = time_machine.travel(MONDAY, tick=False)
CALENDAR = reverse("booking:calendar")


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@dataclass
class Cell:
    shade: str
    hour: str  # the row's head: "10 AM"
    span: int
    text: str


@dataclass
class Day:
    head: str
    cells: list[Cell]

    def at(self, hour: str) -> Cell:
        return next(cell for cell in self.cells if cell.hour == hour)

    @property
    def events(self) -> list[Cell]:
        return [cell for cell in self.cells if cell.text]


CELL = re.compile(
    r'<div class="cal-cell cal-cell--(\w+)(?: cal-block)? cal-r-(\d+)(?: cal-s-(\d+))?">'
    r"(.*?)</div>\s*(?=<div class=\"cal-cell|<p class=\"cal-none|$)",
    re.S,
)


def week_grid(html: str) -> dict[str, Day]:
    """The grid as a reader sees it, by day ("Tue, Dec 1"): each day's head and its
    cells, each named by its row's head ("10 AM")."""
    hours = dict(re.findall(r'<div class="cal-hour cal-r-(\d+)">([^<]*)</div>', html))
    grid = {}
    for chunk in re.findall(r'<li class="cal-day[^"]*">(.*?)</li>', html, re.S):
        name = text(re.search(r'<h3 id="day-\d+">([^<]*)', chunk)[1])
        head = text(re.search(r'<div class="cal-day-head cal-r-1">(.*?)</div>', chunk, re.S)[1])
        cells = [
            Cell(shade, hours[row], int(span or 1), text(body))
            for shade, row, span, body in CELL.findall(chunk)
        ]
        grid[name] = Day(head, cells)
    return grid


def get_week(client, week: str | None = None):
    response = client.get(CALENDAR, {"week": week} if week else {})
    assert response.status_code == 200
    return response.content.decode()


def days_of(html: str) -> list[str]:
    return [text(h) for h in re.findall(r'<h3 id="day-\d+">(.*?)</h3>', html, re.S)]


# --- The week and its navigation ------------------------------------------------------------


@frozen
def test_any_day_shows_its_monday_to_sunday_week(client):
    therapist = bookable_therapist()
    client.force_login(therapist.user)

    html = get_week(client, "2026-12-03")  # a Thursday

    assert "Week of Mon, Nov 30 – Sun, Dec 6, 2026" in text(html)
    assert days_of(html) == [
        "Mon, Nov 30",
        "Tue, Dec 1",
        "Wed, Dec 2",
        "Thu, Dec 3",
        "Fri, Dec 4",
        "Sat, Dec 5",
        "Sun, Dec 6",
    ]
    assert 'href="?week=2026-11-23" rel="prev">← Previous week' in html
    assert 'href="?week=2026-12-07" rel="next">Next week →' in html
    assert '<a href="?week=2026-11-16">This week</a>' in html


@frozen
def test_without_a_week_it_shows_this_week_with_today_marked(client):
    therapist = bookable_therapist()
    client.force_login(therapist.user)

    html = get_week(client)

    assert days_of(html)[0] == "Mon, Nov 16 Today"
    assert '<a href="?week=2026-11-16" aria-current="page">This week</a>' in html
    assert html.count('<span class="tag">Today</span>') == 1


@frozen
def test_a_week_across_new_year_names_both_years(client):
    client.force_login(bookable_therapist().user)
    assert "Week of Mon, Dec 28, 2026 – Sun, Jan 3, 2027" in text(get_week(client, "2027-01-01"))


@frozen
def test_the_date_jump_is_a_get_form_with_a_date_input(client):
    client.force_login(bookable_therapist().user)

    html = get_week(client, "2026-12-09")

    form = re.search(
        r'<form method="get" action="([^"]+)" class="cal-jump">(.*?)</form>', html, re.S
    )
    assert form[1] == CALENDAR
    assert '<label for="id_week">Go to the week of</label>' in form[2]
    assert '<input type="date" name="week" id="id_week" value="2026-12-07" required>' in form[2]


@frozen
@pytest.mark.parametrize("value", ["next tuesday", "2026-02-30", "1900-01-01"])
def test_a_date_it_cannot_use_shows_this_week_with_the_error_beside_the_field(client, value):
    client.force_login(bookable_therapist().user)

    html = get_week(client, value)

    assert days_of(html)[0] == "Mon, Nov 16 Today"
    assert 'aria-invalid="true" aria-describedby="id_week_error"' in html
    assert '<ul class="errorlist" id="id_week_error">' in html
    assert "Choose a date within ten years of today." in html


@frozen
def test_the_days_local_times_stay_right_in_the_therapists_zone(client):
    therapist = bookable_therapist(tz="America/Chicago", session_minutes=90)
    book(client_in(name="Dana Client"), therapist, at(TUESDAY_DEC_1, 10))  # 09:00 Chicago
    book(client_in(name="Noon Client"), therapist, at(TUESDAY_DEC_1, 12))  # 11:00 Chicago
    client.force_login(therapist.user)

    grid = week_grid(get_week(client, "2026-11-30"))

    session = grid["Tue, Dec 1"].at("9 AM")
    assert "9:00 – 10:30 AM CT" in session.text
    assert "Waiting for your confirmation" in session.text
    assert "11:00 AM – 12:30 PM CT Noon Client" in grid["Tue, Dec 1"].at("11 AM").text


# --- Across a DST change -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frozen_at", "first", "before", "after"),
    [
        # Clocks go forward on Sunday, March 8, 2026 (2:00 AM EST → 3:00 AM EDT).
        (
            dt.datetime(2026, 2, 16, 12, tzinfo=dt.UTC),
            dt.date(2026, 2, 24),
            "2026-03-02",
            "2026-03-09",
        ),
        # Clocks go back on Sunday, November 1, 2026 (2:00 AM EDT → 1:00 AM EST).
        (
            dt.datetime(2026, 10, 5, 12, tzinfo=dt.UTC),
            dt.date(2026, 10, 13),
            "2026-10-26",
            "2026-11-02",
        ),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_a_course_keeps_its_local_time_in_the_weeks_around_a_dst_change(
    client, frozen_at, first, before, after
):
    therapist = bookable_therapist(hours=[(d, dt.time(9), dt.time(17)) for d in range(7)])
    with time_machine.travel(frozen_at, tick=False):
        booking = book(client_in(name="Dana Reyes"), therapist, at(first, 10), weeks=4)
        services.confirm_booking(booking_id=booking.pk, by=therapist.user)
        weekend = book(client_in(name="Sam Ortiz"), therapist, at(first + dt.timedelta(days=5), 10))
        services.confirm_booking(booking_id=weekend.pk, by=therapist.user)
        client.force_login(therapist.user)

        earlier = get_week(client, before)
        assert f'href="?week={after}" rel="next"' in earlier
        later = get_week(client, after)
        assert f'href="?week={before}" rel="prev"' in later

    for html in (earlier, later):
        grid = week_grid(html)
        tuesday = next(day for name, day in grid.items() if name.startswith("Tue"))
        sunday = next(day for name, day in grid.items() if name.startswith("Sun"))
        assert [cell.hour for cell in tuesday.events] == ["10 AM"]
        assert "10:00 – 10:50 AM ET" in tuesday.events[0].text
        assert "Dana Reyes" in tuesday.events[0].text
        # The Sunday of the change itself too.
        assert [cell.hour for cell in sunday.events] == ["10 AM"]
        assert "Sam Ortiz" in sunday.events[0].text
        assert "10:00 – 10:50 AM ET" in sunday.events[0].text


# --- What the grid holds ---------------------------------------------------------------------


@frozen
def test_weekly_hours_are_shaded_and_written_in_each_days_head(client):
    therapist = bookable_therapist(
        hours=[
            (0, dt.time(9), dt.time(12)),
            (0, dt.time(13), dt.time(17)),
            (2, dt.time(10), dt.time(14)),
        ]
    )
    client.force_login(therapist.user)

    grid = week_grid(get_week(client, "2026-11-30"))

    monday, wednesday, saturday = grid["Mon, Nov 30"], grid["Wed, Dec 2"], grid["Sat, Dec 5"]
    assert [cell.hour for cell in monday.cells] == [f"{h} AM" for h in (9, 10, 11)] + [
        "12 PM", "1 PM", "2 PM", "3 PM", "4 PM"
    ]  # fmt: skip
    assert [c.shade for c in monday.cells] == ["open"] * 3 + ["closed"] + ["open"] * 4
    assert [c.hour for c in wednesday.cells if c.shade == "open"] == [
        "10 AM",
        "11 AM",
        "12 PM",
        "1 PM",
    ]
    assert {c.shade for c in saturday.cells} == {"closed"}
    assert "9:00 AM – 12:00 PM, 1:00 PM – 5:00 PM" in monday.head
    assert "No hours" in saturday.head


@frozen
def test_a_session_shows_its_client_its_week_of_the_course_and_its_status(client):
    therapist = bookable_therapist()
    # The week of Dec 7 is time off: the course skips it, so its 4th session is Dec 29.
    TimeOff.objects.create(
        therapist=therapist, start_date=dt.date(2026, 12, 7), end_date=dt.date(2026, 12, 13)
    )
    booking = book(client_in(name="Dana Reyes"), therapist, at(TUESDAY_DEC_1, 10), weeks=12)
    services.confirm_booking(booking_id=booking.pk, by=therapist.user)
    client.force_login(therapist.user)

    html = get_week(client, "2026-12-29")
    session = week_grid(html)["Tue, Dec 29"].at("10 AM")

    assert "Dana Reyes" in session.text
    assert "Week 4 of 12 · Telehealth" in session.text
    assert "Confirmed" in session.text
    assert (
        f'<a href="{reverse("booking:booking_detail", args=[booking.pk])}">Dana Reyes</a>' in html
    )


@frozen
def test_a_group_meeting_shows_its_title_and_seats_taken_outside_the_hours(client):
    therapist = group_therapist()  # hours 9 AM – 5 PM; the group meets Wednesdays 6 PM
    group = make_group(therapist, capacity=8)
    for name in ("Ana Member", "Bo Member"):
        groups.enrol(client=client_in(name=name), group_id=group.pk)
    meeting = group.meetings.order_by("week").first()
    day = meeting.start.astimezone(NY).date()
    client.force_login(therapist.user)

    html = get_week(client, day.isoformat())
    wednesday = week_grid(html)[f"Wed, {day:%b} {day.day}"]

    cell = wednesday.at("6 PM")
    assert (cell.shade, cell.span) == ("closed", 2)  # 6:00 – 7:30 PM
    assert "Group: Grief and loss group" in cell.text
    assert "2 of 8 seats taken" in cell.text
    assert "6:00 – 7:30 PM ET" in cell.text
    assert [c.hour for c in wednesday.cells][-2:] == ["5 PM", "6 PM"]  # rows to 8 PM
    assert f'href="{reverse("booking:dashboard_group", args=[group.pk])}"' in html


@frozen
def test_time_off_is_shaded_and_labelled(client):
    therapist = bookable_therapist()
    TimeOff.objects.create(
        therapist=therapist,
        start_date=dt.date(2026, 12, 3),
        end_date=dt.date(2026, 12, 4),
        note="Conference",
    )
    client.force_login(therapist.user)

    grid = week_grid(get_week(client, "2026-11-30"))

    for name in ("Thu, Dec 3", "Fri, Dec 4"):
        assert "Time off: Conference" in grid[name].head
        assert {cell.shade for cell in grid[name].cells} == {"off"}
    assert "Time off" not in grid["Wed, Dec 2"].head
    assert "off" not in {cell.shade for cell in grid["Wed, Dec 2"].cells}


@frozen
def test_a_day_without_sessions_says_so(client):
    client.force_login(bookable_therapist().user)
    assert get_week(client, "2026-11-30").count('<p class="cal-none">No sessions.</p>') == 7


def test_a_past_session_offers_its_marks_and_marking_it_comes_back_to_its_week(client):
    therapist = bookable_therapist()
    with time_machine.travel(MONDAY, tick=False):
        booking = book(client_in(name="Dana Reyes"), therapist, at(TUESDAY_DEC_1, 10), weeks=2)
        services.confirm_booking(booking_id=booking.pk, by=therapist.user)
    first, second = booking.sessions.order_by("start")
    client.force_login(therapist.user)

    with time_machine.travel(dt.datetime(2026, 12, 1, 17, tzinfo=dt.UTC), tick=False):
        html = get_week(client, "2026-12-01")
        assert html.count('name="status" value="completed"') == 1  # not the future one
        assert 'name="status" value="no_show"' in html
        assert '<input type="hidden" name="week" value="2026-11-30">' in html
        assert (
            '>Mark completed<span class="visually-hidden">: Dana Reyes, Tue, Dec 1 · 10:00 AM ET'
            in html
        )
        response = client.post(
            reverse("booking:mark_session", args=[first.pk]),
            {"status": "completed", "week": "2026-11-30"},
            follow=True,
        )

    assert response.redirect_chain[-1][0] == f"{CALENDAR}?week=2026-11-30"
    page = response.content.decode()
    tuesday = week_grid(page)["Tue, Dec 1"].at("10 AM")
    assert "Completed" in tuesday.text
    assert "Mark completed" not in tuesday.text and "Mark no-show" in tuesday.text
    first.refresh_from_db()
    assert first.status == "completed"


# --- Whose week -------------------------------------------------------------------------------


@frozen
def test_a_therapist_sees_nothing_of_another_therapists_week(client):
    mine, theirs = bookable_therapist(), group_therapist()
    book(client_in(name="Dana Reyes"), theirs, at(TUESDAY_DEC_1, 10))
    make_group(theirs, title="Their private group", start_date=TUESDAY_DEC_1)
    TimeOff.objects.create(therapist=theirs, start_date=TUESDAY_DEC_1, end_date=TUESDAY_DEC_1)
    client.force_login(mine.user)

    html = get_week(client, "2026-11-30")

    assert "Dana Reyes" not in html and "Their private group" not in html
    assert "Time off" not in html
    assert "cal-event" not in html


@pytest.mark.parametrize("who", ["client", "staff"])
def test_the_week_calendar_is_404_for_anyone_but_a_therapist(client, who):
    person = client_in() if who == "client" else make_records_viewer()
    client.force_login(person)
    assert client.get(CALENDAR).status_code == 404


def test_the_week_calendar_asks_a_visitor_to_log_in(client):
    response = client.get(CALENDAR)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


# --- Queries ---------------------------------------------------------------------------------


def _queries(client, therapist, week: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        get_week(client, week)
    return len(queries)


@frozen
def test_the_weeks_query_count_does_not_grow_with_its_sessions_and_meetings(client):
    therapist = group_therapist(hours=[(d, dt.time(8), dt.time(20)) for d in range(7)])
    book(client_in(), therapist, at(TUESDAY_DEC_1, 10), weeks=1)
    client.force_login(therapist.user)
    get_week(client, "2026-11-30")  # the log-in's first request does more
    one = _queries(client, therapist, "2026-11-30")

    for day in range(7):
        for hour in (9, 11, 13, 15):
            booking = book(
                client_in(), therapist, at(dt.date(2026, 11, 30) + dt.timedelta(days=day), hour)
            )
            services.confirm_booking(booking_id=booking.pk, by=therapist.user)
    for weekday in (0, 3, 5):
        group = make_group(
            therapist, weekdays=[weekday], start_date=dt.date(2026, 11, 23), start_time=dt.time(17)
        )
        groups.enrol(client=client_in(), group_id=group.pk)
    TimeOff.objects.create(
        therapist=therapist, start_date=dt.date(2026, 12, 6), end_date=dt.date(2026, 12, 6)
    )
    many = _queries(client, therapist, "2026-11-30")

    html = get_week(client, "2026-11-30")
    assert html.count('class="cal-event ') == 1 + 7 * 4 + 3
    assert many == one


# --- The layout, pure --------------------------------------------------------------------------


def _event(start: dt.datetime, minutes: int) -> therapist_week.Event:
    return therapist_week.Event(
        session=SimpleNamespace(), start=start, end=start + dt.timedelta(minutes=minutes)
    )


def test_events_whose_hours_touch_share_one_block_of_rows():
    monday = dt.date(2026, 11, 30)
    tz = ZoneInfo("America/New_York")
    events = [
        _event(dt.datetime(2026, 11, 30, 10, tzinfo=tz), 50),
        _event(dt.datetime(2026, 11, 30, 10, 50, tzinfo=tz), 50),  # 10:50 – 11:40
        _event(dt.datetime(2026, 11, 30, 14, tzinfo=tz), 50),
    ]
    rule = AvailabilityRule(weekday=0, start=dt.time(9), end=dt.time(17))

    week = therapist_week.lay_out(
        monday=monday, today=monday, rules=[rule], time_off=[], events=events
    )

    cells = week.days[0].cells
    assert [(c.row, c.span, len(c.events)) for c in cells] == [
        (2, 1, 0),  # 9 AM
        (3, 2, 2),  # 10 AM – noon: the two that touch
        (5, 1, 0),
        (6, 1, 0),
        (7, 1, 1),  # 2 PM
        (8, 1, 0),
        (9, 1, 0),
    ]
    assert week.rows == 9  # the heads and 8 hours


def test_a_meeting_past_midnight_fills_its_day_to_the_end():
    monday = dt.date(2026, 11, 30)
    tz = ZoneInfo("America/New_York")
    late = _event(dt.datetime(2026, 11, 30, 23, tzinfo=tz), 90)

    week = therapist_week.lay_out(monday=monday, today=monday, rules=[], time_off=[], events=[late])

    assert [h["time"] for h in week.hours] == [dt.time(23)]
    assert [(c.row, c.span) for c in week.days[0].cells] == [(2, 1)]
    assert week.days[1].events == 0


def test_with_no_hours_and_no_sessions_the_grid_shows_nine_to_five():
    monday = dt.date(2026, 11, 30)
    week = therapist_week.lay_out(monday=monday, today=monday, rules=[], time_off=[], events=[])
    assert [h["time"].hour for h in week.hours] == list(range(9, 17))
