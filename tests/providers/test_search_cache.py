"""The search cache (providers/search_cache.py): a repeated search runs no query, and
every write that can change a search answer makes the next search see it once it commits.
Writes run under ``django_capture_on_commit_callbacks(execute=True)``: the test's own
transaction never commits, and the directory version is bumped on commit only."""

import datetime as dt
import os
import uuid

import pytest
import redis
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.timezone import now
from rest_framework.test import APIClient

from booking import groups
from booking import services as booking
from booking.models import TimeOff
from providers import licensing, search_cache
from providers.models import Language, License, Modality, Specialty, Therapist
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import NY, book, bookable_therapist, client_in
from tests.factories import LicenseFactory, TherapistFactory, make_verifier, verified_license
from therapy_directory import clock

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
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379").rsplit("/", 1)
    location = base[0] + "/13" if base[-1].isdigit() else "/".join(base) + "/13"
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
        }
    }
    yield
    client = redis.Redis.from_url(location)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a write as if its transaction committed (its on-commit callbacks run)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


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


def test_signed_in_and_anonymous_chrome_are_never_mixed(client, therapist_user, client_user):
    verified_license(therapist=TherapistFactory(display_name="Ada Byron"), state="CA")
    anonymous = client.get(SEARCH, {"state": "CA"}).content.decode()
    assert "Log in" in anonymous and "Log out" not in anonymous

    client.force_login(therapist_user)
    as_therapist = client.get(SEARCH, {"state": "CA"}).content.decode()
    assert "Log out" in as_therapist and "Dashboard" in as_therapist
    assert "csrfmiddlewaretoken" in as_therapist  # the log-out form's own token
    assert "Ada Byron" in as_therapist

    client.force_login(client_user)
    as_client = client.get(SEARCH, {"state": "CA"}).content.decode()
    assert "My sessions" in as_client and "Dashboard" not in as_client

    client.logout()
    again = client.get(SEARCH, {"state": "CA"}).content.decode()
    assert "Log in" in again and "Log out" not in again and "Dashboard" not in again
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
    assert "10:00 EST" in client.get(SEARCH).content.decode()
    client_user.timezone = "America/Los_Angeles"
    client_user.save()
    client.force_login(client_user)
    assert "07:00 PST" in client.get(SEARCH).content.decode()


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


# --- Every write path changes the next answer ----------------------------------------


def test_verifying_a_license_lists_the_therapist(api, committed):
    verified_license(therapist=TherapistFactory(display_name="Ada Byron"), state="CA")
    pending = LicenseFactory(therapist=TherapistFactory(display_name="Bea Curie"), state="CA")
    assert names(api, state="CA") == ["Ada Byron"]
    with committed():
        licensing.verify_license(license_id=pending.pk, by=make_verifier(), source="board")
    assert names(api, state="CA") == ["Ada Byron", "Bea Curie"]


def test_submitting_then_rejecting_a_license(api, committed):
    therapist = TherapistFactory(display_name="Bea Curie")
    verified_license(therapist=therapist, state="CA")
    assert names(api, state="NY") == []
    with committed():
        license = licensing.submit_license(
            therapist=therapist,
            state="NY",
            license_type="LCSW",
            number="NY1",
            expires_on=clock.today() + dt.timedelta(days=300),
        )
    assert names(api, state="NY") == []  # pending: not listed
    api.get(API, {"state": "CA"})
    with committed():
        licensing.verify_license(license_id=license.pk, by=make_verifier(), source="board")
    assert names(api, state="NY") == ["Bea Curie"]


def test_rejecting_the_only_pending_license_keeps_it_out(api, committed):
    pending = LicenseFactory(therapist=TherapistFactory(display_name="Bea Curie"), state="CA")
    assert names(api, state="CA") == []
    with committed():
        licensing.reject_license(license_id=pending.pk, by=make_verifier(), reason="No match")
    assert names(api, state="CA") == []
    assert License.objects.get(pk=pending.pk).status == License.Status.REJECTED


def test_expiring_a_license_unlists_the_therapist(api, client, committed):
    license = verified_license(therapist=TherapistFactory(display_name="Ada Byron"), state="CA")
    License.objects.filter(pk=license.pk).update(expires_on=clock.today())
    assert names(api, state="CA") == ["Ada Byron"]
    assert "Ada Byron" in client.get(SEARCH, {"state": "CA"}).content.decode()
    # Expire as the nightly task does, with "today" one day on (.update(): no signal).
    with committed():
        assert licensing.expire_licenses(today=clock.today() + dt.timedelta(days=1)) == 1
    assert names(api, state="CA") == []
    assert "Ada Byron" not in client.get(SEARCH, {"state": "CA"}).content.decode()


