"""Writes for accounts: registration creates the user and, for therapists, their profile."""

from __future__ import annotations

from django.db import transaction
from django.utils.crypto import get_random_string
from django.utils.text import slugify

from accounts.models import User


def unique_therapist_slug(name: str) -> str:
    from providers.models import Therapist

    base = slugify(name)[:60] or "therapist"
    slug = base
    while Therapist.objects.filter(slug=slug).exists():
        slug = f"{base}-{get_random_string(5, 'abcdefghijkmnpqrstuvwxyz23456789')}"
    return slug


def register_user(
    *, email: str, password: str, name: str, role: str, state: str = "", timezone: str
) -> User:
    """Create a client or therapist account (never staff). A therapist also gets an
    empty profile, not findable until staff verify a license."""
    from providers.models import Therapist

    if role not in (User.Role.CLIENT, User.Role.THERAPIST):
        raise ValueError("Only clients and therapists sign up; staff are created by admins.")
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, name=name, role=role, state=state, timezone=timezone
        )
        if role == User.Role.THERAPIST:
            Therapist.objects.create(
                user=user,
                display_name=name,
                slug=unique_therapist_slug(name),
                timezone=timezone,
                formats=["telehealth"],
            )
    return user
