"""The therapist's row lock: every change to a therapist's calendar (hours, time off,
courses, groups) takes it first, so changes of one calendar are served one after the
other and each one checks what the one before it committed."""

from __future__ import annotations

from providers.models import Therapist


def locked_therapist(therapist_id: int) -> Therapist:
    """The therapist's row, locked until the end of the caller's transaction (a
    ``service_transaction``: the wait ends with ``Busy`` after ``LOCK_TIMEOUT_MS``)."""
    return Therapist.objects.select_for_update().get(pk=therapist_id)
