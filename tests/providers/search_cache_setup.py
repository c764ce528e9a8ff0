"""The search cache on, in Redis as deployed, for one test: its own Redis database and a
key prefix of the test's own, removed afterwards."""

import contextlib
import os
import uuid

import redis


def redis_location() -> str:
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379").rsplit("/", 1)
    return base[0] + "/13" if base[-1].isdigit() else "/".join(base) + "/13"


@contextlib.contextmanager
def search_cache_in_redis(settings):
    settings.SEARCH_CACHE_SECONDS = 60
    location = redis_location()
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
        }
    }
    try:
        yield
    finally:
        client = redis.Redis.from_url(location)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
