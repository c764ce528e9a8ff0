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
    assert found == {"providers.filters.TherapistFilter.accepting": StrictBooleanFilter}


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
