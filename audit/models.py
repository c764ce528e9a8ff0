"""The audit log: who did what to whose data, and when. Append-only.

Rows are written only by ``audit.services`` inside the transaction of the change they
record. Nothing may change or remove them: ``save()`` refuses updates, ``delete()``
refuses, the queryset refuses bulk updates and deletes, and a database trigger
(migration 0002) rejects UPDATE and DELETE from any client, the ORM or raw SQL.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import now


class AuditLogIsAppendOnly(Exception):
    """Raised when code tries to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be changed.")

    def delete(self):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")

    def staff_views_of(self, client) -> AuditEventQuerySet:
        """What "who looked at my record" lists: staff reading this client's data."""
        return self.filter(subject=client, action=AuditEvent.Action.CLIENT_DATA_VIEWED)


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        CLIENT_DATA_VIEWED = "client_data_viewed", "Staff viewed client data"
        LICENSE_VERIFIED = "license_verified", "License verified"
        LICENSE_REJECTED = "license_rejected", "License rejected"
        LICENSE_EXPIRED = "license_expired", "License expired"
        BOOKING_REQUESTED = "booking_requested", "Course booked"
        BOOKING_CONFIRMED = "booking_confirmed", "Course confirmed"
        BOOKING_DECLINED = "booking_declined", "Course declined"
        BOOKING_EXPIRED = "booking_expired", "Course request expired"
        BOOKING_CANCELLED = "booking_cancelled", "Rest of course cancelled"
        SESSION_CANCELLED = "session_cancelled", "Session cancelled"
        BOOKING_MOVED = "booking_moved", "Course moved"
        SESSION_DEFERRED = "session_deferred", "Session deferred to after the course"
        SESSION_KEPT = "session_kept", "Session kept in the therapist's time off"
        SESSION_MARKED = "session_marked", "Session marked completed / no-show"
        ENROLMENT_ENROLLED = "enrolment_enrolled", "Joined a group"
        ENROLMENT_WAITLISTED = "enrolment_waitlisted", "Joined a group's waitlist"
        ENROLMENT_OFFERED = "enrolment_offered", "Offered a group seat"
        ENROLMENT_LEFT = "enrolment_left", "Left a group"
        ENROLMENT_REMOVED = "enrolment_removed", "Removed from a group"
        ENROLMENT_DECLINED_OFFER = "enrolment_declined_offer", "Declined a group seat"
        ENROLMENT_EXPIRED_OFFER = "enrolment_expired_offer", "Group seat offer expired"
        ATTENDANCE_MARKED = "attendance_marked", "Group attendance marked"
        MEETING_CANCELLED = "meeting_cancelled", "Group meeting cancelled"
        GROUP_CANCELLED = "group_cancelled", "Group cancelled"

    class Role(models.TextChoices):
        CLIENT = "client", "Client"
        THERAPIST = "therapist", "Therapist"
        STAFF = "staff", "Staff"
        SYSTEM = "system", "System"

    # PROTECT: a person with audit history is deactivated, never deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events_done",
        help_text="Who did it; empty for the system (scheduled tasks).",
    )
    actor_role = models.CharField(max_length=16, choices=Role.choices)
    action = models.CharField(max_length=32, choices=Action.choices)
    target_type = models.CharField(max_length=32, help_text="booking, session, license, …")
    target_id = models.BigIntegerField(null=True, blank=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events_about",
        help_text="The client whose data this is, if any.",
    )
    # Ids, statuses and counts only: never notes, reasons or anything clinical.
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["subject", "created_at"], name="audit_subject_created_idx"),
            models.Index(fields=["created_at"], name="audit_created_idx"),
            models.Index(fields=["actor", "created_at"], name="audit_actor_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(actor_role__in=["client", "therapist", "staff", "system"]),
                name="audit_actor_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly("Audit events cannot be changed.")
        # Never an UPDATE, even for an event built with an existing id.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")
