"""The search page's Python-rendered parts are, byte for byte, what the templates they
replaced rendered: the result cards and the filter fields (``providers.search_page``),
and the whole page against one rendered by templates only."""

import datetime as dt
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django import forms
from django.http import QueryDict
from django.template import engines
from django.urls import clear_script_prefix, reverse, set_script_prefix
from django.utils.timezone import localdate

from providers import views
from providers.filters import TherapistFilter
from providers.models import Language, Modality, Therapist
from providers.search_page import render_cards, render_fields
from providers.selectors import CardLicense, result_cards
from providers.views import _with_opening_labels
from providers.widgets import PythonRenderedSelectMixin
from tests.factories import LicenseFactory, TherapistFactory, verified_license

pytestmark = pytest.mark.django_db

SEARCH = reverse("providers:search")

# The card loop of templates/providers/_search_content.html as it was before
# ``render_cards`` replaced it (commit 34a3e15), ``page.object_list`` read ``therapists``.
CARDS_TEMPLATE = (Path(__file__).parent / "search_cards_reference.html").read_text().rstrip("\n")


def template_cards(therapists) -> str:
    return engines["django"].from_string(CARDS_TEMPLATE).render({"therapists": therapists})


HOSTILE = 'O\'Brien <b>&amp; "Dr." Ümit</b>'


@pytest.fixture
def therapists() -> list[Therapist]:
    """Cards covering every branch of the markup, with HTML in every text that has any."""
    Modality.objects.create(slug="odd", name='Talk & <em>"walk"</em>')
    odd_language = Language.objects.create(code="x-odd", name="Kl<i>ingon</i> & 'co'")
    rows = [
        # Hostile text everywhere; in person with a city; both formats; sliding scale.
        TherapistFactory(
            display_name=HOSTILE,
            credentials='PhD <LCSW> & "MFT"',
            formats=["telehealth", "in_person"],
            office_city="Saint <Paul> & 'Co'",
            office_state="MN",
            fee=0,
            sliding_scale=True,
            modalities=["ipt", "cbt", "odd"],
            next_opening=dt.datetime(2026, 1, 6, 15, 30, tzinfo=dt.UTC),
        ),
        # No credentials, no opening, not accepting, no fee, no modality, no language; an
        # office city but telehealth only (the city is not shown).
        TherapistFactory(
            display_name="Dr. Ada Lovelace",
            credentials="",
            office_city="Albany",
            office_state="NY",
            fee=None,
            sliding_scale=False,
            accepting_new_clients=False,
            modalities=[],
        ),
        # In person without a city; sliding scale only; summer time.
        TherapistFactory(
            display_name="Ana Ruiz",
            formats=["in_person"],
            fee=None,
            sliding_scale=True,
            next_opening=dt.datetime(2026, 7, 1, 23, 0, tzinfo=dt.UTC),
        ),
        # No format at all; a name that gives no initials.
        TherapistFactory(display_name="  42 ", formats=[], fee=95, modalities=["group"]),
    ]
    rows[0].languages.add(odd_language, *Language.objects.filter(code__in=["en", "es", "fr"]))
    rows[2].languages.add(Language.objects.get(code="es"))
    for state in ("WY", "CA", "NY", "TX", "AK", "CA"):  # many, one state twice
        verified_license(therapist=rows[0], state=state)
    verified_license(therapist=rows[1], state="NY")
    LicenseFactory(therapist=rows[1], state="CA")  # pending: not on the card
    verified_license(therapist=rows[2], state="FL")
    # rows[3] has no valid license at all (not findable; the card still renders).
    by_pk = {t.pk: t for t in result_cards().filter(pk__in=[t.pk for t in rows])}
    return [by_pk[t.pk] for t in rows]


@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Honolulu", "Asia/Kolkata"])
def test_the_python_cards_are_what_the_template_rendered(therapists, zone):
    therapists = _with_opening_labels(therapists, zone)
    ours = render_cards(therapists)
    assert ours == template_cards(therapists)
    assert "&lt;b&gt;&amp;amp; &quot;Dr.&quot;" in ours and "<b>" not in ours
    assert ours.count('<span class="check-mark"') == 6 + 1 + 1
    assert render_cards([]) == template_cards([]) == ""