def test_editing_a_profile_changes_the_card(api, client, committed):
    therapist = TherapistFactory(display_name="Ada Byron", modalities=["ipt"])
    verified_license(therapist=therapist, state="CA")
    assert names(api, modality="ipt") == ["Ada Byron"]
    assert "Ada Byron" in client.get(SEARCH).content.decode()
    with committed():
        therapist.display_name = "Ada Lovelace"
        therapist.save()
    assert names(api, modality="ipt") == ["Ada Lovelace"]
    page = client.get(SEARCH).content.decode()
    assert "Ada Lovelace" in page and "Ada Byron" not in page
    assert names(api, modality="cbt") == []
    with committed():
        therapist.modalities.set(Modality.objects.filter(slug="cbt"))
    assert names(api, modality="ipt") == []
    assert names(api, modality="cbt") == ["Ada Lovelace"]


def test_renaming_a_modality_changes_the_cards(client, committed):
    verified_license(therapist=TherapistFactory(modalities=["ipt"]), state="CA")
    name = Modality.objects.get(slug="ipt").name
    assert name in client.get(SEARCH).content.decode()
    with committed():
        modality = Modality.objects.get(slug="ipt")
        modality.name = "IPT (renamed)"
        modality.save()
    assert "IPT (renamed)" in client.get(SEARCH).content.decode()


def _opening(api, therapist) -> str | None:
    rows = api.get(API, {"state": "NY"}).json()["results"]
    return next(r["next_opening"] for r in rows if r["id"] == therapist.pk)


def test_weekly_hours_and_time_off_change_the_next_opening(api, committed):
    with committed():
        therapist = bookable_therapist()
    first = _opening(api, therapist)
    assert first is not None
    day = Therapist.objects.get(pk=therapist.pk).next_opening.date()
    with committed():
        booking.add_time_off(therapist=therapist, start_date=day, end_date=day)
    second = _opening(api, therapist)
    assert second != first
    with committed():
        booking.set_weekly_hours(therapist=therapist, ranges=[])
    assert _opening(api, therapist) is None


def test_a_booking_that_takes_the_next_opening_moves_it(api, committed):
    with committed():
        therapist = bookable_therapist()
    first = _opening(api, therapist)
    start = Therapist.objects.get(pk=therapist.pk).next_opening
    with committed():
        book(client_in(), therapist, start, weeks=1)
    after = _opening(api, therapist)
    assert after is not None and after != first


def test_a_group_meeting_over_the_next_opening_moves_it_and_cancelling_gives_it_back(
    api, committed
):
    with committed():
        therapist = group_therapist()
    first = _opening(api, therapist)
    local = Therapist.objects.get(pk=therapist.pk).next_opening.astimezone(NY)
    with committed():
        group = make_group(
            therapist,
            weekday=local.weekday(),
            start_time=local.time(),
            start_date=local.date(),
            weeks=1,
        )
    assert _opening(api, therapist) not in (None, first)
    with committed():
        groups.cancel_group(by=therapist.user, group_id=group.pk, reason="Unwell")
    assert _opening(api, therapist) == first


def test_the_sweep_of_stale_openings_changes_the_answer(api, committed):
    with committed():
        therapist = bookable_therapist()
    first = _opening(api, therapist)
    day = Therapist.objects.get(pk=therapist.pk).next_opening.date()
    # A day off written behind the services' back, its opening marked due: only the
    # beat's sweep (execute_values, no signal) recomputes it.
    TimeOff.objects.create(therapist=therapist, start_date=day, end_date=day)
    Therapist.objects.filter(pk=therapist.pk).update(next_opening_stale_at=now())
    assert _opening(api, therapist) == first  # the sweep has not run: still cached
    with committed():
        assert booking.refresh_stale_openings() == 1
    assert _opening(api, therapist) != first


def test_seed_demo_bumps_the_version(committed):
    from django.core.management import call_command

    before = search_cache.directory_version()
    with committed():
        call_command("seed_demo", "--therapists", "3", "--seed", "2", verbosity=0)
    assert search_cache.directory_version() != before


