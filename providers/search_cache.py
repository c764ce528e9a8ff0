"""The directory's search cache: answers of the public search (the HTML page and
``GET /api/v1/therapists/``) kept in the cache (Redis in production, locmem in dev), keyed
by the query and a *directory version*.

The version is one integer in the cache. Every write that can change a search result or
a result card bumps it once its transaction commits (``bump_directory_version``): the
signal handlers in ``providers.signals`` for saves and deletes of therapists, licenses,
their modality/specialty/language links and the reference lists, and explicit calls where
rows change without signals (``.update()``, ``execute_values``, COPY): license expiry,
``booking.services.refresh_next_opening`` / ``refresh_openings`` (every change of a
stored next opening) and ``seed_demo``. A bumped version makes every older entry
unreachable; they age out by their TTL.

``SEARCH_CACHE_SECONDS`` (default 60; 0 turns the cache off) bounds how stale an entry can
be if a write ever missed its bump, and what only the clock changes: ``available_within``
("an opening within N days" counts from now) and a next opening passing by. The key holds
today's date, so licenses expiring at midnight leave the results at once.

A cache that does not answer (Redis down) never fails a search: it is then computed as
without the cache.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
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


def directory_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _new_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _bump() -> None:
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no version yet (or evicted): any fresh one will do
            cache.set(VERSION_KEY, _new_version(), timeout=None)
    except Exception:  # robust: the TTL still bounds staleness
        log.exception("search cache: could not bump the directory version")


def bump_directory_version() -> None:
    """Make every cached search answer unreachable once the current transaction commits
    (at once outside a transaction)."""
    transaction.on_commit(_bump)


def make_key(kind: str, parts: list[tuple[str, str]]) -> str | None:
    """The cache key of one answer: ``kind`` (what is cached), ``parts`` (everything the
    answer depends on besides the data: the query, the host, the viewer's zone...), today
    and the directory version. ``None`` when the cache is off or does not answer."""
    if not enabled():
        return None
    try:
        version = directory_version()
    except Exception:
        log.exception("search cache: no directory version")
        return None
    text = "\x1f".join(f"{k}\x1e{v}" for k, v in parts)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"search:{kind}:{version}:{clock.today().isoformat()}:{digest}"


def query_parts(params) -> list[tuple[str, str]]:
    """A query string's parameters, sorted, each value as given (a repeated parameter and
    an empty value too: the page's links and the API's ``next`` keep them). Not the
    validated values: validating a modality reads its list, and a hit must run no query;
    two spellings of one search only cost a second entry."""
    return sorted(("q:" + key, value) for key, values in params.lists() for value in values)


def get(key: str | None):
    if key is None:
        return None
    try:
        return cache.get(key)
    except Exception:
        log.exception("search cache: read failed")
        return None


def set(key: str | None, value) -> None:  # noqa: A001 (the cache's own verb)
    if key is None:
        return
    try:
        cache.set(key, value, timeout=settings.SEARCH_CACHE_SECONDS)
    except Exception:
        log.exception("search cache: write failed")
