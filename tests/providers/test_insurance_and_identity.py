"""Insurance and identity (issue 17, items 1 and 3; PRODUCT rule 13): the plans admins
keep, a therapist's insurance, superbill, gender, ages served, LGBTQ+ affirming and faith,
chosen on the profile page and through ``me/profile/``, filtered on the search page and
the API alike, and shown in words on the cards and the profile."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from providers import profiles
from providers.models import Faith, Insurance, Therapist
from tests.factories import TherapistFactory, verified_license
from tests.providers.profile_data import profile_form_data

pytestmark = pytest.mark.django_db

SEARCH = reverse("providers:search")
API = "/api/v1/therapists/"
PROFILE_API = "/api/v1/me/profile/"
PROFILE_PAGE = reverse("providers:dashboard_profile")

PLANS = {
    "aetna": "Aetna",
    "anthem-bcbs": "Anthem / Elevance Blue Cross Blue Shield",
    "cigna": "Cigna / Evernorth",
    "unitedhealthcare": "UnitedHealthcare / Optum",
    "humana": "Humana",
    "kaiser-permanente": "Kaiser Permanente",
    "medicare": "Medicare",
    "medicaid": "Medicaid",
    "tricare": "TRICARE",
    "magellan": "Magellan",
    "beacon-carelon": "Beacon / Carelon",
}


def findable(name: str, state: str = "NY", **fields) -> Therapist:
    therapist = TherapistFactory(display_name=name, **fields)
    verified_license(therapist=therapist, state=state)
    return therapist


def as_therapist(therapist: Therapist) -> APIClient:
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=therapist.user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


def api_names(params: dict) -> list[str]:
    response = APIClient().get(API, params)
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def page_names(client, params: dict) -> list[str]:
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    assert response.context["page"] is not None, response.context["form"].errors
    return [t.display_name for t in response.context["page"].object_list]


@pytest.fixture
def directory() -> dict[str, Therapist]:
    jewish = Faith.objects.get(slug="jewish")
    return {
        "ada": findable(
            "Ada Aetna",
            insurance=["aetna", "medicare"],
            gender="woman",
            age_groups=["adults", "older_adults"],
            lgbtq_affirming=True,
            faith=jewish,
        ),
        "bo": findable("Bo Bill", superbill=True, gender="man", age_groups=["children", "teens"]),
        "cy": findable("Cy Cigna", insurance=["cigna"], gender="nonbinary", age_groups=["teens"]),
        "di": findable("Di Private"),
    }


# --- The lists admins keep ----------------------------------------------------------------


def test_the_major_us_plans_exist_after_migrate():
    assert dict(Insurance.objects.values_list("slug", "name")) == PLANS


def test_a_short_list_of_faiths_exists_after_migrate():
    names = set(Faith.objects.values_list("name", flat=True))
    assert {"Christian", "Jewish", "Muslim", "Buddhist", "Hindu", "Latter-day Saints"} == names


def test_insurances_lists_every_plan_as_slug_and_name_by_name():
    response = APIClient().get("/api/v1/insurances/")
    assert response.status_code == 200
    body = response.json()
    assert body == [{"slug": s, "name": n} for s, n in sorted(PLANS.items(), key=lambda p: p[1])]


def test_an_admin_added_plan_is_listed_and_searchable_without_a_code_change(client):
    Insurance.objects.create(slug="oscar", name="Oscar Health")
    findable("Ola Oscar", insurance=["oscar"])
    assert {"slug": "oscar", "name": "Oscar Health"} in APIClient().get(
        "/api/v1/insurances/"
    ).json()
    assert api_names({"insurance": "oscar"}) == ["Ola Oscar"]
    assert page_names(client, {"insurance": "oscar"}) == ["Ola Oscar"]


def test_the_admin_keeps_the_plans_and_faiths(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role="staff", is_staff=True, is_superuser=True))
    for name in ("providers_insurance", "providers_faith"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:{name}_add")).status_code == 200
    response = client.post(
        reverse("admin:providers_insurance_add"), {"name": "Oscar Health", "slug": "oscar"}
    )
    assert response.status_code == 302
    assert Insurance.objects.filter(slug="oscar", name="Oscar Health").exists()


# --- Search filters: the API and the page alike ---------------------------------------------

FILTERS = [
    ({"insurance": "aetna"}, ["Ada Aetna"]),
    ({"insurance": "cigna"}, ["Cy Cigna"]),
    ({"insurance": "tricare"}, []),
    ({"superbill": "true"}, ["Bo Bill"]),
    ({"gender": "woman"}, ["Ada Aetna"]),
    ({"gender": "nonbinary"}, ["Cy Cigna"]),
    ({"age_group": "teens"}, ["Bo Bill", "Cy Cigna"]),
    ({"age_group": "older_adults"}, ["Ada Aetna"]),
    ({"lgbtq_affirming": "true"}, ["Ada Aetna"]),
    ({"lgbtq_affirming": "false"}, ["Bo Bill", "Cy Cigna", "Di Private"]),
    ({"faith": "jewish"}, ["Ada Aetna"]),
    ({"faith": "muslim"}, []),
    # combined, with each other and with the older filters
    ({"insurance": "aetna", "age_group": "adults", "faith": "jewish"}, ["Ada Aetna"]),
    ({"insurance": "aetna", "gender": "man"}, []),
    ({"age_group": "teens", "gender": "man", "superbill": "true"}, ["Bo Bill"]),
    ({"state": "NY", "modality": "ipt", "insurance": "cigna"}, ["Cy Cigna"]),
    ({"state": "CA", "insurance": "aetna"}, []),
    ({}, ["Ada Aetna", "Bo Bill", "Cy Cigna", "Di Private"]),
]


@pytest.mark.parametrize(("params", "names"), FILTERS, ids=lambda v: str(v))
def test_each_fit_filter_alone_and_combined_on_the_api(directory, params, names):
    assert api_names(params) == names


@pytest.mark.parametrize(("params", "names"), FILTERS, ids=lambda v: str(v))
def test_each_fit_filter_alone_and_combined_on_the_page(client, directory, params, names):
    assert page_names(client, params) == names


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"insurance": "acme-health"}, "insurance"),
        ({"insurance": "Aetna"}, "insurance"),
        ({"faith": "pastafarian"}, "faith"),
        ({"gender": "female"}, "gender"),
        ({"age_group": "infants"}, "age_group"),
    ],
)
def test_an_unknown_value_is_a_400_naming_the_filter(directory, params, field):
    response = APIClient().get(API, params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("params", [{"insurance": "acme-health"}, {"faith": "pastafarian"}])
def test_an_unknown_value_is_an_error_beside_its_filter_on_the_page(client, directory, params):
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    assert response.context["page"] is None
    assert set(response.context["form"].errors) == set(params)
    assert "Some filters could not be used." in response.content.decode()


def test_the_page_offers_the_plans_and_keeps_the_choice(client, directory):
    html = client.get(SEARCH, {"insurance": "aetna", "age_group": "teens"}).content.decode()
    assert '<option value="aetna" selected>Aetna</option>' in html
    assert '<option value="teens" selected>' in html
    for name in PLANS.values():
        assert f">{name}</option>" in html
    assert 'name="faith"' in html and 'name="gender"' in html and 'name="superbill"' in html


# --- Results: the API's insurance slugs, the cards' and the profile's words ------------------


def test_a_result_lists_its_plan_slugs_by_plan_name(directory):
    rows = {r["name"]: r for r in APIClient().get(API).json()["results"]}
    assert rows["Ada Aetna"]["insurance"] == ["aetna", "medicare"]
    assert rows["Di Private"]["insurance"] == []
    detail = APIClient().get(f"{API}{directory['ada'].pk}/").json()
    assert detail["insurance"] == ["aetna", "medicare"]


def card_of(html: str, therapist: Therapist) -> str:
    card = html[html.index(f'id="t{therapist.pk}-name"') :]
    return card[: card.index("</article>")]


def test_cards_show_the_plans_and_identity_in_words(client, directory):
    html = client.get(SEARCH).content.decode()
    ada = card_of(html, directory["ada"])
    assert "In network with Aetna, Medicare" in ada
    assert "Adults (18–64), Older adults (65 and over)" in ada
    assert "Woman · LGBTQ+ affirming · Faith-informed (Jewish)" in ada
    bo = card_of(html, directory["bo"])
    assert "Out of network: superbill provided" in bo
    assert "Children (under 13), Teens (13–17)" in bo
    assert "Man" in bo and "LGBTQ+" not in bo
    di = card_of(html, directory["di"])
    for absent in ("Insurance", "Ages served", "Identity and practice"):
        assert absent not in di


def test_the_profile_shows_the_plans_and_identity_in_words(client, directory):
    ada = directory["ada"]
    ada.superbill = True
    ada.save()
    html = client.get(ada.get_absolute_url()).content.decode()
    assert "In network with Aetna, Medicare; out of network: superbill provided" in html
    assert "Adults (18–64), Older adults (65 and over)" in html
    assert "Woman · LGBTQ+ affirming · Faith-informed (Jewish)" in html
    html = client.get(directory["di"].get_absolute_url()).content.decode()
    assert "In network with" not in html and "Identity and practice" not in html


# --- The profile page and me/profile/ -----------------------------------------------------


def test_the_profile_page_saves_insurance_and_identity(client):
    therapist = findable("Ada Byron")
    client.force_login(therapist.user)
    aetna, tricare = Insurance.objects.filter(slug__in=["aetna", "tricare"]).order_by("slug")
    data = profile_form_data(
        therapist,
        insurance=[aetna.pk, tricare.pk],
        superbill="on",
        gender="nonbinary",
        age_groups=["older_adults", "teens"],
        lgbtq_affirming="on",
        faith=str(Faith.objects.get(slug="buddhist").pk),
    )
    assert client.post(PROFILE_PAGE, data).status_code == 302
    therapist = Therapist.objects.get(pk=therapist.pk)
    assert sorted(therapist.insurance.values_list("slug", flat=True)) == ["aetna", "tricare"]
    assert therapist.superbill and therapist.lgbtq_affirming
    assert therapist.gender == "nonbinary"
    assert therapist.age_groups == ["teens", "older_adults"]  # youngest first
    assert therapist.faith.slug == "buddhist"
    # The page shows them as saved; saving it as shown keeps them.
    page = client.get(PROFILE_PAGE)
    html = page.content.decode()
    assert f'value="{aetna.pk}" id="id_insurance_' in html
    assert '<option value="nonbinary" selected>' in html
    assert client.post(PROFILE_PAGE, profile_form_data(therapist)).status_code == 302
    again = Therapist.objects.get(pk=therapist.pk)
    assert list(again.insurance.order_by("slug").values_list("slug", flat=True)) == [
        "aetna",
        "tricare",
    ]
    assert (again.gender, again.age_groups, again.faith_id) == (
        "nonbinary",
        ["teens", "older_adults"],
        therapist.faith_id,
    )


def test_the_profile_page_clears_them_all(client):
    therapist = findable(
        "Ada Byron",
        insurance=["aetna"],
        superbill=True,
        gender="woman",
        age_groups=["adults"],
        lgbtq_affirming=True,
        faith=Faith.objects.get(slug="hindu"),
    )
    client.force_login(therapist.user)
    data = profile_form_data(therapist, insurance=[], gender="", age_groups=[], faith="")
    for flag in ("superbill", "lgbtq_affirming"):
        data.pop(flag)
    assert client.post(PROFILE_PAGE, data).status_code == 302
    therapist = Therapist.objects.get(pk=therapist.pk)
    assert not therapist.insurance.exists()
    assert (therapist.superbill, therapist.gender, therapist.age_groups) == (False, "", [])
    assert (therapist.lgbtq_affirming, therapist.faith) == (False, None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"insurance": [999_999]}, "insurance"),
        ({"gender": "other"}, "gender"),
        ({"age_groups": ["infants"]}, "age_groups"),
        ({"faith": "999999"}, "faith"),
    ],
)
def test_the_profile_page_refuses_unknown_choices_beside_the_field(client, change, field):
    therapist = findable("Ada Byron")
    client.force_login(therapist.user)
    before = Therapist.objects.get(pk=therapist.pk).updated_at
    response = client.post(PROFILE_PAGE, profile_form_data(therapist, **change))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Therapist.objects.get(pk=therapist.pk).updated_at == before


def test_me_profile_round_trips_insurance_and_identity():
    therapist = findable("Ada Byron")
    api = as_therapist(therapist)
    body = {
        "insurance": ["medicaid", "aetna"],
        "superbill": True,
        "gender": "woman",
        "age_groups": ["adults", "children", "adults"],
        "lgbtq_affirming": True,
        "faith": "muslim",
    }
    response = api.patch(PROFILE_API, body, format="json")
    assert response.status_code == 200, response.content
    saved = response.json()
    assert sorted(saved["insurance"]) == ["aetna", "medicaid"]
    assert saved["age_groups"] == ["children", "adults"]
    assert (saved["superbill"], saved["gender"], saved["lgbtq_affirming"], saved["faith"]) == (
        True,
        "woman",
        True,
        "muslim",
    )
    assert api.get(PROFILE_API).json() == saved
    # PUT the profile as read: nothing changes.
    assert api.put(PROFILE_API, saved, format="json").json() == saved
    # And clear it again.
    cleared = {"insurance": [], "gender": "", "age_groups": [], "faith": None}
    response = api.patch(PROFILE_API, cleared, format="json")
    assert response.status_code == 200, response.content
    assert {k: response.json()[k] for k in cleared} == cleared


def test_me_profile_defaults_are_empty():
    therapist = findable("Ada Byron")
    body = as_therapist(therapist).get(PROFILE_API).json()
    assert (body["insurance"], body["superbill"], body["gender"]) == ([], False, "")
    assert (body["age_groups"], body["lgbtq_affirming"], body["faith"]) == ([], False, None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"insurance": ["acme-health"]}, "insurance"),
        ({"insurance": "aetna"}, "insurance"),
        ({"gender": "female"}, "gender"),
        ({"age_groups": ["infants"]}, "age_groups"),
        ({"age_groups": "adults"}, "age_groups"),
        ({"faith": "pastafarian"}, "faith"),
        ({"superbill": "maybe"}, "superbill"),
        ({"lgbtq_affirming": "maybe"}, "lgbtq_affirming"),
    ],
)
def test_me_profile_refuses_unknown_choices_naming_the_field(change, field):
    therapist = findable("Ada Byron", insurance=["aetna"])
    before = Therapist.objects.get(pk=therapist.pk).updated_at
    response = as_therapist(therapist).patch(PROFILE_API, change, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    therapist = Therapist.objects.get(pk=therapist.pk)
    assert therapist.updated_at == before
    assert list(therapist.insurance.values_list("slug", flat=True)) == ["aetna"]


# --- The model and the database hold the choices ------------------------------------------


def test_the_profile_writer_refuses_unknown_gender_and_ages():
    therapist = findable("Ada Byron")
    with pytest.raises(ValidationError) as refused:
        profiles.update_profile(
            therapist=therapist, by=therapist.user, gender="other", age_groups=["infants"]
        )
    assert {"gender", "age_groups"} <= set(refused.value.message_dict)


@pytest.mark.parametrize(("field", "value"), [("gender", "other"), ("age_groups", ["infants"])])
def test_the_database_refuses_unknown_gender_and_ages(field, value):
    therapist = findable("Ada Byron")
    with pytest.raises(IntegrityError), transaction.atomic():
        Therapist.objects.filter(pk=therapist.pk).update(**{field: value})


def test_a_deleted_faith_leaves_the_profile_without_one():
    faith = Faith.objects.get(slug="hindu")
    therapist = findable("Ada Byron", faith=faith)
    faith.delete()
    assert Therapist.objects.get(pk=therapist.pk).faith is None