def test_a_bump_waits_for_the_commit(django_capture_on_commit_callbacks):
    before = search_cache.directory_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        search_cache.bump_directory_version()
    assert search_cache.directory_version() == before  # rolled back: nothing changed
    assert len(callbacks) == 1
    callbacks[0]()
    assert search_cache.directory_version() == before + 1


# --- Only writes that can change an answer bump --------------------------------------


@pytest.fixture
def bumps(django_capture_on_commit_callbacks):
    """How many times an action bumped the directory version once its writes committed
    (the version counts up by one per bump once it exists)."""

    def count(action) -> int:
        before = search_cache.directory_version()
        with django_capture_on_commit_callbacks(execute=True):
            action()
        return search_cache.directory_version() - before

    return count


def profile_form_data(therapist: Therapist, **changes) -> dict:
    """The dashboard's profile form as its page shows it for ``therapist``, changed."""
    data = {
        "display_name": therapist.display_name,
        "credentials": therapist.credentials,
        "npi": therapist.npi,
        "bio": therapist.bio,
        "modalities": [m.pk for m in therapist.modalities.all()],
        "specialties": [s.pk for s in therapist.specialties.all()],
        "languages": [lang.pk for lang in therapist.languages.all()],
        "formats": therapist.formats,
        "office_address": therapist.office_address,
        "office_city": therapist.office_city,
        "office_state": therapist.office_state,
        "video_url": therapist.video_url,
        "fee": "" if therapist.fee is None else str(therapist.fee),
        "timezone": therapist.timezone,
        "session_minutes": str(therapist.session_minutes),
        "slot_step_minutes": str(therapist.slot_step_minutes),
        "notice_hours": str(therapist.notice_hours),
        "reminder_minutes": ",".join(str(m) for m in therapist.reminder_minutes),
    }
    for flag in ("sliding_scale", "accepting_new_clients", "auto_confirm"):
        if getattr(therapist, flag):
            data[flag] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_reminder_time_change_does_not_bump(bumps):
    therapist = TherapistFactory(reminder_minutes=[1440, 60])

    def save_reminders_only():
        therapist.reminder_minutes = [2880]
        therapist.save(update_fields=["reminder_minutes"])

    def full_save_of_reminders():
        therapist.reminder_minutes = [120, 30]
        therapist.save()

    assert bumps(save_reminders_only) == 0
    assert bumps(full_save_of_reminders) == 0
    assert Therapist.objects.get(pk=therapist.pk).reminder_minutes == [120, 30]


def test_a_profile_form_save_of_reminder_times_only_does_not_bump(client, bumps):
    therapist = TherapistFactory(reminder_minutes=[1440, 60])
    client.force_login(therapist.user)
    url = reverse("providers:dashboard_profile")
    posted = lambda: client.post(url, profile_form_data(therapist, reminder_minutes="2880, 30"))  # noqa: E731
    assert bumps(posted) == 0
    assert Therapist.objects.get(pk=therapist.pk).reminder_minutes == [2880, 30]


def test_a_profile_form_save_with_list_changes_bumps(client, bumps):
    therapist = TherapistFactory(modalities=["ipt"])
    client.force_login(therapist.user)
    data = profile_form_data(
        therapist,
        display_name="Ada Lovelace",
        modalities=list(
            Modality.objects.filter(slug__in=["cbt", "group"]).values_list("pk", flat=True)
        ),
        specialties=list(Specialty.objects.values_list("pk", flat=True)[:2]),
        languages=list(Language.objects.filter(code="es").values_list("pk", flat=True)),
    )
    response = None

    def post():
        nonlocal response
        response = client.post(reverse("providers:dashboard_profile"), data)

    assert bumps(post) >= 1
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.display_name == "Ada Lovelace"
    assert sorted(m.slug for m in therapist.modalities.all()) == ["cbt", "group"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("display_name", "Ada Lovelace"),
        ("slug", "ada-lovelace"),
        ("credentials", "PsyD"),
        ("bio", "Grief and role transitions."),  # the keyword search reads it
        ("formats", ["telehealth", "in_person"]),
        ("fee", 90),
        ("sliding_scale", True),
        ("accepting_new_clients", False),
        ("next_opening", dt.datetime(2031, 1, 6, 15, 0, tzinfo=dt.UTC)),
        ("office_city", "Albany"),  # "(Albany, NY)" beside an in-person format
        ("office_state", "VT"),
    ],
)
def test_a_field_the_search_or_the_card_reads_bumps_once(field, value, bumps):
    therapist = TherapistFactory(
        formats=["in_person"], office_city="Troy", office_state="NY", fee=150
    )

    def full_save():
        setattr(therapist, field, value)
        therapist.save()

    def save_that_field():
        setattr(therapist, field, value)
        therapist.save(update_fields=[field])

    assert bumps(full_save) == 1
    assert bumps(full_save) == 0  # saved again unchanged
    assert bumps(save_that_field) == 1  # named: no comparison, it bumps


