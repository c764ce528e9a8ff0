"""The front door (``/``) and the guided match's answer (``/match/``): the form, the
plain explanation of the therapies, the links to browse by state; the ranked matches
with their reasons, each linking to the profile with the course picker preselected; an
answer that cannot be used is said beside its question; constant queries."""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from providers.models import Modality
from tests.booking.helpers import client_in
from tests.matching.helpers import directory, more_therapists

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
GRIEF_EVENINGS = {"state": "NY", "concern": "grief", "times": ["tue-evening", "thu-evening"]}


@pytest.fixture
def people():
    return directory()


def _page(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_root_is_the_front_door_not_a_redirect(client):
    page = _page(client.get("/"))
    assert "<h1" in page and "Find a therapist who fits you" in page
    assert 'action="/match/"' in page and 'method="get"' in page


def test_the_front_door_asks_the_short_questions(client):
    page = _page(client.get("/"))
    assert '<select name="state"' in page
    for label in (
        "Grief or loss",
        "A conflict with someone close",
        "A life change",
        "Loneliness or isolation",
        "Low mood",
        "Worry or anxiety",
        "By video",
        "In person",
        "Aetna",
        "Up to $150",
        "One-to-one or a group",
    ):
        assert label in html.unescape(page), label
    # Weekday x morning / afternoon / evening, each box named for a screen reader.
    assert len(re.findall(r'<input type="checkbox" name="times"', page)) == 21
    assert '<span class="visually-hidden">Tuesday evening</span>' in page


def test_the_front_door_explains_ipt_cbt_and_group_therapy(client):
    page = html.unescape(_page(client.get("/")))
    for heading in (
        "Interpersonal therapy (IPT)",
        "Cognitive behavioral therapy (CBT)",
        "Group therapy",
    ):
        assert heading in page
    assert "12 to 16 weekly sessions" in page
    assert page.count("<strong>Who it suits.</strong>") == 3


def test_the_front_door_links_to_browsing_by_state(client):
    page = _page(client.get("/"))
    assert 'href="/therapists/in/"' in page
    assert 'href="/therapists/in/new-york/"' in page
    assert 'href="/therapists/in/district-of-columbia/"' in page
    # Every one of them is a page of the site (the 51 states and the index).
    links = set(re.findall(r'href="(/therapists/in/[^"]*)"', page))
    assert len(links) == 52
    assert all(client.get(link).status_code == 200 for link in links)


def test_a_signed_in_client_is_asked_about_their_own_state(client):
    client.force_login(client_in(state="CA", tz="America/Los_Angeles"))
    page = _page(client.get("/"))
    assert '<option value="CA" selected>' in page
    assert "In Pacific Time." in page


def test_the_answer_lists_the_matches_with_their_reasons(client, people):
    page = html.unescape(_page(client.get("/match/", GRIEF_EVENINGS)))
    assert "Your matches in New York" in page
    names = re.findall(r'class="card-title" id="m-therapist-\d+"><a href="[^"]+">([^<]+)<', page)
    assert names == ["Grace Hollis", "Carl Brandt"]
    assert "Practises IPT, which focuses on grief" in page
    assert re.search(r"Free Tuesdays at 5:00 PM ET for 12 weeks from \w{3} \d+", page)
    for never in people["never"]:
        assert never.display_name not in page
    # The questions again, answered as asked.
    assert 'value="tue-evening" id="id_times_tue-evening" checked' in page
    assert 'value="thu-evening" id="id_times_thu-evening" checked' in page


def test_groups_are_listed_when_asked_for(client, people):
    page = _page(client.get("/match/", {**GRIEF_EVENINGS, "group": "true"}))
    assert f'href="/groups/{people["group"].pk}/"' in page
    assert "A grief group" in page


def test_a_result_links_to_the_profile_with_the_picker_preselected(client, people):
    # Grace offers two therapies: grief points to hers of IPT, which the request takes.
    people["grace"].modalities.set(Modality.objects.filter(slug__in=["ipt", "cbt"]))
    client.force_login(client_in(state="NY"))
    page = _page(client.get("/match/", GRIEF_EVENINGS))
    href = html.unescape(re.search(r'<a href="([^"]+)">Grace Hollis</a>', page).group(1))
    assert href.startswith(f"/therapists/{people['grace'].slug}/?state=NY&modality=ipt&weeks=12")
    assert "&time=tue-1700&start=" in href and href.endswith("#chosen")
    # The profile reads it: the picker's chosen weekly time and its summary.
    profile = html.unescape(_page(client.get(href.split("#")[0])))
    assert 'id="chosen-heading">Tuesdays at 5:00 PM ET</h3>' in profile
    assert 'id="summary"' in profile and "12 sessions · Tuesdays 5:00 PM ET" in profile
    assert re.search(r'name="modality" value="ipt"[^>]*checked', profile)
    assert not re.search(r'name="modality" value="cbt"[^>]*checked', profile)


def test_a_therapist_with_no_fitting_time_links_to_the_picker_to_choose(client, people):
    page = _page(client.get("/match/", GRIEF_EVENINGS))
    href = html.unescape(re.search(r'<a href="([^"]+)">Carl Brandt</a>', page).group(1))
    assert href == f"/therapists/{people['carl'].slug}/?state=NY&weeks=12#book"


def test_answers_that_cannot_be_used_are_said_beside_their_questions(client):
    page = html.unescape(_page(client.get("/match/", {"concern": "grief", "times": "tue-night"})))
    assert "Some answers could not be used." in page
    assert 'id="id_state_error"' in page and "Choose the state you live in." in page
    assert 'id="id_times_error"' in page and "“tue-night” is not a weekly time" in page
    assert 'class="cards' not in page


def test_the_match_page_without_answers_shows_the_questions(client):
    page = _page(client.get("/match/"))
    assert "Some answers could not be used." not in page
    assert '<select name="state"' in page


def test_nobody_in_the_state_says_so_and_offers_a_way_on(client, people):
    page = html.unescape(_page(client.get("/match/", {"state": "WY"})))
    assert "No one licensed in Wyoming is taking new clients right now" in page
    assert 'href="/therapists/?state=WY"' in page


def test_the_times_are_the_viewer_s_own(client, people):
    client.force_login(client_in(state="NY", tz="America/Los_Angeles"))
    page = html.unescape(_page(client.get("/match/", {"state": "NY", "times": "tue-afternoon"})))
    assert re.search(r"Free Tuesdays at 2:00 PM PT for 12 weeks", page)
    assert "Times are in Pacific Time." in page


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/match/", params)
    assert response.status_code == 200
    return len(queries)


def test_the_answer_page_runs_a_constant_number_of_queries(client, people):
    params = {**GRIEF_EVENINGS, "group": "true", "insurance": "aetna"}
    few = _queries(client, params)
    more_therapists(12)
    assert _queries(client, params) == few == 6


def test_the_front_door_reads_only_the_plans(client, people):
    with CaptureQueriesContext(connection) as queries:
        _page(client.get("/"))
    assert len(queries) == 1


def test_first_starts_shown_are_in_the_next_four_weeks(client, people):
    page = _page(client.get("/match/", GRIEF_EVENINGS))
    stamps = re.findall(r'<time datetime="([^"]+)">', page)
    assert stamps
    for stamp in stamps:
        start = dt.datetime.fromisoformat(stamp)
        assert dt.timedelta(hours=24) <= start - dt.datetime.now(dt.UTC) <= dt.timedelta(days=29)


def test_a_budget_the_menu_does_not_list_is_kept_as_asked(client, people):
    page = _page(client.get("/match/", {"state": "NY", "fee_max": "120"}))
    assert '<option value="120" selected>Up to $120</option>' in page
    assert "$120 a session, within your budget of $120" in html.unescape(page)


def test_the_course_length_rides_along_only_when_given(client, people):
    assert 'name="weeks"' not in _page(client.get("/match/", {"state": "NY"}))
    page = _page(client.get("/match/", {"state": "NY", "weeks": "8", "times": "tue-evening"}))
    assert '<input type="hidden" name="weeks" value="8"' in page
    assert "for 8 weeks from" in page
