import io

import pytest
from django.core.management import call_command
from django.db import DataError, connection
from django.utils.text import slugify
from django.utils.timezone import localdate
from rest_framework.test import APIClient

from accounts.models import User
from accounts.places import STATE_TIMEZONES, US_STATES
from demo.management.commands import seed_demo as seed_demo_command
from demo.management.commands.seed_demo import (
    DEMO_CLIENTS,
    DEMO_PASSWORD,
    DEMO_THERAPIST_EMAIL,
    STAFF_EMAIL,
)
from providers.models import License, LicenseDecision, Therapist, ZipCentroid
from providers.npi import npi_is_valid

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded():
    return seed("--therapists", "60", "--seed", "3")


def names_in_order() -> list[str]:
    return list(Therapist.objects.order_by("id").values_list("display_name", flat=True))


def test_seeding_creates_the_requested_number_of_therapists_each_with_a_therapist_account(
    seeded,
):
    assert Therapist.objects.count() == 60
    assert User.objects.filter(role="therapist", therapist__isnull=False).count() == 60


def test_every_state_and_dc_has_a_findable_therapist(seeded):
    missing = [code for code, _ in US_STATES if not Therapist.objects.findable_in(code).exists()]
    assert missing == []


def test_every_npi_given_passes_the_check_digit_and_most_therapists_have_one(seeded):
    npis = [npi for npi in Therapist.objects.values_list("npi", flat=True) if npi]
    assert len(npis) >= 20
    assert all(npi_is_valid(npi) for npi in npis)


def test_the_staff_account_can_verify_licenses(seeded):
    staff = User.objects.get(email=STAFF_EMAIL)
    assert staff.role == User.Role.STAFF
    assert staff.can_verify_licenses


def test_demo_accounts_sign_in_with_the_printed_password(seeded):
    assert DEMO_PASSWORD in seeded
    emails = [email for email, _, _ in DEMO_CLIENTS] + [DEMO_THERAPIST_EMAIL, STAFF_EMAIL]
    for email in emails:
        assert email in seeded
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD), email
    assert User.objects.get(email=DEMO_CLIENTS[0][0]).state == "NY"
    demo_therapist = Therapist.objects.get(user__email=DEMO_THERAPIST_EMAIL)
    assert Therapist.objects.findable_in("NY").filter(pk=demo_therapist.pk).exists()


def test_bulk_therapist_accounts_cannot_sign_in(seeded):
    therapist = User.objects.filter(role="therapist").exclude(email=DEMO_THERAPIST_EMAIL).first()
    assert not therapist.has_usable_password()


def test_licenses_include_pending_verified_expired_and_some_expiring_soon(seeded):
    statuses = set(License.objects.values_list("status", flat=True))
    assert {"pending", "verified", "expired"} <= statuses
    assert License.objects.expiring_within(60).exists()


def test_each_license_history_matches_its_status(seeded):
    staff = User.objects.get(email=STAFF_EMAIL)
    today = localdate()
    for license in License.objects.prefetch_related("decisions"):
        actions = [d.action for d in license.decisions.all()]
        if license.status == "pending":
            assert actions == []
        elif license.status == "verified":
            assert actions == ["verified"]
            assert license.verified_on <= today < license.expires_on
            assert license.decisions.all()[0].decided_by == staff
            assert license.decisions.all()[0].source
        elif license.status == "expired":
            assert actions == ["verified", "expired"]
            assert license.expires_on < today
        else:
            assert actions == ["rejected"]
            assert license.decisions.all()[0].reason
    assert LicenseDecision.objects.filter(decided_at__isnull=True).count() == 0


def test_profiles_are_complete_and_keep_to_the_products_rules(seeded):
    for therapist in Therapist.objects.prefetch_related("modalities", "languages"):
        assert therapist.credentials and therapist.bio
        assert therapist.modalities.exists()
        assert "en" in {language.code for language in therapist.languages.all()}
        assert therapist.formats and set(therapist.formats) <= {"telehealth", "in_person"}
        assert 80 <= therapist.fee <= 250
        assert therapist.timezone == STATE_TIMEZONES[therapist.office_state]
    ipt = Therapist.objects.filter(modalities__slug="ipt").count()
    assert ipt > Therapist.objects.filter(modalities__slug="cbt").count()
    assert Therapist.objects.filter(specialties__slug="role-disputes").exists()


def test_in_person_demo_offices_are_at_real_zip_codes_in_their_states(seeded):
    """Distance (rule 13): every in-person office has a street address and a ZIP code of
    its state and city, its coordinates that ZIP's; a search near one finds it."""
    in_person = Therapist.objects.filter(formats__contains=["in_person"])
    assert in_person.exists()
    centroids = {
        c.zip: c for c in ZipCentroid.objects.filter(zip__in=in_person.values("office_zip"))
    }
    for therapist in in_person:
        centroid = centroids[therapist.office_zip]
        assert therapist.office_address
        assert centroid.state == therapist.office_state
        assert (therapist.office_lat, therapist.office_lon) == (centroid.lat, centroid.lon)
    assert not Therapist.objects.exclude(formats__contains=["in_person"]).exclude(office_zip="")
    office = in_person.filter(licenses__status="verified").first()
    found = APIClient().get(
        "/api/v1/therapists/",
        {"near": office.office_zip, "radius": "1", "format": "in_person", "page_size": 100},
    )
    assert office.pk in {row["id"] for row in found.json()["results"]}


