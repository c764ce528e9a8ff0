import datetime as dt

import pytest
from django.utils.timezone import localdate

from providers.models import License, LicenseDecision, Therapist
from tests.factories import LicenseFactory, UserFactory, make_verifier, verified_license

pytestmark = pytest.mark.django_db

PROFILE_FIELDS = {
    "id", "slug", "display_name", "credentials", "npi", "bio", "modalities", "specialties",
    "formats", "languages", "fee", "sliding_scale", "accepting_new_clients", "timezone",
    "session_minutes", "slot_step_minutes", "auto_confirm", "notice_hours", "office_address",
    "office_city", "office_state", "video_url",
    "insurance", "superbill", "gender", "age_groups", "lgbtq_affirming", "faith",
}  # fmt: skip
PROFILE_FIELDS |= {"office_zip"}  # distance (rule 13)


def test_my_profile_shows_the_documented_fields_with_the_therapist_id(as_user, therapist_user):
    response = as_user(therapist_user).get("/api/v1/me/profile/")
    assert response.status_code == 200
    assert set(response.json()) == PROFILE_FIELDS
    assert response.json()["id"] == therapist_user.therapist.pk
    assert response.json()["session_minutes"] == 50
    assert response.json()["slot_step_minutes"] == 60


def test_my_profile_patch_saves_slugs_and_settings(as_user, therapist_user):
    response = as_user(therapist_user).patch(
        "/api/v1/me/profile/",
        {
            "modalities": ["ipt", "group"],
            "specialties": ["grief", "role-transitions"],
            "languages": ["en", "es"],
            "formats": ["in_person", "telehealth"],
            "office_address": "1 Washington Ave",
            "office_zip": "12207",
            "npi": "1993999998",
            "fee": 140,
            "slot_step_minutes": 30,
            "auto_confirm": True,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    therapist = Therapist.objects.get(user=therapist_user)
    assert sorted(therapist.modalities.values_list("slug", flat=True)) == ["group", "ipt"]
    assert sorted(therapist.formats) == ["in_person", "telehealth"]
    assert (therapist.npi, therapist.fee, therapist.slot_step_minutes) == ("1993999998", 140, 30)
    assert therapist.auto_confirm is True
    assert (therapist.office_city, therapist.office_state) == ("Albany", "NY")  # the ZIP's
    assert sorted(response.json()["languages"]) == ["en", "es"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"npi": "1234567890"}, "npi"),
        ({"modalities": ["astrology"]}, "modalities"),
        ({"formats": ["fax"]}, "formats"),
        ({"formats": []}, "formats"),
        ({"slot_step_minutes": 20}, "slot_step_minutes"),
        ({"session_minutes": 5}, "session_minutes"),
        ({"timezone": "Not/AZone"}, "timezone"),
        ({"fee": -1}, "fee"),
    ],
)
def test_my_profile_rejects_bad_input_and_changes_nothing(as_user, therapist_user, change, field):
    before = Therapist.objects.get(user=therapist_user).updated_at
    response = as_user(therapist_user).patch("/api/v1/me/profile/", change, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Therapist.objects.get(user=therapist_user).updated_at == before


def test_clients_have_no_profile_or_licenses(as_user, client_user):
    assert as_user(client_user).get("/api/v1/me/profile/").status_code == 403
    assert as_user(client_user).get("/api/v1/me/licenses/").status_code == 403


def test_submitting_a_license_answers_201_pending(as_user, therapist_user):
    expires = (localdate() + dt.timedelta(days=400)).isoformat()
    body = {"state": "NY", "license_type": "LCSW", "number": "R-0012", "expires_on": expires}
    response = as_user(therapist_user).post("/api/v1/me/licenses/", body, format="json")
    assert response.status_code == 201
    assert response.json() == {
        "id": License.objects.get().pk,
        "state": "NY",
        "license_type": "LCSW",
        "number": "R-0012",
        "expires_on": expires,
        "status": "pending",
    }
    listed = as_user(therapist_user).get("/api/v1/me/licenses/").json()
    assert [lic["id"] for lic in listed] == [response.json()["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"expires_on": "2000-01-01"}, "expires_on"),
        ({"expires_on": "soon"}, "expires_on"),
        ({"state": "XX"}, "state"),
        ({"license_type": "Wizard"}, "license_type"),
        ({"number": ""}, "number"),
    ],
)
def test_submitting_a_bad_license_is_a_400_and_saves_nothing(
    as_user, therapist_user, change, field
):
    body = {"state": "NY", "license_type": "LCSW", "number": "1", "expires_on": "2099-01-01"}
    response = as_user(therapist_user).post(
        "/api/v1/me/licenses/", {**body, **change}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not License.objects.exists()


def test_my_licenses_lists_only_my_own(as_user, therapist_user):
    LicenseFactory()  # someone else's
    mine = LicenseFactory(therapist=therapist_user.therapist)
    assert [lic["id"] for lic in as_user(therapist_user).get("/api/v1/me/licenses/").json()] == [
        mine.pk
    ]


# --- staff review ---------------------------------------------------------------


def test_the_review_list_shows_pending_oldest_first_with_decisions(as_user, staff_verifier):
    first = LicenseFactory()
    second = LicenseFactory()
    License.objects.filter(pk=first.pk).update(submitted_at=second.submitted_at - dt.timedelta(1))
    verified_license()
    response = as_user(staff_verifier).get("/api/v1/licenses/?status=pending")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [r["id"] for r in body["results"]] == [first.pk, second.pk]
    assert set(body["results"][0]) == {
        "id", "therapist", "state", "license_type", "number", "expires_on", "status",
        "submitted_at", "decisions",
    }  # fmt: skip
    assert body["results"][0]["therapist"] == first.therapist_id


def test_the_review_list_filters_licenses_expiring_within_n_days(as_user, staff_verifier):
    soon = verified_license(expires_on=localdate() + dt.timedelta(days=20))
    verified_license(expires_on=localdate() + dt.timedelta(days=200))
    LicenseFactory(expires_on=localdate() + dt.timedelta(days=10))  # pending: not "expiring"
    results = as_user(staff_verifier).get("/api/v1/licenses/?expiring_within=60").json()["results"]
    assert [r["id"] for r in results] == [soon.pk]
    assert results[0]["decisions"][0]["action"] == "verified"


def test_verify_through_the_api_records_the_decision(as_user, staff_verifier):
    license = LicenseFactory()
    response = as_user(staff_verifier).post(
        f"/api/v1/licenses/{license.pk}/verify/", {"source": "NY OP look-up"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "verified"
    decision = response.json()["decisions"][0]
    assert decision["decided_by"] == staff_verifier.email
    assert decision["source"] == "NY OP look-up"


def test_reject_needs_a_reason(as_user, staff_verifier):
    license = LicenseFactory()
    response = as_user(staff_verifier).post(f"/api/v1/licenses/{license.pk}/reject/", {})
    assert response.status_code == 400
    assert "reason" in response.json()
    license.refresh_from_db()
    assert license.status == "pending"
    ok = as_user(staff_verifier).post(
        f"/api/v1/licenses/{license.pk}/reject/", {"reason": "Number not on file"}
    )
    assert ok.status_code == 200
    assert ok.json()["status"] == "rejected"


def test_a_transition_that_is_not_allowed_is_a_409(as_user, staff_verifier):
    decided = verified_license()
    expired = LicenseFactory(expires_on=localdate() - dt.timedelta(days=2))
    for license in (decided, expired):
        response = as_user(staff_verifier).post(
            f"/api/v1/licenses/{license.pk}/verify/", {"source": "board"}
        )
        assert response.status_code == 409
        assert "detail" in response.json()
    assert LicenseDecision.objects.count() == 1  # only verified_license()'s own


def test_an_unknown_license_is_a_404(as_user, staff_verifier):
    response = as_user(staff_verifier).post("/api/v1/licenses/999999/verify/", {"source": "x"})
    assert response.status_code == 404


def test_nobody_without_the_verify_permission_reviews_licenses(api, as_user, therapist_user):
    license = LicenseFactory()
    plain_staff = UserFactory(role="staff", is_staff=True)
    assert api.get("/api/v1/licenses/").status_code == 401
    for person in (plain_staff, therapist_user, UserFactory()):
        assert as_user(person).get("/api/v1/licenses/").status_code == 403
        response = as_user(person).post(f"/api/v1/licenses/{license.pk}/verify/", {"source": "x"})
        assert response.status_code == 403
    license.refresh_from_db()
    assert license.status == "pending"


def test_superusers_created_by_createsuperuser_can_review(as_user):
    from accounts.models import User

    admin = User.objects.create_superuser(email="admin@example.com", password="x" * 12)
    assert admin.role == "staff"
    assert as_user(admin).get("/api/v1/licenses/").status_code == 200
    assert make_verifier().can_verify_licenses
