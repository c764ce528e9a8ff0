"""Writing the audit log. The services that change bookings, enrolments and licenses
call ``record`` inside their own transaction, so an event exists exactly when its
change committed. Views call ``record_staff_view`` when staff read a client's data.

Details carry ids, statuses and counts, never reasons, notes or anything clinical.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.timezone import now

from accounts.lockout import client_ip
from audit.models import AuditEvent

Action = AuditEvent.Action


def _role(actor) -> str:
    if actor is None:
        return AuditEvent.Role.SYSTEM
    if getattr(actor, "is_staff", False):
        return AuditEvent.Role.STAFF
    return getattr(actor, "role", "") or AuditEvent.Role.CLIENT


def _event(
    *,
    action: str,
    actor,
    target_type: str,
    target_id: int | None,
    subject_id: int | None,
    details: dict[str, Any] | None,
    ip: str | None,
    at,
) -> AuditEvent:
    return AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        actor_role=_role(actor),
        action=action,
        target_type=target_type,
        target_id=target_id,
        subject_id=subject_id,
        details=details or {},
        ip=ip,
        created_at=at,
    )


def record(
    *,
    action: str,
    actor,
    target,
    subject_id: int | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """One event about ``target`` (a model instance). Call it inside the transaction of
    the change it records."""
    event = _event(
        action=action,
        actor=actor,
        target_type=target._meta.model_name,
        target_id=target.pk,
        subject_id=subject_id,
        details=details,
        ip=ip,
        at=now(),
    )
    event.save()
    return event


def record_many(
    *,
    action: str,
    actor,
    target_type: str,
    rows: Iterable[tuple[int | None, int | None, dict[str, Any] | None]],
    ip: str | None = None,
) -> list[AuditEvent]:
    """Several events in one INSERT: ``rows`` are (target id, subject id, details)."""
    at = now()
    events = [
        _event(
            action=action,
            actor=actor,
            target_type=target_type,
            target_id=target_id,
            subject_id=subject_id,
            details=details,
            ip=ip,
            at=at,
        )
        for target_id, subject_id, details in rows
    ]
    return AuditEvent.objects.bulk_create(events) if events else []


def record_staff_view(request, *, target_type: str, seen: Iterable[tuple[int, int | None]]):
    """Staff read client data: one event per client whose data the page or response
    showed (``seen`` is (client id, object id) pairs), in a single INSERT. Nothing is
    recorded for anyone but staff, and nothing for one's own data."""
    user = request.user
    if not (user.is_authenticated and user.is_staff):
        return []
    by_client: dict[int, list[int]] = {}
    for client_id, object_id in seen:
        if client_id is None or client_id == user.pk:
            continue
        ids = by_client.setdefault(client_id, [])
        if object_id is not None and object_id not in ids:
            ids.append(object_id)
    rows = [
        (ids[0] if len(ids) == 1 else None, client_id, {"ids": ids, "path": request.path})
        for client_id, ids in by_client.items()
    ]
    return record_many(
        action=Action.CLIENT_DATA_VIEWED,
        actor=user,
        target_type=target_type,
        rows=rows,
        ip=client_ip(request) or None,
    )
