"""The one writer of a therapist's profile: the dashboard page, ``me/profile/`` and the
admin all come here, so they refuse the same things in the same words and the derived
data (the next opening, cached search answers) follows every change.

The rules live on the model (field validators, ``Therapist.clean``) and, where the
database can hold them, in its CHECK constraints; this module runs them, writes, and
marks what the change made stale."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.crypto import get_random_string
from django.utils.text import slugify

from booking import openings
from providers import geo, search_cache
from providers.models import AgeGroup, Therapist
from therapy_directory.transactions import service_transaction

# The many-to-many lists a profile holds.
LINKS = frozenset({"modalities", "specialties", "languages", "insurance"})
# Everything a profile edit may change (the user it belongs to is fixed at creation).
FIELDS = frozenset(
    {
        "slug",
        "display_name",
        "credentials",
        "npi",
        "bio",
        "formats",
        "office_address",
        "office_city",
        "office_state",
        "fee",
        "sliding_scale",
        "accepting_new_clients",
        "timezone",
        "session_minutes",
        "slot_step_minutes",
        "auto_confirm",
        "notice_hours",
        "video_url",
        "reminder_minutes",
        # Finding the right fit (PRODUCT rule 13): insurance and identity.
        "superbill",
        "gender",
        "age_groups",
        "lgbtq_affirming",
        "faith",
    }
)
# Distance (rule 13): the office's ZIP code; its coordinates follow it (``_place_office``).
FIELDS |= {"office_zip"}
# What no search filters on and no result card shows: a change of only these leaves the
# cached search answers alone. Everything else (a field added later too) makes them stale.
PRIVATE = frozenset({"npi", "office_address", "video_url", "auto_confirm", "reminder_minutes"})
# Everything a writer may hand in.
EDITABLE = FIELDS | LINKS
# What the next opening is computed from besides the calendar (booking.openings
# .next_openings reads the zone, session length, slot step, notice, whether new clients
# are accepted and whether an IPT or CBT course is offered).
OPENING_INPUTS = frozenset(
    {
        "timezone",
        "session_minutes",
        "slot_step_minutes",
        "notice_hours",
        "accepting_new_clients",
        "modalities",
    }
)


def update_profile(*, therapist: Therapist, by, **fields: Any) -> Therapist:
    """Change the given fields and lists of ``therapist``'s profile, all or nothing, and
    return it as stored.

    Promises: ``by`` is the therapist themself or staff (else ``PermissionDenied``); every
    bound and cross-field rule of the model is checked against the profile as it would
    be, and a refusal is a ``ValidationError`` keyed by field with nothing written; the
    row and its links are written in one transaction; if the change touched what the next
    opening is computed from, the opening is marked stale (and recomputed after commit);
    a change of anything but the ``PRIVATE`` fields makes cached search answers stale once
    it commits (a short list of what no search reads, so a new field errs on the side of
    fresh answers). An edit that changes nothing writes nothing."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise TypeError(f"Not profile fields: {', '.join(sorted(unknown))}")
    if not _may_edit(by, therapist):
        raise PermissionDenied("Only the therapist or staff may change this profile.")
    values = _normalised({k: v for k, v in fields.items() if k in FIELDS})
    links = {name: _ids(fields[name]) for name in LINKS & set(fields)}
    with service_transaction():
        current = Therapist.objects.select_for_update().get(pk=therapist.pk)
        changed = {name for name, value in values.items() if getattr(current, name) != value}
        for name in changed:
            setattr(current, name, values[name])
        changed |= _place_office(current, given=changed)
        _validate(current)
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
        for name, ids in links.items():
            manager = getattr(current, name)
            if set(manager.values_list("pk", flat=True)) != ids:
                manager.set(ids)
                changed.add(name)
        if changed & OPENING_INPUTS:
            openings.mark_stale(current)
        if changed - PRIVATE:
            search_cache.directory_changed()
    return current


