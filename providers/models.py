from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.validators import ArrayMaxLengthValidator
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, Func, OuterRef, Q
from django.urls import reverse
from django.utils.deconstruct import deconstructible

from accounts.places import STATE_NAMES, US_STATES, validate_timezone
from providers.geo import validate_known_zip, validate_zip_shape
from providers.npi import validate_npi
from therapy_directory import clock
from therapy_directory.validators import (
    LONG_TEXT_MAX,
    REASON_MAX,
    at_most_chars,
    validate_single_line,
)

ONE_LINE = [validate_single_line]


def long_text(most: int, **kwargs) -> models.TextField:
    """Free text of at most ``most`` characters: the form, the serializer and the model's
    validation read ``max_length``; ``at_most_chars`` holds it in the database."""
    return models.TextField(max_length=most, validators=[MaxLengthValidator(most)], **kwargs)


class Modality(models.Model):
    """A kind of therapy (IPT, CBT, group...). Admins add more in the admin."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100, validators=ONE_LINE)
    description = long_text(LONG_TEXT_MAX, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "modalities"
        constraints = [at_most_chars("description", LONG_TEXT_MAX)]

    def __str__(self) -> str:
        return self.name


class Specialty(models.Model):
    """What a therapist helps with; IPT's focus areas are among them."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100, validators=ONE_LINE)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"

    def __str__(self) -> str:
        return self.name


class Language(models.Model):
    code = models.SlugField(max_length=12, unique=True, help_text="ISO 639-1, e.g. en, es")
    name = models.CharField(max_length=60, validators=ONE_LINE)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# --- Finding the right fit: insurance and identity (PRODUCT rule 13) ------------------


class Insurance(models.Model):
    """A plan therapists can be in network with. Admins keep the list (a data migration
    seeds the major US plans)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100, validators=ONE_LINE)

    class Meta:
        ordering = ["name"]
        verbose_name = "insurance plan"

    def __str__(self) -> str:
        return self.name


class Faith(models.Model):
    """A faith tradition a therapist's practice can be informed by; admins keep the list."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100, validators=ONE_LINE)

    class Meta:
        ordering = ["name"]
        verbose_name = "faith tradition"

    def __str__(self) -> str:
        return self.name


class Gender(models.TextChoices):
    """A therapist's gender as they describe it; blank when they would rather not say."""

    WOMAN = "woman", "Woman"
    MAN = "man", "Man"
    NONBINARY = "nonbinary", "Nonbinary"


class AgeGroup(models.TextChoices):
    CHILDREN = "children", "Children (under 13)"
    TEENS = "teens", "Teens (13–17)"
    ADULTS = "adults", "Adults (18–64)"
    OLDER_ADULTS = "older_adults", "Older adults (65 and over)"


class Format(models.TextChoices):
    TELEHEALTH = "telehealth", "Telehealth (video)"
    IN_PERSON = "in_person", "In person"


# A therapist's reminders: up to five, each between 5 minutes and 14 days before a session.
REMINDERS_AT_MOST = 5
REMINDER_MINUTES_MIN = 5
REMINDER_MINUTES_MAX = 14 * 24 * 60

# The bounds of a therapist's booking settings, here once: the model validates them (the
# page's ModelForm, the API's ModelSerializer and the admin derive their checks from the
# fields) and the database holds them as CHECK constraints.
SESSION_MINUTES_MIN, SESSION_MINUTES_MAX = 15, 240
NOTICE_HOURS_MAX = 24 * 14
FEE_MAX = 100_000


@deconstructible
class Between:
    """``low <= value <= high``, refused in one sentence. Not a Min/MaxValueValidator on
    purpose: DRF would swap those for its own checks, worded differently from the page."""

    def __init__(self, low: int, high: int, message: str):
        self.low, self.high, self.message = low, high, message

    def __call__(self, value) -> None:
        if value is not None and not self.low <= value <= self.high:
            raise ValidationError(self.message, code="out_of_range")

    def __eq__(self, other) -> bool:
        return isinstance(other, Between) and (self.low, self.high, self.message) == (
            other.low,
            other.high,
            other.message,
        )


class IntArrayLengthAtMost(Func):
    """For a CheckConstraint: an integer array holds at most ``most`` elements. The column
    appears once in the SQL (model validation puts the value there as a parameter)."""

    template = "cardinality(%(expressions)s::integer[]) <= %(most)s"
    output_field = models.BooleanField()
    arity = 1

    def __init__(self, expression, *, most: int):
        super().__init__(expression, most=int(most))


