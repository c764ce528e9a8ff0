"""Forms for the therapist dashboard, the staff license queue and the search panel's
widgets. They parse input; the rules live in ``providers.licensing`` and the models."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

from accounts.forms import DescribedErrorsMixin, TimezoneField, describe_errors
from accounts.places import US_STATES
from providers.filters import RADIUS_DEFAULT, YesNoSelect
from providers.licensing import validate_expiry
from providers.models import (
    REMINDER_MINUTES_MAX,
    REMINDER_MINUTES_MIN,
    REMINDERS_AT_MOST,
    SESSION_MINUTES_MAX,
    SESSION_MINUTES_MIN,
    Format,
    License,
    Therapist,
    field_message,
)
from therapy_directory.validators import REASON_MAX, validate_single_line

# The search panel, in the order a person narrows things down: where they live first.
SEARCH_FIELD_ORDER = [
    "state",
    "modality",
    "specialty",
    "near",
    "radius",
    "format",
    "language",
    "accepting",
    "fee_max",
    "available_within",
    "q",
    "ordering",
]


class AcceptingSelect(YesNoSelect):
    """Yes / no / either, with an empty value for "either" so it stays out of the URL."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", "Either"), ("true", "Yes, accepting"), ("false", "Not accepting")]

    def format_value(self, value):
        formatted = super().format_value(value)
        return [] if formatted == "unknown" else [formatted]


class RadiusSelect(forms.Select):
    """Distances to choose from. The default (25 miles) is the empty value, so it stays
    out of the URL; a distance the URL gives that is not listed is shown as given."""

    DISTANCES = (5, 10, RADIUS_DEFAULT, 50, 100)

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [
            ("" if miles == RADIUS_DEFAULT else str(miles), f"{miles} miles")
            for miles in self.DISTANCES
        ]

    def format_value(self, value):
        try:
            miles = Decimal(str(value)).normalize()
        except (InvalidOperation, ValueError):
            return [""]
        if not miles.is_finite() or miles == RADIUS_DEFAULT:
            return [""]
        text = f"{miles:f}"
        if text not in {value for value, _ in self.choices}:
            self.choices = sorted(
                [*self.choices, (text, f"{text} miles")],
                key=lambda choice: Decimal(choice[0] or RADIUS_DEFAULT),
            )
        return [text]


def prepare_search_form(filterset) -> list[forms.BoundField]:
    """Make the shared FilterSet's form read well on the page; return its fields in
    panel order. Call before validating: the widgets parse the query string."""
    form = filterset.form
    form.label_suffix = ""
    form.fields["accepting"].widget = AcceptingSelect()
    form.fields["accepting"].error_messages["invalid"] = "Choose yes, no or either."
    form.fields["fee_max"].widget.attrs.update({"inputmode": "numeric", "step": "10"})
    form.fields["available_within"].widget.attrs.update({"inputmode": "numeric"})
    form.fields["q"].widget.input_type = "search"  # not attrs["type"]: a second type=
    # Distance (rule 13).
    form.fields["near"].widget.attrs.update(
        {"inputmode": "numeric", "autocomplete": "postal-code", "maxlength": "5", "size": "6"}
    )
    form.fields["radius"].widget = RadiusSelect()
    filterset.is_valid()
    describe_errors(form)
    return [form[name] for name in SEARCH_FIELD_ORDER if name in form.fields]


