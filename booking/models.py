from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeOperators
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Deferrable, Func, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils.timezone import now

from accounts.places import US_STATES
from providers.models import FEE_MAX, ONE_LINE, Between, Format, Modality, Therapist, long_text
from therapy_directory.validators import LONG_TEXT_MAX, REASON_MAX, at_most_chars


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
    note = models.CharField(max_length=120, blank=True, validators=ONE_LINE)

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
    decline_reason = long_text(REASON_MAX, blank=True)
    skipped = ArrayField(
        models.DateField(),
        default=list,
        blank=True,
        help_text="Local dates of the weeks the course skips for the therapist's time off.",
    )

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
            at_most_chars("decline_reason", REASON_MAX),
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

    # Sessions that will not take place: shown apart from the upcoming and past ones.
    ENDED_UNHELD = ("cancelled", "declined", "expired")

    # A session belongs to a course (booking, with its one client) or is a meeting of a
    # group (no client: the members are its enrolments). Both hold the therapist's time
    # under the same exclusion constraint.
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="sessions", null=True, blank=True
    )
    group = models.ForeignKey(
        "Group", on_delete=models.CASCADE, related_name="meetings", null=True, blank=True
    )
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="sessions")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sessions",
        null=True,
        blank=True,
    )
    week = models.PositiveSmallIntegerField(
        help_text="1 for the first week of a course; a group numbers its meetings 1, 2, …"
    )
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
    cancel_reason = long_text(REASON_MAX, blank=True)
    late_cancellation = models.BooleanField(default=False)
    # What calendar apps compare to tell a changed event (booking/calendar.py: SEQUENCE,
    # LAST-MODIFIED, DTSTAMP). A database trigger (migration 0003_session_sequence) bumps
    # both whenever start, end or status change, whatever code does it: bulk updates too.
    sequence = models.PositiveIntegerField(db_default=0, editable=False)
    changed_at = models.DateTimeField(db_default=Now(), editable=False)
    kept_in_time_off = models.BooleanField(
        default=False,
        help_text="The therapist chose to hold it though it falls in their time off "
        "(PRODUCT rule 4): no longer listed for a decision.",
    )

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
            models.UniqueConstraint(fields=["group", "week"], name="session_group_one_per_week"),
            models.CheckConstraint(
                condition=(
                    Q(booking__isnull=False, client__isnull=False, group__isnull=True)
                    | Q(booking__isnull=True, client__isnull=True, group__isnull=False)
                ),
                name="session_course_or_group",
            ),
            at_most_chars("cancel_reason", REASON_MAX),
        ]

    def __str__(self) -> str:
        return f"Session {self.pk} {self.start:%Y-%m-%d %H:%M} UTC ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_SESSION_STATES

    @property
    def meeting_format(self) -> str:
        """telehealth or in_person, from the course or the group."""
        return (self.group if self.group_id else self.booking).format


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


# --- Group programs (PRODUCT rule 9) ----------------------------------------------------


class GroupQuerySet(models.QuerySet):
    def listed(self) -> GroupQuerySet:
        """Active groups with a meeting still ahead, run by a findable therapist."""
        return self.filter(
            status=Group.Status.ACTIVE,
            therapist__in=Therapist.objects.findable(),
            pk__in=Session.objects.filter(
                group__isnull=False, status__in=ACTIVE_SESSION_STATES, start__gt=now()
            ).values("group_id"),
        )