def test_a_license_without_a_verification_date_renders_as_the_template_did(therapists):
    therapist = _with_opening_labels(therapists[:1], "America/New_York")[0]
    therapist.valid_licenses = [CardLicense("NY", None), CardLicense("<CA>", localdate())]
    assert render_cards([therapist]) == template_cards([therapist])


# --- The filter panel -----------------------------------------------------------------

FIELDS_TEMPLATE = '{% for field in fields %}{% include "accounts/_field.html" %}{% endfor %}'


def template_fields(fields) -> str:
    return engines["django"].from_string(FIELDS_TEMPLATE).render({"fields": fields})


def everything_through_templates(monkeypatch) -> None:
    """The search page as Django's templates render it: the field includes, the card
    loop, Django's label, input and select templates."""
    monkeypatch.setattr(views, "render_fields", template_fields)
    monkeypatch.setattr(views, "render_cards", template_cards)
    monkeypatch.setattr(TherapistFilter.shared_form_class(), "default_renderer", None)
    monkeypatch.setattr(PythonRenderedSelectMixin, "render", forms.Select.render)


SEARCHES = [
    {},
    {"state": "CA", "modality": "ipt", "language": "es", "accepting": "true", "q": "Ümit"},
    {"fee_max": "150", "available_within": "30", "ordering": "-fee", "format": "in_person"},
    {"accepting": "false", "page": "2"},
    # Errors beside several fields, hostile values echoed back.
    {"state": "XX", "modality": "<nope>", "fee_max": '"><script>', "q": "<b>&amp;</b>"},
    {"available_within": "999", "format": "fax", "ordering": "sideways", "specialty": "x"},
    {"q": "x" * 101, "language": "'"},
]


@pytest.mark.parametrize("params", SEARCHES)
def test_the_search_page_is_what_the_templates_rendered(client, therapists, monkeypatch, params):
    verified_license(therapist=TherapistFactory(display_name="Zed <Z>", fee=None), state="CA")
    for i in range(25):  # two pages
        verified_license(therapist=TherapistFactory(display_name=f"Page Filler {i}"))
    ours = client.get(SEARCH, params)
    assert ours.status_code == 200
    everything_through_templates(monkeypatch)
    theirs = client.get(SEARCH, params)
    assert ours.content.decode() == theirs.content.decode()
    assert '<div class="field field--' in ours.content.decode()


@pytest.mark.parametrize("params", SEARCHES)
def test_the_python_fields_are_what_the_field_template_renders(params):
    from providers.forms import prepare_search_form
    from providers.selectors import search_therapists

    fields = prepare_search_form(search_therapists(QueryDict(urlencode(params))))
    assert render_fields(fields) == template_fields(fields)


def test_other_kinds_of_fields_go_through_the_field_template():
    class Other(forms.Form):
        hidden = forms.CharField(widget=forms.HiddenInput)
        agree = forms.BooleanField(help_text="<Really>")
        colours = forms.MultipleChoiceField(
            choices=[("r", "Red & <b>")], widget=forms.CheckboxSelectMultiple
        )
        note = forms.CharField(label="Note <1>", help_text="Say 'hi'", required=True)

    for data in (None, {"hidden": "<x>", "colours": ["nope"]}):
        form = Other(data, label_suffix="")
        form.is_valid()
        fields = list(form)
        assert render_fields(fields) == template_fields(fields)


def test_the_cards_links_follow_the_script_prefix(therapists):
    """A card's profile link is the page's one ``reverse()`` around each slug: the same
    URL as ``get_absolute_url()``, also under a prefix (a site served below a path)."""
    therapists = _with_opening_labels(therapists, "America/New_York")
    set_script_prefix("/sub path/")
    try:
        ours = render_cards(therapists)
        assert ours == template_cards(therapists)
    finally:
        clear_script_prefix()
    assert f'href="/sub%20path/therapists/{therapists[0].slug}/"' in ours
