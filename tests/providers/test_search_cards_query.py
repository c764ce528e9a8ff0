"""The cards' relations come with the page query as two-column arrays (slug and name,
code and name, state and verification date): they read back exactly as stored, whatever
the characters, and the dates whatever the session's date style."""

import datetime as dt

import pytest
from django.db import connection

from providers.models import Language, Modality
from providers.selectors import CardLanguage, CardLicense, CardModality, result_cards
from tests.factories import LicenseFactory, TherapistFactory, verified_license

pytestmark = pytest.mark.django_db

# What PostgreSQL's array text format has to quote or escape.
AWKWARD = ['a, "b" {c} \\ d', "NULL", "", " spaced ", "ümlaut ✓", "'single'"]


def test_the_cards_arrays_read_back_as_stored():
    therapist = TherapistFactory(modalities=[])
    modalities = [
        Modality.objects.create(slug=f"awkward-{i}", name=name) for i, name in enumerate(AWKWARD)
    ]
    languages = [
        Language.objects.create(code=f"x-{i}", name=name) for i, name in enumerate(AWKWARD)
    ]
    therapist.modalities.set(modalities)
    therapist.languages.set(languages)
    ny = verified_license(therapist=therapist, state="NY")
    ca = verified_license(therapist=therapist, state="CA")
    ca.verified_on = dt.date(999, 1, 2)
    ca.save()
    LicenseFactory(therapist=therapist, state="TX")  # pending: not a card's

    (card,) = result_cards().filter(pk=therapist.pk)
    by_name = sorted(modalities, key=lambda m: (m.name, m.id))
    assert card.card_modalities == [CardModality(m.slug, m.name) for m in by_name]
    by_name = sorted(languages, key=lambda lang: (lang.name, lang.id))
    assert card.card_languages == [CardLanguage(lang.code, lang.name) for lang in by_name]
    assert card.valid_licenses == [
        CardLicense("CA", dt.date(999, 1, 2)),
        CardLicense("NY", ny.verified_on),
    ]


def test_no_relations_are_empty_lists():
    therapist = TherapistFactory(modalities=[])
    (card,) = result_cards().filter(pk=therapist.pk)
    assert card.card_modalities == card.card_languages == card.valid_licenses == []


@pytest.mark.parametrize("style", ["ISO, MDY", "SQL, DMY", "German", "Postgres, YMD"])
def test_the_license_dates_do_not_depend_on_the_date_style(style):
    therapist = TherapistFactory()
    license = verified_license(therapist=therapist, state="NY")
    with connection.cursor() as cursor:
        cursor.execute("SET datestyle = %s", [style])
    try:
        (card,) = result_cards().filter(pk=therapist.pk)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET datestyle")
    assert card.valid_licenses == [CardLicense("NY", license.verified_on)]
