"""Browse by state (issue 17.6): the index of states with their counts, a state's page and
a state-and-therapy's page (the search's own cards and results), their canonical
addresses, titles and descriptions, the sitemap, robots.txt naming it, the search cache
keeping them fresh, and their query counts."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from accounts.places import US_STATES
from providers import browse, licensing, profiles
from providers.models import License, Modality
from providers.sitemaps import TherapistSitemap
from tests.factories import LicenseFactory, TherapistFactory, make_verifier, verified_license
from tests.providers.search_cache_setup import search_cache_in_redis
from therapy_directory import clock

pytestmark = pytest.mark.django_db

SITE = "https://rapport.example"
INDEX = "/therapists/in/"
NEW_YORK = "/therapists/in/new-york/"
NEW_YORK_IPT = "/therapists/in/new-york/ipt/"
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "MERGE")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def findable(name: str, *states: str, **fields):
    therapist = TherapistFactory(display_name=name, **fields)
    for state in states:
        verified_license(therapist=therapist, state=state)
    return therapist


@pytest.fixture
def directory():
    """New York: two findable IPT therapists (one also licensed in New Jersey, one also
    offering CBT), one not accepting new clients (still listed, as in the search); a
    pending, an expired and a rejected license there (not listed); California: one."""
    yesterday = clock.today() - dt.timedelta(days=1)
    people = {
        "ada": findable("Ada Byron", "NY", "NJ", modalities=["ipt"]),
        "bea": findable("Bea Curie", "NY", modalities=["ipt", "cbt"]),
        "cy": findable("Cy Young", "NY", modalities=["cbt"], accepting_new_clients=False),
        "cal": findable("Cal Ripken", "CA", modalities=["ipt"]),
        "pending": TherapistFactory(display_name="Pia Pending", modalities=["ipt"]),
        "expired": TherapistFactory(display_name="Eli Expired", modalities=["ipt"]),
        "rejected": TherapistFactory(display_name="Rae Rejected", modalities=["ipt"]),
    }
    LicenseFactory(therapist=people["pending"], state="NY")
    verified_license(therapist=people["expired"], state="NY", expires_on=yesterday)
    LicenseFactory(therapist=people["rejected"], state="NY", status=License.Status.REJECTED)
    # A license marked expired by the nightly task, for someone licensed elsewhere.
    LicenseFactory(
        therapist=people["cal"], state="NY", status=License.Status.EXPIRED, verified_on=yesterday
    )
    return people


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def card_names(html: str) -> list[str]:
    return re.findall(r'class="card-title" id="t\d+-name"><a href="[^"]*">([^<]+)</a>', html)


def cards(html: str) -> list[str]:
    return re.findall(r'<li class="card">.*?</article>\s*</li>', html, re.S)


def state_counts(html: str) -> dict[str, str]:
    pattern = r'<li><a href="/therapists/in/([a-z-]+)/">[^<]+</a> <span class="count">([^<]+)<'
    return dict(re.findall(pattern, html))


def modality_counts(html: str) -> dict[str, str]:
    section = html.split('id="therapies-heading"', 1)[1].split("</section>", 1)[0]
    return {
        name: count
        for name, count in re.findall(
            r'>([^<>]+)</(?:a|span)>\s*<span class="count">([^<]+)</span>', section
        )
    }


def head(html: str, pattern: str) -> list[str]:
    return re.findall(pattern, html.split("</head>", 1)[0])


# --- The index ---------------------------------------------------------------------------


def test_the_index_lists_every_state_with_how_many_therapists_its_search_finds(client, directory):
    html = text(client.get(INDEX))
    counts = state_counts(html)
    assert len(counts) == len(US_STATES) == 51
    assert counts["new-york"] == "3 therapists"  # not the pending, expired or rejected
    assert counts["new-jersey"] == "1 therapist"
    assert counts["california"] == "1 therapist"
    assert counts["texas"] == "none yet"
    # The same numbers as the search, state by state.
    for code, name in US_STATES:
        found = browse.search_in(code).qs.count()
        assert counts[browse.STATE_SLUGS[code]] == (
            f"{found} therapist{'s' if found != 1 else ''}" if found else "none yet"
        ), name


def test_a_therapist_licensed_twice_in_a_state_is_counted_once(client):
    ada = findable("Ada Byron", "NY")
    verified_license(therapist=ada, state="NY", license_type="LMHC")
    assert state_counts(text(client.get(INDEX)))["new-york"] == "1 therapist"


@pytest.mark.parametrize("how_many", [1, 8])
def test_the_index_counts_every_state_in_one_query(client, django_assert_num_queries, how_many):
    for i in range(how_many):
        findable(f"Therapist {i}", "NY", "CA", "TX")
    with django_assert_num_queries(1):  # one GROUP BY state
        client.get(INDEX)


def test_the_index_is_linked_from_the_search_and_from_every_pages_footer(client):
    search = text(client.get(reverse("providers:search")))
    assert search.count(f'href="{INDEX}"') == 2  # under the results, and in the footer
    groups = text(client.get(reverse("booking:groups")))
    assert f'<a href="{INDEX}">Therapists by state</a>' in groups


# --- A state's page ----------------------------------------------------------------------


def test_a_state_page_lists_the_therapists_licensed_and_verified_there(client, directory):
    html = text(client.get(NEW_YORK))
    assert "<h1>Therapists licensed in New York</h1>" in html
    # By name, as the search: the one not accepting new clients is listed too.
    assert card_names(html) == ["Ada Byron", "Bea Curie", "Cy Young"]
    assert "Not accepting new clients" in html
    assert "3 therapists are licensed to treat people who live in New York" in html
    assert f'href="{escape("/therapists/?state=NY")}"' in html  # the full search


def test_a_state_page_shows_the_searchs_own_cards(client, directory):
    """The same cards, links and all, as the search for that state (and therapy)."""
    for page, search in [
        (NEW_YORK, {"state": "NY"}),
        (NEW_YORK_IPT, {"state": "NY", "modality": "ipt"}),
        ("/therapists/in/california/", {"state": "CA"}),
    ]:
        searched = cards(text(client.get(reverse("providers:search"), search)))
        assert searched
        assert cards(text(client.get(page))) == searched, page


def test_a_state_page_counts_its_therapists_per_therapy_and_links_to_each(client, directory):
    html = text(client.get(NEW_YORK))
    assert modality_counts(html) == {
        "Cognitive Behavioral Therapy (CBT)": "2 therapists",
        "Group therapy": "none yet",
        "Interpersonal Therapy (IPT)": "2 therapists",
    }
    assert 'href="/therapists/in/new-york/ipt/">Interpersonal Therapy (IPT)</a>' in html
    assert 'href="/therapists/in/new-york/cbt/">Cognitive Behavioral Therapy (CBT)</a>' in html
    assert "/therapists/in/new-york/group/" not in html  # no one to link to


def test_a_state_and_therapy_page_lists_those_who_offer_it(client, directory):
    html = text(client.get(NEW_YORK_IPT))
    assert "<h1>IPT therapists licensed in New York</h1>" in html
    assert card_names(html) == ["Ada Byron", "Bea Curie"]
    assert "2 therapists are licensed to treat people who live in New York and offer" in html
    assert f'href="{escape("/therapists/?state=NY&modality=ipt")}"' in html
    # The therapy's own link is the current page; the state's page is one step up.
    assert 'href="/therapists/in/new-york/ipt/" aria-current="page"' in html
    assert '<a href="/therapists/in/new-york/">New York</a>' in html
    # A card's links carry the search, as the search's do: the profile preselects IPT.
    assert (
        f'href="{escape(directory["ada"].get_absolute_url() + "?state=NY&modality=ipt")}"' in html
    )


def test_a_therapy_no_one_offers_in_the_state_has_a_page_that_says_so(client, directory):
    html = text(client.get("/therapists/in/new-york/group/"))
    assert "<h1>Therapists licensed in New York offering group therapy</h1>" in html
    assert card_names(html) == []
    assert "No therapist here yet" in html


def test_a_state_with_no_therapist_yet_has_a_page_that_says_so(client, directory):
    html = text(client.get("/therapists/in/wyoming/"))
    assert "<h1>Therapists licensed in Wyoming</h1>" in html
    assert "No therapist is yet licensed to treat people who live in Wyoming" in html
    assert f'href="{INDEX}"' in html


@pytest.mark.parametrize(
    "url",
    [
        "/therapists/in/NY/",
        "/therapists/in/ny/",
        "/therapists/in/New-York/",
        "/therapists/in/new_york/",
        "/therapists/in/newyork/",
        "/therapists/in/atlantis/",
        "/therapists/in/atlantis/ipt/",
        "/therapists/in/new-york/no-such-therapy/",
        "/therapists/in/new-york/IPT/",
        "/therapists/in/new-york/ipt/extra/",
    ],
)
def test_an_unknown_state_or_therapy_is_a_404(client, directory, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Interpersonal Therapy (IPT)", "IPT therapists licensed in New York"),
        ("Dialectical Behavior Therapy (DBT)", "DBT therapists licensed in New York"),
        ("Group therapy", "Therapists licensed in New York offering group therapy"),
        ("EMDR", "Therapists licensed in New York offering EMDR"),
    ],
)
def test_a_pages_heading_names_the_therapy_by_what_people_call_it(name, expected):
    assert browse.heading("NY", Modality(slug="x", name=name)) == expected


def test_state_addresses_are_the_states_names():
    assert browse.STATE_SLUGS["NY"] == "new-york"
    assert browse.STATE_SLUGS["DC"] == "district-of-columbia"
    assert browse.state_code("new-york") == "NY"
    assert browse.state_code("NY") is None
    assert len(set(browse.STATE_SLUGS.values())) == 51


def test_no_profile_can_take_the_address_of_the_state_index(client):
    assert profiles.unique_slug("In") != "in"
    assert profiles.unique_slug("In").startswith("in-")


# --- Pages of results and query counts ----------------------------------------------------


def test_a_state_page_is_paginated_like_the_search(client):
    for i in range(21):
        findable(f"Therapist {i:02d}", "NY")
    first = text(client.get(NEW_YORK))
    assert len(card_names(first)) == 20
    assert "21 therapists · page 1 of 2" in first
    assert f'href="{NEW_YORK}?page=2" rel="next"' in first
    second = text(client.get(NEW_YORK, {"page": "2"}))
    assert card_names(second) == ["Therapist 20"]
    assert f'href="{NEW_YORK}" rel="prev"' in second  # the first page is the page itself
    assert head(second, r"<title>(.*?)</title>") == [
        "Therapists licensed in New York · page 2 · Rapport"
    ]
    assert head(second, r'<link rel="canonical" href="([^"]+)">') == [f"{SITE}{NEW_YORK}?page=2"]
    # Past the last page: the last page, as the search.
    assert card_names(text(client.get(NEW_YORK, {"page": "9"}))) == ["Therapist 20"]


# The therapies with their counts, the COUNT and the page (cards' relations as arrays);
# a therapy's page validates its slug as the search does (the list of therapies).
STATE_QUERIES = 3
MODALITY_QUERIES = 4


@pytest.mark.parametrize("how_many", [1, 25])
def test_a_state_page_runs_the_same_queries_however_many_therapists(
    client, django_assert_num_queries, how_many
):
    for i in range(how_many):
        therapist = findable(f"Therapist {i:02d}", "NY", "NJ", modalities=["ipt", "cbt"])
        verified_license(therapist=therapist, state="CA")
    with django_assert_num_queries(STATE_QUERIES):
        html = text(client.get(NEW_YORK))
    assert len(card_names(html)) == min(how_many, 20)
    with django_assert_num_queries(MODALITY_QUERIES):
        html = text(client.get(NEW_YORK_IPT, {"page": "2"}))
    assert len(card_names(html)) == {1: 1, 25: 5}[how_many]  # past the last: the last


# --- Head: canonical address, title and description --------------------------------------


def test_each_page_names_its_canonical_address_on_the_sites_public_address(client, directory):
    for url, canonical in [
        (INDEX + "?utm_source=mail", INDEX),
        (NEW_YORK + "?modality=cbt&page=1", NEW_YORK),
        (NEW_YORK_IPT + "?page=abc", NEW_YORK_IPT),
        (NEW_YORK_IPT + "?page=²", NEW_YORK_IPT),
    ]:
        html = text(client.get(url, HTTP_HOST="localhost"))
        assert head(html, r'<link rel="canonical" href="([^"]+)">') == [SITE + canonical], url


def test_a_profile_names_its_canonical_address_without_the_search(client, directory):
    ada = directory["ada"].get_absolute_url()
    html = text(client.get(ada, {"state": "NY", "modality": "ipt"}))
    assert head(html, r'<link rel="canonical" href="([^"]+)">') == [SITE + ada]


def test_each_page_has_its_own_title_and_description(client, directory):
    seen = {}
    for url, title in [
        (INDEX, "Therapists by state"),
        (NEW_YORK, "Therapists licensed in New York"),
        (NEW_YORK_IPT, "IPT therapists licensed in New York"),
        ("/therapists/in/wyoming/", "Therapists licensed in Wyoming"),
    ]:
        html = text(client.get(url))
        assert head(html, r"<title>(.*?)</title>") == [f"{title} · Rapport"]
        [description] = head(html, r'<meta name="description" content="([^"]+)">')
        seen[url] = description
    assert seen[NEW_YORK_IPT].startswith("IPT therapists licensed in New York: 2 on Rapport")
    assert seen["/therapists/in/wyoming/"].startswith(
        "Therapists licensed in Wyoming: none on Rapport yet"
    )
    default = head(
        text(client.get(reverse("providers:search"))),
        r'<meta name="description" content="([^"]+)">',
    )
    assert len(set(seen.values()) | set(default)) == len(seen) + 1


# --- The sitemap and robots.txt --------------------------------------------------------------


def xml_locations(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/xml"
    # Well-formed XML, or this raises. Our own answer, not untrusted input.
    root = ET.fromstring(response.content)  # noqa: S314
    return [loc.text for loc in root.iterfind(".//sm:loc", SITEMAP_NS)]


def sitemap(client) -> list[str]:
    """Every address the sitemap lists, through its index."""
    listed = []
    for location in xml_locations(client, "/sitemap.xml"):
        assert location.startswith(SITE + "/sitemap-"), location
        parts = urlsplit(location)
        listed += xml_locations(client, parts.path + (f"?{parts.query}" if parts.query else ""))
    return listed


def test_the_sitemap_lists_the_state_pages_the_therapy_pages_with_someone_and_the_profiles(
    client, directory
):
    listed = sitemap(client)
    assert len(listed) == len(set(listed))
    states = [f"{SITE}/therapists/in/{browse.STATE_SLUGS[code]}/" for code, _ in US_STATES]
    therapies = [
        f"{SITE}/therapists/in/{state}/{therapy}/"
        for state, therapy in [
            ("california", "ipt"),
            ("new-jersey", "ipt"),
            ("new-york", "cbt"),
            ("new-york", "ipt"),
        ]
    ]
    profiles_ = [SITE + directory[who].get_absolute_url() for who in ("ada", "bea", "cal", "cy")]
    assert sorted(listed) == sorted([SITE + INDEX, *states, *therapies, *profiles_])
    # Each is a page that answers.
    for location in listed:
        assert client.get(location.removeprefix(SITE)).status_code == 200, location


def test_the_sitemaps_therapists_come_in_files_of_at_most_its_limit(client, directory, monkeypatch):
    monkeypatch.setattr(TherapistSitemap, "limit", 3)
    files = xml_locations(client, "/sitemap.xml")
    assert files == [
        f"{SITE}/sitemap-directory.xml",
        f"{SITE}/sitemap-therapists.xml",
        f"{SITE}/sitemap-therapists.xml?p=2",
    ]
    assert len(xml_locations(client, "/sitemap-therapists.xml")) == 3
    assert len(xml_locations(client, "/sitemap-therapists.xml?p=2")) == 1
    for missing in ["?p=3", "?p=0", "?p=abc", "?p=-1", "?p=²", "?p=1" + "0" * 30]:
        assert client.get("/sitemap-therapists.xml" + missing).status_code == 404, missing
    assert client.get("/sitemap-nothing.xml").status_code == 404


@pytest.mark.parametrize("how_many", [1, 6])
def test_the_sitemap_runs_the_same_queries_however_many_therapists(
    client, django_assert_num_queries, how_many
):
    for i in range(how_many):
        findable(f"Therapist {i}", "NY", "CA", modalities=["ipt", "cbt"])
    with django_assert_num_queries(2):  # the therapy pages; the profiles' COUNT
        client.get("/sitemap.xml")
    with django_assert_num_queries(1):
        client.get("/sitemap-directory.xml")
    with django_assert_num_queries(2):  # COUNT, and the page of slugs
        client.get("/sitemap-therapists.xml")


def test_robots_txt_names_the_sitemap_on_the_sites_public_address(client):
    response = client.get("/robots.txt", HTTP_HOST="localhost")
    robots = RobotFileParser()
    robots.parse(response.content.decode().splitlines())
    assert robots.site_maps() == [f"{SITE}/sitemap.xml"]
    for url in [INDEX, NEW_YORK, NEW_YORK_IPT, "/sitemap.xml", "/sitemap-therapists.xml"]:
        assert robots.can_fetch("*", url), url


# --- Reads only ------------------------------------------------------------------------------


def test_a_get_of_any_browse_page_or_sitemap_writes_nothing(client, directory, client_user):
    urls = [INDEX, NEW_YORK, NEW_YORK_IPT, "/sitemap.xml", "/sitemap-directory.xml",
            "/sitemap-therapists.xml", "/robots.txt"]  # fmt: skip
    for signed_in in (False, True):
        if signed_in:
            client.force_login(client_user)
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200, url
            written = [
                q["sql"]
                for q in queries
                if q["sql"].lstrip().upper().startswith(WRITES)
                and '"django_session"' not in q["sql"]
            ]
            assert written == [], (url, written)


def test_only_get_and_head_are_answered(client):
    for url in [INDEX, NEW_YORK, NEW_YORK_IPT, "/sitemap.xml", "/sitemap-directory.xml"]:
        assert client.post(url).status_code == 405, url
        assert client.head(url).status_code == 200, url


# --- Cached, and fresh at once ---------------------------------------------------------------


@pytest.fixture
def redis_cache(settings):
    with search_cache_in_redis(settings):
        yield


def test_a_repeated_page_runs_no_query_and_a_visitor_keeps_their_own_header(
    client, client_user, directory, redis_cache, django_assert_num_queries
):
    for url in [INDEX, NEW_YORK, NEW_YORK_IPT, "/sitemap.xml", "/sitemap-therapists.xml"]:
        first = client.get(url)
        with django_assert_num_queries(0):
            again = client.get(url)
        assert again.content == first.content, url
    client.force_login(client_user)
    html = text(client.get(NEW_YORK))
    assert "Log out" in html and card_names(html) == ["Ada Byron", "Bea Curie", "Cy Young"]
    client.logout()
    assert "Log out" not in text(client.get(NEW_YORK))


@pytest.mark.django_db(transaction=True)
def test_a_newly_verified_license_shows_on_the_state_pages_and_the_sitemap_at_once(redis_cache):
    findable("Ada Byron", "NY")
    dee = TherapistFactory(display_name="Dee Newman", modalities=["ipt"])
    pending = LicenseFactory(therapist=dee, state="NY")
    visitor = Client()

    def seen() -> tuple:
        return (
            card_names(text(visitor.get(NEW_YORK))),
            card_names(text(visitor.get(NEW_YORK_IPT))),
            state_counts(text(visitor.get(INDEX)))["new-york"],
            SITE + dee.get_absolute_url() in sitemap(visitor),
        )

    assert seen() == (["Ada Byron"], ["Ada Byron"], "1 therapist", False)
    with CaptureQueriesContext(connection) as queries:
        seen()
    assert not [q for q in queries if "providers_" in q["sql"]]  # all from the cache

    licensing.verify_license(license_id=pending.pk, by=make_verifier(), source="NY board")

    assert seen() == (
        ["Ada Byron", "Dee Newman"],
        ["Ada Byron", "Dee Newman"],
        "2 therapists",
        True,
    )


@pytest.mark.django_db(transaction=True)
def test_a_profile_change_shows_on_the_state_page_at_once(redis_cache):
    ada = findable("Ada Byron", "NY")
    assert "Accepting new clients" in text(Client().get(NEW_YORK))
    profiles.update_profile(therapist=ada, by=ada.user, accepting_new_clients=False)
    html = text(Client().get(NEW_YORK))
    assert "Not accepting new clients" in html and card_names(html) == ["Ada Byron"]
