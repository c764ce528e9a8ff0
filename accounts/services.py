"""Writes for accounts: registration creates the user and, for therapists, their profile;
API tokens are issued and revoked here, and passwords changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.timezone import now
from rest_framework.authtoken.models import Token

from accounts.email_addresses import normalise_email
from accounts.models import SignupRequest, User
from booking import calendar
from notifications import reminders
from notifications.email import queue_email
from providers import profiles
from therapy_directory.transactions import service_transaction


class SignupLinkInvalid(Exception):
    """The sign-up link is unknown, used or older than ``PASSWORD_RESET_TIMEOUT``."""


class EmailAlreadyRegistered(Exception):
    """The address got an account after the link was sent."""


class PasswordChangedMeanwhile(Exception):
    """The password a token was asked with was changed before the token was issued."""


def register_user(
    *, email: str, password: str, name: str, role: str, state: str = "", timezone: str
) -> User:
    """Create a client or therapist account (never staff). A therapist also gets an
    empty profile, not findable until staff verify a license."""
    if role not in (User.Role.CLIENT, User.Role.THERAPIST):
        raise ValueError("Only clients and therapists sign up; staff are created by admins.")
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, name=name, role=role, state=state, timezone=timezone
        )
        if role == User.Role.THERAPIST:
            profiles.create_profile(
                user=user, display_name=name, timezone=timezone, formats=["telehealth"]
            )
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signup_link_lifetime() -> dt.timedelta:
    return dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)


def request_signup(*, email: str, name: str, role: str, state: str = "", timezone: str) -> None:
    """Answer a sign-up without saying whether the address has an account: a new address
    gets a link to choose a password and finish; an address in use gets a notice that
    someone tried to sign up with it. Both e-mails leave through the Celery queue after
    commit, so the page takes about as long either way."""
    if role not in (User.Role.CLIENT, User.Role.THERAPIST):
        raise ValueError("Only clients and therapists sign up; staff are created by admins.")
    email = normalise_email(email)
    site_url = settings.SITE_URL.rstrip("/")
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        queue_email(
            to=[existing.email],
            subject="Someone tried to sign up to Rapport with your e-mail",
            template="accounts/email/signup_existing.txt",
            context={
                "login_url": site_url + reverse("accounts:login"),
                "reset_url": site_url + reverse("accounts:password_reset"),
            },
        )
        return
    token = secrets.token_urlsafe(32)
    # Expired requests are left to the beat's delete_expired_signup_requests: the page
    # does no more work than it must (an expired link no longer works either way).
    with transaction.atomic():
        SignupRequest.objects.create(
            email=email,
            name=name,
            role=role,
            state=state,
            timezone=timezone,
            token_digest=_digest(token),
        )
        queue_email(
            to=[email],
            subject="Finish signing up to Rapport",
            template="accounts/email/signup_confirm.txt",
            context={
                "name": name,
                "confirm_url": site_url + reverse("accounts:signup_confirm", args=[token]),
                "days": signup_link_lifetime().days,
            },
        )


def delete_expired_signup_requests() -> int:
    """Delete every sign-up request whose link has expired, in one statement; returns
    how many. Run by the beat (accounts.tasks): idempotent."""
    deleted, _ = SignupRequest.objects.filter(
        created_at__lt=now() - signup_link_lifetime()
    ).delete()
    return deleted


def pending_signup(token: str) -> SignupRequest:
    """The sign-up a link stands for, or ``SignupLinkInvalid``."""
    request = SignupRequest.objects.filter(
        token_digest=_digest(token), created_at__gte=now() - signup_link_lifetime()
    ).first()
    if request is None:
        raise SignupLinkInvalid
    return request


def complete_signup(*, token: str, password: str) -> User:
    """Create the account of a sign-up link, with the password chosen now; the link and
    every other pending link for the address stop working."""
    with transaction.atomic():
        pending = pending_signup(token)
        email = normalise_email(pending.email)
        SignupRequest.objects.filter(email=email).delete()
        if not User.objects.filter(email=email).exists():
            try:
                with transaction.atomic():
                    return register_user(
                        email=email,
                        password=password,
                        name=pending.name,
                        role=pending.role,
                        state=pending.state,
                        timezone=pending.timezone,
                    )
            except IntegrityError:  # the same address finished twice at the same moment
                pass
    # Raised after the commit: the address's links are gone even when it is taken.
    raise EmailAlreadyRegistered


ACCOUNT_FIELDS = frozenset({"name", "state", "timezone", "email_reminders"})


def update_account(*, user: User, **fields: Any) -> User:
    """Change the given fields of ``user``'s own account (name, state, time zone, e-mail
    reminders) and return it as stored. Turning e-mail reminders off cancels every
    reminder of the person not yet sent, turning them back on restores those of their
    upcoming sessions (PRODUCT rule 10), in the same transaction as the flag. The user
    row is locked first, so two saves of one account apply their changes in turn. The
    model's rules are checked first (``ValidationError``, nothing written)."""
    unknown = set(fields) - ACCOUNT_FIELDS
    if unknown:
        raise TypeError(f"Not account fields: {', '.join(sorted(unknown))}")
    with service_transaction():
        stored = User.objects.select_for_update().get(pk=user.pk)
        was_on = stored.email_reminders
        for name, value in fields.items():
            setattr(stored, name, value)
        # Not the e-mail either: it is not edited here, and an address stored before
        # addresses had to be plain ASCII must not stop its owner editing the rest.
        stored.full_clean(exclude=["password", "email"])
        stored.save(update_fields=list(fields))
        if was_on and not stored.email_reminders:
            reminders.stop_reminders(recipient=stored)
        elif stored.email_reminders and not was_on:
            reminders.restore_reminders(recipient=stored)
    return stored


