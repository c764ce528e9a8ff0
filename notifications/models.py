from django.conf import settings
from django.db import models
from django.db.models import Q


class Reminder(models.Model):
    """One e-mail reminder of one session to one person, due at a moment.

    The database is the source of truth (PRODUCT rule 10): rows are created when a
    session is confirmed, cancelled with it, claimed by the dispatcher under a row lock,
    and marked sent exactly once. A row left ``sending`` by a worker that died is
    handed back after its lease: at most one duplicate per crash, never a lost row.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (too late)"
        CANCELLED = "cancelled", "Cancelled"

    session = models.ForeignKey(
        "booking.Session", on_delete=models.CASCADE, related_name="reminders"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    minutes_before = models.PositiveIntegerField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        help_text="Not before this moment (due_at, then later after a failed try)."
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status="pending"),
                name="reminder_due_idx",
            ),
            models.Index(
                fields=["claimed_at"], condition=Q(status="sending"), name="reminder_lease_idx"
            ),
            models.Index(fields=["status", "due_at"], name="reminder_status_due_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "recipient", "minutes_before"],
                name="reminder_once_per_session_recipient_offset",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["pending", "sending", "sent", "failed", "skipped", "cancelled"]
                ),
                name="reminder_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="reminder_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.pk} ({self.status}) due {self.due_at:%Y-%m-%d %H:%M}"


class DispatcherHeartbeat(models.Model):
    """When the dispatcher last ran (for /healthz and the staff page)."""

    name = models.CharField(max_length=40, unique=True)
    last_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.last_run_at}"
