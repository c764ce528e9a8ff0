"""Forms for the therapist dashboard, the staff license queue and the search panel's
widgets. They parse input; the rules live in ``providers.licensing`` and the models."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.utils import ErrorDict

from accounts.forms import DescribedErrorsMixin, TimezoneField, describe_errors
from accounts.places import US_STATES
from providers import photos
from providers.filters import RADIUS_DEFAULT, YesNoSelect
from providers.licensing import validate_expiry
from providers.models import (
    REMINDER_MINUTES_MAX,
    REMINDER_MINUTES_MIN,
    REMINDERS_AT_MOST,
    SESSION_MINUTES_MAX,
    SESSION_MINUTES_MIN,
    AgeGroup,
    Faith,
    Format,
    Gender,
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
    # Insurance (PRODUCT rule 13).
    "insurance",
    "superbill",
    "near",
    "radius",
    "format",
    "language",
    # Identity and practice (PRODUCT rule 13).
    "gender",
    "age_group",
    "lgbtq_affirming",
    "faith",
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


class EitherSelect(AcceptingSelect):
    """Yes / no / either in the words of one filter."""

    def __init__(self, yes: str, no: str, attrs=None):
        super().__init__(attrs)
        self.choices = [("", "Either"), ("true", yes), ("false", no)]


# The yes / no filters of rule 13 on the page: (filter, "yes" words, "no" words).
FIT_YES_NO = [
    ("superbill", "Yes, superbill provided", "No superbill"),
    ("lgbtq_affirming", "Yes, LGBTQ+ affirming", "Not stated"),
]


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
    for name, yes, no in FIT_YES_NO:
        form.fields[name].widget = EitherSelect(yes, no)
        form.fields[name].error_messages["invalid"] = "Choose yes, no or either."
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
    # Finding the right fit (PRODUCT rule 13): all optional, in the therapist's words.
    age_groups = forms.MultipleChoiceField(
        label="Ages you work with",
        choices=AgeGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    gender = forms.ChoiceField(
        label="Your gender",
        choices=[("", "Prefer not to say"), *Gender.choices],
        required=False,
        help_text="Optional. Some clients look for a therapist of a given gender.",
    )
    faith = forms.ModelChoiceField(
        label="Faith-informed practice",
        queryset=Faith.objects.all(),
        required=False,
        empty_label="Not faith-informed",
        help_text="Optional: a faith tradition your practice draws on when a client asks.",
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
            # Finding the right fit (PRODUCT rule 13).
            "insurance",
            "superbill",
            "gender",
            "age_groups",
            "lgbtq_affirming",
            "faith",
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
            "insurance": "Insurance plans you are in network with",
            "superbill": "Out of network: I give clients a superbill to claim from their plan",
            "lgbtq_affirming": "My practice is LGBTQ+ affirming",
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
            "insurance": "Clients can search by their plan.",
        }
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 8}),
            "modalities": forms.CheckboxSelectMultiple,
            "specialties": forms.CheckboxSelectMultiple,
            "languages": forms.CheckboxSelectMultiple,
            "insurance": forms.CheckboxSelectMultiple,
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


class RefusedAgainMixin:
    """A staff decision form shown again on the queue after its POST was refused and the
    browser sent back there: the text as typed, and the errors it was refused with (kept
    in the session by the view), not checked a second time."""

    _refused_errors: dict[str, list[str]] | None = None

    @classmethod
    def as_refused(cls, data: dict, errors: dict[str, list[str]], **kwargs):
        form = cls(data, **kwargs)
        form._refused_errors = errors
        return form

    def full_clean(self):
        if self._refused_errors is None:
            return super().full_clean()
        self._errors = ErrorDict()
        self.cleaned_data = {}
        for field, messages in self._refused_errors.items():
            css = "nonfield" if field == NON_FIELD_ERRORS else None
            self._errors[field] = self.error_class(
                messages, error_class=css, renderer=self.renderer
            )
        describe_errors(self)
        return None


class VerifyLicenseForm(RefusedAgainMixin, DescribedErrorsMixin, forms.Form):
    source = forms.CharField(
        label="Source checked",
        max_length=300,
        validators=[validate_single_line],
        help_text="e.g. “NY Office of the Professions look-up”.",
        error_messages={"required": "Say which source you checked (e.g. the state board)."},
    )


class RejectLicenseForm(RefusedAgainMixin, DescribedErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The therapist reads this.",
        error_messages={"required": "Give the therapist a reason for the rejection."},
    )


class LicenseQueueFilterForm(DescribedErrorsMixin, forms.Form):
    """The staff queue's filters (GET): a state and a license type, each optional."""

    state = forms.ChoiceField(
        label="State", choices=[("", "Any state")] + US_STATES, required=False
    )
    license_type = forms.ChoiceField(
        label="License type", choices=[("", "Any type")] + License.LICENSE_TYPES, required=False
    )

    def in_use(self) -> list[tuple[str, str]]:
        """The filters set, in the form's order: what the queue's links carry."""
        return [(name, self.cleaned_data[name]) for name in self.fields if self.cleaned_data[name]]


# --- The profile photo (providers.photos) ----------------------------------------------


class PhotoForm(DescribedErrorsMixin, forms.Form):
    """The dashboard's photo upload, a form of its own (multipart). ``clean_photo`` reads
    the file (``photos.prepare``): ``cleaned_data["photo"]`` is the JPEG to store."""

    photo = forms.FileField(
        label="Choose a photo",
        help_text=(
            "A JPEG, PNG or WebP image of up to 5 MB, ideally of your face. We crop it to a "
            "square and remove its location and camera details."
        ),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={
            "required": "Choose a photo to upload.",
            "empty": "This file is empty. Choose a photo.",
            "invalid": "Choose a photo file from your device.",
        },
    )

    def clean_photo(self) -> bytes:
        return photos.prepare(self.cleaned_data["photo"])
