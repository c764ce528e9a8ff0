import importlib
import os

import pytest
import redis

from tests.factories import (  # noqa: F401  (fixtures re-exported for every test)
    client_user,
    staff_verifier,
    therapist_user,
)


def pytest_sessionstart(session):
    # The Celery tests need a real Redis: a missing one is an error, never a skip.
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.exit(
            f"Redis does not answer at {url} ({exc}). Start it with "
            "`redis-server --daemonize yes --port 6379 --save '' --appendonly no` "
            "or set REDIS_URL.",
            returncode=3,
        )


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush every table afterwards, including the rows the data
    migrations seeded (modalities, specialties, languages, insurance plans, faiths, the
    boards' look-ups): put them back first."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    seed = importlib.import_module(
        "providers.migrations.0002_seed_modalities_specialties_languages"
    ).seed
    seed(apps, None)
    importlib.import_module("providers.migrations.0010_seed_insurance_and_faiths").seed(apps, None)
    from providers.board_lookups import seed as seed_board_lookups

    seed_board_lookups(apps)


@pytest.fixture(autouse=True)
def _fast_and_inline(settings):
    # Argon2 is slow by design; tests hash many passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Writes inside a test's transaction never commit, so never move the search cache's
    # directory version on: the cache is off unless a test turns it on
    # (tests/providers/test_search_cache.py, test_directory_changed.py).
    settings.SEARCH_CACHE_SECONDS = 0
    from therapy_directory.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(scope="session")
def _session_media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, _session_media_root):
    """No test writes uploaded files (therapists' photos) under the project's .data/:
    MEDIA_ROOT is a temporary folder. Tests that look at the folder take ``media_root``
    below, a fresh one of their own."""
    settings.MEDIA_ROOT = str(_session_media_root)


@pytest.fixture
def media_root(settings, tmp_path):
    """A fresh, empty MEDIA_ROOT for this test (a ``pathlib.Path``)."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root
