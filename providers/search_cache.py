"""The directory's search cache: answers of the public search (the HTML page and
``GET /api/v1/therapists/``) kept in the cache (Redis in production, locmem in dev), keyed
by the query and a *directory version*.

The version is one integer in the cache. Every write that can change a search result or
a result card bumps it once its transaction commits (``bump_directory_version``): the
signal handlers in ``providers.signals`` for saves and deletes of therapists, licenses,
their modality/specialty/language links and the reference lists, and explicit calls where
rows change without signals (``.update()``, ``execute_values``, COPY): license expiry,
``booking.services.refresh_openings`` (every change of a stored next opening) and
``seed_demo``. A bumped version makes every older entry unreachable; they age out by
their TTL.

``SEARCH_CACHE_SECONDS`` (default 60; 0 turns the cache off) bounds how stale an entry can
be if a write ever missed its bump, and what only the clock changes: ``available_within``
("an opening within N days" counts from now) and a next opening passing by. The key holds
today's date, so licenses expiring at midnight leave the results at once.

With Redis, each process also keeps the answers it read or stored in its own memory (a
*local tier*, ``SEARCH_CACHE_LOCAL_BYTES``, least recently used first out) and trusts the
version it last read for ``SEARCH_CACHE_LOCAL_SECONDS`` (default 1): a search repeated
within that time asks Redis nothing (a Redis round trip was most of a cache hit's cost).
So a write made in another process reaches this process's searches within that time; its
own writes at once (a bump records the new version here too). A local entry never
outlives the Redis entry it came from.

A cache that does not answer (Redis down) never fails a search: it is then computed as
without the cache.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction

from therapy_directory import clock

log = logging.getLogger(__name__)

VERSION_KEY = "search:directory-version"


def enabled() -> bool:
    return getattr(settings, "SEARCH_CACHE_SECONDS", 0) > 0


def _new_version() -> int:
    # Not 1: if the version key is ever evicted, a restart from a small number could meet
    # entries stored under that number before. Nanoseconds never repeat.
    return time.time_ns()


# --- Redis: one round trip per lookup ------------------------------------------------
# With Redis (production), a lookup reads the version and the entry under it in one
# script call, through one client kept per process: through Django's cache API it took
# two round trips and two client objects, about half of a cache hit's time.

_LOOKUP = """
local version = redis.call('GET', KEYS[1])
if not version then return false end
local key = ARGV[1] .. version .. ARGV[2]
return {version, redis.call('GET', key), redis.call('PTTL', key)}
"""
_GET = """
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
"""
# Returns the new version as Redis stores it: INCR's own reply would pass through a Lua
# number (a double), which rounds versions this large.
_BUMP = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCR', KEYS[1])
else redis.call('SET', KEYS[1], ARGV[1]) end
return redis.call('GET', KEYS[1])
"""


class _Redis:
    def __init__(self, location: str):
        import redis

        self.client = redis.Redis.from_url(location)
        self.lookup = self.client.register_script(_LOOKUP)
        self.get = self.client.register_script(_GET)
        self.bump = self.client.register_script(_BUMP)


class _LocalTier:
    """This process's copy of recent answers read from or stored into Redis, and the
    directory version it last read (per version key: one per cache prefix)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._versions: dict[str, tuple[bytes, float]] = {}
        self._entries: OrderedDict[str, tuple[float, object, int]] = OrderedDict()
        self._bytes = 0

    def version(self, version_key: str, now: float) -> bytes | None:
        """The version read less than ``SEARCH_CACHE_LOCAL_SECONDS`` ago, if any."""
        seen = self._versions.get(version_key)
        if seen is None or now - seen[1] >= settings.SEARCH_CACHE_LOCAL_SECONDS:
            return None
        return seen[0]

    def note_version(self, version_key: str, version: bytes, now: float) -> None:
        with self._lock:
            previous = self._versions.get(version_key)
            if previous is not None and int(previous[0]) > int(version):
                # Versions only grow: this reading is older than one already noted (a
                # lookup that read Redis before another thread's bump, noting after it).
                return
            self._versions[version_key] = (version, now)
            if previous is not None and previous[0] != version:
                # Every entry under an older version is unreachable now.
                self._entries.clear()
                self._bytes = 0

    def get(self, key: str, now: float):
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[0] <= now:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: str, value, *, expires: float) -> None:
        size = _size(value)
        budget = settings.SEARCH_CACHE_LOCAL_BYTES
        if size > budget or settings.SEARCH_CACHE_LOCAL_SECONDS <= 0:
            return  # too large, or no local tier: nothing would read it
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (expires, value, size)
            self._bytes += size
            while self._bytes > budget:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        self._bytes -= self._entries.pop(key)[2]

    def clear(self) -> None:
        with self._lock:
            self._versions.clear()
            self._entries.clear()
            self._bytes = 0


def _size(value) -> int:
    """About the memory an answer holds: its text (bytes, str, or a tuple of them)."""
    if isinstance(value, tuple):
        return sum(_size(part) for part in value)
    return len(value) if isinstance(value, (bytes, str)) else 1024


_local = _LocalTier()
_monotonic = time.monotonic


_redis_clients: dict[str, _Redis] = {}


def _redis() -> _Redis | None:
    """This process's client for the default cache, if it is Redis."""
    from django.core.cache.backends.redis import RedisCache

    if not isinstance(caches["default"], RedisCache):
        return None
    location = settings.CACHES["default"]["LOCATION"]
    location = location if isinstance(location, str) else location[0]
    if location not in _redis_clients:
        _redis_clients[location] = _Redis(location)
    return _redis_clients[location]