def create_profile(
    *, user, display_name: str, timezone: str = "America/New_York", **fields: Any
) -> Therapist:
    """A new therapist's profile for ``user``, under a unique slug made from the name
    unless one is given. The same rules as ``update_profile``; no search answer or
    opening changes (a new therapist has no verified license and no weekly hours).

    The name is often the account's, typed at sign-up: it is put on one line (runs of
    whitespace and line breaks become one space) rather than refused there, where the
    person could not correct it."""
    display_name = " ".join(display_name.split())
    unknown = set(fields) - EDITABLE
    if unknown:
        raise TypeError(f"Not profile fields: {', '.join(sorted(unknown))}")
    values = _normalised({k: v for k, v in fields.items() if k in FIELDS})
    with transaction.atomic():
        therapist = Therapist(
            user=user,
            display_name=display_name,
            timezone=timezone,
            **values,
        )
        if not therapist.slug:
            therapist.slug = unique_slug(display_name)
        _place_office(therapist, given=set(values))
        _validate(therapist)
        therapist.save()
        for name in LINKS & set(fields):
            getattr(therapist, name).set(_ids(fields[name]))
    return therapist


# Addresses under /therapists/ that are pages of their own (/therapists/in/: by state).
RESERVED_SLUGS = frozenset({"in"})


def unique_slug(name: str) -> str:
    """A profile address made from the name, not used by anyone yet."""
    base = slugify(name)[:60] or "therapist"
    slug = base
    while slug in RESERVED_SLUGS or Therapist.objects.filter(slug=slug).exists():
        slug = f"{base}-{get_random_string(5, 'abcdefghijkmnpqrstuvwxyz23456789')}"
    return slug


def _may_edit(by, therapist: Therapist) -> bool:
    if by is None or not by.is_authenticated or not by.is_active:
        return False
    return by.pk == therapist.user_id or by.is_staff


def _normalised(values: dict[str, Any]) -> dict[str, Any]:
    """The stored form: formats once each in the order given, reminder times once each,
    latest first, ages served once each, youngest first."""
    if "formats" in values:
        values["formats"] = list(dict.fromkeys(values["formats"] or []))
    if "reminder_minutes" in values:
        values["reminder_minutes"] = sorted(set(values["reminder_minutes"] or []), reverse=True)
    if "age_groups" in values:
        # Youngest first, each once; a value that is no age group stays (last) for the
        # model's validation to refuse.
        order = {age: i for i, age in enumerate(AgeGroup.values)}
        given = dict.fromkeys(values["age_groups"] or [])
        values["age_groups"] = sorted(given, key=lambda age: order.get(age, len(order)))
    if "gender" in values and values["gender"] is None:
        values["gender"] = ""
    return values


def _ids(items: Iterable) -> set[int]:
    return {getattr(item, "pk", item) for item in items}


def _place_office(therapist: Therapist, *, given: set[str]) -> set[str]:
    """Copy the office ZIP code's centroid onto the profile (what a search near a ZIP
    measures from), and its city and state when the ZIP is new and the writer did not
    give them too (or left them empty). Return the fields this changed. An unknown ZIP
    places nothing: validation refuses it, naming ``office_zip``."""
    if not given & {"office_zip", "office_city", "office_state"}:
        return set()
    place = geo.locate(therapist.office_zip)
    derived: dict[str, Any] = {
        "office_lat": place.lat if place else None,
        "office_lon": place.lon if place else None,
    }
    if place is not None:
        derived |= {
            name: value
            for name, value in (("office_city", place.city), ("office_state", place.state))
            if not getattr(therapist, name) or ("office_zip" in given and name not in given)
        }
    changed = {name for name, value in derived.items() if getattr(therapist, name) != value}
    for name in changed:
        setattr(therapist, name, derived[name])
    return changed


def _validate(therapist: Therapist) -> None:
    """Every field validator, ``Therapist.clean`` and the constraints, on the profile as
    it would be stored."""
    therapist.full_clean(exclude=["user"] if therapist.pk else None)
