"""Forms for the group pages. They only parse input; ``booking.groups.services`` decides."""

from __future__ import annotations

from django import forms

from accounts.forms import DescribedErrorsMixin
from accounts.places import US_STATES, timezone_common_name
from booking import video
from booking.courses.forms import StartField
from booking.models import AvailabilityRule, Group
from providers.models import FEE_MAX, Between, Format, Modality, Therapist
from therapy_directory.validators import (
    LONG_TEXT_MAX,
    REASON_MAX,
    validate_single_line,
    validate_within_booking_window,
)


class GroupForm(DescribedErrorsMixin, forms.Form):
    title = forms.CharField(label="Title", max_length=120, validators=[validate_single_line])
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=LONG_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Who it is for and how it runs. Clients read this before they join.",
    )
    kind = forms.ChoiceField(label="Kind of group", choices=Group.Kind.choices)
    modality = forms.ModelChoiceField(
        label="Therapy", queryset=Modality.objects.all(), to_field_name="slug", empty_label=None
    )
    format = forms.ChoiceField(label="Format", choices=Format.choices)
    weekdays = forms.TypedMultipleChoiceField(
        label="Days it meets",
        choices=AvailabilityRule.WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="One day for a weekly group; several for an intensive program "
        "(e.g. Monday, Wednesday and Thursday).",
        error_messages={"required": "Choose at least one day."},
    )
    start_time = forms.TimeField(
        label="Start time",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="In your practice’s time zone.",
    )
    meeting_minutes = forms.IntegerField(
        label="Meeting length (minutes)", min_value=15, max_value=240, initial=90
    )
    start_date = forms.DateField(
        label="First week",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The first week starts on this day: the first meeting is on the first of "
        "the days above, on or after it.",
        validators=[validate_within_booking_window],
    )
    weeks = forms.IntegerField(
        label="Number of weeks", min_value=1, max_value=Group.MAX_WEEKS, initial=12
    )
    capacity = forms.IntegerField(
        label="Capacity",
        min_value=1,
        max_value=Group.MAX_CAPACITY,
        initial=8,
        help_text="Members at most (1–50; groups usually have 6–12).",
    )
    fee = forms.IntegerField(
        label="Fee per meeting (USD)",
        required=False,
        validators=[Between(0, FEE_MAX, f"Give a fee between $0 and ${FEE_MAX:,}.")],
        widget=forms.NumberInput(attrs={"min": 0, "max": FEE_MAX, "inputmode": "numeric"}),
        help_text="What each member pays for one meeting; 0 for a free group. "
        "Leave it empty if members should ask you.",
    )
    video_url = forms.CharField(
        label="Group video room link",
        required=False,
        max_length=video.ROOM_URL_MAX,
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "off"}),
        help_text="For telehealth meetings: an https:// address of a room for this group. "
        "Leave it empty to use your own video room. Members see it only from 24 hours "
        "before each meeting.",
    )
    states = forms.MultipleChoiceField(
        label="States it serves",
        choices=US_STATES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only states where you hold a verified, current license.",
    )
    individual = forms.ChoiceField(
        label="Individual sessions",
        choices=Group.Individual.choices,
        required=False,
        initial=Group.Individual.NONE,
        widget=forms.RadioSelect,
        help_text="A weekly individual session with you alongside the group (a program of "
        "up to 16 weeks). Members choose its weekly time among your free hours when they "
        "join; it is a course of its own, which they can cancel.",
    )
    # Sent by the "create anyway" button: the meetings in time off the therapist was shown
    # (booking.groups.services.warnings_key). Never rendered as a field of its own.
    confirm_time_off = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, therapist: Therapist, licensed_states: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        names = dict(US_STATES)
        self.fields["states"].choices = [(s, names.get(s, s)) for s in licensed_states]
        labels = dict(Format.choices)
        self.fields["format"].choices = [(f, labels.get(f, f)) for f in therapist.formats]
        zone = timezone_common_name(therapist.timezone)
        self.fields["start_time"].help_text = f"In your practice’s time zone, {zone}."

    def clean_video_url(self) -> str:
        return video.clean_room_url(self.cleaned_data.get("video_url"))

    def visible_group_fields(self):
        return [field for field in self if field.name != "confirm_time_off"]

    def clean_individual(self) -> str:
        return self.cleaned_data.get("individual") or Group.Individual.NONE

    def group_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("confirm_time_off", None)
        data["modality"] = data["modality"].slug
        return data


class EnrolForm(DescribedErrorsMixin, forms.Form):
    """Joining a group, or taking the seat offered in it, and for a program that comes
    with a weekly individual course (``Group.individual``) that course's first session
    (one of the picker's starts) and therapy. ``booking.groups.services`` decides."""

    individual_start = StartField(
        label="Weekly individual session",
        required=False,
        error_messages={"invalid": "Choose one of the weekly times listed."},
    )
    modality = forms.ChoiceField(
        label="Therapy for your individual sessions",
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the therapies listed."},
    )

    def __init__(self, *args, modalities: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["modality"].choices = list(modalities)


class ReasonForm(DescribedErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="Reason (sent to the members)",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give a reason: the members are told why."},
    )
