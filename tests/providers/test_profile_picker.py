"""The profile around the course picker, and the search cards that lead to it: a
therapist not accepting new clients shows no opening, no picker and no book button (page
and API); the profile warns first when the therapist is not licensed in the viewer's
state or the search's; card links carry the search, and "Back to the search" keeps it."""

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from booking.courses import services
from providers import profiles
from tests.booking.helpers import at, book, bookable_therapist, client_in, committed

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)
frozen = time_machine.travel(MONDAY, tick=False)
SEARCH = reverse("providers:search")


def text(html: str) -> str:
    return unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


def stop_accepting(therapist):
    with committed():
        profiles.update_profile(therapist=therapist, by=therapist.user, accepting_new_clients=False)
    therapist.refresh_from_db()
    return therapist


def card_of(html: str, name: str) -> str:
    cards = re.findall(r'<li class="card">.*?</article>', html, re.S)
    (card,) = [c for c in cards if name in c]
    return card


# --- Not accepting new clients --------------------------------------------------------------


@frozen
def test_a_therapist_who_stops_accepting_has_no_next_opening_stored():
    therapist = bookable_therapist()
    assert therapist.next_opening is not None
    assert stop_accepting(therapist).next_opening is None


@frozen
def test_a_full_therapists_profile_has_no_opening_no_picker_and_invites_an_alert(client):
    therapist = stop_accepting(bookable_therapist(display_name="Full Fred"))

    html = client.get(therapist.get_absolute_url(), {"state": "NY", "modality": "ipt"})
    page = html.content.decode()

    assert "Full Fred is not accepting new clients at the moment" in text(page)
    assert "Next opening" not in page
    assert 'class="week-grid"' not in page and 'class="picker-length"' not in page
    assert (
        "Request these" not in page and reverse("booking:book", args=[therapist.slug]) not in page
    )
    assert "Availability alerts are coming soon" in page
    assert f'href="{SEARCH}?state=NY&amp;modality=ipt&amp;accepting=true"' in page


@frozen
def test_the_booking_page_of_a_full_therapist_offers_no_times_either(client):
    therapist = stop_accepting(bookable_therapist(display_name="Full Fred"))
    client.force_login(client_in())
    page = client.get(reverse("booking:book", args=[therapist.slug])).content.decode()
    assert 'class="week-grid"' not in page and "Mondays at" not in page
    assert "Full Fred is not accepting new clients at the moment" in text(page)
    assert "Availability alerts are coming soon" in page


@frozen
def test_a_full_therapists_returning_client_still_sees_the_picker(client):
    therapist = bookable_therapist()
    returning = client_in()
    course = book(returning, therapist, at(dt.date(2026, 11, 17), 10), weeks=1)
    services.confirm_booking(booking_id=course.pk, by=therapist.user)
    stop_accepting(therapist)
    client.force_login(returning)
    assert 'class="week-grid"' in client.get(therapist.get_absolute_url()).content.decode()


@frozen
def test_a_full_therapists_card_offers_no_opening_and_no_booking(client):
    therapist = stop_accepting(bookable_therapist(display_name="Full Fred"))
    # Even an opening stored before a recompute (the beat's sweep) is not shown.
    type(therapist).objects.filter(pk=therapist.pk).update(next_opening=at(dt.date(2026, 12, 1), 9))
    card = card_of(client.get(SEARCH, {"state": "NY"}).content.decode(), "Full Fred")
    assert "Not accepting new clients" in card
    assert "Next opening" not in card and "Book a 12-week course" not in card


@frozen
def test_the_api_answers_no_next_opening_for_a_full_therapist_and_sorts_it_last():
    full = stop_accepting(bookable_therapist(display_name="Anna Full"))
    open_ = bookable_therapist(display_name="Zoe Open")
    api = APIClient()

    listed = api.get("/api/v1/therapists/", {"ordering": "next_opening"}).json()["results"]
    detail = api.get(f"/api/v1/therapists/{full.pk}/").json()

    assert [(r["id"], r["next_opening"] is None) for r in listed] == [
        (open_.pk, False),
        (full.pk, True),
    ]
    assert detail["next_opening"] is None
    assert detail["accepting_new_clients"] is False


# --- The license warning ----------------------------------------------------------------------


@frozen
def test_a_client_in_a_state_without_a_license_is_warned_before_the_picker(client):
    therapist = bookable_therapist(state="NY", display_name="Ana Ruiz")
    client.force_login(client_in(state="CA", tz="America/Los_Angeles"))

    page = client.get(therapist.get_absolute_url()).content.decode()

    warning = page.index('id="license-warning"')
    assert warning < page.index('id="book"')
    assert (
        "Ana Ruiz is not licensed in California, where you live, so they can’t be your "
        "therapist while you live there." in text(page)
    )
    assert "Ana Ruiz holds one in New York" in text(page)
    assert f'<a href="{SEARCH}?state=CA">See therapists licensed in California</a>' in page
    assert "Request these" not in page
    assert "holds no verified, current license" not in page  # said once, at the top


@frozen
def test_a_visitor_who_searched_another_state_is_warned(client):
    therapist = bookable_therapist(state="NY", display_name="Ana Ruiz")
    page = client.get(therapist.get_absolute_url(), {"state": "CA", "modality": "ipt"})
    html = page.content.decode()
    assert "Ana Ruiz is not licensed in California, the state you searched for" in text(html)
    assert f'href="{SEARCH}?modality=ipt&amp;state=CA">See therapists licensed in California' in (
        html
    )


@frozen
@pytest.mark.parametrize("search_state", ["", "NY", "ZZ"])
def test_no_warning_where_the_therapist_is_licensed_or_the_state_is_unknown(client, search_state):
    therapist = bookable_therapist(state="NY")
    html = client.get(therapist.get_absolute_url(), {"state": search_state}).content.decode()
    assert 'id="license-warning"' not in html


@frozen
def test_the_clients_own_state_counts_before_the_searched_one(client):
    therapist = bookable_therapist(state="NY")
    client.force_login(client_in(state="NY"))
    html = client.get(therapist.get_absolute_url(), {"state": "CA"}).content.decode()
    assert 'id="license-warning"' not in html


# --- The search carried along -------------------------------------------------------------


@frozen
def test_the_cards_links_carry_the_search_to_the_profile(client):
    bookable_therapist(display_name="Ana Ruiz")
    html = client.get(
        SEARCH, {"state": "NY", "modality": "ipt", "q": ""}, follow=True
    ).content.decode()
    card = card_of(html, "Ana Ruiz")
    links = re.findall(r'href="(/therapists/[^"]+)"', card)
    assert links and all("?state=NY&amp;modality=ipt" in link for link in links)
    assert any(link.endswith("?state=NY&amp;modality=ipt#book") for link in links)


@frozen
def test_back_to_the_search_keeps_the_filters_but_not_the_pickers_choices(client):
    therapist = bookable_therapist()
    html = client.get(
        therapist.get_absolute_url(),
        {"state": "NY", "modality": "ipt", "page": "2", "weeks": "16", "time": "tue-1000"},
    ).content.decode()
    back = f'<a href="{SEARCH}?state=NY&amp;modality=ipt&amp;page=2">← Back to the search</a>'
    assert back in html


def test_back_to_the_search_without_a_search_is_the_search(client):
    therapist = bookable_therapist()
    html = client.get(therapist.get_absolute_url()).content.decode()
    assert f'<a href="{SEARCH}">← Back to the search</a>' in html
