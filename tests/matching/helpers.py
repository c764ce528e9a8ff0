"""A small directory in New York for the guided match's tests: who must be listed, who
must never be, and one open group."""

from __future__ import annotations

import datetime as dt

from django.utils.timezone import localdate

from booking.models import Group
from providers.models import License, Specialty, Therapist
from tests.booking.group_helpers import make_group
from tests.booking.helpers import bookable_therapist
from tests.factories import LicenseFactory, TherapistFactory, verified_license

TUESDAY = 1
TUESDAY_EVENINGS = [(TUESDAY, dt.time(17), dt.time(20))]  # New York time


def with_specialties(therapist: Therapist, *slugs: str) -> Therapist:
    therapist.specialties.set(Specialty.objects.filter(slug__in=slugs))
    return therapist


def directory() -> dict[str, object]:
    """Grace (IPT for grief, Aetna, Tuesday evenings) and Carl (CBT, weekdays 9-5) may be
    matched in New York. Never: Pat (license pending), Fran (not accepting), Jo (licensed
    in New Jersey only), Ed (license expired). One grief group on Wednesdays at 6 PM, run
    by a therapist who takes no new one-to-one clients."""
    grace = bookable_therapist(
        display_name="Grace Hollis",
        credentials="LCSW",
        hours=TUESDAY_EVENINGS,
        insurance=["aetna"],
        fee=120,
    )
    with_specialties(grace, "grief")
    carl = bookable_therapist(display_name="Carl Brandt", modalities=["cbt"], fee=200)
    with_specialties(carl, "anxiety")
    pat = with_specialties(TherapistFactory(display_name="Pat Pending"), "grief")
    LicenseFactory(therapist=pat, state="NY", status=License.Status.PENDING)
    fran = bookable_therapist(display_name="Fran Full", hours=TUESDAY_EVENINGS)
    with_specialties(fran, "grief")
    Therapist.objects.filter(pk=fran.pk).update(accepting_new_clients=False)
    jo = with_specialties(TherapistFactory(display_name="Jo Jersey"), "grief")
    verified_license(therapist=jo, state="NJ")
    ed = with_specialties(TherapistFactory(display_name="Ed Expired"), "grief")
    LicenseFactory(
        therapist=ed,
        state="NY",
        status=License.Status.VERIFIED,
        verified_on=localdate() - dt.timedelta(days=400),
        expires_on=localdate() - dt.timedelta(days=1),
    )
    leader = bookable_therapist(display_name="Lena Group", modalities=["group", "ipt"])
    group = make_group(leader, title="After a loss")
    Therapist.objects.filter(pk=leader.pk).update(accepting_new_clients=False)
    return {
        "grace": grace,
        "carl": carl,
        "never": [pat, fran, jo, ed, leader],
        "group": Group.objects.get(pk=group.pk),
    }


def more_therapists(count: int) -> None:
    """More therapists who may be matched in New York, each with hours."""
    for n in range(count):
        therapist = bookable_therapist(display_name=f"Extra Therapist {n:02d}")
        with_specialties(therapist, "grief", "depression")
