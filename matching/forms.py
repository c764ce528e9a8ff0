"""The guided match's questions: one form for the front door's page and for
``GET /api/v1/match/`` (a bad answer is a field error on the page, a 400 naming the field
in the API). It only parses; ``matching.ranking`` decides."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import forms

from accounts.forms import DescribedErrorsMixin
from accounts.places import US_STATES
from booking import slots
from matching.ranking import (
    CONCERN_CHOICES,
    PERIOD_NAMES,
    PERIODS,
    TIME_WORDS,
    WEEKDAY_NAMES,
    WEEKDAYS,
    MatchRequest,
)
from providers.filters import StrictNullBooleanField
from providers.models import FEE_MAX, Format, Insurance

DEFAULT_WEEKS = 12
BUDGETS = [50, 75, 100, 125, 150, 200]


def time_label(word: str) -> str:
    """``tue-evening`` → "Tuesday evening"."""
    day, period = word.split("-")
    return f"{WEEKDAY_NAMES[WEEKDAYS.index(day)]} {period}"


class WeeklyTimesField(forms.MultipleChoiceField):
    """Weekday × part of the day, e.g. ``tue-evening``: checkboxes on the page, one
    comma-separated value in the API (``tue-evening,thu-evening``); both read alike."""

    widget = forms.CheckboxSelectMultiple
    default_error_messages = {
        "invalid_choice": (
            "“%(value)s” is not a weekly time: write a weekday (mon … sun), a dash and "
            "morning, afternoon or evening, e.g. tue-evening."
        ),
        "invalid_list": "Give the weekly times as words like tue-evening, comma-separated.",
    }

    def __init__(self, **kwargs):
        super().__init__(choices=[(w, time_label(w)) for w in TIME_WORDS], **kwargs)

    def to_python(self, value):
        words = super().to_python(value)
        seen: dict[str, None] = {}
        for item in words:
            for word in item.split(","):
                if word.strip():
                    seen.setdefault(word.strip().lower(), None)
        return list(seen)


class PlainIntegerField(forms.IntegerField):
    """A whole number in ASCII digits: ``int()`` would also read "１５０" or "¹⁵⁰"."""

    def to_python(self, value):
        if isinstance(value, str) and not value.strip().isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class GroupChoiceField(StrictNullBooleanField):
    """One-to-one only (false, the default) or groups too (true)."""

    widget = forms.RadioSelect(
        choices=[("false", "One-to-one sessions"), ("true", "One-to-one or a group")]
    )

    def to_python(self, value):
        return bool(super().to_python(value))


def insurance_choices() -> list[tuple[str, str]]:
    return [("", "I’m not using insurance, or not sure")] + list(
        Insurance.objects.order_by("name").values_list("slug", "name")
    )


class MatchForm(DescribedErrorsMixin, forms.Form):
    state = forms.ChoiceField(
        label="The state you live in",
        choices=[("", "Choose your state")] + US_STATES,
        help_text="Therapists can only treat you where they hold a license.",
        error_messages={
            "required": "Choose the state you live in.",
            "invalid_choice": "Choose a US state by its two-letter code, e.g. NY.",
        },
    )
    concern = forms.ChoiceField(
        label="What brings you",
        choices=[*CONCERN_CHOICES, ("", "Something else, or I’d rather not say")],
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the reasons listed."},
    )
    format = forms.ChoiceField(
        label="How you would like to meet",
        choices=[("", "Either"), (Format.TELEHEALTH, "By video"), (Format.IN_PERSON, "In person")],
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose telehealth or in_person."},
    )
    insurance = forms.ChoiceField(
        label="Your insurance",
        choices=[],  # the admin-kept plans, read once per form (__init__)
        required=False,
        error_messages={"invalid_choice": "Choose one of the plans listed."},
    )
    fee_max = PlainIntegerField(
        label="Paying yourself? Your budget per session",
        required=False,
        min_value=0,
        max_value=FEE_MAX,
        widget=forms.Select(
            choices=[("", "No budget given")] + [(b, f"Up to ${b}") for b in BUDGETS]
        ),
        error_messages={"invalid": "Give a budget in whole dollars, e.g. 150."},
    )
    weeks = PlainIntegerField(
        label="Course length (weekly sessions)",
        required=False,
        min_value=1,
        max_value=slots.MAX_WEEKS,
        widget=forms.HiddenInput,
        error_messages={"invalid": f"Give a number of weeks from 1 to {slots.MAX_WEEKS}."},
    )
    times = WeeklyTimesField(
        label="The weekly times that suit you",
        required=False,
        help_text="Morning is before noon, afternoon noon to 5 PM, evening after 5 PM.",
    )
    group = GroupChoiceField(label="One-to-one or in a group", required=False, initial="false")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["insurance"].choices = insurance_choices()
        # A budget the menu does not list (from the API's words, or an old link) is shown
        # as asked, not silently replaced by "No budget given".
        asked = str(self.data.get("fee_max", "")).strip() if self.is_bound else ""
        if asked.isascii() and asked.isdigit() and int(asked) not in BUDGETS:
            widget = self.fields["fee_max"].widget
            widget.choices = [*widget.choices, (int(asked), f"Up to ${int(asked)}")]

    def clean_weeks(self) -> int:
        return self.cleaned_data.get("weeks") or DEFAULT_WEEKS

    def insurance_name(self) -> str:
        slug = self.cleaned_data.get("insurance") or ""
        return dict(self.fields["insurance"].choices).get(slug, "") if slug else ""

    def checked_times(self) -> set[str]:
        """The weekly times to show ticked, valid or not (the page re-renders them)."""
        raw = self.data.getlist("times") if hasattr(self.data, "getlist") else []
        return {w.strip().lower() for item in raw for w in item.split(",") if w.strip()}

    def time_rows(self) -> list[dict]:
        """The grid of checkboxes: one row per weekday, one cell per part of the day."""
        checked = self.checked_times()
        return [
            {
                "name": name,
                "cells": [
                    {
                        "word": f"{day}-{period}",
                        "label": f"{name} {period}",
                        "checked": f"{day}-{period}" in checked,
                    }
                    for period, _, _ in PERIODS
                ],
            }
            for day, name in zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)
        ]

    @staticmethod
    def period_names() -> list[str]:
        return [PERIOD_NAMES[p] for p, _, _ in PERIODS]

    def match_request(self, zone: ZoneInfo) -> MatchRequest:
        """The valid answers as the ranking reads them; times in ``zone``."""
        data = self.cleaned_data
        return MatchRequest(
            state=data["state"],
            concern=data.get("concern") or "",
            format=data.get("format") or "",
            insurance=data.get("insurance") or "",
            insurance_name=self.insurance_name(),
            fee_max=data.get("fee_max"),
            weeks=data.get("weeks") or DEFAULT_WEEKS,
            times=frozenset(data.get("times") or ()),
            include_groups=bool(data.get("group")),
            zone=zone,
        )