class Group(models.Model):
    """A therapy group: a time on one or several weekdays (the therapist's zone) for N
    weeks, a capacity, and the license states it serves. Its meetings are ``Session``
    rows (group set, client empty, ``week`` numbering the meetings 1, 2, … in order),
    created with it, so the calendar constraint covers them too."""

    class Kind(models.TextChoices):
        INTERPERSONAL_PROCESS = "interpersonal_process", "Interpersonal process group"
        SUPPORTIVE = "supportive", "Supportive group"
        GRIEF = "grief", "Grief group"
        IPT_GROUP = "ipt_group", "IPT group"
        INTENSIVE = "intensive", "Intensive outpatient program"
        OTHER = "other", "Other group"

    class Individual(models.TextChoices):
        """A weekly individual session with the group's therapist, alongside the group."""

        NONE = "none", "No individual sessions"
        OFFERED = "offered", "A weekly individual session is offered"
        REQUIRED = "required", "A weekly individual session is part of the program"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"

    MAX_WEEKS = 52
    MAX_CAPACITY = 50

    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="groups")
    title = models.CharField(max_length=120, validators=ONE_LINE)
    description = long_text(LONG_TEXT_MAX, blank=True)
    modality = models.ForeignKey(Modality, on_delete=models.PROTECT, related_name="groups")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    format = models.CharField(max_length=16, choices=Format.choices)
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(choices=AvailabilityRule.WEEKDAYS),
        help_text="The days it meets each week (0 = Monday), in order: one, or several for "
        "an intensive program.",
    )
    start_time = models.TimeField(help_text="Wall-clock time in the therapist's zone.")
    meeting_minutes = models.PositiveSmallIntegerField(default=90)
    start_date = models.DateField(help_text="The first meeting is on or after this day.")
    weeks = models.PositiveSmallIntegerField()
    capacity = models.PositiveSmallIntegerField()
    fee = models.IntegerField(
        "fee per meeting (USD)",
        null=True,
        blank=True,
        validators=[Between(0, FEE_MAX, f"Give a fee between $0 and ${FEE_MAX:,}.")],
        help_text="0 for a free group; empty: members ask the therapist.",
    )
    states = ArrayField(models.CharField(max_length=2, choices=US_STATES))
    individual = models.CharField(
        "individual sessions",
        max_length=10,
        choices=Individual.choices,
        default=Individual.NONE,
        help_text="Whether members also book a weekly individual course with the therapist.",
    )
    video_url = models.URLField(
        "group video room",
        max_length=300,
        blank=True,
        help_text="A video room for this group; empty: the therapist's own video room.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = long_text(REASON_MAX, blank=True)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "start_time", "id"]
        indexes = [
            models.Index(fields=["status", "start_date"], name="group_status_start_idx"),
            GinIndex(fields=["states"], name="group_states_gin"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gte=1) & Q(capacity__lte=50), name="group_capacity_1_to_50"
            ),
            models.CheckConstraint(
                condition=Q(weeks__gte=1) & Q(weeks__lte=52), name="group_weeks_1_to_52"
            ),
            models.CheckConstraint(
                condition=Q(weekdays__len__gte=1)
                & Q(weekdays__len__lte=7)
                & Q(weekdays__contained_by=[0, 1, 2, 3, 4, 5, 6]),
                name="group_weekdays_valid",
            ),
            models.CheckConstraint(
                condition=Q(individual__in=["none", "offered", "required"]),
                name="group_individual_valid",
            ),
            models.CheckConstraint(
                condition=Q(meeting_minutes__gte=15) & Q(meeting_minutes__lte=240),
                name="group_meeting_minutes_range",
            ),
            models.CheckConstraint(
                condition=Q(format__in=["telehealth", "in_person"]), name="group_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "cancelled"]), name="group_status_valid"
            ),
            models.CheckConstraint(condition=Q(states__len__gte=1), name="group_has_states"),
            models.CheckConstraint(
                condition=Q(fee__isnull=True) | (Q(fee__gte=0) & Q(fee__lte=FEE_MAX)),
                name="group_fee_range",
            ),
            at_most_chars("description", LONG_TEXT_MAX),
            at_most_chars("cancel_reason", REASON_MAX),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("booking:group_detail", kwargs={"pk": self.pk})

    @property
    def meeting_count(self) -> int:
        """Meetings in all: one on each of its weekdays, every week."""
        return self.weeks * len(self.weekdays)

    @property
    def fee_per_week(self) -> int | None:
        """What a member pays for a week of meetings (the fee is per meeting)."""
        return None if self.fee is None else self.fee * len(self.weekdays)


LIVE_ENROLMENT_STATES = ("enrolled", "waitlisted", "offered")
# Statuses that hold one of the group's seats.
SEAT_STATES = ("enrolled", "offered")


class Enrolment(models.Model):
    """A client's place in a group: a seat, a place on the waitlist, or a seat offered to
    them for 24 h. ``queue_number`` is handed out under the group's row lock, so it is
    the order in which enrolments committed: the waitlist is first come, first served."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", "Enrolled"
        WAITLISTED = "waitlisted", "On the waitlist"
        OFFERED = "offered", "Seat offered"
        LEFT = "left", "Left"
        REMOVED = "removed", "Removed by the therapist"
        DECLINED_OFFER = "declined_offer", "Declined the offered seat"
        EXPIRED_OFFER = "expired_offer", "Offer expired"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="enrolments")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrolments"
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    queue_number = models.PositiveIntegerField(help_text="Arrival order within the group.")
    offered_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    seated_at = models.DateTimeField(
        null=True, blank=True, help_text="When they took a seat; empty while only waiting."
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["group", "queue_number"]
        indexes = [
            models.Index(fields=["client", "status"], name="enrolment_client_status_idx"),
            models.Index(
                fields=["offered_until"],
                condition=Q(status="offered"),
                name="enrolment_offer_due_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "client"],
                condition=Q(status__in=["enrolled", "waitlisted", "offered"]),
                name="enrolment_one_live_per_client",
            ),
            models.UniqueConstraint(
                fields=["group", "queue_number"], name="enrolment_queue_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "enrolled",
                        "waitlisted",
                        "offered",
                        "left",
                        "removed",
                        "declined_offer",
                        "expired_offer",
                    ]
                ),  # fmt: skip
                name="enrolment_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(offered_until__isnull=False),
                name="enrolment_offer_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"Enrolment {self.pk} in group {self.group_id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_ENROLMENT_STATES


class Attendance(models.Model):
    """Present or absent, per member per group meeting, as the therapist recorded it."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attendance"
    )
    present = models.BooleanField()
    marked_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["session", "client"]
        constraints = [
            models.UniqueConstraint(fields=["session", "client"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{'Present' if self.present else 'Absent'}: {self.client_id} at {self.session_id}"
