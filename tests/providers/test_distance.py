"""Distance (PRODUCT.md rule 13): ZIP centroids from the data migration, an in-person
office's ZIP code (refused on the page and the API alike when missing or unknown), and a
search near a ZIP within a radius, with real ZIP codes at known distances."""

from __future__ import annotations

import math
import re

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from providers import geo, profiles
from providers.models import Therapist, ZipCentroid
from tests.factories import TherapistFactory, verified_license
from tests.providers.profile_data import profile_form_data

pytestmark = pytest.mark.django_db

SEARCH = reverse("providers:search")
API = "/api/v1/therapists/"
PROFILE_PAGE = reverse("providers:dashboard_profile")
ME = "/api/v1/me/profile/"

# Midtown (10001), Union Square (10003), the Upper West Side (10025), downtown Brooklyn
# (11201), Buffalo (14201), Los Angeles (90001).
MIDTOWN, UNION_SQUARE, UPPER_WEST_SIDE, BROOKLYN, BUFFALO, LOS_ANGELES = (
    "10001",
    "10003",
    "10025",
    "11201",
    "14201",
    "90001",
)


def _miles(a: str, b: str) -> float:
    pa, pb = geo.locate(a), geo.locate(b)
    return geo.haversine_miles(pa.lat, pa.lon, pb.lat, pb.lon)


# --- The data ---------------------------------------------------------------------------


def test_the_migration_loaded_the_zip_centroids():
    union_square = ZipCentroid.objects.get(zip=UNION_SQUARE)
    assert (union_square.lat, union_square.lon) == pytest.approx((40.7313, -73.9892), abs=0.01)
    assert (union_square.state, union_square.city) == ("NY", "New York")
    assert ZipCentroid.objects.get(zip=LOS_ANGELES).state == "CA"
    assert ZipCentroid.objects.count() > 40_000
    # The 50 states and DC only, and never the 0, 0 the data gives military mail.
    assert ZipCentroid.objects.values("state").distinct().count() == 51
    assert not ZipCentroid.objects.filter(lat=0, lon=0).exists()


@pytest.mark.django_db(transaction=True)
def test_the_centroids_outlive_a_transactional_tests_flush():
    """Reference data: not among the tables a test flush empties (the model is not
    managed), so it is there in every test, transactional or not."""
    assert geo.locate(MIDTOWN) is not None


def test_known_distances():
    # As the crow flies between the centroids (the "about 4-6 miles" is by road).
    assert 3.5 <= _miles(MIDTOWN, BROOKLYN) <= 4.5
    assert 2400 <= _miles(MIDTOWN, LOS_ANGELES) <= 2500
    assert 280 <= _miles(MIDTOWN, BUFFALO) <= 310
    assert _miles(MIDTOWN, MIDTOWN) == 0


def test_a_malformed_or_unknown_zip_has_no_place():
    assert geo.locate("1000") is None
    assert geo.locate("1000a") is None
    assert geo.locate("00000") is None
    assert geo.locate("") is None


def _destination(lat: float, lon: float, bearing: float, miles: float) -> tuple[float, float]:
    """The point ``miles`` from (lat, lon) along ``bearing`` (degrees), on the sphere."""
    delta = miles / geo.EARTH_RADIUS_MILES
    phi, lam, theta = math.radians(lat), math.radians(lon), math.radians(bearing)
    phi2 = math.asin(
        math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta)
    )
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi),
        math.cos(delta) - math.sin(phi) * math.sin(phi2),
    )
    return math.degrees(phi2), (math.degrees(lam2) + 540) % 360 - 180


@given(
    lat=st.floats(17, 72),
    lon=st.floats(-179.9, -64),
    radius=st.floats(1, 100),
    bearing=st.floats(0, 360),
    share=st.floats(0, 1),
)
def test_the_bounding_box_holds_every_point_within_the_radius(lat, lon, radius, bearing, share):
    box = geo.bounding_box(lat, lon, radius)
    point_lat, point_lon = _destination(lat, lon, bearing, radius * share)
    assert geo.haversine_miles(lat, lon, point_lat, point_lon) == pytest.approx(
        radius * share, abs=1e-6
    )
    assert box.lat_min <= point_lat <= box.lat_max
    if box.lon_min is not None:
        assert box.lon_min <= point_lon <= box.lon_max


def test_the_sql_distance_is_the_python_one():
    midtown = geo.locate(MIDTOWN)
    rows = ZipCentroid.objects.filter(zip__in=[BROOKLYN, BUFFALO, LOS_ANGELES]).annotate(
        miles=geo.distance_miles_sql(midtown.lat, midtown.lon, lat_field="lat", lon_field="lon")
    )
    for row in rows:
        assert row.miles == pytest.approx(_miles(MIDTOWN, row.zip), rel=1e-9)


