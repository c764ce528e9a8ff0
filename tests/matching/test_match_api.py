"""``GET /api/v1/match/`` as PRODUCT.md words it: ``state`` required, every other answer
optional and checked (a 400 naming the field), ``[{kind, id, name, url, score, reasons,
first_start}]`` best first, only therapists licensed in the state and accepting, groups
when asked for; the times read in the caller's zone; a constant number of queries."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.booking.helpers import at, book, client_in, next_weekday
from tests.matching.helpers import directory, more_therapists

pytestmark = pytest.mark.django_db

URL = "/api/v1/match/"
NY = ZoneInfo("America/New_York")
FIELDS = {"kind", "id", "name", "url", "score", "reasons", "first_start"}


@pytest.fixture
def people():
    return directory()


def test_state_is_required_and_named(api):
    response = api.get(URL, {"concern": "grief"})
    assert response.status_code == 400
    assert response.json() == {"state": ["Choose the state you live in."]}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "New York"}, "state"),
        ({"state": "ny"}, "state"),
        ({"concern": "sadness"}, "concern"),
        ({"format": "phone"}, "format"),
        ({"insurance": "no-such-plan"}, "insurance"),
        ({"fee_max": "-1"}, "fee_max"),
        ({"fee_max": "cheap"}, "fee_max"),
        ({"fee_max": "１５０"}, "fee_max"),
        ({"weeks": "0"}, "weeks"),
        ({"weeks": "17"}, "weeks"),
        ({"times": "tue-evening,tue-night"}, "times"),
        ({"times": "tuesday-evening"}, "times"),
        ({"group": "maybe"}, "group"),
    ],
)
def test_a_bad_answer_is_a_400_naming_its_field(api, params, field):
    response = api.get(URL, {"state": "NY", **params})
    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()


def test_a_bad_time_word_is_named_in_the_message(api):
    response = api.get(URL, {"state": "NY", "times": "tue-evening,tue-night"})
    assert "tue-night" in response.json()["times"][0]


def test_the_answer_has_the_documented_shape_best_first(api, people):
    response = api.get(URL, {"state": "NY", "concern": "grief", "group": "true"})
    assert response.status_code == 200
    results = response.json()
    assert results and all(set(r) == FIELDS for r in results)
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    first = results[0]
    assert (first["kind"], first["id"]) == ("therapist", people["grace"].pk)
    assert first["url"].startswith("http://testserver/therapists/")
    assert all(isinstance(reason, str) for r in results for reason in r["reasons"])


def test_only_therapists_licensed_in_the_state_and_accepting(api, people):
    results = api.get(URL, {"state": "NY", "concern": "grief"}).json()
    listed = {(r["kind"], r["id"]) for r in results}
    assert listed == {("therapist", people["grace"].pk), ("therapist", people["carl"].pk)}
    never = {t.pk for t in people["never"]}
    assert not never & {r["id"] for r in results if r["kind"] == "therapist"}


def test_nobody_from_another_state(api, people):
    assert api.get(URL, {"state": "CA"}).json() == []
    # Jo is licensed in New Jersey.
    results = api.get(URL, {"state": "NJ"}).json()
    assert [r["name"] for r in results] == ["Jo Jersey"]


def test_groups_open_in_the_state_when_asked_for(api, people):
    without = api.get(URL, {"state": "NY"}).json()
    assert all(r["kind"] == "therapist" for r in without)
    results = api.get(URL, {"state": "NY", "concern": "grief", "group": "true"}).json()
    groups = [r for r in results if r["kind"] == "group"]
    assert [g["id"] for g in groups] == [people["group"].pk]
    assert groups[0]["url"] == f"http://testserver/groups/{people['group'].pk}/"
    assert "A grief group" in groups[0]["reasons"]
    # Not in a state it does not serve.
    assert api.get(URL, {"state": "NJ", "group": "true"}).json()[0]["kind"] == "therapist"


def test_the_reasons_match_the_facts(api, people):
    results = api.get(
        URL,
        {
            "state": "NY",
            "concern": "grief",
            "format": "telehealth",
            "insurance": "aetna",
            "fee_max": "150",
            "times": "tue-evening",
        },
    ).json()
    grace, carl = results
    assert grace["name"] == "Grace Hollis"
    start = dt.datetime.fromisoformat(grace["first_start"]).astimezone(NY)
    assert (start.weekday(), start.hour) == (1, 17)
    assert grace["reasons"] == [
        "Licensed in New York",
        "Practises IPT, which focuses on grief",
        "Lists grief and loss as a focus area",
        f"Free Tuesdays at 5:00 PM ET for 12 weeks from {start:%b} {start.day}",
        "By video",
        "In network with Aetna",
        "$120 a session, within your budget of $150",
    ]
    # Carl sees clients on weekdays 9 to 5: nothing on a Tuesday evening.
    assert carl["first_start"] is None
    assert carl["reasons"] == ["Licensed in New York", "By video"]
    assert grace["score"] > carl["score"]


def test_the_url_opens_the_profile_with_the_picker_preselected(api, people):
    grace = api.get(URL, {"state": "NY", "concern": "grief", "times": "tue-evening"}).json()[0]
    url = urlsplit(grace["url"])
    assert url.path == f"/therapists/{people['grace'].slug}/"
    assert url.fragment == "chosen"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query == {
        "state": "NY",
        "modality": "ipt",
        "weeks": "12",
        "time": "tue-1700",
        "start": dt.datetime.fromisoformat(grace["first_start"]).isoformat(),
    }


def test_times_are_read_in_a_signed_in_caller_s_zone(as_user, people):
    # 5:00 PM in New York is 2:00 PM in Los Angeles: a Tuesday afternoon there.
    caller = as_user(client_in(state="NY", tz="America/Los_Angeles"))
    results = caller.get(URL, {"state": "NY", "times": "tue-afternoon", "weeks": "8"}).json()
    grace = next(r for r in results if r["name"] == "Grace Hollis")
    assert grace["first_start"] is not None
    assert any(r.startswith("Free Tuesdays at 2:00 PM PT for 8 weeks") for r in grace["reasons"])
    assert "time=tue-1400" in grace["url"]


def test_a_full_course_is_needed_for_a_start_to_fit(api, people):
    # Twelve weeks of Tuesday evenings at 5, 6 and 7 PM, all taken from next week on:
    # nothing fits, although the evenings before are free.
    tuesday = next_weekday(1)
    for hour in (17, 18, 19):
        book(client_in(), people["grace"], at(tuesday, hour), weeks=12)
    grace = next(
        r
        for r in api.get(URL, {"state": "NY", "times": "tue-evening"}).json()
        if r["name"] == "Grace Hollis"
    )
    assert grace["first_start"] is None
    assert not any(r.startswith("Free") for r in grace["reasons"])


def _queries(api, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(URL, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "params",
    [
        {"state": "NY"},
        {"state": "NY", "concern": "grief", "times": "tue-evening,wed-morning", "group": "true"},
        {"state": "NY", "insurance": "aetna", "fee_max": "100", "format": "in_person"},
    ],
)
def test_the_match_runs_a_constant_number_of_queries(api, people, params):
    """The plans' list (the form), the candidates, the shortlist's hours, time off and
    sessions, and the groups when asked for: however many therapists there are."""
    few = _queries(api, params)
    more_therapists(12)
    assert _queries(api, params) == few
    expected = 5 + (params.get("group") == "true")
    assert few == expected
