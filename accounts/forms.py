"""Forms for signing up, signing in and editing one's account.

Every form here links each field's error message to its input (``aria-describedby``),
so a screen reader announces the error with the field it concerns.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)

from accounts.models import User
from accounts.places import STATE_TIMEZONES, US_STATES, timezone_choices
from notifications.email import queue_email
from notifications.plain_text import render_text


def describe_errors(form: forms.BaseForm) -> None:
    """Point each invalid input at its error message (and help text) for assistive tech.

    The field partial renders the messages with the id ``<auto_id>_error``."""
    if not form.is_bound:
        return
    for name in form.errors:
        if name not in form.fields:
            continue
        bound = form[name]
        ids = [f"{bound.auto_id}_error"]
        if form.fields[name].help_text:
            ids.append(f"{bound.auto_id}_helptext")
        form.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)


class DescribedErrorsMixin:
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def full_clean(self):
        super().full_clean()
        describe_errors(self)


STATE_CHOICES = [("", "Choose your state")] + US_STATES


def _timezone_choices_with_state_default() -> list[tuple[str, str]]:
    return [("", "The usual time zone of my state")] + timezone_choices()


class SignupForm(DescribedErrorsMixin, forms.Form):
    role = forms.ChoiceField(
        label="I am signing up as",
        choices=[
            (User.Role.CLIENT, "Someone looking for a therapist"),
            (User.Role.THERAPIST, "A licensed therapist"),
        ],
        initial=User.Role.CLIENT,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label="Your name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text="Therapists: the name clients will see, e.g. “Dr. Ana Ruiz”.",
    )
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    state = forms.ChoiceField(
        label="State you live in",
        choices=STATE_CHOICES,
        help_text="Therapists can treat you only where they hold a license: "
        "we use this to show who can see you.",
    )
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=_timezone_choices_with_state_default,
        required=False,
        help_text="Session times are shown in this zone.",
    )

    # No "this address is taken" error here: that would tell anyone who has an account
    # (accounts.services.request_signup answers both cases by e-mail).
    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        state = cleaned.get("state")
        if state and not cleaned.get("timezone"):
            cleaned["timezone"] = STATE_TIMEZONES.get(state, "America/New_York")
        return cleaned


class ChoosePasswordForm(DescribedErrorsMixin, forms.Form):
    """The second step of signing up, reached from the e-mailed link."""

    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
        help_text="At least 8 characters; not only digits, not a common password.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str = "", name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.candidate = User(email=email, name=name)

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords don’t match.")
        elif password2:
            try:
                password_validation.validate_password(password2, self.candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class EmailAuthenticationForm(DescribedErrorsMixin, AuthenticationForm):
    username = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail and password don’t match an account. "
        "Check both (the password is case-sensitive) or reset your password.",
    }


class AccountForm(DescribedErrorsMixin, forms.ModelForm):
    state = forms.ChoiceField(label="State you live in", choices=STATE_CHOICES)
    timezone = forms.ChoiceField(
        label="Time zone", choices=timezone_choices, help_text="Session times are shown in it."
    )

    class Meta:
        model = User
        fields = ["name", "state", "timezone", "email_reminders"]
        labels = {"name": "Your name"}
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "name"})}


class EmailPasswordResetForm(DescribedErrorsMixin, PasswordResetForm):
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """Through the Celery queue after commit, never over SMTP inside the request:
        a known address must not answer slower than an unknown one."""
        subject = "".join(render_text(subject_template_name, context).splitlines())
        queue_email(to=[to_email], subject=subject, template=email_template_name, context=context)


class RapportSetPasswordForm(DescribedErrorsMixin, SetPasswordForm):
    pass


class RapportPasswordChangeForm(DescribedErrorsMixin, PasswordChangeForm):
    pass
