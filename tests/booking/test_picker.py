"""The course picker (booking/courses/picker.py, templates/booking/_picker.html), on the
profile and on the booking page: the therapy preselected from the search or the only
one, a compact weekday × time grid, the chosen time's start dates, the summary with the
skipped weeks and the fee, and a request a browser without JavaScript can send."""

import datetime as dt
import re
from html import unescape
from html.parser import HTMLParser

import pytest
import time_machine
from django.urls import reverse

from booking import availability
from booking.models import Booking
from tests.booking.helpers import at, book, bookable_therapist, client_in, committed

pytestmark = pytest.mark.django_db

# A Monday in winter: every course below runs on Eastern Standard Time.
MONDAY = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)
TUESDAY_DEC_1 = dt.date(2026, 12, 1)
frozen = time_machine.travel(MONDAY, tick=False)
TUESDAYS_10 = [(1, dt.time(10), dt.time(11))]


def text(html: str) -> str:
    """What a reader sees: the page without its tags, spaces collapsed."""
    return unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" ,", ","))


def profile(client, therapist, **params) -> str:
    response = client.get(therapist.get_absolute_url(), params)
    assert response.status_code == 200
    return response.content.decode()


def checked_radios(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="radio" name="(\w+)" value="([^"]*)"[^>]*checked', html))


def away_dec_28_to_jan_3(therapist) -> None:
    with committed():
        availability.add_time_off(
            therapist=therapist, start_date=dt.date(2026, 12, 28), end_date=dt.date(2027, 1, 3)
        )


