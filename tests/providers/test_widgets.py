"""The Python-rendered <select>, labels and <input>s are exactly what Django's templates
render."""

import pytest
from django import forms
from django.forms.renderers import get_default_renderer
from django.urls import reverse
from django.utils.safestring import mark_safe

from providers.forms import AcceptingSelect
from providers.widgets import (
    PythonFormRenderer,
    PythonRenderedSelect,
    PythonRenderedSelectMixin,
)
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


# --- Options straight from the choices, and the generic path --------------------------

DUPLICATES = [("a", "A"), ("a", "A again"), ("b", mark_safe("<b>B</b>")), (mark_safe("<i>"), "I")]


class PythonRenderedSelectMultiple(PythonRenderedSelectMixin, forms.SelectMultiple):
    pass


class InheritingSelect(PythonRenderedSelect):
    option_inherits_attrs = True  # each <option> gets the select's attributes


class Decorated:
    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        option["attrs"]["data-label"] = f"<{option['label']}>"
        return option


class DecoratedSelect(Decorated, PythonRenderedSelect):
    pass


class DjangoDecoratedSelect(Decorated, forms.Select):
    pass


@pytest.mark.parametrize("value", [None, "a", ["a", "b"], "<i>", ["missing"]])
@pytest.mark.parametrize(
    ("ours", "djangos"),
    [
        (PythonRenderedSelect, forms.Select),
        (PythonRenderedSelectMultiple, forms.SelectMultiple),
        (InheritingSelect, type("S", (forms.Select,), {"option_inherits_attrs": True})),
        (DecoratedSelect, DjangoDecoratedSelect),
    ],
    ids=["select", "multiple", "inheriting", "decorated"],
)
def test_every_kind_of_python_rendered_select_matches_djangos_template(ours, djangos, value):
    attrs = {"id": "id_f", "class": mark_safe("a&amp;b"), "required": True}
    for choices in (CHOICES, DUPLICATES):
        ours_html = ours(choices=choices).render("f", value, attrs)
        assert ours_html == djangos(choices=choices).render("f", value, attrs)
    assert PythonRenderedSelect(choices=DUPLICATES).render("f", "a").count("selected") == 1


# --- Labels and <input>s through PythonFormRenderer ------------------------------------


class EveryInput(forms.Form):
    text = forms.CharField(label="Name <or> 'keywords'", max_length=10, help_text="<help>")
    number = forms.DecimalField(label="Fee?", min_value=0, required=False, localize=True)
    email = forms.EmailField(label=mark_safe("E-mail <i>address</i>"))
    url = forms.URLField(assume_scheme="https", required=False)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    search = forms.CharField(widget=forms.SearchInput(attrs={"data-x": mark_safe("&amp;")}))
    tel = forms.CharField(widget=forms.TelInput(attrs={"autofocus": True, "disabled": False}))
    typed = forms.CharField(widget=forms.TextInput(attrs={"type": "search", "id": "own"}))
    date = forms.DateField(required=False)  # date.html: not only an include, templated
    pick = forms.ChoiceField(choices=[("1", "One")])
    required_css_class = "is-required"


HOSTILE_DATA = {
    "text": '"><script>alert(1)</script>',
    "number": "1234.5",
    "email": "a&b@example.com",
    "url": "javascript:'x'",
    "password": "p<w>",
    "hidden": "h&h",
    "search": mark_safe("<safe>"),
    "tel": "",
    "typed": "x",
    "date": "2026-01-06",
}


@pytest.mark.parametrize("data", [None, HOSTILE_DATA])
@pytest.mark.parametrize("auto_id", ["id_%s", False])
@pytest.mark.parametrize("label_suffix", ["", ":"])
def test_labels_and_inputs_rendered_in_python_match_djangos_templates(data, auto_id, label_suffix):
    def form(renderer):
        form = EveryInput(data, auto_id=auto_id, label_suffix=label_suffix, renderer=renderer)
        form.is_valid()
        return form

    ours, djangos = form(PythonFormRenderer()), form(get_default_renderer())
    for name in EveryInput.base_fields:
        assert ours[name].label_tag() == djangos[name].label_tag(), name
        assert ours[name].label_tag(attrs={"class": "x<"}) == djangos[name].label_tag(
            attrs={"class": "x<"}
        )
        assert str(ours[name]) == str(djangos[name]), name
    assert ours.render() == djangos.render()  # the rest: Django's templates, unchanged
