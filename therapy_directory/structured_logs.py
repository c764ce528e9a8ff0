"""Logs as JSON lines: one per request, one per Celery task, and every other record.

What the lines may carry is decided here, not at each call: method, path (no query
string, secrets in the path masked), status, duration, the user's id, a request id;
the task's name, id, state and duration. Never an e-mail, a name, a query string or a
body: a search can name a person, and these logs leave the building (log shippers,
support tickets). Tests: tests/test_structured_logs.py.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
import traceback
import uuid

from celery import signals
from django.urls import Resolver404, resolve

request_logger = logging.getLogger("rapport.request")
task_logger = logging.getLogger("rapport.task")

# URL parts that are secrets: the private calendar feed, reset and sign-up links.
SECRET_URL_KWARGS = {"token", "uidb64"}
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the record's
    ``fields`` (set with ``extra={"fields": {...}}``)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info and record.exc_info[0] is not None:
            # The type and the frames (our code), not the message: an exception's text
            # can quote the data it choked on.
            kind, _, tb = record.exc_info
            entry["exception"] = kind.__name__
            entry["traceback"] = "".join(traceback.format_tb(tb))
        return json.dumps(entry, default=str)


def _resolve(path: str):
    """The URL match of a request answered before routing (the slash or HTTPS redirect
    of a sign-up or reset link), so its secret parts are masked too."""
    for candidate in (path, path + "/"):
        try:
            return resolve(candidate)
        except Resolver404:
            continue
    return None


def loggable_path(request) -> str:
    """The path without its query string, with secret URL parts replaced by their name."""
    path = request.path
    match = getattr(request, "resolver_match", None) or _resolve(request.path_info)
    if match is not None:
        for name, value in match.kwargs.items():
            if name in SECRET_URL_KWARGS and value:
                path = path.replace(str(value), f"<{name}>")
    return path


class RequestLogMiddleware:
    """First in MIDDLEWARE: times the whole request and writes its one log line. The
    request id comes from a proxy's X-Request-ID when it looks like one, else is made
    here, and is sent back in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = request.id
            return response
        finally:
            user = getattr(request, "user", None)
            request_logger.info(
                "request",
                extra={
                    "fields": {
                        "request_id": request.id,
                        "method": request.method,
                        "path": loggable_path(request),
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        "user_id": user.pk if user is not None and user.is_authenticated else None,
                    }
                },
            )


_task_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_prerun(task_id=None, **_):
    _task_started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_postrun(task_id=None, task=None, state=None, **_):
    started = _task_started.pop(task_id, None)
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    task_logger.info(
        "task",
        extra={
            "fields": {
                "task": getattr(task, "name", None),
                "task_id": task_id,
                "state": state,
                "duration_ms": duration,
            }
        },
    )


@signals.task_failure.connect
def _task_failure(task_id=None, exception=None, sender=None, traceback=None, **_):
    # The exception's type and frames only: its message may quote the task's arguments
    # (which is why Celery's own failure line, celery.app.trace, is silenced in LOGGING).
    task_logger.error(
        "task failed",
        exc_info=(type(exception), exception, traceback),
        extra={
            "fields": {
                "task": getattr(sender, "name", None),
                "task_id": task_id,
                "state": "FAILURE",
                "error": type(exception).__name__,
            }
        },
    )
