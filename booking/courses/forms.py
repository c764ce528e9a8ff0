"""Forms for the course pages. They only parse input; every rule (which times are
free, who may cancel, what overlaps) is decided by ``booking.courses.services``."""

from __future__ import annotations

import datetime as dt

from django import forms

from accounts.forms import DescribedErrorsMixin
from booking import slots
from booking.openings import COURSE_MODALITIES
from providers.models import Format, Therapist
from therapy_directory.validators import REASON_MAX

DEFAULT_WEEKS = 12
# How far ahead the picker may look: free_slots needs a finite window.
FURTHEST_FROM = dt.timedelta(days=365)


def week_choices() -> list[tuple[int, str]]:
    return [
        (n, "1 session (or a consultation)" if n == 1 else f"{n} sessions")
        for n in range(1, slots.MAX_WEEKS + 1)
    ]


WEEKDAY_KEYS = slots.WEEKDAY_KEYS
# A weekly time of the picker's grid, in the viewer's zone: "tue-1800".
WEEKLY_TIME = r"\A(mon|tue|wed|thu|fri|sat|sun)-([01]\d|2[0-3])[0-5]\d\Z"


class StartField(forms.CharField):
    """One of the picker's starts, sent as an ISO 8601 instant with its offset."""

    default_error_messages = {
        "required": "Choose a weekly time.",
        "invalid": "Choose one of the weekly times listed.",
    }

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            start = dt.datetime.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if start.tzinfo is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return start


class CourseQueryForm(DescribedErrorsMixin, forms.Form):
    """The picker's GET parameters: the course length, the first day of the start dates
    shown, and the chosen weekly time (``time``, a cell of the grid) and first session
    (``start``). A wrong value is reported beside its place and the default is used."""

    weeks = forms.TypedChoiceField(
        label="Course length",
        choices=week_choices,
        coerce=int,
        initial=DEFAULT_WEEKS,
        help_text="Interpersonal Therapy usually runs 12–16 weekly sessions.",
        error_messages={"invalid_choice": "Choose between 1 and 16 weekly sessions."},
    )
    time = forms.RegexField(
        label="Weekly time",
        regex=WEEKLY_TIME,
        required=False,
        error_messages={"invalid": "Choose one of the weekly times in the grid."},
    )
    start = StartField(
        label="First session",
        required=False,
        error_messages={"invalid": "Choose one of the start dates listed."},
    )

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        # `from` is a Python keyword: declared here under its real name.
        self.fields["from"] = forms.DateField(
            label="Start dates from",
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
        )

    def clean_from(self) -> dt.date:
        first_day = self.cleaned_data.get("from") or self.today
        if first_day > self.today + FURTHEST_FROM:
            raise forms.ValidationError("Choose a day within the next year.")
        # An old link still works: nothing before today can be booked anyway.
        return max(first_day, self.today)

    def course(self) -> tuple[int, dt.date]:
        """(weeks, first day): what was asked for, or the defaults where it was wrong."""
        self.is_valid()  # cleans; fields in error are absent from cleaned_data
        return (
            self.cleaned_data.get("weeks") or DEFAULT_WEEKS,
            self.cleaned_data.get("from") or self.today,
        )

    def chosen(self) -> tuple[str, dt.datetime | None]:
        """(weekly time, first session) as asked for: "" and None where none was."""
        self.is_valid()
        return self.cleaned_data.get("time") or "", self.cleaned_data.get("start")


def course_modalities(therapist: Therapist) -> list[tuple[str, str]]:
    """What a client may book a course of with this therapist (slug, name)."""
    return [(m.slug, m.name) for m in therapist.modalities.all()]


class BookCourseForm(DescribedErrorsMixin, forms.Form):
    """The request under the picker's summary. Nothing is chosen for the client: the
    therapy is the one of their search, or the therapist's only course therapy; the
    format the one of their search, or the therapist's only one."""

    start = StartField(label="Weekly time")
    modality = forms.ChoiceField(
        label="Therapy",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a therapy.",
            "invalid_choice": "Choose one of the therapies listed.",
        },
    )
    format = forms.ChoiceField(
        label="Format",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose telehealth or in person.",
            "invalid_choice": "Choose one of the formats listed.",
        },
    )

    def __init__(self, *args, therapist: Therapist, wanted: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # What the therapist offers; book_course checks it again under its lock.
        modalities = course_modalities(therapist)
        labels = dict(Format.choices)
        formats = [(f, labels.get(f, f)) for f in therapist.formats]
        self.fields["modality"].choices = modalities
        self.fields["format"].choices = formats
        wanted = wanted or {}
        self.fields["modality"].initial = preselected(
            [slug for slug, _ in modalities],
            wanted.get("modality"),
            course=[s for s, _ in modalities if s in COURSE_MODALITIES],
        )
        self.fields["format"].initial = preselected([f for f, _ in formats], wanted.get("format"))


def preselected(offered: list[str], wanted: str | None, *, course: list[str] = ()) -> str | None:
    """The choice made for the client: the one they searched for when it is offered, else
    the only course choice, else the only choice; None when it is theirs to make."""
    if wanted in offered:
        return wanted
    for only in (course, offered):
        if len(only) == 1:
            return only[0]
    return None


class CancelForm(DescribedErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if reason_required:
            # The service insists on it; the label says so before anyone tries.
            self.fields["reason"].label = "Reason (your client reads it)"


class MoveForm(DescribedErrorsMixin, forms.Form):
    start = forms.DateTimeField(
        label="New weekly time: date and time of the first moved session",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "required": "Choose the date and time of the first moved session.",
            "invalid": "Enter a date and time, e.g. 2026-12-01 10:00.",
        },
    )


class DeclineForm(DescribedErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="Reason (optional, your client reads it)",
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MarkSessionForm(forms.Form):
    status = forms.ChoiceField(choices=[("completed", "Completed"), ("no_show", "No-show")])