def _version_key() -> str:
    return cache.make_and_validate_key(VERSION_KEY)


# --- The directory version -----------------------------------------------------------


def directory_version() -> int:
    if (store := _redis()) is not None:
        key = _version_key()
        store.client.set(key, _new_version(), nx=True)
        return int(store.client.get(key))
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _new_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _bump() -> None:
    try:
        if (store := _redis()) is not None:
            key = _version_key()
            version = store.bump(keys=[key], args=[_new_version()])
            # This process sees its own write at once, whatever it last read.
            _local.note_version(key, version, _monotonic())
            return
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no version yet (or evicted): any fresh one will do
            cache.set(VERSION_KEY, _new_version(), timeout=None)
    except Exception:  # robust: the TTL still bounds staleness
        log.exception("search cache: could not bump the directory version")


def bump_directory_version() -> None:
    """Make every cached search answer unreachable once the current transaction commits
    (at once outside a transaction). A transaction with several such writes bumps once
    per write: a few Redis round trips on a rare write, where keeping one bump per
    transaction would mean editing Django's private list of on-commit callbacks."""
    transaction.on_commit(_bump)


# --- Answers -------------------------------------------------------------------------


def query_parts(params) -> list[tuple[str, str]]:
    """A query string's parameters, sorted, each value as given (a repeated parameter and
    an empty value too: the page's links and the API's ``next`` keep them). Not the
    validated values: validating a modality reads its list, and a hit must run no query;
    two spellings of one search only cost a second entry."""
    return sorted(("q:" + key, value) for key, values in params.lists() for value in values)


def lookup(kind: str, parts: list[tuple[str, str]]) -> tuple[str | None, object]:
    """The cached answer of one kind (``"api"``, ``"html"``...) for ``parts`` (everything
    the answer depends on besides the data: the query, the host, the viewer's zone...)
    under today's date and the current directory version, and the key to ``store`` it
    under when it was not there. ``(None, None)`` when the cache is off or not answering."""
    if not enabled():
        return None, None
    text = "\x1f".join(f"{k}\x1e{v}" for k, v in parts)
    digest = hashlib.sha256(text.encode()).hexdigest()
    suffix = f":{clock.today().isoformat()}:{digest}"
    try:
        if (store := _redis()) is not None:
            return _redis_lookup(store, kind, suffix)
        key = f"search:{kind}:{directory_version()}{suffix}"
        return key, cache.get(key)
    except Exception:
        log.exception("search cache: lookup failed")
        return None, None


def _redis_lookup(store: _Redis, kind: str, suffix: str) -> tuple[str, object]:
    """The local tier first, under the version read less than SEARCH_CACHE_LOCAL_SECONDS
    ago; else one Redis round trip (the entry, and the version too when it is due)."""
    prefix = cache.make_and_validate_key(f"search:{kind}:")
    version_key = _version_key()
    now = _monotonic()
    version = _local.version(version_key, now)
    if version is not None:
        key = prefix + version.decode() + suffix
        if (value := _local.get(key, now)) is not None:
            return "redis:" + key, value
        blob, ttl_ms = store.get(keys=[key])
    else:
        found = store.lookup(keys=[version_key], args=[prefix, suffix])
        if not found:  # no version yet
            directory_version()
            found = store.lookup(keys=[version_key], args=[prefix, suffix])
        version, blob, ttl_ms = found
        _local.note_version(version_key, version, now)
        key = prefix + version.decode() + suffix
    if blob is None:
        return "redis:" + key, None
    # Our own entries, written by store() into our Redis: the same trust boundary as
    # Django's RedisCache, which pickles every value the same way.
    value = pickle.loads(blob)  # noqa: S301  # nosec B301
    if ttl_ms > 0:
        _local.put(key, value, expires=now + ttl_ms / 1000)
    return "redis:" + key, value


def store(key: str | None, value) -> None:
    if key is None:
        return
    seconds = settings.SEARCH_CACHE_SECONDS
    try:
        if key.startswith("redis:") and (redis_store := _redis()) is not None:
            key = key.removeprefix("redis:")
            expires = _monotonic() + seconds  # before the SET: never after Redis's own end
            redis_store.client.set(key, pickle.dumps(value, pickle.HIGHEST_PROTOCOL), ex=seconds)
            _local.put(key, value, expires=expires)
        else:
            cache.set(key, value, timeout=seconds)
    except Exception:
        log.exception("search cache: write failed")


def directory_changed() -> None:
    """The one call a service makes, inside its transaction, after it wrote data that a
    search reads or a result card shows: every cached search answer is stale once the
    transaction commits."""
    bump_directory_version()
