"""Every service that writes data a search reads or a result card shows makes the next
search (the page and the API) answer afresh, with the search cache on, in Redis as
deployed: through ``search_cache.directory_changed()``, once its transaction commits.

WRITERS lists them. A new writer of a directory table (therapists, licenses, their
modality, specialty, language and insurance links, the reference lists, next openings)
adds its row here. The tests commit for real (``transaction=True``): the directory version moves
on commit only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.timezone import now
from rest_framework.test import APIClient

from booking import availability, openings
from booking.groups import services as groups
from booking.models import TimeOff
from providers import licensing, profiles, search_cache
from providers.models import Faith, Insurance, Language, License, Modality, Therapist
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import NY, book, bookable_therapist, client_in
from tests.factories import (
    LicenseFactory,
    TherapistFactory,
    UserFactory,
    make_verifier,
    verified_license,
)
from tests.providers.photo_helpers import jpeg_with_everything
from tests.providers.profile_data import profile_form_data
from tests.providers.search_cache_setup import search_cache_in_redis
from therapy_directory import clock

SEARCH = reverse("providers:search")
API = "/api/v1/therapists/"


@pytest.fixture
def redis_cache(settings):
    """The cache on, in Redis as deployed."""
    with search_cache_in_redis(settings):
        yield


# --- The writers ------------------------------------------------------------------------


def _findable(name: str, state: str = "CA", **fields) -> Therapist:
    therapist = TherapistFactory(display_name=name, **fields)
    verified_license(therapist=therapist, state=state)
    return therapist


def _opening_day(therapist: Therapist) -> dt.date:
    """The day of the therapist's stored next opening, in their zone (New York)."""
    return Therapist.objects.get(pk=therapist.pk).next_opening.astimezone(NY).date()


def _submit_arrange() -> dict:
    return {"therapist": _findable("Bea Curie")}


def _submit(given: dict) -> None:
    licensing.submit_license(
        therapist=given["therapist"],
        state="NY",
        license_type="LCSW",
        number="NY1",
        expires_on=clock.today() + dt.timedelta(days=300),
    )


def _pending_arrange() -> dict:
    _findable("Ada Byron")
    pending = LicenseFactory(therapist=TherapistFactory(display_name="Bea Curie"), state="CA")
    return {"license": pending, "verifier": make_verifier()}


def _verify(given: dict) -> None:
    licensing.verify_license(license_id=given["license"].pk, by=given["verifier"], source="board")


def _reject(given: dict) -> None:
    licensing.reject_license(license_id=given["license"].pk, by=given["verifier"], reason="No")


def _expire_arrange() -> dict:
    _findable("Ada Byron")
    license = verified_license(therapist=TherapistFactory(display_name="Bea Curie"), state="CA")
    License.objects.filter(pk=license.pk).update(expires_on=clock.today())
    return {}


def _expire(given: dict) -> None:
    # As the nightly task does, with "today" one day on.
    assert licensing.expire_licenses(today=clock.today() + dt.timedelta(days=1)) == 1


def _bookable_arrange() -> dict:
    return {"therapist": bookable_therapist()}


def _no_hours(given: dict) -> None:
    availability.set_weekly_hours(therapist=given["therapist"], ranges=[])


def _day_off(given: dict) -> None:
    day = _opening_day(given["therapist"])
    availability.add_time_off(therapist=given["therapist"], start_date=day, end_date=day)


def _day_off_arrange() -> dict:
    given = _bookable_arrange()
    _day_off(given)
    given["time_off"] = TimeOff.objects.get(therapist=given["therapist"])
    return given


def _day_off_removed(given: dict) -> None:
    availability.remove_time_off(therapist=given["therapist"], time_off_id=given["time_off"].pk)


def _book_next_opening(given: dict) -> None:
    start = Therapist.objects.get(pk=given["therapist"].pk).next_opening
    book(client_in(), given["therapist"], start, weeks=1)


def _group_arrange() -> dict:
    return {"therapist": group_therapist()}


def _group_over_next_opening(given: dict) -> None:
    local = Therapist.objects.get(pk=given["therapist"].pk).next_opening.astimezone(NY)
    make_group(
        given["therapist"],
        weekdays=[local.weekday()],
        start_time=local.time(),
        start_date=local.date(),
        weeks=1,
    )