def test_the_sql_distance_of_a_row_with_no_place_is_null():
    therapist = TherapistFactory(formats=["telehealth"])
    row = Therapist.objects.annotate(miles=geo.distance_miles_sql(40.7, -74.0)).get(pk=therapist.pk)
    assert row.miles is None


# --- The office ZIP: page, API, service, database ----------------------------------------


def _api(therapist: Therapist) -> APIClient:
    api = APIClient()
    api.force_authenticate(therapist.user)
    return api


def test_an_office_zip_places_the_office_and_names_its_city_and_state():
    therapist = TherapistFactory(formats=["telehealth"])
    response = _api(therapist).patch(
        ME,
        {"formats": ["in_person"], "office_address": "20 Cooper Sq", "office_zip": UNION_SQUARE},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["office_zip"] == UNION_SQUARE
    stored = Therapist.objects.get(pk=therapist.pk)
    place = geo.locate(UNION_SQUARE)
    assert (stored.office_lat, stored.office_lon) == (place.lat, place.lon)
    assert (stored.office_city, stored.office_state) == ("New York", "NY")


def test_a_new_zip_moves_the_office_unless_the_city_is_given_too():
    therapist = TherapistFactory(formats=["telehealth", "in_person"])  # Albany, 12207
    profiles.update_profile(therapist=therapist, by=therapist.user, office_zip=BUFFALO)
    stored = Therapist.objects.get(pk=therapist.pk)
    assert (stored.office_city, stored.office_state) == ("Buffalo", "NY")
    assert stored.office_lat == pytest.approx(42.8967)
    profiles.update_profile(
        therapist=therapist, by=therapist.user, office_zip=BROOKLYN, office_city="Brooklyn Heights"
    )
    assert Therapist.objects.get(pk=therapist.pk).office_city == "Brooklyn Heights"


def test_removing_the_zip_of_a_telehealth_office_removes_its_place():
    therapist = TherapistFactory(formats=["telehealth"])
    profiles.update_profile(therapist=therapist, by=therapist.user, office_zip=BUFFALO)
    profiles.update_profile(therapist=therapist, by=therapist.user, office_zip="")
    stored = Therapist.objects.get(pk=therapist.pk)
    assert (stored.office_zip, stored.office_lat, stored.office_lon) == ("", None, None)


def test_the_page_saves_an_office_zip(client):
    therapist = TherapistFactory(formats=["telehealth"])
    client.force_login(therapist.user)
    data = profile_form_data(
        therapist,
        formats=["telehealth", "in_person"],
        office_address="1 Niagara Sq",
        office_zip=BUFFALO,
    )
    response = client.post(PROFILE_PAGE, data)
    assert response.status_code == 302, response.context["form"].errors
    stored = Therapist.objects.get(pk=therapist.pk)
    assert (stored.office_zip, stored.office_city, stored.office_state) == (
        BUFFALO,
        "Buffalo",
        "NY",
    )
    assert stored.office_lat is not None


# (what the page posts, what the API sends, the fields refused, the words)
REFUSED = {
    "in person, no office": (
        {"formats": ["in_person"], "office_address": "", "office_zip": ""},
        {"formats": ["in_person"]},
        {
            "office_zip": "Give your office's ZIP code, for in-person sessions.",
            "office_address": "Give your office's street address, for in-person sessions.",
        },
    ),
    "in person, no ZIP": (
        {"formats": ["in_person"], "office_address": "1 Main St", "office_zip": ""},
        {"formats": ["in_person"], "office_address": "1 Main St"},
        {"office_zip": "Give your office's ZIP code, for in-person sessions."},
    ),
    "in person, no address": (
        {"formats": ["in_person"], "office_address": "", "office_zip": BUFFALO},
        {"formats": ["in_person"], "office_zip": BUFFALO},
        {"office_address": "Give your office's street address, for in-person sessions."},
    ),
    "unknown ZIP": (
        {"formats": ["in_person"], "office_address": "1 Main St", "office_zip": "00000"},
        {"formats": ["in_person"], "office_address": "1 Main St", "office_zip": "00000"},
        {"office_zip": geo.unknown_zip_message("00000")},
    ),
    "four digits": (
        {"office_zip": "1000"},
        {"office_zip": "1000"},
        {"office_zip": geo.ZIP_MESSAGE},
    ),
    "letters": ({"office_zip": "1000a"}, {"office_zip": "1000a"}, {"office_zip": geo.ZIP_MESSAGE}),
}


@pytest.mark.parametrize(("page_change", "api_change", "refused"), REFUSED.values(), ids=REFUSED)
def test_the_page_and_the_api_refuse_an_office_without_a_known_zip_alike(
    client, page_change, api_change, refused
):
    therapist = TherapistFactory(formats=["telehealth"])
    before = Therapist.objects.filter(pk=therapist.pk).values().get()
    client.force_login(therapist.user)
    page = client.post(PROFILE_PAGE, profile_form_data(therapist, **page_change))
    assert page.status_code == 200
    api = _api(therapist).patch(ME, api_change, format="json")
    assert api.status_code == 400
    assert Therapist.objects.filter(pk=therapist.pk).values().get() == before
    page_errors = page.context["form"].errors
    for field, words in refused.items():
        assert list(page_errors[field]) == [words]
        assert api.json()[field] == [words]


def test_the_service_refuses_an_unknown_zip_naming_it():
    from django.core.exceptions import ValidationError

    therapist = TherapistFactory(formats=["telehealth"])
    with pytest.raises(ValidationError) as refused:
        profiles.update_profile(therapist=therapist, by=therapist.user, office_zip="00000")
    assert refused.value.message_dict == {"office_zip": [geo.unknown_zip_message("00000")]}


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"formats": ["telehealth", "in_person"]}, "therapist_in_person_has_zip"),
        ({"office_zip": "12207"}, "therapist_office_point_with_zip"),  # no coordinates
        (
            {"office_zip": "1220", "office_lat": 42.6, "office_lon": -73.7},
            "therapist_office_zip_shape",
        ),
    ],
)
def test_the_database_holds_the_office_rules(change, constraint):
    therapist = TherapistFactory(formats=["telehealth"], office_city="Troy", office_state="NY")
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Therapist.objects.filter(pk=therapist.pk).update(**change)


