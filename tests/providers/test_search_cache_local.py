"""The search cache's local tier (providers/search_cache.py): with Redis, a process answers
a search it has seen from its own memory, under the directory version it read less than
``SEARCH_CACHE_LOCAL_SECONDS`` ago, without a Redis round trip; another process's write
reaches it within that time, its own at once; a local answer never outlives its Redis
entry, and the memory it holds is bounded."""

import os
import uuid

import pytest
import redis
from rest_framework.test import APIClient

from providers import search_cache
from providers.models import Therapist
from tests.factories import TherapistFactory, verified_license

pytestmark = pytest.mark.django_db

API = "/api/v1/therapists/"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(search_cache, "_monotonic", fake)
    return fake


@pytest.fixture
def location() -> str:
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379").rsplit("/", 1)
    return base[0] + "/13" if base[-1].isdigit() else "/".join(base) + "/13"


@pytest.fixture(autouse=True)
def redis_cache(settings, location):
    """The cache on, in Redis as deployed (its own database and a key prefix of this
    test's own, removed afterwards), the local tier empty."""
    prefix = f"test-{uuid.uuid4().hex}"
    settings.SEARCH_CACHE_SECONDS = 60
    settings.SEARCH_CACHE_LOCAL_SECONDS = 1.0
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
        }
    }
    search_cache._local.clear()
    yield
    search_cache._local.clear()
    client = redis.Redis.from_url(location)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def redis_commands(monkeypatch) -> list:
    """Every command this process's search cache client sends to Redis."""
    client = search_cache._redis().client
    sent = []
    real = client.execute_command

    def counting(*args, **options):
        sent.append(args[0])
        return real(*args, **options)

    monkeypatch.setattr(client, "execute_command", counting)
    return sent


def names(**params) -> list[str]:
    response = APIClient().get(API, params)
    assert response.status_code == 200
    return [row["name"] for row in response.json()["results"]]


def bump_elsewhere(location: str) -> None:
    """What another process's write does on commit: the bump script on its own client."""
    other = redis.Redis.from_url(location)
    other.eval(search_cache._BUMP, 1, search_cache._version_key(), search_cache._new_version())


def rename_without_bump(therapist: Therapist, name: str) -> None:
    # .update() sends no signal: the directory changes, this process's cache is not told.
    Therapist.objects.filter(pk=therapist.pk).update(display_name=name)


@pytest.fixture
def ada() -> Therapist:
    therapist = TherapistFactory(display_name="Ada Byron", modalities=["ipt"])
    verified_license(therapist=therapist, state="CA")
    return therapist


def test_a_repeated_search_asks_redis_nothing(ada, clock, redis_commands):
    assert names(state="CA") == ["Ada Byron"]  # a miss: reads Redis, stores the answer
    asked = len(redis_commands)
    assert asked >= 2
    clock.now += 0.5
    assert names(state="CA") == ["Ada Byron"]
    assert names(state="CA") == ["Ada Byron"]
    assert len(redis_commands) == asked


def test_another_processs_answer_is_read_from_redis_once(ada, clock, redis_commands):
    names(state="CA")
    search_cache._local.clear()  # as a process that has not seen this search yet
    clock.now += 0.1
    asked = len(redis_commands)
    assert names(state="CA") == ["Ada Byron"]
    assert len(redis_commands) == asked + 1  # the version and the entry, one round trip
    assert names(state="CA") == ["Ada Byron"]
    assert len(redis_commands) == asked + 1


def test_another_processs_write_is_seen_within_the_local_seconds(ada, clock, location):
    assert names(state="CA") == ["Ada Byron"]
    rename_without_bump(ada, "Ada Lovelace")
    bump_elsewhere(location)
    clock.now += 0.9
    assert names(state="CA") == ["Ada Byron"]  # within the second: this process's memory
    clock.now += 0.1
    assert names(state="CA") == ["Ada Lovelace"]  # the version is read again: a new answer