def test_the_same_seed_gives_the_same_names_and_another_seed_does_not(seeded):
    first = names_in_order()
    seed("--therapists", "60", "--seed", "3")
    assert names_in_order()[60:] == first
    seed("--therapists", "60", "--seed", "4")
    assert names_in_order()[120:] != first


def test_if_empty_does_nothing_once_therapists_exist(seeded):
    out = seed("--therapists", "60", "--seed", "3", "--if-empty")
    assert "already exist" in out
    assert Therapist.objects.count() == 60


def test_if_empty_seeds_an_empty_database():
    seed("--therapists", "5", "--if-empty")
    assert Therapist.objects.count() == 5


def test_running_twice_adds_therapists_with_unique_emails_and_slugs(seeded):
    seed("--therapists", "60", "--seed", "3")
    assert Therapist.objects.count() == 120
    assert User.objects.filter(email=STAFF_EMAIL).count() == 1
    assert Therapist.objects.filter(user__email=DEMO_THERAPIST_EMAIL).count() == 1


def next_therapist_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(last_value, 0) + 1 FROM pg_sequences "
            "WHERE quote_ident(schemaname) || '.' || quote_ident(sequencename) "
            "= pg_get_serial_sequence('providers_therapist', 'id')"
        )
        return cursor.fetchone()[0]


def test_a_second_run_steps_around_a_slug_and_email_someone_already_holds(seeded):
    # Same seed: the next run's first therapist gets the first run's first name.
    name = Therapist.objects.order_by("id").first().display_name
    first, last = name.split(" ", 1)
    taken_id = next_therapist_id()
    slug = f"{slugify(first)}-{slugify(last)}"[:60] + f"-{taken_id}"
    email = f"{slugify(first).replace('-', '')}.{slugify(last).replace('-', '')}.{taken_id}"
    email += "@demo.rapport.example"
    # Explicit ids, so the squatter does not use up the ids the next run will take.
    squatter = User.objects.create(id=10**9, email=email, name=name, role="therapist")
    Therapist.objects.create(id=10**9, user=squatter, display_name=name, slug=slug)

    seed("--therapists", "60", "--seed", "3")

    newcomer = Therapist.objects.select_related("user").get(pk=taken_id)
    assert newcomer.display_name == name
    assert newcomer.slug == f"{slug}-demo"
    assert newcomer.user.email == email.replace("@", ".demo@")


def test_a_failed_write_leaves_nothing_behind(monkeypatch):
    real_data = seed_demo_command._CopyTable.data

    def broken_data(self, rows):
        text = real_data(self, rows)
        return text.replace("\t", "\tnot-a-number", 1) if "therapist" in self.table else text

    monkeypatch.setattr(seed_demo_command._CopyTable, "data", broken_data)
    with pytest.raises(DataError):
        seed("--therapists", "20")
    assert not Therapist.objects.exists()
    assert not User.objects.exists()


def test_every_therapist_gets_weekly_hours_and_the_next_opening_the_slot_finder_gives(seeded):
    from booking.models import AvailabilityRule
    from booking.openings import next_opening

    therapists = list(Therapist.objects.all())
    with_hours = set(AvailabilityRule.objects.values_list("therapist_id", flat=True))
    assert {t.pk for t in therapists} == with_hours
    for therapist in therapists[:15]:
        if not therapist.bookings.exists():
            assert therapist.next_opening == next_opening(therapist), therapist


def test_the_demo_client_holds_a_real_confirmed_twelve_week_course(seeded):
    from booking.models import Booking

    booking = Booking.objects.get(client__email=DEMO_CLIENTS[0][0])
    assert booking.therapist.user.email == DEMO_THERAPIST_EMAIL
    assert booking.status == "confirmed"
    assert booking.sessions.filter(status="confirmed").count() == 12


def test_the_demo_therapist_runs_a_grief_group_the_demo_client_belongs_to(seeded):
    from booking.models import Enrolment

    enrolment = Enrolment.objects.select_related("group__therapist__user").get(
        client__email=DEMO_CLIENTS[0][0]
    )
    assert enrolment.status == "enrolled"
    assert enrolment.group.therapist.user.email == DEMO_THERAPIST_EMAIL
    assert enrolment.group.kind == "grief"


@pytest.mark.django_db(transaction=True)
def test_the_demo_course_and_group_are_booked_after_the_bulk_rows_commit():
    """The booking services run in transactions of their own (durable), so seed_demo calls
    them once its bulk transaction has committed; nested, they would refuse to run."""
    from booking.models import Booking, Enrolment

    seed("--therapists", "10", "--seed", "3")
    assert Booking.objects.filter(client__email=DEMO_CLIENTS[0][0], status="confirmed").exists()
    assert Enrolment.objects.filter(client__email=DEMO_CLIENTS[0][0], status="enrolled").exists()


