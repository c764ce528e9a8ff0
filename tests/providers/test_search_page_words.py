"""The search page (issue 17, item 7): a heading naming the filters in use, removable
chips, URLs with only the filters in use, the fee filter's sliding scale, and the
default order (accepting with an opening first, soonest first; then accepting without
one; then not accepting), on the page and in the API alike."""

import datetime as dt
import html as html_lib
import re

import pytest
from django.urls import reverse
from django.utils.timezone import now
from rest_framework.test import APIClient

from providers.models import Insurance
from tests.factories import TherapistFactory, verified_license

pytestmark = pytest.mark.django_db

SEARCH = reverse("providers:search")
API = "/api/v1/therapists/"


@pytest.fixture(autouse=True)
def _uncached(settings):
    settings.SEARCH_CACHE_SECONDS = 0


def findable(name: str, state: str = "NY", **kwargs):
    therapist = TherapistFactory(display_name=name, **kwargs)
    verified_license(therapist=therapist, state=state)
    return therapist


def h1(response) -> str:
    match = re.search(r'<h1 id="results-heading"[^>]*>(.*?)</h1>', response.content.decode())
    return html_lib.unescape(match.group(1))


def chips(response) -> dict[str, str]:
    """Each chip's label and link."""
    found = re.findall(
        r'<a class="chip" href="([^"]*)">(.*?)<span class="chip-remove"',
        response.content.decode(),
    )
    return {html_lib.unescape(label): html_lib.unescape(url) for url, label in found}


# --- The heading ----------------------------------------------------------------------


def test_the_heading_without_filters_is_therapists(client):
    response = client.get(SEARCH)
    assert h1(response) == "Therapists"
    assert chips(response) == {}
    assert "<title>Find a therapist · Rapport</title>" in response.content.decode()


def test_the_heading_names_each_filter_in_plain_words(client):
    aetna = findable("Ana Ruiz", formats=["in_person"], office_zip="10003")
    aetna.insurance.add(Insurance.objects.get(slug="aetna"))
    response = client.get(
        SEARCH,
        {"state": "NY", "modality": "ipt", "insurance": "aetna", "near": "10003", "radius": "10"},
    )
    expected = (
        "IPT therapists licensed in New York · in network with Aetna · within 10 miles of 10003"
    )
    assert h1(response) == expected
    assert f"<title>{expected} · Rapport</title>" in html_lib.unescape(response.content.decode())


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"modality": "group"}, "Therapists offering group therapy"),
        ({"state": "CA"}, "Therapists licensed in California"),
        ({"specialty": "grief"}, "Therapists · focusing on grief and loss"),
        ({"superbill": "true"}, "Therapists · superbill provided"),
        ({"near": "10003"}, "Therapists · within 25 miles of 10003"),
        ({"format": "in_person"}, "Therapists · in person"),
        ({"language": "es"}, "Therapists · speaking Spanish"),
        ({"gender": "woman"}, "Therapists · who are women"),
        ({"age_group": "teens"}, "Therapists · working with teens"),
        ({"lgbtq_affirming": "true"}, "Therapists · LGBTQ+ affirming"),
        ({"faith": "jewish"}, "Therapists · faith-informed (Jewish)"),
        ({"accepting": "true"}, "Therapists · accepting new clients"),
        ({"fee_max": "120"}, "Therapists · fee up to $120 or a sliding scale"),
        ({"available_within": "14"}, "Therapists · an opening within 14 days"),
        ({"q": "Hopper"}, "Therapists · matching “Hopper”"),
        ({"ordering": "fee"}, "Therapists"),  # an order, not a filter
    ],
)
def test_each_filter_has_its_words(client, params, words):
    assert h1(client.get(SEARCH, params)) == words


def test_refused_filters_leave_a_plain_heading_and_no_chips(client):
    response = client.get(SEARCH, {"near": "00000", "state": "NY"})
    assert h1(response) == "Therapists"
    assert chips(response) == {}
    # The panel is open, so the error is in view on a phone.
    assert '<details class="filter-panel" open>' in response.content.decode()


# --- Chips and the address ---------------------------------------------------------------