def test_this_processs_own_write_is_seen_at_once(ada, clock, django_capture_on_commit_callbacks):
    assert names(state="CA") == ["Ada Byron"]
    with django_capture_on_commit_callbacks(execute=True):
        ada.display_name = "Ada Lovelace"
        ada.save()
    assert names(state="CA") == ["Ada Lovelace"]  # no time has passed


def test_no_local_tier_asks_redis_every_time(ada, settings, clock, redis_commands):
    settings.SEARCH_CACHE_LOCAL_SECONDS = 0
    names(state="CA")
    asked = len(redis_commands)
    names(state="CA")
    assert len(redis_commands) == asked + 1


def test_a_local_answer_never_outlives_its_redis_entry(ada, settings, clock, location):
    settings.SEARCH_CACHE_LOCAL_SECONDS = 3600  # the version stays trusted throughout
    assert names(state="CA") == ["Ada Byron"]
    # Another process finds the entry with 2 s left in Redis.
    client = redis.Redis.from_url(location)
    (entry,) = [k for k in client.scan_iter(f"{search_cache._version_key().split(':')[0]}:*")
                if b":search:api:" in k]  # fmt: skip
    client.pexpire(entry, 2000)
    search_cache._local.clear()
    assert names(state="CA") == ["Ada Byron"]  # read from Redis into memory, 2 s to live
    rename_without_bump(ada, "Ada Lovelace")
    clock.now += 1.5
    assert names(state="CA") == ["Ada Byron"]
    clock.now += 1.0  # past the Redis entry's end (which Redis forgets in real time)
    client.delete(entry)
    assert names(state="CA") == ["Ada Lovelace"]


def test_the_local_tier_keeps_at_most_its_bytes_least_recently_used_out(settings):
    settings.SEARCH_CACHE_LOCAL_BYTES = 100
    tier = search_cache._LocalTier()
    tier.put("a", b"x" * 40, expires=10)
    tier.put("b", ("y" * 20, "z" * 20), expires=10)
    assert tier.get("a", now=1) == b"x" * 40  # "a" used last: "b" goes first
    tier.put("c", b"w" * 40, expires=10)
    assert tier.get("b", now=1) is None
    assert tier.get("a", now=1) is not None and tier.get("c", now=1) is not None
    tier.put("huge", b"h" * 101, expires=10)  # larger than the whole budget: not kept
    assert tier.get("huge", now=1) is None
    assert tier.get("a", now=1) is not None
    assert tier.get("a", now=10) is None  # expired


def test_a_new_version_empties_the_local_tier():
    tier = search_cache._LocalTier()
    tier.note_version("v", b"1", now=0)
    tier.put("k", b"answer", expires=100)
    tier.note_version("v", b"1", now=1)  # the same version read again
    assert tier.get("k", now=2) == b"answer"
    tier.note_version("v", b"2", now=3)
    assert tier.get("k", now=4) is None


def test_an_older_reading_never_replaces_a_newer_version():
    # Thread A reads version 5 from Redis; thread B's write bumps to 6 and notes it; A
    # notes its 5 last. The process must keep trusting 6 (its own write, seen at once).
    tier = search_cache._LocalTier()
    tier.note_version("v", b"6", now=1.0)
    tier.put("k6", b"fresh", expires=100)
    tier.note_version("v", b"5", now=0.9)
    assert tier.version("v", now=1.5) == b"6"
    assert tier.get("k6", now=1.5) == b"fresh"


def test_no_local_tier_keeps_nothing_in_memory(settings):
    settings.SEARCH_CACHE_LOCAL_SECONDS = 0
    tier = search_cache._LocalTier()
    tier.put("k", b"answer", expires=100)
    assert tier.get("k", now=1) is None


def test_a_bump_notes_the_version_redis_holds(location, clock):
    # Versions are nanosecond clocks (~1.8e18): a Lua number (a double) would round them.
    search_cache.directory_version()
    for _ in range(3):
        search_cache._bump()
        held = redis.Redis.from_url(location).get(search_cache._version_key())
        assert search_cache._local.version(search_cache._version_key(), clock.now) == held
