"""The directory's search cache: answers of the public search (the page's filters and
results, and the JSON of ``GET /api/v1/therapists/``) kept through Django's cache API
(Redis in production, locmem in dev), keyed by the sorted query, today's date and a
*directory version*.

The version is one integer in the cache. ``directory_changed()`` is the one way to make
cached answers stale: every service that writes data a search reads or a result card
shows calls it inside its transaction, and the version moves on once that transaction
commits. Entries under an older version are never read again; they age out by their TTL.

``SEARCH_CACHE_SECONDS`` (default 60; 0 turns the cache off) is the safety net: it bounds
how stale an answer can be if a writer ever forgot the call, and covers what only the
clock changes ("an opening within N days" counts from now). Today's date in the key makes
licenses that expire at midnight leave the results at once.

A cache that does not answer (Redis down) never fails a search or a write: the search is
then computed as if there were no cache.
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
    return settings.SEARCH_CACHE_SECONDS > 0


def directory_version() -> int:
    """The current directory version, created on first use. It starts from the clock, not
    from 1: if the key is ever evicted, a new version never meets entries stored under an
    old one."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _next_version() -> None:
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no version yet (or evicted): any new one will do
            cache.set(VERSION_KEY, time.time_ns(), timeout=None)
    except Exception:  # the TTL still bounds how stale an answer gets
        log.exception("search cache: could not move the directory version on")


def directory_changed() -> None:
    """The one call a service makes, inside its transaction, after it wrote data that a
    search reads or a result card shows (therapists, licenses, their modality, specialty,
    language and insurance links, the reference lists, next openings): every cached search answer
    is stale once the transaction commits, and none if it rolls back. Outside a
    transaction, at once."""
    transaction.on_commit(_next_version)


def query_parts(params) -> list[tuple[str, str]]:
    """A query string's parameters, sorted, each value as given (a repeated parameter and
    an empty value too: the page's links and the API's ``next`` keep them). Not the
    validated values: validating a modality reads its list, and a hit must run no query;
    two spellings of one search only cost a second entry."""
    return sorted(("q:" + key, value) for key, values in params.lists() for value in values)


def lookup(kind: str, parts: list[tuple[str, str]]) -> tuple[str | None, object]:
    """The cached answer of one kind (``"page"``, ``"api"``) for ``parts`` (everything it
    depends on besides the data: the query, the host, the viewer's zone...) under today's
    date and the current directory version, and the key to ``store`` it under when it was
    not there. ``(None, None)`` when the cache is off or not answering."""
    if not enabled():
        return None, None
    text = "\x1f".join(f"{k}\x1e{v}" for k, v in parts)
    digest = hashlib.sha256(text.encode()).hexdigest()
    try:
        key = f"search:{kind}:{directory_version()}:{clock.today().isoformat()}:{digest}"
        return key, cache.get(key)
    except Exception:
        log.exception("search cache: lookup failed")
        return None, None


def store(key: str | None, value: object) -> None:
    """Keep an answer found missing by ``lookup`` for ``SEARCH_CACHE_SECONDS``."""
    if key is None:
        return
    try:
        cache.set(key, value, timeout=settings.SEARCH_CACHE_SECONDS)
    except Exception:
        log.exception("search cache: write failed")