def test_each_chip_links_to_the_search_without_its_filter(client):
    findable("Ana Ruiz")
    response = client.get(
        SEARCH,
        {
            "state": "NY",
            "modality": "ipt",
            "near": "10003",
            "radius": "10",
            "accepting": "true",
            "ordering": "fee",
            "page": "1",
        },
    )
    assert chips(response) == {
        "Licensed in New York": (
            f"{SEARCH}?modality=ipt&near=10003&radius=10&accepting=true&ordering=fee"
        ),
        "IPT": f"{SEARCH}?state=NY&near=10003&radius=10&accepting=true&ordering=fee",
        # The distance goes with its ZIP code.
        "Within 10 miles of 10003": f"{SEARCH}?state=NY&modality=ipt&accepting=true&ordering=fee",
        "Accepting new clients": (
            f"{SEARCH}?state=NY&modality=ipt&near=10003&radius=10&ordering=fee"
        ),
    }
    html = response.content.decode()
    assert "(4 in use)" in html
    assert html.count(": remove this filter") == 4


def test_the_last_chip_links_to_the_bare_search(client):
    response = client.get(SEARCH, {"state": "NY"})
    assert chips(response) == {"Licensed in New York": SEARCH}


def test_a_chip_link_runs_the_search_without_that_filter(client):
    findable("Ana Ruiz", accepting_new_clients=False)
    first = client.get(SEARCH, {"state": "NY", "accepting": "true"})
    assert first.context["page"].paginator.count == 0
    second = client.get(chips(first)["Accepting new clients"])
    assert second.status_code == 200
    assert [t.display_name for t in second.context["page"].object_list] == ["Ana Ruiz"]


def test_blank_filters_leave_the_address(client):
    """A GET form sends every field: the address keeps only the filters in use."""
    response = client.get(
        SEARCH, {"state": "NY", "modality": "", "near": "", "radius": "", "q": "", "page": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{SEARCH}?state=NY"
    every_blank = client.get(SEARCH, {"state": "", "ordering": ""})
    assert every_blank["Location"] == SEARCH


def test_the_default_order_is_a_blank_choice_so_it_stays_out_of_the_address(client):
    html = client.get(SEARCH).content.decode()
    assert '<option value="" selected>Accepting new clients, soonest opening first</option>' in html


# --- The fee filter and the sliding scale ----------------------------------------------------


def test_the_fee_filter_includes_sliding_scale_therapists_and_says_so(client):
    findable("Cheap", fee=100)
    findable("Sliding", fee=220, sliding_scale=True)
    findable("Dear", fee=220)
    response = client.get(SEARCH, {"fee_max": "150", "ordering": "name"})
    assert [t.display_name for t in response.context["page"].object_list] == ["Cheap", "Sliding"]
    assert "sliding scale are included" in response.content.decode()
    listed = APIClient().get(API, {"fee_max": "150", "ordering": "name"}).json()["results"]
    assert [r["name"] for r in listed] == ["Cheap", "Sliding"]


# --- The default order --------------------------------------------------------------------


@pytest.fixture
def mixed():
    """Named so that name order is not the default order."""
    soon = now() + dt.timedelta(days=2)
    later = now() + dt.timedelta(days=9)
    findable("Alma Closed", accepting_new_clients=False, next_opening=soon)
    findable("Bea Noslot", accepting_new_clients=True, next_opening=None)
    findable("Cy Later", accepting_new_clients=True, next_opening=later)
    findable("Dee Soon", accepting_new_clients=True, next_opening=soon)
    findable("Abe Noslot", accepting_new_clients=True, next_opening=None)
    return ["Dee Soon", "Cy Later", "Abe Noslot", "Bea Noslot", "Alma Closed"]


def test_the_page_puts_accepting_therapists_with_the_soonest_opening_first(client, mixed):
    page = client.get(SEARCH).context["page"]
    assert [t.display_name for t in page.object_list] == mixed


def test_the_api_default_order_is_the_pages(mixed):
    results = APIClient().get(API).json()["results"]
    assert [r["name"] for r in results] == mixed


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["Abe Noslot", "Alma Closed", "Bea Noslot", "Cy Later", "Dee Soon"]),
        ("next_opening", ["Alma Closed", "Dee Soon", "Cy Later", "Abe Noslot", "Bea Noslot"]),
    ],
)
def test_an_ordering_asked_for_is_kept(mixed, ordering, expected):
    results = APIClient().get(API, {"ordering": ordering}).json()["results"]
    assert [r["name"] for r in results] == expected
