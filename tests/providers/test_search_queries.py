"""The search page and the search API run a constant number of queries whatever the
filters and however many results a page holds (the issue allows 8): the page 7, the API 2
plus one per list filter used. No query per result. Counted, never timed (timings live in
bench/, not in the tests)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.timezone import now
from rest_framework.test import APIClient

from providers.models import Faith, Insurance, Language, License, Specialty
from tests.factories import LicenseFactory, TherapistFactory, verified_license

pytestmark = pytest.mark.django_db

SEARCH = reverse("providers:search")
API = "/api/v1/therapists/"
# HTML: the five filter lists (modality, specialty, language, insurance, faith), the COUNT
# and the page (cards' relations as arrays).
HTML_QUERIES = 7
# API: the COUNT and the page, plus one per list filter used (modality, specialty,
# language, insurance, faith: validating the slug reads its list).
LIST_FILTERS = {"modality", "specialty", "language", "insurance", "faith"}
API_QUERIES = 2

FILTERS = [
    {},
    {"state": "CA"},
    {"state": "CA", "modality": "ipt"},
    {"modality": "cbt", "language": "es", "ordering": "next_opening"},
    {
        "state": "CA",
        "modality": "ipt",
        "specialty": "grief",
        "language": "es",
        "format": "telehealth",
        "accepting": "true",
        "fee_max": "200",
        "available_within": "30",
        "q": "Hopper",
        "ordering": "-fee",
    },
    # Rule 13 (issue 17): insurance and identity, alone and with the others.
    {"insurance": "aetna"},
    {"superbill": "true", "gender": "woman", "age_group": "adults"},
    {
        "state": "CA",
        "modality": "ipt",
        "insurance": "aetna",
        "superbill": "true",
        "gender": "woman",
        "age_group": "adults",
        "lgbtq_affirming": "true",
        "faith": "jewish",
        "language": "es",
        "ordering": "name",
    },
    # Distance: one query more, for where the ZIP code is.
    {"state": "CA", "near": "10001", "radius": "50", "ordering": "distance"},
]
# The filters whose values the API looks up first: one query each.
LOOKUPS = LIST_FILTERS | {"near"}


@pytest.fixture(autouse=True)
def _uncached(settings):
    """These counts are of the uncached path: the search cache is off here explicitly
    (tests/providers/test_search_cache.py counts the cached one: no query at all)."""
    settings.SEARCH_CACHE_SECONDS = 0


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def add_matching(count: int) -> None:
    """``count`` therapists who match every filter above, each with two licenses, two
    modalities, two languages and a specialty (so every prefetch has rows)."""
    grief = Specialty.objects.get(slug="grief")
    languages = list(Language.objects.filter(code__in=["en", "es"]))
    plans = list(Insurance.objects.filter(slug__in=["aetna", "medicare"]))
    for i in range(count):
        therapist = TherapistFactory(
            display_name=f"Grace Hopper {i}",
            modalities=["ipt", "cbt"],
            fee=100 + i,
            next_opening=now() + dt.timedelta(days=3),
            superbill=True,
            gender="woman",
            age_groups=["teens", "adults"],
            lgbtq_affirming=True,
            faith=Faith.objects.get(slug="jewish"),
        )
        therapist.specialties.add(grief)
        therapist.languages.add(*languages)
        therapist.insurance.add(*plans)
        verified_license(therapist=therapist, state="CA")
        verified_license(therapist=therapist, state="NY")


def count_queries(client, url: str, params: dict) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_the_search_page_runs_the_same_few_queries_for_1_or_many_results(client, filters):
    counts = []
    total = 0
    for more in (1, 6, 18):  # 1, 7 and 25 results: a short page, a full page and two pages
        add_matching(more)
        total += more
        queries, response = count_queries(client, SEARCH, filters)
        assert response.context["page"].paginator.count == total
        assert len(response.context["page"].object_list) == min(total, 20)
        html = response.content.decode()
        # Every card's insurance and identity lines, with no query of their own.
        assert html.count("In network with Aetna, Medicare") == min(total, 20)
        assert html.count("Woman · LGBTQ+ affirming · Faith-informed (Jewish)") == min(total, 20)
        counts.append(queries)
    assert counts[0] <= HTML_QUERIES + ("near" in filters)
    assert len(set(counts)) == 1, counts


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_the_search_api_runs_the_same_few_queries_at_any_page_size(api, filters):
    add_matching(25)
    counts = []
    for page_size in (1, 5, 20, 100):
        queries, response = count_queries(api, API, {**filters, "page_size": page_size})
        body = response.json()
        assert body["count"] == 25
        assert len(body["results"]) == min(page_size, 25)
        assert all(set(r["states"]) == {"CA", "NY"} for r in body["results"])
        assert all(r["insurance"] == ["aetna", "medicare"] for r in body["results"])
        counts.append(queries)
    lists_used = len(LOOKUPS & set(filters))
    assert counts[0] <= API_QUERIES + lists_used
    assert len(set(counts)) == 1, counts


def test_a_later_page_runs_as_few_queries_as_the_first(client, api):
    add_matching(45)
    first, _ = count_queries(client, SEARCH, {"state": "CA"})
    third, response = count_queries(client, SEARCH, {"state": "CA", "page": 3})
    assert len(response.context["page"].object_list) == 5
    assert third == first
    first, _ = count_queries(api, API, {"state": "CA"})
    third, response = count_queries(api, API, {"state": "CA", "page": 3})
    assert len(response.json()["results"]) == 5
    assert third == first


def test_the_filter_lists_are_read_once_and_still_validate_the_choice(client, api):
    add_matching(1)
    _, response = count_queries(client, SEARCH, {"modality": "ipt"})
    form = response.context["form"]
    assert form.cleaned_data["modality"].slug == "ipt"
    assert 'value="ipt" selected' in response.content.decode()
    _, response = count_queries(client, SEARCH, {"modality": "not-a-therapy"})
    assert response.context["page"] is None
    assert "Select a valid choice" in str(response.context["form"].errors["modality"])
    response = api.get(API, {"language": "xx"})
    assert response.status_code == 400
    assert "language" in response.json()


def test_the_cards_show_what_the_profile_shows(client, api):
    """The page query's arrays say the same as the prefetched rows the profile uses:
    modalities and languages in name order, valid licenses only, by state."""
    therapist = TherapistFactory(display_name="Ada Byron", modalities=["group", "ipt", "cbt"])
    therapist.languages.add(*Language.objects.filter(code__in=["es", "en", "fr"]))
    verified_license(therapist=therapist, state="NY", license_type="LCSW")
    verified_license(therapist=therapist, state="CA", license_type="LCSW")
    verified_license(therapist=therapist, state="NY", license_type="LMHC")
    LicenseFactory(therapist=therapist, state="TX", status=License.Status.PENDING)
    LicenseFactory(therapist=therapist, state="FL", status=License.Status.REJECTED)
    other = TherapistFactory(display_name="Bob Nolanguage", modalities=[])
    verified_license(therapist=other, state="NY")

    listed = {r["id"]: r for r in api.get(API).json()["results"]}
    for pk in (therapist.pk, other.pk):
        detail = api.get(f"{API}{pk}/").json()
        for key in ("modalities", "languages", "states"):
            assert listed[pk][key] == detail[key], key
    assert listed[therapist.pk]["states"] == ["CA", "NY"]
    assert listed[other.pk]["modalities"] == [] and listed[other.pk]["languages"] == []

    page = client.get(SEARCH).content.decode()
    profile = client.get(therapist.get_absolute_url()).content.decode()
    card = page[page.index(f'id="t{therapist.pk}-name"') :]
    card = card[: card.index("</article>")]
    tags = [t.split("<")[0] for t in card.split('<span class="tag">')[1:]]
    assert tags == sorted(tags) and len(tags) == 3
    for tag in tags:
        assert tag in profile
    assert card.count("Licensed in NY") == 2 and card.count("Licensed in CA") == 1
    assert card.index("Licensed in CA") < card.index("Licensed in NY")
    assert "TX" not in card and "FL" not in card
    names = [lang.name for lang in Language.objects.filter(code__in=["en", "es", "fr"])]
    assert ", ".join(sorted(names)) in card