def _program_arrange() -> dict:
    """An evening program that offers a weekly individual course, meeting first on the
    day of the therapist's next opening (its meetings are after their hours)."""
    therapist = group_therapist()
    local = Therapist.objects.get(pk=therapist.pk).next_opening.astimezone(NY)
    program = make_group(
        therapist,
        kind="intensive",
        individual="offered",
        weekdays=[local.weekday()],
        start_date=local.date(),
        weeks=8,
    )
    return {"therapist": therapist, "program": program}


def _enrolled_with_an_individual_course(given: dict) -> None:
    start = Therapist.objects.get(pk=given["therapist"].pk).next_opening
    groups.enrol(client=client_in(), group_id=given["program"].pk, individual_start=start)


def _group_cancel_arrange() -> dict:
    given = _group_arrange()
    _group_over_next_opening(given)
    return given


def _group_cancelled(given: dict) -> None:
    therapist = given["therapist"]
    group = therapist.groups.get()
    groups.cancel_group(by=therapist.user, group_id=group.pk, reason="Unwell")


def _stale_arrange() -> dict:
    given = _bookable_arrange()
    therapist = given["therapist"]
    # A day off written behind the services' back, its opening marked due: only the
    # beat's sweep recomputes it.
    day = _opening_day(therapist)
    TimeOff.objects.create(therapist=therapist, start_date=day, end_date=day)
    Therapist.objects.filter(pk=therapist.pk).update(next_opening_stale_at=now())
    return given


def _sweep(given: dict) -> None:
    assert openings.refresh_stale_openings() == 1


def _seed_demo(given: dict) -> None:
    call_command("seed_demo", "--therapists", "3", "--seed", "2", verbosity=0)


def _admin() -> Client:
    admin = Client()
    admin.force_login(UserFactory(role="staff", is_staff=True, is_superuser=True))
    return admin


def _ipt_arrange() -> dict:
    _findable("Ada Byron", modalities=["ipt"])
    return {"admin": _admin()}


def _admin_renames_a_modality(given: dict) -> None:
    ipt = Modality.objects.get(slug="ipt")
    response = given["admin"].post(
        reverse("admin:providers_modality_change", args=[ipt.pk]),
        {"name": "IPT (renamed)", "slug": "ipt", "description": ipt.description},
    )
    assert response.status_code == 302


def _spanish_arrange() -> dict:
    therapist = _findable("Ana Ruiz")
    therapist.languages.add(Language.objects.get(code="es"))
    return {"admin": _admin()}


def _admin_deletes_a_language(given: dict) -> None:
    spanish = Language.objects.get(code="es")
    response = given["admin"].post(
        reverse("admin:providers_language_delete", args=[spanish.pk]), {"post": "yes"}
    )
    assert response.status_code == 302


def _profile_arrange() -> dict:
    return {"therapist": _findable("Ada Byron")}


def _name_changed(given: dict) -> None:
    therapist = given["therapist"]
    profiles.update_profile(therapist=therapist, by=therapist.user, display_name="Ada Lovelace")


def _profile_api_arrange() -> dict:
    given = _profile_arrange()
    api = APIClient()
    api.force_authenticate(given["therapist"].user)
    return given | {"api": api}


def _name_changed_through_the_api(given: dict) -> None:
    response = given["api"].patch(
        "/api/v1/me/profile/", {"display_name": "Ada King"}, format="json"
    )
    assert response.status_code == 200, response.content


# --- Insurance and identity (issue 17) ------------------------------------------------


def _insured_arrange() -> dict:
    given = _profile_api_arrange()
    given["page"] = Client()
    given["page"].force_login(given["therapist"].user)
    return given


def _insurance_changed_on_the_page(given: dict) -> None:
    therapist = given["therapist"]
    aetna = Insurance.objects.get(slug="aetna")
    data = profile_form_data(therapist, insurance=[aetna.pk], superbill="on")
    response = given["page"].post(reverse("providers:dashboard_profile"), data)
    assert response.status_code == 302, response.content


def _identity_changed_through_the_api(given: dict) -> None:
    response = given["api"].patch(
        "/api/v1/me/profile/",
        {"gender": "woman", "age_groups": ["teens"], "lgbtq_affirming": True, "faith": "jewish"},
        format="json",
    )
    assert response.status_code == 200, response.content


def _aetna_arrange() -> dict:
    _findable("Ada Byron", insurance=["aetna"])
    return {"admin": _admin()}


def _admin_renames_a_plan(given: dict) -> None:
    aetna = Insurance.objects.get(slug="aetna")
    response = given["admin"].post(
        reverse("admin:providers_insurance_change", args=[aetna.pk]),
        {"name": "Aetna (CVS Health)", "slug": "aetna"},
    )
    assert response.status_code == 302