def test_the_demo_has_groups_of_every_kind_in_several_states_and_stages(seeded):
    """Issue 16, item 6: ``make run`` shows groups of every kind, in at least three
    states, open, full with a waitlist, starting later and cancelled, each with its fee."""
    from booking.groups.selectors import listed_groups, with_seats
    from booking.models import Group

    all_groups = list(with_seats(Group.objects.all()))
    assert {g.kind for g in all_groups} == set(Group.Kind.values)
    served = {state for g in all_groups for state in g.states}
    assert len(served) >= 3, served
    assert all(g.fee is not None for g in all_groups)
    assert any(g.fee == 0 for g in all_groups)  # a free one
    assert {g.status for g in all_groups} == {"active", "cancelled"}
    full = [g for g in all_groups if g.status == "active" and g.seats_taken == g.capacity]
    assert full and all(g.waitlisted >= 1 for g in full)
    open_with_members = [g for g in all_groups if 0 < g.seats_taken < g.capacity]
    assert open_with_members
    assert len({g.start_date for g in all_groups}) >= 2  # one starts weeks later
    listed = listed_groups(User.objects.get(email=DEMO_CLIENTS[0][0]), {"state": ""})[1]
    assert {g.status for g in listed} == {"active"} and len(listed) >= 5
    assert "group      “IPT group" in seeded


def test_the_demo_has_morning_and_evening_program_tracks_in_several_states(seeded):
    """Issue 18, item 6: intensive programs meeting three or four days a week, morning and
    evening tracks, in several states, some nearly full, one offering individual sessions."""
    from booking.groups.selectors import with_seats
    from booking.models import Group

    programs = list(with_seats(Group.objects.filter(kind="intensive", status="active")))
    assert len({state for g in programs for state in g.states}) >= 3
    assert all(len(g.weekdays) >= 3 and g.meeting_minutes == 180 for g in programs)
    hours = {g.start_time.hour for g in programs}
    assert any(h < 12 for h in hours) and any(h >= 17 for h in hours)
    ny = [g for g in programs if g.states == ["NY"]]
    assert len({g.start_time.hour < 12 for g in ny}) == 2  # both tracks of one program
    assert any(g.capacity - g.seats_taken <= 1 for g in programs)  # nearly full
    assert any(g.individual == "offered" for g in programs)
    assert all(g.meetings.count() == g.meeting_count for g in programs)


def test_the_demo_groups_list_shows_them_to_a_visitor(seeded, client):
    page = client.get("/groups/?state=").content.decode()
    assert "Supportive group for new parents" in page
    assert "Grief through the holidays" not in page  # cancelled
    assert "per meeting" in page and "Free" in page


# --- Finding the right fit (issue 17, item 8): every filter finds someone in the demo ----


def _found(params: dict) -> int:
    response = APIClient().get("/api/v1/therapists/", {**params, "page_size": 1})
    assert response.status_code == 200, (params, response.content)
    return response.json()["count"]


def test_every_insurance_and_identity_filter_finds_someone(seeded):
    from providers.models import AgeGroup, Faith, Gender, Insurance

    searches = [{"insurance": slug} for slug in Insurance.objects.values_list("slug", flat=True)]
    searches += [{"superbill": "true"}, {"lgbtq_affirming": "true"}]
    searches += [{"gender": choice.value} for choice in Gender]
    searches += [{"age_group": choice.value} for choice in AgeGroup]
    searches += [{"faith": slug} for slug in Faith.objects.values_list("slug", flat=True)]
    assert [params for params in searches if not _found(params)] == []


def test_near_a_demo_office_zip_finds_someone_in_person(seeded):
    office = Therapist.objects.findable().exclude(office_zip="").values_list("office_zip")[0][0]
    assert _found({"near": office, "format": "in_person", "radius": "5"}) >= 1


def test_a_realistic_share_of_therapists_has_plans_identity_and_a_photo(seeded):
    therapists = Therapist.objects.all()
    with_plans = therapists.filter(insurance__isnull=False).distinct().count()
    assert 0.5 * 60 <= with_plans <= 0.95 * 60
    several = (
        Therapist.insurance.through.objects.values("therapist").distinct().count()
    )  # every therapist with plans has at least one; most have several
    assert Therapist.insurance.through.objects.count() >= 2 * several
    assert 0 < therapists.filter(superbill=True).count() < 60
    assert therapists.exclude(gender="").count() >= 0.8 * 60
    assert therapists.filter(faith__isnull=False).count() < 0.5 * 60
    photographed = therapists.exclude(photo="")
    assert 0.2 * 60 <= photographed.count() <= 0.6 * 60


def test_demo_photos_are_stored_through_the_photo_service(seeded):
    from PIL import Image

    therapist = Therapist.objects.exclude(photo="").first()
    with therapist.photo.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (400, 400)
        assert not image.getexif() and "icc_profile" not in image.info
    # The card and the API show it.
    listed = APIClient().get(f"/api/v1/therapists/{therapist.pk}/").json()
    assert listed["photo_url"]
