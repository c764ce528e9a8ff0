"""The search page's cards and filter fields (templates/providers/_search_card.html and
accounts/_field.html): every branch of a card, text escaped wherever it comes from, times
in the viewer's zone, and the filter panel echoing a bad query back escaped."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from providers.models import Language, Modality
from tests.factories import LicenseFactory, TherapistFactory, verified_license

pytestmark = pytest.mark.django_db

SEARCH = reverse("providers:search")
HOSTILE = 'O\'Brien <b>&amp; "Dr." Ümit</b>'


def card_of(html: str, name_fragment: str) -> str:
    cards = re.findall(r'<li class="card">.*?</li>\s*</ul>.*?</article>', html, re.S)
    (card,) = [c for c in cards if name_fragment in c]
    return card


def test_a_card_escapes_every_text_and_shows_every_fact(client):
    Modality.objects.create(slug="odd", name='Talk & <em>"walk"</em>')
    odd_language = Language.objects.create(code="x-odd", name="Kl<i>ingon</i> & 'co'")
    therapist = TherapistFactory(
        display_name=HOSTILE,
        credentials='PhD <LCSW> & "MFT"',
        formats=["telehealth", "in_person"],
        office_city="Saint <Paul>",
        office_state="MN",
        fee=0,
        sliding_scale=True,
        modalities=["ipt", "odd"],
        next_opening=dt.datetime(2031, 1, 6, 15, 30, tzinfo=dt.UTC),
    )
    therapist.languages.add(odd_language, Language.objects.get(code="es"))
    for state in ("WY", "CA", "NY"):
        verified_license(therapist=therapist, state=state)
    LicenseFactory(therapist=therapist, state="TX")  # pending: not on the card

    html = client.get(SEARCH).content.decode()
    card = card_of(html, "O&#x27;Brien")
    assert "<b>" not in card and "<em>" not in card and "<i>" not in card
    assert "O&#x27;Brien &lt;b&gt;&amp;amp; &quot;Dr.&quot; Ümit&lt;/b&gt;" in card
    assert '<span class="credentials">, PhD &lt;LCSW&gt; &amp; &quot;MFT&quot;</span>' in card
    assert '<span class="tag">Talk &amp; &lt;em&gt;&quot;walk&quot;&lt;/em&gt;</span>' in card
    assert "Telehealth (video), In person (Saint &lt;Paul&gt;, MN)" in card
    assert "$0 per session · sliding scale" in card
    assert "Kl&lt;i&gt;ingon&lt;/i&gt; &amp; &#x27;co&#x27;" in card
    assert card.count('<span class="check-mark"') == 3 and "Licensed in TX" not in card
    opening = '<time datetime="2031-01-06T15:30:00+00:00">Mon, Jan 6, 2031 · 10:30 AM ET</time>'
    assert opening in card
    url = therapist.get_absolute_url()
    assert f'<h2 class="card-title" id="t{therapist.pk}-name"><a href="{url}">' in card
    assert f'<article aria-labelledby="t{therapist.pk}-name">' in card
    assert f'href="{url}#book">Book a 12-week course' in card


def test_a_card_without_fee_opening_or_languages(client):
    therapist = TherapistFactory(
        display_name="Dr. Ada Lovelace",
        credentials="",
        office_city="Albany",
        office_state="NY",
        fee=None,
        sliding_scale=False,
        accepting_new_clients=False,
        modalities=[],
    )
    verified_license(therapist=therapist, state="NY")
    card = card_of(client.get(SEARCH).content.decode(), "Ada Lovelace")
    assert "Ask the therapist" in card
    assert "credentials" not in card and "Next opening" not in card
    assert "Languages" not in card and "Albany" not in card  # telehealth only: no city
    assert '<span class="muted">Not accepting new clients</span>' in card
    assert "#book" not in card


def test_the_filter_panel_echoes_a_bad_query_escaped_beside_its_field(client):
    html = client.get(
        SEARCH, {"state": "XX", "fee_max": '"><script>', "q": "<b>&amp;</b>"}
    ).content.decode()
    assert "<script>" not in html and "<b>&amp;</b>" not in html
    assert 'value="&lt;b&gt;&amp;amp;&lt;/b&gt;"' in html
    assert '<div class="field field--select field--invalid">' in html
    assert '<ul class="errorlist" id="id_state_error">' in html
    (select,) = re.findall(r'<select name="state"[^>]*>', html)
    assert 'aria-describedby="id_state_error id_state_helptext"' in select
    assert 'aria-invalid="true"' in select
    assert '<label for="id_state">State you live in</label>' in html