def _faithful_arrange() -> dict:
    _findable("Ada Byron", faith=Faith.objects.get(slug="jewish"))
    return {"admin": _admin()}


def _admin_deletes_a_faith(given: dict) -> None:
    jewish = Faith.objects.get(slug="jewish")
    response = given["admin"].post(
        reverse("admin:providers_faith_delete", args=[jewish.pk]), {"post": "yes"}
    )
    assert response.status_code == 302


def _photo_arrange() -> dict:
    given = _profile_arrange()
    browser = Client()
    browser.force_login(given["therapist"].user)
    return given | {"browser": browser}


def _photo_uploaded(given: dict) -> None:
    photo = SimpleUploadedFile("me.jpg", jpeg_with_everything(), content_type="image/jpeg")
    response = given["browser"].post(reverse("providers:dashboard_photo"), {"photo": photo})
    assert response.status_code == 302, response.content.decode()[-2000:]


def _photo_removed_arrange() -> dict:
    given = _photo_arrange()
    _photo_uploaded(given)
    return given


def _photo_removed(given: dict) -> None:
    url = reverse("providers:dashboard_photo_remove")
    assert given["browser"].post(url, {"confirm": "yes"}).status_code == 302


def _buffalo_office_arrange() -> dict:
    return {
        "therapist": _findable(
            "Ada Byron",
            state="NY",
            formats=["in_person"],
            office_zip="14201",
            office_lat=42.8967,
            office_lon=-78.8846,
            office_city="Buffalo",
        )
    }


def _office_moved_to_manhattan(given: dict) -> None:
    therapist = given["therapist"]
    profiles.update_profile(therapist=therapist, by=therapist.user, office_zip="10003")


BOTH = frozenset({"page", "api"})


@dataclass(frozen=True)
class Writer:
    name: str
    arrange: Callable[[], dict]  # the directory before the write (committed)
    write: Callable[[dict], None]  # the write, through the service, as its callers do
    params: dict = field(default_factory=dict)  # the search whose answer it changes
    # The answers it visibly changes; a pending or rejected license shows nowhere, but
    # the next search is still answered afresh.
    changes: frozenset = BOTH


WRITERS = [
    Writer("licensing.submit_license", _submit_arrange, _submit, {"state": "NY"}, frozenset()),
    Writer("licensing.verify_license", _pending_arrange, _verify, {"state": "CA"}),
    Writer("licensing.reject_license", _pending_arrange, _reject, {"state": "CA"}, frozenset()),
    Writer("licensing.expire_licenses", _expire_arrange, _expire, {"state": "CA"}),
    Writer("booking set_weekly_hours", _bookable_arrange, _no_hours, {"state": "NY"}),
    Writer("booking add_time_off", _bookable_arrange, _day_off, {"state": "NY"}),
    Writer("booking remove_time_off", _day_off_arrange, _day_off_removed, {"state": "NY"}),
    Writer("booking book_course", _bookable_arrange, _book_next_opening, {"state": "NY"}),
    Writer("groups create_group", _group_arrange, _group_over_next_opening, {"state": "NY"}),
    Writer("groups cancel_group", _group_cancel_arrange, _group_cancelled, {"state": "NY"}),
    Writer(
        "groups enrol: a program's individual course",
        _program_arrange,
        _enrolled_with_an_individual_course,
        {"state": "NY"},
    ),
    Writer("booking refresh_stale_openings", _stale_arrange, _sweep, {"state": "NY"}),
    Writer("seed_demo", dict, _seed_demo),
    # The API lists modality slugs: a new name shows on the page only.
    Writer(
        "admin: modality renamed", _ipt_arrange, _admin_renames_a_modality, {}, frozenset({"page"})
    ),
    Writer("admin: language deleted", _spanish_arrange, _admin_deletes_a_language),
    Writer("profiles.update_profile", _profile_arrange, _name_changed, {"state": "CA"}),
    Writer(
        "me/profile/ (update_profile)",
        _profile_api_arrange,
        _name_changed_through_the_api,
        {"state": "CA"},
    ),
    # Issue 17: a therapist's insurance and identity, and the lists admins keep. The API
    # lists plan slugs only (no identity fields), the page says it all in words.
    Writer(
        "profile page: insurance (update_profile)",
        _insured_arrange,
        _insurance_changed_on_the_page,
        {"state": "CA"},
    ),
    Writer(
        "me/profile/: identity (update_profile)",
        _insured_arrange,
        _identity_changed_through_the_api,
        {"state": "CA"},
        frozenset({"page"}),
    ),
    Writer("admin: plan renamed", _aetna_arrange, _admin_renames_a_plan, {}, frozenset({"page"})),
    Writer(
        "admin: faith deleted", _faithful_arrange, _admin_deletes_a_faith, {}, frozenset({"page"})
    ),
    Writer("photos.set_photo (dashboard)", _photo_arrange, _photo_uploaded, {"state": "CA"}),
    Writer(
        "photos.remove_photo (dashboard)", _photo_removed_arrange, _photo_removed, {"state": "CA"}
    ),
    # Distance: the office's ZIP code (and so its place) is what a search near a ZIP reads.
    Writer(
        "profiles.update_profile: office ZIP",
        _buffalo_office_arrange,
        _office_moved_to_manhattan,
        {"state": "NY", "near": "10001", "format": "in_person"},
    ),
]


