"""Forms for the therapist's weekly hours and time off. They only parse input; the rules
(inverted or overlapping ranges, how long time off may be) are decided by
``booking.availability``."""

from __future__ import annotations

import datetime as dt

from django import forms

from accounts.forms import DescribedErrorsMixin
from booking.models import AvailabilityRule
from therapy_directory.validators import validate_single_line, validate_within_booking_window


class WeeklyHoursRowForm(DescribedErrorsMixin, forms.Form):
    """One weekly range. An empty row is ignored; a half-filled one is an error."""

    weekday = forms.TypedChoiceField(
        label="Day",
        choices=[("", "Choose a day")] + AvailabilityRule.WEEKDAYS,
        coerce=int,
        empty_value=None,
        required=False,
    )
    start = forms.TimeField(
        label="From",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time, e.g. 09:00."},
    )
    end = forms.TimeField(
        label="Until",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time, e.g. 17:00."},
    )

    def clean(self):
        cleaned = super().clean()
        values = [cleaned.get(name) for name in ("weekday", "start", "end")]
        if cleaned.get("DELETE") or all(v is None for v in values):
            return cleaned
        if not any(name in self.errors for name in ("start", "end")):
            if cleaned.get("weekday") is None:
                self.add_error("weekday", "Choose a day.")
            if cleaned.get("start") is None:
                self.add_error("start", "Enter the start time.")
            if cleaned.get("end") is None:
                self.add_error("end", "Enter the end time.")
        return cleaned

    def weekly_range(self) -> tuple[int, dt.time, dt.time] | None:
        data = self.cleaned_data
        if data.get("DELETE") or any(data.get(n) is None for n in ("weekday", "start", "end")):
            return None
        return data["weekday"], data["start"], data["end"]


class BaseWeeklyHoursFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:  # only saved rows can be removed
            form.fields["DELETE"].label = "Remove this range"

    def weekly_ranges(self) -> list[tuple[int, dt.time, dt.time]]:
        """The ranges to keep, from a valid formset."""
        return [r for r in (form.weekly_range() for form in self.forms) if r is not None]


WeeklyHoursFormSet = forms.formset_factory(
    WeeklyHoursRowForm,
    formset=BaseWeeklyHoursFormSet,
    extra=2,
    can_delete=True,
    can_delete_extra=False,
)


class TimeOffForm(DescribedErrorsMixin, forms.Form):
    start_date = forms.DateField(
        validators=[validate_within_booking_window],
        label="First day off",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Enter the first day off.", "invalid": "Enter YYYY-MM-DD."},
    )
    end_date = forms.DateField(
        validators=[validate_within_booking_window],
        label="Last day off",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The same as the first day for a single day.",
        error_messages={"required": "Enter the last day off.", "invalid": "Enter YYYY-MM-DD."},
    )
    note = forms.CharField(
        label="Note (optional, only you see it)",
        required=False,
        max_length=120,
        validators=[validate_single_line],
    )
