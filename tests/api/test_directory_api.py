import datetime as dt

import pytest
from django.utils.timezone import localdate

from providers.models import Language, Modality, Specialty
from tests.factories import LicenseFactory, TherapistFactory, verified_license

pytestmark = pytest.mark.django_db

RESULT_FIELDS = {
    "id", "slug", "name", "credentials", "modalities", "states", "formats", "languages",
    "accepting_new_clients", "next_opening", "url", "insurance", "photo_url",
}  # fmt: skip
RESULT_FIELDS |= {"distance_miles"}  # distance (rule 13): null without near


def test_modalities_lists_the_seeded_three(api):
    response = api.get("/api/v1/modalities/")
    assert response.status_code == 200
    slugs = {m["slug"] for m in response.json()}
    assert {"ipt", "cbt", "group"} <= slugs
    assert set(response.json()[0]) == {"slug", "name"}


def test_an_admin_added_modality_appears_without_a_code_change(api):
    Modality.objects.create(slug="dbt", name="Dialectical Behavior Therapy")
    assert "dbt" in {m["slug"] for m in api.get("/api/v1/modalities/").json()}
    assert api.get("/api/v1/therapists/?modality=dbt").status_code == 200


def test_therapist_list_is_paginated_with_the_documented_fields(api):
    therapist = TherapistFactory(office_state="NJ")
    therapist.languages.set(Language.objects.filter(code__in=["en", "es"]))
    verified_license(therapist=therapist, state="NY")
    response = api.get("/api/v1/therapists/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    result = body["results"][0]
    assert set(result) == RESULT_FIELDS
    assert result["id"] == therapist.pk
    assert result["name"] == therapist.display_name
    assert result["modalities"] == ["ipt"]
    assert result["states"] == ["NY"]
    assert result["formats"] == ["telehealth"]
    assert sorted(result["languages"]) == ["en", "es"]
    assert result["accepting_new_clients"] is True
    assert result["next_opening"] is None
    assert result["url"].endswith(f"/therapists/{therapist.slug}/")


def test_state_means_licensed_there_not_office_there(api):
    nj_office_ny_license = TherapistFactory(office_state="NJ")
    verified_license(therapist=nj_office_ny_license, state="NY")
    ny_office_nj_license = TherapistFactory(office_state="NY")
    verified_license(therapist=ny_office_nj_license, state="NJ")
    ids = [r["id"] for r in api.get("/api/v1/therapists/?state=NY").json()["results"]]
    assert ids == [nj_office_ny_license.pk]


@pytest.mark.parametrize("status", ["pending", "rejected", "expired"])
def test_licenses_that_are_not_verified_never_make_anyone_findable(api, status):
    LicenseFactory(state="NY", status=status, verified_on=localdate())
    assert api.get("/api/v1/therapists/?state=NY").json()["count"] == 0
    assert api.get("/api/v1/therapists/").json()["count"] == 0


def test_a_verified_license_past_its_date_does_not_count(api):
    verified_license(state="NY", expires_on=localdate() - dt.timedelta(days=1))
    assert api.get("/api/v1/therapists/?state=NY").json()["count"] == 0


def test_filters_combine_modality_specialty_format_language_accepting_and_q(api):
    match = TherapistFactory(
        display_name="Grace Hopper", formats=["in_person"], modalities=["ipt", "cbt"]
    )
    match.specialties.set(Specialty.objects.filter(slug="grief"))
    match.languages.set(Language.objects.filter(code="es"))
    verified_license(therapist=match, state="CA")
    other = TherapistFactory(display_name="Alan Turing", modalities=["cbt"])
    verified_license(therapist=other, state="CA")
    query = (
        "state=CA&modality=ipt&specialty=grief&format=in_person&language=es&accepting=true&q=hopper"
    )
    results = api.get(f"/api/v1/therapists/?{query}").json()["results"]
    assert [r["id"] for r in results] == [match.pk]
    assert api.get("/api/v1/therapists/?accepting=false").json()["count"] == 0


def test_ordering_by_fee_and_name(api):
    cheap = TherapistFactory(display_name="Zed Cheap", fee=80)
    dear = TherapistFactory(display_name="Amy Dear", fee=200)
    for t in (cheap, dear):
        verified_license(therapist=t)
    by_fee = [r["id"] for r in api.get("/api/v1/therapists/?ordering=fee").json()["results"]]
    by_name = [r["id"] for r in api.get("/api/v1/therapists/?ordering=name").json()["results"]]
    assert by_fee == [cheap.pk, dear.pk]
    assert by_name == [dear.pk, cheap.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=ZZ", "state"),
        ("modality=astrology", "modality"),
        ("format=carrier-pigeon", "format"),
        ("ordering=shoe_size", "ordering"),
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=999", "page"),
        ("available_within=-3", "available_within"),
    ],
)
def test_bad_search_input_is_a_400_naming_the_field(api, query, field):
    verified_license()
    response = api.get(f"/api/v1/therapists/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_therapist_detail_has_profile_fields_and_only_valid_licenses(api):
    therapist = TherapistFactory(bio="IPT for grief.", fee=120, sliding_scale=True)
    therapist.specialties.set(Specialty.objects.filter(slug__in=["grief", "loneliness"]))
    ny = verified_license(therapist=therapist, state="NY")
    LicenseFactory(therapist=therapist, state="CT", status="pending")
    verified_license(therapist=therapist, state="NJ", expires_on=localdate() - dt.timedelta(1))
    LicenseFactory(therapist=therapist, state="PA", status="rejected")
    response = api.get(f"/api/v1/therapists/{therapist.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == RESULT_FIELDS | {
        "bio", "specialties", "fee", "sliding_scale", "timezone", "session_minutes", "licenses",
    }  # fmt: skip
    assert body["licenses"] == [
        {
            "state": "NY",
            "license_type": "LCSW",
            "expires_on": ny.expires_on.isoformat(),
            "verified_on": ny.verified_on.isoformat(),
        }
    ]
    assert body["states"] == ["NY"]
    assert sorted(body["specialties"]) == ["grief", "loneliness"]
    assert (body["fee"], body["sliding_scale"], body["session_minutes"]) == (120, True, 50)


def test_an_unfindable_therapist_is_a_404(api):
    pending = LicenseFactory(status="pending").therapist
    assert api.get(f"/api/v1/therapists/{pending.pk}/").status_code == 404
    assert api.get("/api/v1/therapists/abc/").status_code == 404


@pytest.mark.parametrize("size", [5, 50])
def test_the_therapist_list_runs_a_constant_number_of_queries(
    api, django_assert_max_num_queries, size
):
    for _ in range(size):
        therapist = TherapistFactory(modalities=["ipt", "cbt"])
        therapist.languages.set(Language.objects.filter(code__in=["en", "es"]))
        verified_license(therapist=therapist, state="NY")
        verified_license(therapist=therapist, state="NJ")
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/therapists/?state=NY&modality=ipt&page_size=100")
    assert response.json()["count"] == size
