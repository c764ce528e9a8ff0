"""Yes/no search filters are validated like every other filter (issue 14, item 9):
``?accepting=junk`` is a 400 naming ``accepting`` on the API and a plain error on the
page, never silently read as "either"."""

import importlib

import django_filters
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from providers.filters import StrictBooleanFilter
from tests.factories import TherapistFactory, verified_license
from tests.test_form_fuzz import project_form_classes

pytestmark = pytest.mark.django_db

JUNK = ["junk", "yes!", "2", "tru", "nope", "truefalse", " ", "ｔｒｕｅ"]


@pytest.fixture
def directory():
    accepting = TherapistFactory(display_name="Ada Accepting", accepting_new_clients=True)
    full = TherapistFactory(display_name="Fay Full", accepting_new_clients=False)
    for therapist in (accepting, full):
        verified_license(therapist=therapist, state="NY")
    return accepting, full


def test_every_yes_no_filter_of_every_search_is_strict():
    """The therapist search, the group list, the license queue, the audit log...: a
    BooleanFilter added to any of them must be the strict one."""
    found = {}
    for path in project_form_classes():
        module, name = path.rsplit(".", 1)
        filterset = getattr(importlib.import_module(module), name)
        if isinstance(filterset, type) and issubclass(filterset, django_filters.FilterSet):
            for field, f in filterset.base_filters.items():
                if isinstance(f, django_filters.BooleanFilter):
                    found[f"{path}.{field}"] = type(f)
    assert found == {
        "providers.filters.TherapistFilter.accepting": StrictBooleanFilter,
        "providers.filters.TherapistFilter.superbill": StrictBooleanFilter,
        "providers.filters.TherapistFilter.lgbtq_affirming": StrictBooleanFilter,
    }


@pytest.mark.parametrize("value", [v for v in JUNK if v.strip()])
def test_a_junk_accepting_is_a_400_naming_it_on_the_api(directory, value):
    response = APIClient().get("/api/v1/therapists/", {"accepting": value})
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["accepting"]


@pytest.mark.parametrize("value", [v for v in JUNK if v.strip()])
def test_a_junk_accepting_is_an_error_on_the_page(client, directory, value):
    response = client.get(reverse("providers:search"), {"accepting": value})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Some filters could not be used." in html
    assert "Choose yes, no or either." in html
    assert "Ada Accepting" not in html and "Fay Full" not in html


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("true", ["Ada Accepting"]),
        ("True", ["Ada Accepting"]),
        ("1", ["Ada Accepting"]),
        ("false", ["Fay Full"]),
        ("0", ["Fay Full"]),
        ("", ["Ada Accepting", "Fay Full"]),
    ],
)
def test_accepting_true_false_or_empty_filters_as_before(directory, value, names):
    response = APIClient().get("/api/v1/therapists/", {"accepting": value})
    assert response.status_code == 200
    assert [t["name"] for t in response.json()["results"]] == names


def test_the_page_keeps_its_yes_no_either_choice(client, directory):
    html = client.get(reverse("providers:search"), {"accepting": "false"}).content.decode()
    assert '<option value="false" selected>' in html
    assert "Fay Full" in html and "Ada Accepting" not in html


# --- The yes/no filters of rule 13 (issue 17): superbill and LGBTQ+ affirming -----------

FIT_FLAGS = ["superbill", "lgbtq_affirming"]


@pytest.fixture
def flagged():
    """One therapist with each flag on, one with both off."""
    yes = TherapistFactory(display_name="Yael Yes", superbill=True, lgbtq_affirming=True)
    no = TherapistFactory(display_name="Nia No")
    for therapist in (yes, no):
        verified_license(therapist=therapist, state="NY")
    return yes, no


@pytest.mark.parametrize("flag", FIT_FLAGS)
@pytest.mark.parametrize("value", ["junk", "yes", "2", "ｔｒｕｅ"])
def test_a_junk_fit_flag_is_a_400_naming_it_on_the_api(flagged, flag, value):
    response = APIClient().get("/api/v1/therapists/", {flag: value})
    assert response.status_code == 400, response.content
    assert list(response.json()) == [flag]


@pytest.mark.parametrize("flag", FIT_FLAGS)
def test_a_junk_fit_flag_is_an_error_on_the_page(client, flagged, flag):
    html = client.get(reverse("providers:search"), {flag: "junk"}).content.decode()
    assert "Some filters could not be used." in html
    assert "Choose yes, no or either." in html
    assert "Yael Yes" not in html and "Nia No" not in html


@pytest.mark.parametrize("flag", FIT_FLAGS)
@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("true", ["Yael Yes"]),
        ("1", ["Yael Yes"]),
        ("false", ["Nia No"]),
        ("", ["Nia No", "Yael Yes"]),
    ],
)
def test_fit_flags_filter_true_false_or_either(flagged, flag, value, names):
    response = APIClient().get("/api/v1/therapists/", {flag: value})
    assert response.status_code == 200
    assert [t["name"] for t in response.json()["results"]] == names


@pytest.mark.parametrize("flag", FIT_FLAGS)
def test_the_page_keeps_a_fit_flag_choice(client, flagged, flag):
    html = client.get(reverse("providers:search"), {flag: "true"}).content.decode()
    assert '<option value="true" selected>' in html
    assert "Yael Yes" in html and "Nia No" not in html