class IntArrayWithin(Func):
    """For a CheckConstraint: every element of an integer array lies in [low, high]
    (true for an empty array, false for a NULL element)."""

    template = (
        "COALESCE(int4range(%(low)s, %(high)s, '[]') @> ALL(%(expressions)s::integer[]), false)"
    )
    output_field = models.BooleanField()
    arity = 1

    def __init__(self, expression, *, low: int, high: int):
        super().__init__(expression, low=int(low), high=int(high))


class TherapistQuerySet(models.QuerySet):
    def findable_in(self, state: str, today: dt.date | None = None) -> TherapistQuerySet:
        """Therapists who may treat a client living in ``state``: a verified, unexpired
        license there, wherever their office is."""
        return self.filter(
            Exists(License.objects.valid(today).filter(therapist=OuterRef("pk"), state=state))
        )

    def findable(self, today: dt.date | None = None) -> TherapistQuerySet:
        """Therapists with at least one verified, unexpired license: the public directory."""
        return self.filter(Exists(License.objects.valid(today).filter(therapist=OuterRef("pk"))))


class Therapist(models.Model):
    """A therapist's public profile and booking preferences."""

    SLOT_STEPS = [(15, "every 15 minutes"), (30, "every 30 minutes"), (60, "every hour")]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="therapist"
    )
    slug = models.SlugField(max_length=80, unique=True)
    # As long as an account's name (accounts.User.name), which a new profile starts from.
    display_name = models.CharField(max_length=150, validators=ONE_LINE)
    credentials = models.CharField(
        max_length=120,
        blank=True,
        validators=ONE_LINE,
        help_text="Degrees and license types, e.g. “PhD, LCSW”.",
    )
    npi = models.CharField(
        "NPI", max_length=10, blank=True, validators=[validate_npi], help_text="10 digits, optional"
    )
    bio = long_text(LONG_TEXT_MAX, blank=True)
    modalities = models.ManyToManyField(Modality, blank=True, related_name="therapists")
    specialties = models.ManyToManyField(Specialty, blank=True, related_name="therapists")
    languages = models.ManyToManyField(Language, blank=True, related_name="therapists")
    formats = ArrayField(
        models.CharField(max_length=16, choices=Format.choices),
        default=list,
        error_messages={"blank": "Choose at least one format."},
    )
    office_address = models.CharField(
        max_length=200,
        blank=True,
        validators=ONE_LINE,
        help_text="Street address, shown to booked clients only.",
    )
    office_city = models.CharField(max_length=80, blank=True, validators=ONE_LINE)
    office_state = models.CharField(max_length=2, choices=US_STATES, blank=True)
    fee = models.IntegerField(
        "fee per session (USD)",
        null=True,
        blank=True,
        validators=[Between(0, FEE_MAX, f"Give a fee between $0 and ${FEE_MAX:,}.")],
    )
    sliding_scale = models.BooleanField(default=False)
    accepting_new_clients = models.BooleanField(default=True)
    timezone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_timezone]
    )
    # SmallIntegerField, not Positive...: a positive field's form check (min 0) would
    # answer a negative length in other words than the API does; the bounds say it all.
    session_minutes = models.SmallIntegerField(
        default=50,
        validators=[
            Between(
                SESSION_MINUTES_MIN,
                SESSION_MINUTES_MAX,
                f"A session lasts between {SESSION_MINUTES_MIN} and {SESSION_MINUTES_MAX} minutes.",
            )
        ],
    )
    slot_step_minutes = models.SmallIntegerField(
        choices=SLOT_STEPS,
        default=60,
        error_messages={
            "invalid_choice": "Sessions can start every 15 minutes, every 30 minutes or every hour."
        },
    )
    auto_confirm = models.BooleanField(default=False)
    notice_hours = models.SmallIntegerField(
        default=24,
        validators=[
            Between(
                0, NOTICE_HOURS_MAX, f"Choose between 0 and {NOTICE_HOURS_MAX} hours (two weeks)."
            )
        ],
    )
    video_url = models.URLField(
        "video room link", blank=True, help_text="Sent to booked clients in reminders."
    )
    reminder_minutes = ArrayField(
        models.PositiveIntegerField(
            validators=[
                MinValueValidator(REMINDER_MINUTES_MIN),
                MaxValueValidator(REMINDER_MINUTES_MAX),
            ]
        ),
        default=list,
        blank=True,
        validators=[ArrayMaxLengthValidator(REMINDERS_AT_MOST)],
        help_text="Minutes before a session to send reminders; empty means 24 h and 1 h.",
    )
    # The profile photo (PRODUCT.md rule 13): a square JPEG of at most 400 px, re-encoded
    # without metadata, under a random name in the default storage. Written only by
    # providers.photos (set_photo, remove_photo); empty: the cards show the initials.
    photo = models.ImageField(max_length=100, blank=True, editable=False)
    # The next free start, kept current by the booking services (Booking issue).
    next_opening = models.DateTimeField(null=True, blank=True)
    # From when next_opening can no longer be trusted: a calendar change sets it to the
    # moment of the change; a refresh to when the opening falls inside the notice period
    # (the next local midnight when there is none, as the 62-day window moves on; never
    # without weekly hours). booking.services.refresh_stale_openings recomputes those due.
    next_opening_stale_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # --- Finding the right fit (PRODUCT rule 13): insurance and identity, all optional
    # and self-described; every one of them is public (search filters, cards).
    insurance = models.ManyToManyField(
        Insurance, blank=True, related_name="therapists", verbose_name="insurance plans"
    )
    superbill = models.BooleanField(
        "out of network — superbill provided",
        default=False,
        help_text="Clients can claim the session from their plan as out-of-network care.",
    )
    gender = models.CharField(
        max_length=16,
        choices=Gender.choices,
        blank=True,
        error_messages={"invalid_choice": "Choose woman, man, nonbinary or leave it empty."},
    )
    age_groups = ArrayField(
        models.CharField(max_length=16, choices=AgeGroup.choices),
        default=list,
        blank=True,
        verbose_name="ages served",
    )
    lgbtq_affirming = models.BooleanField("LGBTQ+ affirming", default=False)
    faith = models.ForeignKey(
        Faith,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="therapists",
        verbose_name="faith-informed practice",
    )
    # --- Distance (PRODUCT.md rule 13): where the office is, for a search near a ZIP ---
    office_zip = models.CharField(
        "office ZIP code",
        max_length=5,
        blank=True,
        validators=[validate_zip_shape, validate_known_zip],
        help_text="5 digits. Clients searching near their ZIP code see how far you are.",
    )
    # The centroid of office_zip (providers.geo), copied by providers.profiles whenever
    # the ZIP is written; never typed in. A search near a ZIP ranges over these first.
    office_lat = models.FloatField(null=True, blank=True, editable=False)
    office_lon = models.FloatField(null=True, blank=True, editable=False)

    objects = TherapistQuerySet.as_manager()

    class Meta:
        ordering = ["display_name", "id"]
        indexes = [
            models.Index(fields=["display_name", "id"], name="therapist_name_idx"),
            models.Index(fields=["fee", "id"], name="therapist_fee_idx"),
            models.Index(fields=["next_opening", "id"], name="therapist_next_opening_idx"),
            models.Index(fields=["next_opening_stale_at"], name="therapist_opening_stale_idx"),
            GinIndex(fields=["formats"], name="therapist_formats_gin"),
            GinIndex(fields=["age_groups"], name="therapist_age_groups_gin"),
            # Distance: a search near a ZIP ranges over latitude, then longitude.
            models.Index(
                fields=["office_lat", "office_lon"],
                condition=Q(office_lat__isnull=False),
                name="therapist_office_point_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(session_minutes__gte=SESSION_MINUTES_MIN)
                & Q(session_minutes__lte=SESSION_MINUTES_MAX),
                name="therapist_session_minutes_range",
            ),
            models.CheckConstraint(
                condition=Q(slot_step_minutes__in=[15, 30, 60]), name="therapist_slot_step_valid"
            ),
            models.CheckConstraint(
                condition=Q(notice_hours__gte=0) & Q(notice_hours__lte=NOTICE_HOURS_MAX),
                name="therapist_notice_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(fee__isnull=True) | (Q(fee__gte=0) & Q(fee__lte=FEE_MAX)),
                name="therapist_fee_range",
            ),
            models.CheckConstraint(
                condition=Q(formats__contained_by=[f.value for f in Format]),
                name="therapist_formats_valid",
            ),
            models.CheckConstraint(
                condition=IntArrayLengthAtMost("reminder_minutes", most=REMINDERS_AT_MOST),
                name="therapist_reminders_at_most_5",
            ),
            models.CheckConstraint(
                condition=IntArrayWithin(
                    "reminder_minutes", low=REMINDER_MINUTES_MIN, high=REMINDER_MINUTES_MAX
                ),
                name="therapist_reminder_minutes_range",
            ),
            # Ten ASCII digits (the check digit is the validator's: providers.npi).
            models.CheckConstraint(
                condition=Q(npi="") | Q(npi__regex=r"^[0-9]{10}$"), name="therapist_npi_shape"
            ),
            at_most_chars("bio", LONG_TEXT_MAX),
            models.CheckConstraint(
                condition=Q(gender="") | Q(gender__in=[g.value for g in Gender]),
                name="therapist_gender_valid",
            ),
            models.CheckConstraint(
                condition=Q(age_groups__contained_by=[a.value for a in AgeGroup]),
                name="therapist_age_groups_valid",
            ),
            # Distance: a ZIP is 5 digits; its coordinates are there exactly when it is;
            # in person needs one. (Its city and state follow from the ZIP: the profile's
            # writer fills them in. The street address is the model's rule, clean(): rows
            # from before the ZIP have no address to give.)
            models.CheckConstraint(
                condition=Q(office_zip="") | Q(office_zip__regex=r"^[0-9]{5}$"),
                name="therapist_office_zip_shape",
            ),
            models.CheckConstraint(
                condition=(
                    Q(office_zip="") & Q(office_lat__isnull=True) & Q(office_lon__isnull=True)
                )
                | (~Q(office_zip="") & Q(office_lat__isnull=False) & Q(office_lon__isnull=False)),
                name="therapist_office_point_with_zip",
            ),
            models.CheckConstraint(
                condition=~Q(formats__contains=[Format.IN_PERSON.value]) | ~Q(office_zip=""),
                name="therapist_in_person_has_zip",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("providers:profile", kwargs={"slug": self.slug})

    def clean(self) -> None:
        """The cross-field rules every writer shares (``providers.profiles`` runs them).
        In person needs the office's street address and ZIP code; its city and state
        follow from the ZIP (``providers.profiles`` fills them when they are empty)."""
        if Format.IN_PERSON in self.formats:
            errors = {}
            if not self.office_address:
                errors["office_address"] = (
                    "Give your office's street address, for in-person sessions."
                )
            if not self.office_zip:
                errors["office_zip"] = "Give your office's ZIP code, for in-person sessions."
            if errors:
                raise ValidationError(errors)

    @property
    def initials(self) -> str:
        parts = [p for p in self.display_name.replace("Dr.", "").split() if p[:1].isalpha()]
        return "".join(p[0] for p in parts[:1] + parts[-1:]).upper() or "?"

    def format_labels(self) -> list[str]:
        labels = dict(Format.choices)
        return [labels.get(f, f) for f in self.formats]

    def age_group_labels(self) -> list[str]:
        """The ages served in words, youngest first."""
        return [label for value, label in AgeGroup.choices if value in self.age_groups]


def field_message(field: str, key: str) -> str:
    """A message the model words for one of the therapist's fields (``blank``,
    ``invalid_choice``...), for a form or serializer field that refuses such a value
    before the model's own validation is reached."""
    return Therapist._meta.get_field(field).error_messages[key]


class ZipCentroid(models.Model):
    """Where a ZIP code is (its centroid), for the 50 states and DC: reference data from
    the pinned ``zipcodes`` package, loaded by a data migration, read-only.

    Not managed by Django: its migration creates and fills the table. Being unmanaged
    also keeps it out of the tables a test flush empties (transactional tests), so every
    migrated database - demo, tests, production - always has it."""

    zip = models.CharField(max_length=5, primary_key=True)
    lat = models.FloatField()
    lon = models.FloatField()
    state = models.CharField(max_length=2)
    city = models.CharField(max_length=60)

    class Meta:
        managed = False
        db_table = "providers_zipcentroid"
        ordering = ["zip"]

    def __str__(self) -> str:
        return f"{self.zip} {self.city}, {self.state}"


class LicenseQuerySet(models.QuerySet):
    def valid(self, today: dt.date | None = None) -> LicenseQuerySet:
        """Verified and not past its expiry date: the only licenses that count."""
        return self.filter(status=License.Status.VERIFIED, expires_on__gte=today or clock.today())

    def pending_queue(self) -> LicenseQuerySet:
        return self.filter(status=License.Status.PENDING).order_by("submitted_at", "id")

    def expiring_within(self, days: int, today: dt.date | None = None) -> LicenseQuerySet:
        today = today or clock.today()
        return self.valid(today).filter(expires_on__lte=today + dt.timedelta(days=days))


class License(models.Model):
    """A state license as submitted by a therapist. Only staff decisions change its status
    (``providers.licensing``)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending verification"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    LICENSE_TYPES = [
        ("LCSW", "LCSW — Licensed Clinical Social Worker"),
        ("LICSW", "LICSW — Licensed Independent Clinical Social Worker"),
        ("LPC", "LPC — Licensed Professional Counselor"),
        ("LPCC", "LPCC — Licensed Professional Clinical Counselor"),
        ("LMHC", "LMHC — Licensed Mental Health Counselor"),
        ("LMFT", "LMFT — Licensed Marriage and Family Therapist"),
        ("Psychologist", "Psychologist (PhD / PsyD)"),
        ("MD", "Physician (MD / DO, psychiatry)"),
        ("PMHNP", "Psychiatric Mental Health Nurse Practitioner"),
    ]

    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="licenses")
    state = models.CharField(max_length=2, choices=US_STATES)
    license_type = models.CharField(max_length=20, choices=LICENSE_TYPES)
    number = models.CharField(max_length=40, validators=ONE_LINE)
    expires_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField(auto_now_add=True)
    verified_on = models.DateField(null=True, blank=True)
    expiry_notice_sent_on = models.DateField(null=True, blank=True)

    objects = LicenseQuerySet.as_manager()

    class Meta:
        ordering = ["state", "-expires_on"]
        permissions = [("verify_license", "Can verify or reject therapists' licenses")]
        indexes = [
            # "licensed in state": the EXISTS behind every search.
            models.Index(
                fields=["state", "therapist", "expires_on"],
                condition=Q(status="verified"),
                name="license_valid_state_idx",
            ),
            models.Index(
                fields=["submitted_at", "id"],
                condition=Q(status="pending"),
                name="license_pending_queue_idx",
            ),
            models.Index(fields=["status", "expires_on"], name="license_status_expiry_idx"),
        ]
        constraints = [
            # One submission under review per state and type: resubmit after a decision.
            models.UniqueConstraint(
                fields=["therapist", "state", "license_type"],
                condition=Q(status="pending"),
                name="license_one_pending_per_state_type",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "verified", "rejected", "expired"]),
                name="license_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="verified") | Q(verified_on__isnull=False),
                name="license_verified_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.license_type} {self.state} #{self.number} ({self.status})"

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.state, self.state)


class LicenseDecision(models.Model):
    """Who decided what about a license, when, why, and what source they checked.
    Written only by ``providers.licensing`` in the same transaction as the change."""

    class Action(models.TextChoices):
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="decisions")
    action = models.CharField(max_length=10, choices=Action.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="license_decisions",
        help_text="Empty when the system decided (expiry).",
    )
    decided_at = models.DateTimeField()
    reason = long_text(REASON_MAX, blank=True)
    source = models.CharField(max_length=300, blank=True, validators=ONE_LINE)

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action="rejected") | ~Q(reason=""), name="decision_reject_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(action="verified") | ~Q(source=""), name="decision_verify_has_source"
            ),
            at_most_chars("reason", REASON_MAX),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.license_id} at {self.decided_at:%Y-%m-%d}"


class BoardLookup(models.Model):
    """Where staff check a license: the state board's public license look-up for one state
    and license type. Kept by admins in the admin; the queue links each pending license to
    its row (``providers.views.staff_licenses``), or says there is none on file."""

    state = models.CharField(max_length=2, choices=US_STATES)
    license_type = models.CharField(max_length=20, choices=License.LICENSE_TYPES)
    name = models.CharField(
        "board", max_length=200, validators=ONE_LINE, help_text="The board's name, as it says."
    )
    url = models.URLField(
        "look-up address",
        max_length=500,
        help_text="The board's public license look-up page (not its home page).",
    )

    class Meta:
        ordering = ["state", "license_type"]
        verbose_name = "state board look-up"
        constraints = [
            models.UniqueConstraint(
                fields=["state", "license_type"], name="board_lookup_one_per_state_type"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.license_type}: {self.name}"