# --- The search ------------------------------------------------------------------------


def _findable(name: str, *, zip_code: str = "", formats=("in_person",), state="NY") -> Therapist:
    place = geo.locate(zip_code)
    therapist = TherapistFactory(
        display_name=name,
        formats=list(formats),
        office_address="1 Main St" if zip_code else "",
        office_zip=zip_code,
        office_lat=place.lat if place else None,
        office_lon=place.lon if place else None,
        office_city=place.city if place else "",
        office_state=place.state if place else "",
    )
    verified_license(therapist=therapist, state=state)
    return therapist


@pytest.fixture
def new_york():
    """In-person offices in Union Square (~1.2 miles from Midtown), on the Upper West
    Side (~3.6) and in Buffalo (~290); a telehealth-only therapist; one who offers both,
    with an office in Buffalo."""
    return {
        "union_square": _findable("Ada Union", zip_code=UNION_SQUARE),
        "upper_west": _findable("Bea West", zip_code=UPPER_WEST_SIDE),
        "buffalo": _findable("Cy Buffalo", zip_code=BUFFALO),
        "video": _findable("Di Video", formats=["telehealth"]),
        "both_far": _findable("Ed Both", zip_code=BUFFALO, formats=["telehealth", "in_person"]),
    }


def _names(params: dict) -> list[str]:
    response = APIClient().get(API, params)
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


def test_near_keeps_offices_within_the_radius_and_everyone_offering_telehealth(new_york):
    names = _names({"near": MIDTOWN})
    assert sorted(names) == ["Ada Union", "Bea West", "Di Video", "Ed Both"]


def test_the_radius_narrows_it(new_york):
    assert sorted(_names({"near": MIDTOWN, "radius": "2"})) == ["Ada Union", "Di Video", "Ed Both"]
    assert "Cy Buffalo" not in _names({"near": MIDTOWN, "radius": "100"})
    assert "Cy Buffalo" in _names({"near": BUFFALO, "radius": "1"})


def test_in_person_format_keeps_only_offices_within_the_radius(new_york):
    assert _names({"near": MIDTOWN, "format": "in_person"}) == ["Ada Union", "Bea West"]
    assert _names({"near": BUFFALO, "format": "in_person"}) == ["Cy Buffalo", "Ed Both"]


def test_telehealth_format_with_near_only_measures(new_york):
    assert _names({"near": MIDTOWN, "format": "telehealth"}) == ["Di Video", "Ed Both"]


def test_each_result_says_how_far_it_is(new_york):
    rows = APIClient().get(API, {"near": MIDTOWN}).json()["results"]
    distances = {row["name"]: row["distance_miles"] for row in rows}
    assert distances == {
        "Ada Union": round(_miles(MIDTOWN, UNION_SQUARE), 1),
        "Bea West": round(_miles(MIDTOWN, UPPER_WEST_SIDE), 1),
        "Di Video": None,
        "Ed Both": round(_miles(MIDTOWN, BUFFALO), 1),
    }
    assert 1 < distances["Ada Union"] < 2 and 3 < distances["Bea West"] < 5


def test_without_near_the_distance_is_null(new_york):
    rows = APIClient().get(API).json()["results"]
    assert len(rows) == 5 and all(row["distance_miles"] is None for row in rows)
    detail = APIClient().get(f"{API}{new_york['union_square'].pk}/").json()
    assert detail["distance_miles"] is None


