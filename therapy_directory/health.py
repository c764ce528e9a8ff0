"""/healthz for load balancers and monitors: 200 only when the database and Redis
answer and the reminder dispatcher ran recently; otherwise 503 naming what failed."""

import datetime as dt

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils.timezone import now

from notifications.models import DispatcherHeartbeat

DISPATCHER_MAX_SILENCE = dt.timedelta(minutes=5)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 — reported, never raised
        return f"error: {type(exc).__name__}"
    return "ok"


def _redis() -> str:
    urls = [
        url
        for url in (settings.REDIS_URL, settings.CELERY_BROKER_URL)
        if url and url.startswith(("redis://", "rediss://"))
    ]
    if not urls:
        return "not used"  # the zero-setup demo: filesystem broker, local cache
    for url in dict.fromkeys(urls):
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        except redis.RedisError as exc:
            return f"error: {type(exc).__name__}"
    return "ok"


def _dispatcher() -> str:
    try:
        beat = DispatcherHeartbeat.objects.filter(name="reminders").first()
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}"
    if beat is None:
        return "error: the reminder dispatcher has never run"
    silence = now() - beat.last_run_at
    if silence > DISPATCHER_MAX_SILENCE:
        return f"error: the reminder dispatcher last ran {int(silence.total_seconds())} s ago"
    return "ok"


def healthz(request):
    checks = {"database": _database(), "redis": _redis()}
    checks["reminders"] = _dispatcher() if checks["database"] == "ok" else "unknown"
    healthy = all(value in ("ok", "not used") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
