"""The Python-rendered <select> is exactly what Django's templates render."""

import pytest
from django import forms
from django.urls import reverse

from providers.forms import AcceptingSelect
from providers.widgets import PythonRenderedSelect, PythonRenderedSelectMixin
from tests.factories import TherapistFactory, verified_license

CHOICES = [
    ("", "Any <state>"),
    ("a&b", "A & B “quoted”"),
    (3, 'Three "3"'),
    ("Group <1>", [("x", "X"), ("y", "Y's")]),
    (None, "None"),
]


@pytest.mark.parametrize("value", [None, "", "a&b", "3", ["x", "y"], "missing"])
@pytest.mark.parametrize(
    "attrs",
    [None, {"id": "id_f"}, {"id": "id_f", "required": True, "disabled": False, "data-x": 'a"b'}],
)
def test_a_python_rendered_select_matches_djangos_template(value, attrs):
    ours = PythonRenderedSelect(choices=CHOICES, attrs={"class": "c&d"})
    djangos = forms.Select(choices=CHOICES, attrs={"class": "c&d"})
    assert ours.render("f<x>", value, attrs) == djangos.render("f<x>", value, attrs)


@pytest.mark.parametrize("value", [None, True, False, "true", "false", ""])
def test_the_accepting_select_matches_djangos_template(value):
    class TemplateAccepting(AcceptingSelect):
        render = forms.NullBooleanSelect.render

    ours = AcceptingSelect().render("accepting", value, {"id": "id_accepting"})
    assert ours == TemplateAccepting().render("accepting", value, {"id": "id_accepting"})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"state": "CA", "modality": "ipt", "language": "es", "accepting": "true"},
        {"state": "XX", "modality": "nope", "format": "fax", "ordering": "-fee"},  # errors
    ],
)
def test_the_search_page_is_the_same_with_template_rendered_selects(client, monkeypatch, params):
    verified_license(therapist=TherapistFactory(), state="CA")
    url = reverse("providers:search")
    rendered = []
    python_render = PythonRenderedSelectMixin.render

    def spy(self, name, *args, **kwargs):
        rendered.append(name)
        return python_render(self, name, *args, **kwargs)

    monkeypatch.setattr(PythonRenderedSelectMixin, "render", spy)
    ours = client.get(url, params).content.decode()
    assert rendered == [
        "state",
        "modality",
        "specialty",
        "format",
        "language",
        "accepting",
        "ordering",
    ]
    monkeypatch.setattr(PythonRenderedSelectMixin, "render", forms.Select.render)
    assert client.get(url, params).content.decode() == ours
    assert "<select" in ours