def api_token(*, user: User, new: bool = False) -> str:
    """The key of ``user``'s API token: their existing one, or a new one when ``new``
    (a registration). ``user`` is the account as ``authenticate()`` returned it: if its
    password has changed since (``change_password`` committed in between), no token is
    issued (``PasswordChangedMeanwhile``), so a token asked for with the old password
    cannot outlive the change that revoked the others."""
    if new:
        return Token.objects.create(user=user).key
    with service_transaction():
        # The row lock orders this against change_password, which holds it while it
        # replaces the password and deletes the tokens.
        current = User.objects.select_for_update().values_list("password", flat=True)
        if current.get(pk=user.pk) != user.password:
            raise PasswordChangedMeanwhile
        token, _ = Token.objects.get_or_create(user=user)
    return token.key


def revoke_api_tokens(*, user: User) -> int:
    """Revoke every API token of ``user`` (DRF's authtoken keeps one per account): its key
    answers 401 from now on and ``auth/token/`` issues a new one. Returns how many were
    revoked. One DELETE, in the caller's transaction when there is one: the single place
    tokens die, used by ``POST auth/logout/`` and by ``change_password``."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted


def change_password(*, user: User, password: str | None) -> User:
    """Give ``user`` a new password (already validated by the form; None: no password
    log-in at all, an admin's choice) and end what the old one handed out: every API
    token is revoked in the same transaction, then the calendar-feed address, if the
    account has one, is replaced (the old address answers 404;
    ``booking.calendar.rotate_feed`` runs its own transaction, after this one, so a
    session opened with the old password cannot read the new address). Other browser
    sessions end by themselves (Django checks each session's password hash); the
    password-change page keeps the caller's own. Used by the password-change page, the
    password-reset link and the admin's password form. Returns ``user``, updated."""
    with service_transaction():
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").get()
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(update_fields=["password"])
        revoke_api_tokens(user=user)
    if calendar.feed_of(user) is not None:
        calendar.rotate_feed(user=user)
    return user
