"""The search cache (providers/search_cache.py): a repeated search runs no query, answers
are kept per query, host and viewer's zone, errors are never kept, and a visitor's own
page chrome is never shared. (Writers and freshness: test_directory_changed.py.)"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import TherapistFactory, verified_license
from tests.providers.search_cache_setup import search_cache_in_redis

pytestmark = pytest.mark.django_db

SEARCH = reverse("providers:search")
API = "/api/v1/therapists/"


@pytest.fixture(autouse=True, params=["locmem", "redis"])
def cached(request, settings):
    """The cache on: in this process's memory (dev), or in Redis as deployed (its own
    database and a key prefix of this test's own, removed afterwards)."""
    settings.SEARCH_CACHE_SECONDS = 60
    if request.param == "locmem":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "search-cache-tests",
            }
        }
        from django.core.cache import cache

        cache.clear()
        yield
        cache.clear()
        return
    with search_cache_in_redis(settings):
        yield


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def names(api, **params) -> list[str]:
    response = api.get(API, params)
    assert response.status_code == 200
    return [row["name"] for row in response.json()["results"]]


def directory_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "providers_" in q["sql"]]


# --- Hits run no query ---------------------------------------------------------------


def test_a_repeated_api_search_runs_no_query(api, django_assert_num_queries):
    verified_license(therapist=TherapistFactory(display_name="Ada Byron"), state="CA")
    first = api.get(API, {"state": "CA", "modality": "ipt"})
    with django_assert_num_queries(0):
        second = api.get(API, {"modality": "ipt", "state": "CA"})  # same query, other order
    assert second.status_code == 200
    assert second.json() == first.json()
    assert [r["name"] for r in second.json()["results"]] == ["Ada Byron"]


def test_a_repeated_anonymous_page_runs_no_query_and_keeps_its_headers(
    client, django_assert_num_queries
):
    verified_license(therapist=TherapistFactory(display_name="Ada Byron"), state="CA")
    first = client.get(SEARCH, {"state": "CA"})
    with django_assert_num_queries(0):
        second = client.get(SEARCH, {"state": "CA"})
    assert second.status_code == 200
    assert second.content == first.content
    assert "Ada Byron" in second.content.decode()
    assert "Content-Security-Policy" in second.headers
    assert second.headers["X-Frame-Options"] == "DENY"
    assert not second.cookies  # no session or CSRF cookie stored with the page
    assert "csrfmiddlewaretoken" not in second.content.decode()


def test_a_signed_in_visitor_gets_the_cached_results_without_a_directory_query(client, client_user):
    verified_license(therapist=TherapistFactory(display_name="Ada Byron"), state="CA")
    client.force_login(client_user)
    client.get(SEARCH, {"state": "CA"})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SEARCH, {"state": "CA"})
    assert "Ada Byron" in response.content.decode()
    assert directory_queries(queries) == []  # only the session and the user


# --- Page chrome is never shared -----------------------------------------------------

HOME_LINK = 'href="/dashboard/"'  # a therapist's "Home" in the navigation


def test_signed_in_and_anonymous_chrome_are_never_mixed(client, therapist_user, client_user):
    verified_license(therapist=TherapistFactory(display_name="Ada Byron"), state="CA")
    anonymous = client.get(SEARCH, {"state": "CA"}).content.decode()
    assert "Log in" in anonymous and "Log out" not in anonymous

    client.force_login(therapist_user)
    as_therapist = client.get(SEARCH, {"state": "CA"}).content.decode()
    assert "Log out" in as_therapist and HOME_LINK in as_therapist
    assert "csrfmiddlewaretoken" in as_therapist  # the log-out form's own token
    assert "Ada Byron" in as_therapist

    client.force_login(client_user)
    as_client = client.get(SEARCH, {"state": "CA"}).content.decode()
    assert "My sessions" in as_client and HOME_LINK not in as_client

    client.logout()
    again = client.get(SEARCH, {"state": "CA"}).content.decode()
    assert "Log in" in again and "Log out" not in again and HOME_LINK not in again
    assert "csrfmiddlewaretoken" not in again