def test_writes_no_search_reads_do_not_bump(bumps):
    therapist = TherapistFactory()

    def change_private_settings():
        therapist.video_url = "https://video.example.com/room"
        therapist.office_address = "1 Main St"
        therapist.npi = "1234567893"
        therapist.auto_confirm = True
        therapist.save()
        therapist.notice_hours = 48  # its opening is recomputed, and bumps, then
        therapist.save(update_fields=["notice_hours"])

    assert bumps(change_private_settings) == 0
    license = LicenseFactory(therapist=therapist)
    license.expiry_notice_sent_on = clock.today()
    assert bumps(lambda: license.save(update_fields=["expiry_notice_sent_on"])) == 0
    assert bumps(lambda: therapist.modalities.add(*therapist.modalities.all())) == 0


def test_the_watched_fields_cover_every_column_the_cards_and_filters_read():
    from providers.api import TherapistSerializer
    from providers.filters import TherapistFilter
    from providers.selectors import result_cards
    from providers.signals import LINKS, SEARCH_FIELDS

    watched = SEARCH_FIELDS[Therapist]
    loaded, only = result_cards().query.deferred_loading
    assert only is False or not loaded  # only(): ``loaded`` are the columns a card reads
    assert set(loaded) <= watched
    concrete = {f.name for f in Therapist._meta.concrete_fields}
    for name in TherapistFilter.base_filters.values():
        field = name.field_name
        if field in concrete:
            assert field in watched, field
        elif field in {f.name for f in Therapist._meta.many_to_many}:
            assert Therapist._meta.get_field(field).remote_field.through in LINKS, field
    for field in TherapistSerializer.Meta.fields:
        if field in concrete:
            assert field in watched, field
    # Filters by method name no column: what each method reads (providers/filters.py).
    read_by_method = {
        "state": {"state", "status", "expires_on"},  # License: findable_in / findable
        "format": {"formats"},
        "available_within": {"next_opening"},
        "fee_max": {"fee"},
        "q": {"display_name", "credentials", "bio"},
        "ordering": {"next_opening", "fee", "display_name", "id"},
    }
    methods = {n for n, f in TherapistFilter.base_filters.items() if f.method is not None}
    assert methods == set(read_by_method)  # a new method filter needs an entry here
    for name, columns in read_by_method.items():
        assert columns <= watched | SEARCH_FIELDS[License], name


def test_a_rolled_back_write_does_not_bump_and_the_others_still_do(bumps):
    first, second = TherapistFactory(), TherapistFactory()

    def writes_then_a_failed_savepoint():
        first.display_name = "Ada Lovelace"
        first.save()
        first.modalities.set(Modality.objects.filter(slug="cbt"))
        with pytest.raises(RuntimeError), transaction.atomic():
            second.display_name = "Never Saved"
            second.save()
            raise RuntimeError

    def only_a_failed_savepoint():
        with pytest.raises(RuntimeError), transaction.atomic():
            second.fee = 10
            second.save()
            raise RuntimeError

    assert bumps(writes_then_a_failed_savepoint) >= 1  # the first writes' bumps survive
    assert bumps(only_a_failed_savepoint) == 0
    second.fee = 20
    assert bumps(second.save) == 1


@pytest.mark.django_db(transaction=True)
def test_a_committed_transaction_bumps_on_commit_not_before():
    therapist = TherapistFactory(modalities=["ipt"])
    before = search_cache.directory_version()
    with transaction.atomic():
        therapist.display_name = "Ada Lovelace"
        therapist.save()
        therapist.modalities.set(Modality.objects.filter(slug__in=["cbt", "group"]))
        therapist.languages.add(Language.objects.get(code="es"))
        LicenseFactory(therapist=therapist)
        assert search_cache.directory_version() == before  # not before the commit
    after = search_cache.directory_version()
    assert after > before
    therapist.fee = 75
    therapist.save()  # autocommit: at once
    assert search_cache.directory_version() == after + 1


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
    browsable = api.get(API, {"state": "CA"}, HTTP_ACCEPT="text/html")
    assert browsable.status_code == 200 and b"<html" in browsable.content