def answers(params: dict) -> dict:
    """The search's results as the page shows them (the cached part of the page) and as
    the API returns them."""
    html = Client().get(SEARCH, params)
    api = APIClient().get(API, params)
    assert html.status_code == 200 and api.status_code == 200
    page = html.content.decode().split('<div class="search-layout">', 1)[1]
    return {"page": page.split("</main>", 1)[0], "api": api.json()}


def directory_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "providers_" in q["sql"]]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("writer", WRITERS, ids=lambda writer: writer.name)
def test_each_directory_writer_changes_the_next_search(writer, redis_cache, settings):
    given = writer.arrange()
    before = answers(writer.params)
    with CaptureQueriesContext(connection) as queries:
        assert answers(writer.params) == before
    assert directory_queries(queries) == []  # answered from the cache

    writer.write(given)

    with CaptureQueriesContext(connection) as queries:
        after = answers(writer.params)
    assert directory_queries(queries)  # the cached answer is stale: searched again
    settings.SEARCH_CACHE_SECONDS = 0
    assert after == answers(writer.params)  # what the directory says now
    for kind in ("page", "api"):
        assert (after[kind] != before[kind]) == (kind in writer.changes), kind


# --- Commit, rollback, a cache that does not answer --------------------------------------


class Refused(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_leaves_the_cached_answers(redis_cache):
    pending = LicenseFactory(therapist=TherapistFactory(display_name="Bea Curie"), state="CA")
    before = answers({"state": "CA"})
    version = search_cache.directory_version()
    with pytest.raises(Refused), transaction.atomic():
        License.objects.filter(pk=pending.pk).update(
            status=License.Status.VERIFIED, verified_on=clock.today()
        )
        search_cache.directory_changed()
        raise Refused
    assert search_cache.directory_version() == version
    with CaptureQueriesContext(connection) as queries:
        assert answers({"state": "CA"}) == before
    assert directory_queries(queries) == []


@pytest.mark.django_db
def test_the_version_moves_on_commit_and_not_on_rollback(
    django_capture_on_commit_callbacks, settings
):
    settings.SEARCH_CACHE_SECONDS = 60
    before = search_cache.directory_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        search_cache.directory_changed()
    assert search_cache.directory_version() == before  # not before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert search_cache.directory_version() == before + 1


@pytest.fixture
def redis_down(settings):
    """The cache on, but its Redis does not answer (nothing listens on that port)."""
    settings.SEARCH_CACHE_SECONDS = 60
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }


@pytest.mark.django_db(transaction=True)
def test_a_cache_that_does_not_answer_still_answers_the_search(redis_down, settings):
    _findable("Ada Byron")
    pending = LicenseFactory(therapist=TherapistFactory(display_name="Bea Curie"), state="CA")
    settings.SEARCH_CACHE_SECONDS = 0
    expected = answers({"state": "CA"})
    settings.SEARCH_CACHE_SECONDS = 60
    assert answers({"state": "CA"}) == expected
    assert [row["name"] for row in expected["api"]["results"]] == ["Ada Byron"]
    # A write commits, and the next search sees it, though the version cannot move.
    licensing.verify_license(license_id=pending.pk, by=make_verifier(), source="board")
    assert License.objects.get(pk=pending.pk).status == License.Status.VERIFIED
    names = [row["name"] for row in answers({"state": "CA"})["api"]["results"]]
    assert names == ["Ada Byron", "Bea Curie"]
