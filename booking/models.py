from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import Deferrable, Func, Q
from django.utils.timezone import now

from providers.models import Format, Modality, Therapist


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class AvailabilityRule(models.Model):
    """Weekly working hours: wall-clock times on a weekday, in the therapist's zone."""

    WEEKDAYS = [
        (0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"),
        (4, "Friday"), (5, "Saturday"), (6, "Sunday"),
    ]  # fmt: skip

    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")), name="hours_start_before_end"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="hours_weekday_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class TimeOff(models.Model):
    """Whole local days off (inclusive)."""

    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="time_off")
    start_date = models.DateField()
    end_date = models.DateField()
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=models.F("end_date")), name="time_off_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_date} – {self.end_date}"


class Booking(models.Model):
    """A course: one client, one therapist, the same weekly time for N weeks."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the therapist"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired unconfirmed"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="bookings")
    modality = models.ForeignKey(Modality, on_delete=models.PROTECT)
    format = models.CharField(max_length=16, choices=Format.choices)
    weeks = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=now)
    hold_until = models.DateTimeField(null=True, blank=True, help_text="Pending holds expire then.")
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="booking_client_idx"),
            models.Index(fields=["therapist", "status"], name="booking_therapist_status_idx"),
            models.Index(
                fields=["hold_until"],
                condition=Q(status="pending"),
                name="booking_pending_hold_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(weeks__gte=1) & Q(weeks__lte=16), name="booking_weeks_1_to_16"
            ),
            models.CheckConstraint(
                condition=Q(format__in=["telehealth", "in_person"]), name="booking_format_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Booking {self.pk}: {self.weeks} weeks with {self.therapist_id} ({self.status})"


ACTIVE_SESSION_STATES = ("pending", "confirmed")


class SessionQuerySet(models.QuerySet):
    def active(self) -> SessionQuerySet:
        """Sessions that hold the therapist's time."""
        return self.filter(status__in=ACTIVE_SESSION_STATES)

    def upcoming(self) -> SessionQuerySet:
        return self.filter(start__gte=now()).order_by("start", "id")

    def past(self) -> SessionQuerySet:
        return self.filter(start__lt=now()).order_by("-start", "-id")

    def overlapping(self, start, end) -> SessionQuerySet:
        return self.filter(start__lt=end, end__gt=start)


class Session(models.Model):
    """One meeting of a course. The database itself refuses two active sessions of one
    therapist that overlap (exclusion constraint), whatever the application does."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the therapist"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired unconfirmed"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "No-show"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="sessions")
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="sessions")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sessions"
    )
    week = models.PositiveSmallIntegerField(help_text="1 for the first week of the course")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancel_reason = models.TextField(blank=True)
    late_cancellation = models.BooleanField(default=False)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["therapist", "start"], name="session_therapist_start_idx"),
            models.Index(fields=["client", "start"], name="session_client_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")), name="session_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "pending",
                        "confirmed",
                        "declined",
                        "expired",
                        "cancelled",
                        "completed",
                        "no_show",
                    ]
                ),
                name="session_status_valid",
            ),  # fmt: skip
            ExclusionConstraint(
                name="session_no_double_booking",
                expressions=[
                    ("therapist", RangeOperators.EQUAL),
                    (TsTzRange("start", "end", models.Value("[)")), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=list(ACTIVE_SESSION_STATES)),
                # Checked per statement as usual; moving a course defers it to commit so
                # its sessions can swap weeks inside one transaction.
                deferrable=Deferrable.IMMEDIATE,
            ),
            models.UniqueConstraint(fields=["booking", "week"], name="session_one_per_week"),
        ]

    def __str__(self) -> str:
        return f"Session {self.pk} {self.start:%Y-%m-%d %H:%M} UTC ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_SESSION_STATES


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A private, revocable address for a person's .ics feed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user_id}"