class TherapistProfileForm(DescribedErrorsMixin, forms.ModelForm):
    """Parses the dashboard's profile; the rules are the model's (ModelForm validation
    runs them) and ``providers.profiles.update_profile`` writes."""

    formats = forms.MultipleChoiceField(
        label="Formats",
        choices=Format.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": field_message("formats", "blank")},
    )
    timezone = TimezoneField(
        label="Your time zone", help_text="Your weekly hours are in this zone."
    )
    office_state = forms.ChoiceField(
        label="Office state", choices=[("", "—")] + US_STATES, required=False
    )

    class Meta:
        model = Therapist
        fields = [
            "display_name",
            "credentials",
            "npi",
            "bio",
            "modalities",
            "specialties",
            "languages",
            "formats",
            "office_address",
            "office_zip",
            "office_city",
            "office_state",
            "video_url",
            "fee",
            "sliding_scale",
            "accepting_new_clients",
            "timezone",
            "session_minutes",
            "slot_step_minutes",
            "auto_confirm",
            "notice_hours",
            "reminder_minutes",
        ]
        labels = {
            "display_name": "Name shown to clients",
            "bio": "About you and how you work",
            "modalities": "Therapies you offer",
            "specialties": "Focus areas",
            "languages": "Languages you offer therapy in",
            "fee": "Fee per session (USD)",
            "sliding_scale": "I offer a sliding scale",
            "accepting_new_clients": "I am accepting new clients",
            "session_minutes": "Session length (minutes)",
            "slot_step_minutes": "Sessions can start",
            "auto_confirm": "Confirm new bookings automatically",
            "notice_hours": "Cancellation notice (hours)",
            "reminder_minutes": "Send reminders this many minutes before",
        }
        help_texts = {
            "npi": "Your 10-digit National Provider Identifier, optional.",
            "office_address": "Only needed if you see clients in person; shown to booked "
            "clients only.",
            "office_zip": "5 digits, needed if you see clients in person. Clients searching "
            "near their ZIP code see how far away you are.",
            "office_city": "Filled in from your ZIP code if you leave it empty.",
            "fee": "Leave empty if you prefer to discuss fees.",
            "session_minutes": f"Between {SESSION_MINUTES_MIN} and {SESSION_MINUTES_MAX}.",
            "auto_confirm": "Otherwise you confirm or decline each new request.",
            "notice_hours": "A client cancelling later than this is a late cancellation.",
            "reminder_minutes": "Comma-separated, e.g. 1440, 60 (the default: 24 h and 1 h).",
        }
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 8}),
            "modalities": forms.CheckboxSelectMultiple,
            "specialties": forms.CheckboxSelectMultiple,
            "languages": forms.CheckboxSelectMultiple,
            "npi": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "office_zip": forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "postal-code"}
            ),
        }
        error_messages = {
            "slot_step_minutes": {
                "invalid_choice": field_message("slot_step_minutes", "invalid_choice")
            },
        }

    def clean_reminder_minutes(self) -> list[int]:
        # The model holds the bounds (and the database enforces them); this says them
        # in one sentence.
        minutes = self.cleaned_data.get("reminder_minutes") or []
        if (
            any(m < REMINDER_MINUTES_MIN or m > REMINDER_MINUTES_MAX for m in minutes)
            or len(minutes) > REMINDERS_AT_MOST
        ):
            raise forms.ValidationError(
                f"Give up to five reminder times between {REMINDER_MINUTES_MIN} minutes and "
                f"14 days ({REMINDER_MINUTES_MAX})."
            )
        return minutes

    def profile_changes(self) -> dict:
        """What to hand to ``update_profile``: every field the form shows."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}

    def add_service_errors(self, error: ValidationError) -> None:
        """The service's refusal, beside the fields it names."""
        for name, messages in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)


class LicenseSubmitForm(DescribedErrorsMixin, forms.Form):
    state = forms.ChoiceField(
        label="State",
        choices=[("", "Choose a state")] + US_STATES,
        help_text="Clients living in this state can find you once it is verified.",
    )
    license_type = forms.ChoiceField(
        label="License type", choices=[("", "Choose a type")] + License.LICENSE_TYPES
    )
    number = forms.CharField(
        label="License number",
        max_length=40,
        validators=[validate_single_line],
        help_text="As the state board's look-up shows it.",
    )
    expires_on = forms.DateField(
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="YYYY-MM-DD",
        validators=[validate_expiry],
    )


class VerifyLicenseForm(DescribedErrorsMixin, forms.Form):
    source = forms.CharField(
        label="Source checked",
        max_length=300,
        validators=[validate_single_line],
        help_text="e.g. “NY Office of the Professions look-up”.",
        error_messages={"required": "Say which source you checked (e.g. the state board)."},
    )


class RejectLicenseForm(DescribedErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The therapist reads this.",
        error_messages={"required": "Give the therapist a reason for the rejection."},
    )