def test_ordering_by_distance_puts_the_nearest_first_and_no_office_last(new_york):
    assert _names({"near": MIDTOWN, "ordering": "distance"}) == [
        "Ada Union",
        "Bea West",
        "Ed Both",
        "Di Video",
    ]
    # Without a ZIP to measure from, by name.
    assert _names({"ordering": "distance"}) == [
        "Ada Union",
        "Bea West",
        "Cy Buffalo",
        "Di Video",
        "Ed Both",
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"near": "1000"}, "near"),
        ({"near": "1000a"}, "near"),
        ({"near": "10001-1234"}, "near"),
        ({"near": "00000"}, "near"),
        ({"near": MIDTOWN, "radius": "0"}, "radius"),
        ({"near": MIDTOWN, "radius": "101"}, "radius"),
        ({"near": MIDTOWN, "radius": "-5"}, "radius"),
        ({"near": MIDTOWN, "radius": "far"}, "radius"),
        ({"near": MIDTOWN, "radius": "NaN"}, "radius"),
    ],
)
def test_a_bad_zip_or_radius_is_a_400_naming_it(params, field):
    response = APIClient().get(API, params)
    assert response.status_code == 400
    assert set(response.json()) == {field}


def test_an_unknown_zip_says_so():
    response = APIClient().get(API, {"near": "00000"})
    assert response.json() == {"near": [geo.unknown_zip_message("00000")]}


def test_the_search_page_shows_the_distance_on_each_card(client, new_york):
    html = client.get(SEARCH, {"near": MIDTOWN, "ordering": "distance"}).content.decode()
    near = f"{_miles(MIDTOWN, UNION_SQUARE):.1f} miles away"
    far = f"{round(_miles(MIDTOWN, BUFFALO)):,} miles away"
    assert near in html and far in html
    assert html.index("Ada Union") < html.index(near) < html.index("Bea West")
    assert "Cy Buffalo" not in html
    plain = client.get(SEARCH).content.decode()
    assert "miles away" not in plain


def test_the_search_page_has_zip_and_distance_fields_after_the_focus(client):
    html = client.get(SEARCH, {"near": MIDTOWN, "radius": "10"}).content.decode()
    fields = re.findall(r'<(?:select|input)[^>]* name="(\w+)"', html)
    # PRODUCT.md, "Search": state, modality, focus, insurance, ZIP and distance, format…
    assert fields[: fields.index("format") + 1][-7:] == [
        "modality",
        "specialty",
        "insurance",
        "superbill",
        "near",
        "radius",
        "format",
    ]
    assert 'value="10001"' in html
    assert '<option value="10" selected>10 miles</option>' in html
    default = client.get(SEARCH).content.decode()
    assert '<option value="" selected>25 miles</option>' in default


def test_a_distance_from_the_url_that_is_not_listed_is_shown_as_given(client):
    html = client.get(SEARCH, {"near": MIDTOWN, "radius": "30"}).content.decode()
    assert '<option value="30" selected>30 miles</option>' in html


def test_the_search_page_says_what_is_wrong_with_a_zip(client):
    response = client.get(SEARCH, {"near": "00000"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters could not be used" in html
    assert geo.unknown_zip_message("00000") in html


def test_the_migration_places_offices_from_before_the_zip_or_drops_in_person():
    """0010's fix for rows written before the ZIP: a ZIP code ending the street address,
    else the first of the city's, else no more in person (as 0007 did)."""
    from importlib import import_module

    from django.db import connection

    fix_rows = import_module("providers.migrations.0014_therapist_office_zip").FIX_ROWS
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE providers_therapist DROP CONSTRAINT therapist_in_person_has_zip"
        )
    legacy = {"formats": ["telehealth", "in_person"], "office_zip": ""}
    by_address = TherapistFactory(
        **legacy, office_address="1 Niagara Sq, Buffalo, NY 14202", office_city="Buffalo"
    )
    by_city = TherapistFactory(**legacy, office_address="", office_city="buffalo")
    unknown_city = TherapistFactory(**legacy, office_address="", office_city="Gotham")
    telehealth = TherapistFactory(formats=["telehealth"], office_city="Gotham")
    with connection.cursor() as cursor:
        cursor.execute(fix_rows)
    stored = {t.pk: t for t in Therapist.objects.all()}
    assert stored[by_address.pk].office_zip == "14202"
    assert stored[by_city.pk].office_zip == "14201"  # Buffalo's first
    assert stored[by_city.pk].office_lat == geo.locate("14201").lat
    assert stored[unknown_city.pk].formats == ["telehealth"]
    assert stored[unknown_city.pk].office_zip == ""
    assert stored[telehealth.pk].formats == ["telehealth"]