class RequestForm(HTMLParser):
    """What a browser without JavaScript sends with the request form: its hidden inputs
    and checked radios, to the form's action."""

    def __init__(self, html: str):
        super().__init__()
        self.action, self.data, self._inside = None, {}, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "picker-request" in attrs.get("class", ""):
            self.action, self._inside = attrs["action"], True
        elif (
            tag == "input"
            and self._inside
            and (attrs.get("type") == "hidden" or "checked" in attrs)
        ):
            self.data[attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


# --- Therapy and format preselected -------------------------------------------------------


@frozen
def test_the_therapy_of_the_search_is_preselected(client):
    therapist = bookable_therapist(hours=TUESDAYS_10, modalities=["cbt", "ipt"])
    client.force_login(client_in())
    html = profile(client, therapist, state="NY", modality="ipt", time="tue-1000")
    assert checked_radios(html) == {"modality": "ipt"}


@frozen
def test_the_therapists_only_course_therapy_is_preselected_without_a_search(client):
    therapist = bookable_therapist(hours=TUESDAYS_10, modalities=["group", "ipt"])
    client.force_login(client_in())
    html = profile(client, therapist, time="tue-1000")
    assert checked_radios(html)["modality"] == "ipt"


@frozen
def test_no_therapy_is_chosen_for_the_client_when_two_are_offered_and_none_was_searched(client):
    therapist = bookable_therapist(hours=TUESDAYS_10, modalities=["cbt", "ipt"])
    client.force_login(client_in())
    html = profile(client, therapist, time="tue-1000")
    assert 'name="modality" value="cbt"' in html and 'name="modality" value="ipt"' in html
    assert "modality" not in checked_radios(html)  # no longer silently CBT


@frozen
def test_the_only_format_is_said_and_sent_and_the_searched_one_preselected(client):
    telehealth = bookable_therapist(hours=TUESDAYS_10)
    both = bookable_therapist(
        hours=TUESDAYS_10, formats=["telehealth", "in_person"], office_address="1 Main St"
    )
    client.force_login(client_in())
    one = profile(client, telehealth, time="tue-1000")
    two = profile(client, both, format="in_person", time="tue-1000")
    assert '<input type="hidden" name="format" value="telehealth">' in one
    assert checked_radios(two)["format"] == "in_person"


# --- The grid, the chosen time and its summary -------------------------------------------


@frozen
def test_the_grid_has_one_cell_per_weekday_and_time_not_one_tile_per_start_date(client):
    therapist = bookable_therapist()  # weekdays 9–17, 50-minute sessions: 8 starts a day
    html = profile(client, therapist)
    cells = re.findall(r'<a class="cell" href="[^"]*time=(\w{3}-\d{4})#chosen"', html)
    assert len(cells) == len(set(cells)) == 5 * 8  # four start dates each, one cell
    assert "mon-0900" in cells and "fri-1600" in cells
    assert "Tuesdays at 9:00 AM ET" in html  # each cell's name, for a screen reader
    assert 'name="start"' not in html  # nothing to request before a time is chosen


@frozen
def test_the_grid_is_in_the_viewers_zone(client):
    therapist = bookable_therapist(hours=TUESDAYS_10)
    client.force_login(client_in(tz="America/Los_Angeles"))
    html = profile(client, therapist)
    assert re.findall(r"time=(\w{3}-\d{4})#chosen", html) == ["tue-0700"]
    assert "Tuesdays at 7:00 AM PT" in html
    assert "Times in your time zone, Pacific Time" in text(html)
    assert "America/Los_Angeles" not in text(html)


def test_a_visitor_sees_the_times_in_eastern_time_by_its_common_name(client):
    html = text(profile(client, bookable_therapist(hours=TUESDAYS_10)))
    assert "Times in Eastern Time (New York)" in html


@frozen
def test_the_summary_lists_the_sessions_dates_skipped_week_and_fee(client):
    therapist = bookable_therapist(hours=TUESDAYS_10, fee=150)
    away_dec_28_to_jan_3(therapist)
    html = text(profile(client, therapist, time="tue-1000", start="2026-12-01T15:00:00+00:00"))
    assert (
        "12 sessions · Tuesdays 10:00 AM ET · Dec 1, 2026 – Feb 23, 2027 · "
        "no session Dec 29 (therapist away) · $150 each"
    ) in html
    assert "The course runs a week longer for the therapist’s time off." in html


@frozen
def test_the_chosen_time_offers_its_start_dates_the_earliest_first(client):
    therapist = bookable_therapist(hours=TUESDAYS_10, fee=None, sliding_scale=True)
    html = profile(client, therapist, time="tue-1000")
    starts = re.findall(r"start=(2026-\d\d-\d\dT15%3A00%3A00%2B00%3A00)#chosen", html)
    assert [s[:10] for s in starts] == ["2026-11-17", "2026-11-24", "2026-12-01", "2026-12-08"]
    assert 'aria-current="true">Nov 17</a>' in html
    assert "12 sessions · Tuesdays 10:00 AM ET · Nov 17, 2026 – Feb 2, 2027 · sliding scale" in (
        text(html)
    )


@frozen
def test_a_single_session_reads_as_one_date(client):
    therapist = bookable_therapist(hours=TUESDAYS_10, fee=90)
    html = text(profile(client, therapist, weeks=1, time="tue-1000"))
    assert "1 session · Tue, Nov 17 · 10:00 AM ET · $90" in html


@frozen
def test_a_weekly_time_no_longer_free_is_said_beside_the_grid(client):
    therapist = bookable_therapist(hours=TUESDAYS_10)
    for week in range(5):
        book(client_in(), therapist, at(TUESDAY_DEC_1 + dt.timedelta(weeks=week), 10), weeks=1)
    html = profile(client, therapist, time="tue-1000")
    assert "That weekly time is not free for all 12 weeks" in html
    assert 'id="chosen"' not in html


@frozen
@pytest.mark.parametrize(
    "params",
    [
        {"time": "tue-99"},
        {"time": "<b>"},
        {"start": "yesterday"},
        {"weeks": "40"},
        {"from": "2099-01-01"},
        {"state": "ZZ"},
    ],
)
def test_bad_picker_parameters_are_said_not_a_server_error(client, params):
    therapist = bookable_therapist(hours=TUESDAYS_10)
    for url in (therapist.get_absolute_url(), reverse("booking:book", args=[therapist.slug])):
        response = client.get(url, params)
        assert response.status_code == 200
        assert "<b>" not in response.content.decode()


@frozen
def test_every_link_of_the_picker_keeps_the_search(client):
    therapist = bookable_therapist(hours=TUESDAYS_10)
    html = profile(client, therapist, state="NY", modality="ipt", specialty="grief")
    cell = re.search(r'<a class="cell" href="([^"]*)"', html)[1]
    assert cell.startswith("?state=NY&amp;modality=ipt&amp;specialty=grief&amp;weeks=12&amp;")
    assert '<input type="hidden" name="specialty" value="grief">' in html  # the length form


# --- The request --------------------------------------------------------------------------


@frozen
def test_the_request_form_as_sent_without_javascript_books_the_chosen_course(client):
    therapist = bookable_therapist(hours=TUESDAYS_10, modalities=["cbt", "ipt"])
    away_dec_28_to_jan_3(therapist)
    client.force_login(client_in())
    html = profile(client, therapist, state="NY", modality="ipt", time="tue-1000")
    form = RequestForm(html)
    assert form.action == reverse("booking:book", args=[therapist.slug])

    response = client.post(form.action, form.data)

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("booking:booking_detail", args=[booking.pk])
    assert (booking.modality.slug, booking.weeks, booking.format) == ("ipt", 12, "telehealth")
    assert booking.skipped == [dt.date(2026, 12, 29)]
    assert booking.sessions.order_by("start").first().start == at(dt.date(2026, 11, 17), 10)


@frozen
def test_a_request_without_a_therapy_is_sent_back_with_the_error_beside_it(client):
    therapist = bookable_therapist(hours=TUESDAYS_10, modalities=["cbt", "ipt"])
    client.force_login(client_in())
    form = RequestForm(profile(client, therapist, time="tue-1000"))
    assert "modality" not in form.data

    response = client.post(form.action, form.data)

    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_modality_error"><li>Choose a therapy.</li>' in html
    assert 'id="chosen"' in html  # the chosen time and its summary stay
    assert not Booking.objects.exists()


@frozen
@pytest.mark.parametrize(
    ("start", "reason"),
    [
        (at(TUESDAY_DEC_1, 10, 30), "not one of the therapist's start times"),
        (at(dt.date(2026, 12, 5), 10), "outside the therapist's weekly hours"),  # Saturdays
    ],
)
def test_a_refused_request_names_each_week_and_its_reason(client, start, reason):
    therapist = bookable_therapist()  # weekdays 9–17, on the hour
    client.force_login(client_in())
    data = {"start": start.isoformat(), "weeks": "2", "modality": "ipt", "format": "telehealth"}

    response = client.post(reverse("booking:book", args=[therapist.slug]), data)

    html = text(response.content.decode())
    assert response.status_code == 409
    assert "2 of the 2 weeks can’t be booked at that time, so nothing was booked" in html
    assert html.count(reason) == 2
    assert not Booking.objects.exists()


@frozen
def test_a_week_away_at_the_start_is_refused_as_away(client):
    therapist = bookable_therapist(hours=TUESDAYS_10)
    away_dec_28_to_jan_3(therapist)
    client.force_login(client_in())
    data = {
        "start": at(dt.date(2026, 12, 29), 10).isoformat(),
        "weeks": "1",
        "modality": "ipt",
        "format": "telehealth",
    }
    response = client.post(reverse("booking:book", args=[therapist.slug]), data)
    html = text(response.content.decode())
    assert response.status_code == 409
    assert "Tue, Dec 29 · 10:00 AM ET — the therapist is away" in html
