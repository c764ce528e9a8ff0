"""The transaction every service that locks rows runs in: its own, and bounded.

Use it instead of ``transaction.atomic()`` at the top of a service::

    from therapy_directory.transactions import service_transaction

    def confirm_booking(*, booking_id: int, by) -> Booking:
        with service_transaction():
            booking = Booking.objects.select_for_update().get(pk=booking_id)
            ...

It promises three things:

- **Its own transaction** (``atomic(durable=True)``): called inside another open
  ``atomic()`` block it raises RuntimeError at once, so a caller cannot silently stretch
  the service's locks over its own work, nor make the service's side effects (e-mails,
  tasks run on commit) depend on a commit the service does not control. Call services
  after the caller's transaction has committed. (Django's TestCase disables this check
  inside the test's own transaction.)
- **Bounded lock waits**: its first statement is ``SET LOCAL lock_timeout`` (setting
  ``LOCK_TIMEOUT_MS``), so no statement of the transaction waits longer than that for a
  row lock, and no worker hangs behind a stuck transaction.
- **One answer to a timeout**: when a lock is not granted in time the transaction rolls
  back and ``Busy`` is raised (a ``DomainError``, 503): the API answers
  ``{"detail": ...}`` with ``Retry-After``, pages show the message. Nothing was written.
  A beat task working item by item catches ``Busy`` and leaves the item for its next run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from psycopg2.errors import LockNotAvailable

from therapy_directory.errors import DomainError


class Busy(DomainError):
    """A row the change needs stayed locked by another change longer than
    ``LOCK_TIMEOUT_MS``: nothing was written, and trying again shortly will work."""

    http_status = 503
    retry_after_seconds = 1

    def __init__(self) -> None:
        super().__init__("Someone else is changing this right now. Please try again in a moment.")


@contextmanager
def service_transaction(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """``transaction.atomic(durable=True)`` whose lock waits end after ``LOCK_TIMEOUT_MS``
    with ``Busy``, raised after the rollback. Also usable as a decorator."""
    try:
        with transaction.atomic(using=using, durable=True):
            with connections[using].cursor() as cursor:
                # Read at call time, so a test (or a deployer's restart) can change it.
                cursor.execute("SET LOCAL lock_timeout = %s", [int(settings.LOCK_TIMEOUT_MS)])
            yield
    except OperationalError as exc:
        # SQLSTATE 55P03; Django wraps psycopg2's error and keeps it as the cause.
        if isinstance(exc.__cause__, LockNotAvailable):
            raise Busy from exc
        raise