def test_an_anonymous_visitor_with_a_message_waiting_still_sees_it(client, therapist_user):
    client.get(SEARCH)  # the anonymous page, now cached whole
    client.force_login(therapist_user)
    client.post(reverse("accounts:logout"))  # anonymous again, with "You are logged out."
    page = client.get(SEARCH).content.decode()
    assert "You are logged out." in page and "Log in" in page
    assert "You are logged out." not in client.get(SEARCH).content.decode()  # shown once


def test_the_page_shows_times_in_the_viewers_zone(client, client_user):
    therapist = TherapistFactory(next_opening=dt.datetime(2031, 1, 6, 15, 0, tzinfo=dt.UTC))
    verified_license(therapist=therapist, state="CA")
    assert "10:00 AM ET" in client.get(SEARCH).content.decode()
    client_user.timezone = "America/Los_Angeles"
    client_user.save()
    client.force_login(client_user)
    assert "7:00 AM PT" in client.get(SEARCH).content.decode()


# --- Different queries, different entries; errors never cached -----------------------


def test_different_queries_never_share_an_entry(api, client):
    for i in range(3):
        verified_license(therapist=TherapistFactory(display_name=f"Cal {i}"), state="CA")
    verified_license(therapist=TherapistFactory(display_name="Newton"), state="NY")
    assert names(api, state="CA") == ["Cal 0", "Cal 1", "Cal 2"]
    assert names(api, state="NY") == ["Newton"]
    assert names(api, state="CA", page_size=2) == ["Cal 0", "Cal 1"]
    assert names(api, state="CA", page_size=2, page=2) == ["Cal 2"]
    assert names(api, state="CA", ordering="-fee", page_size=1) == ["Cal 0"]
    assert "Newton" in client.get(SEARCH, {"state": "NY"}).content.decode()
    assert "Newton" not in client.get(SEARCH, {"state": "CA"}).content.decode()
    page2 = client.get(SEARCH, {"state": "CA", "page": "2"}).content.decode()
    assert "Cal 0" in page2  # one page only: the paginator shows the last page


def test_the_api_answer_is_keyed_by_the_host_it_was_asked_on(api):
    verified_license(therapist=TherapistFactory(), state="CA")
    local = api.get(API, HTTP_HOST="localhost").json()["results"][0]["url"]
    other = api.get(API, HTTP_HOST="127.0.0.1").json()["results"][0]["url"]
    assert local.startswith("http://localhost/") and other.startswith("http://127.0.0.1/")


def test_bad_filters_are_answered_each_time_and_never_cached(api, client):
    verified_license(therapist=TherapistFactory(), state="CA")
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(API, {"language": "xx"})
        assert response.status_code == 400
        assert "language" in response.json()
        assert directory_queries(queries)  # validated again, not served from the cache
        assert api.get(API, {"page": "99"}).status_code == 400  # past the last page
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(SEARCH, {"modality": "not-a-therapy"})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert directory_queries(queries)


def test_the_cache_can_be_turned_off(settings, api):
    settings.SEARCH_CACHE_SECONDS = 0
    verified_license(therapist=TherapistFactory(), state="CA")
    api.get(API)
    with CaptureQueriesContext(connection) as queries:
        api.get(API)
    assert directory_queries(queries)


def test_the_cached_api_answer_has_the_uncached_headers(api, settings):
    verified_license(therapist=TherapistFactory(), state="CA")
    settings.SEARCH_CACHE_SECONDS = 0
    uncached = api.get(API, {"state": "CA"})
    settings.SEARCH_CACHE_SECONDS = 60
    api.get(API, {"state": "CA"})
    cached = api.get(API, {"state": "CA"})
    for header in ("Content-Type", "Vary", "Allow", "Content-Security-Policy"):
        assert cached.headers.get(header) == uncached.headers.get(header), header
    assert cached.content == uncached.content
    indented = api.get(API, {"state": "CA"}, HTTP_ACCEPT="application/json; indent=2")
    assert indented.content.startswith(b'{\n  "count"')  # another media type, another entry
    browser = api.get(API, {"state": "CA"}, HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert browser.status_code == 200 and browser.content == uncached.content
