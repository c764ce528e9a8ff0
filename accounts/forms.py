"""Forms for signing up, signing in and editing one's account.

Every form here links each field's error message to its input (``aria-describedby``),
so a screen reader announces the error with the field it concerns.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)

from accounts.email_addresses import EmailAddressField, normalise_email, validate_plain_email
from accounts.models import User
from accounts.places import (
    STATE_TIMEZONES,
    US_STATES,
    canonical_timezone,
    timezone_choices,
    validate_timezone,
)
from accounts.services import change_password
from notifications.email import queue_email
from notifications.plain_text import render_text
from therapy_directory.validators import validate_single_line


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


def _timezone_choices_with_state_default() -> list:
    return [("", "The usual time zone of my state")] + timezone_choices()


class TimezoneSelect(forms.Select):
    """The zone menu (U.S. zones first, then one <optgroup> per region). A current value
    it does not offer (stored before only canonical zones were accepted, e.g. Etc/GMT+5)
    is shown first as it is, rather than the menu silently showing another zone; saving
    then asks for a zone from the menu."""

    def optgroups(self, name, value, attrs=None):
        groups = super().optgroups(name, value, attrs)
        current = value[0] if value else ""
        if current and not any(option["selected"] for _, group, _ in groups for option in group):
            label = f"{current} (no longer offered: choose a zone)"
            groups.insert(0, (None, [self.create_option(name, current, label, True, 0)], 0))
        return groups


class TimezoneField(forms.ChoiceField):
    """A canonical IANA zone (accounts.places). A person's old name for one (US/Eastern)
    shows as the zone it stands for; an old name sent is refused with the one to use."""

    widget = TimezoneSelect

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", timezone_choices)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, str) and canonical_timezone(value):
            return canonical_timezone(value)
        return value

    def validate(self, value):
        forms.Field.validate(self, value)  # required; the menu's values are the canonical set
        if value not in self.empty_values:
            validate_timezone(value)


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
        validators=[validate_single_line],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text="Therapists: the name clients will see, e.g. “Dr. Ana Ruiz”.",
    )
    email = EmailAddressField(
        label="E-mail",
        max_length=254,
        validators=[validate_plain_email],
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    state = forms.ChoiceField(
        label="State you live in",
        choices=STATE_CHOICES,
        help_text="Therapists can treat you only where they hold a license: "
        "we use this to show who can see you.",
    )
    timezone = TimezoneField(
        label="Time zone",
        choices=_timezone_choices_with_state_default,
        required=False,
        help_text="Session times are shown in this zone.",
    )

    # No "this address is taken" error here: that would tell anyone who has an account
    # (accounts.services.request_signup answers both cases by e-mail).

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
    # Normalised before authenticate() sees it, so the lockout (accounts.lockout) and the
    # account look-up (UserManager.get_by_natural_key) are given the same address.
    username = EmailAddressField(
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
    timezone = TimezoneField(label="Time zone", help_text="Session times are shown in it.")

    class Meta:
        model = User
        fields = ["name", "state", "timezone", "email_reminders"]
        labels = {"name": "Your name"}
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "name"})}


class EmailPasswordResetForm(DescribedErrorsMixin, PasswordResetForm):
    email = EmailAddressField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def get_users(self, email):
        """The active account with exactly this normalised address (Django's own looks up
        with ``iexact``, which folds look-alike letters onto plain ones)."""
        return (
            user
            for user in User.objects.filter(email=normalise_email(email), is_active=True)
            if user.has_usable_password()
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


class NewPasswordThroughServiceMixin:
    """A new password goes through ``accounts.services.change_password``, whichever form
    sets it (the change page, the reset link, the admin's password form): the account's
    API tokens are revoked and its calendar-feed address replaced. Always saved (the
    service commits it with the revocation), whatever ``commit`` says."""

    def set_password_and_save(
        self,
        user,
        password_field_name="password1",  # noqa: S107 (a field's name, not a password)
        commit=True,
    ):
        # The admin's form can turn password log-in off instead (``set_usable_password``).
        usable = self.cleaned_data.get("set_usable_password", True)
        password = self.cleaned_data[password_field_name] if usable else None
        return change_password(user=user, password=password)


class RapportSetPasswordForm(NewPasswordThroughServiceMixin, DescribedErrorsMixin, SetPasswordForm):
    pass


class RapportPasswordChangeForm(
    NewPasswordThroughServiceMixin, DescribedErrorsMixin, PasswordChangeForm
):
    pass


class RapportAdminPasswordChangeForm(NewPasswordThroughServiceMixin, AdminPasswordChangeForm):
    pass
