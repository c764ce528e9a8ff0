"""The search page's filter fields and result cards, rendered in Python.

Character for character what the templates gave: the fields what
``accounts/_field.html`` renders for each (tests/providers/test_search_page_render.py
compares with it, errors and hostile values included); the cards what the card markup in
``_search_content.html`` rendered when it was a template loop (the test keeps that
template and compares, on hostile names, no opening, no languages, many licenses...).
Through the template engine the 20 cards were about a fifth of an uncached search's CPU
time and the ten field includes another tenth (BENCHMARKS.md, "Search"): ~40 variable and
tag nodes a card, each resolved through the engine's lookups. Every value below goes
through ``conditional_escape`` as ``{{ }}`` would; only the fixed markup is trusted."""

from __future__ import annotations

import re

from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from providers.models import Format
from providers.widgets import esc

_FORMAT_LABELS = dict(Format.choices)
FIELD_TEMPLATE = "accounts/_field.html"


def render_field(field) -> str:
    """``{% include "accounts/_field.html" %}`` for a bound field. Its common branch
    (label, help, errors, input) is written here; hidden fields, checkboxes and fieldsets
    (none in the search panel) go through the template."""
    if field.is_hidden or field.use_fieldset:
        return get_template(FIELD_TEMPLATE).render({"field": field})
    widget_type = field.widget_type
    if widget_type == "checkbox":
        return get_template(FIELD_TEMPLATE).render({"field": field})
    errors = field.errors
    auto_id = esc(field.auto_id)
    help_text = (
        f'<p class="help" id="{auto_id}_helptext">{esc(field.help_text)}</p>'
        if field.help_text
        else ""
    )
    error_list = (
        f'<ul class="errorlist" id="{auto_id}_error">'
        + "".join(f"<li>{esc(error)}</li>" for error in errors)
        + "</ul>"
        if errors
        else ""
    )
    invalid = " field--invalid" if errors else ""
    return (
        f'\n\n<div class="field field--{esc(widget_type)}{invalid}">\n  \n    '
        f"{field.label_tag()}\n    {help_text}\n    {error_list}\n    {field}\n  \n</div>\n\n"
    )


def render_fields(fields) -> SafeString:
    """``{% for field in fields %}{% include "accounts/_field.html" %}{% endfor %}``."""
    # Escaped as the template does; the label and the input are the form's own rendering.
    return mark_safe("".join(render_field(field) for field in fields))  # noqa: S308  # nosec B308 B703


def _license(license) -> str:
    verified = license.verified_on.isoformat() if license.verified_on else ""
    return (
        '\n                  <li><span class="check-mark" aria-hidden="true">✓</span> '
        f"Licensed in {esc(license.state)} · verified {verified}</li>\n                "
    )


def _fee(therapist) -> str:
    if therapist.fee is not None:
        scale = " · sliding scale" if therapist.sliding_scale else ""
        return f"${esc(therapist.fee)} per session{scale}"
    return "Sliding scale" if therapist.sliding_scale else "Ask the therapist"


# The slug path converter's pattern: a slug that matches it is in the URL as it is.
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_MARK = "slug-mark"


def _profile_url_parts() -> tuple[str, str]:
    """What comes before and after the slug in ``Therapist.get_absolute_url()``: one
    ``reverse()`` for a page of cards instead of one a card."""
    head, tail = reverse("providers:profile", kwargs={"slug": _MARK}).split(_MARK)
    return head, tail


def render_card(therapist, url_parts: tuple[str, str] | None = None) -> str:
    """One ``<li class="card">`` (with the whitespace the template loop put around it).
    ``therapist`` is a row of ``selectors.result_cards()`` with its opening labels
    (``views._with_opening_labels``)."""
    pk = therapist.pk
    if url_parts and _SLUG.fullmatch(therapist.slug):
        url = esc(f"{url_parts[0]}{therapist.slug}{url_parts[1]}")
    else:
        url = esc(therapist.get_absolute_url())
    name = esc(therapist.display_name)
    credentials = (
        f'<span class="credentials">, {esc(therapist.credentials)}</span>'
        if therapist.credentials
        else ""
    )
    tags = "".join(f'<span class="tag">{esc(m.name)}</span>' for m in therapist.card_modalities)
    licenses = "".join(_license(lic) for lic in therapist.valid_licenses)
    formats = ", ".join(esc(_FORMAT_LABELS.get(f, f)) for f in therapist.formats)
    if "in_person" in therapist.formats and therapist.office_city:
        formats += f" ({esc(therapist.office_city)}, {esc(therapist.office_state)})"
    languages = therapist.card_languages
    languages = (
        f"<div><dt>Languages</dt><dd>{', '.join(esc(lang) for lang in languages)}</dd></div>"
        if languages
        else ""
    )
    if therapist.accepting_new_clients:
        accepting = '<span class="ok">Accepting new clients</span>'
        book = (
            f'<a class="button button--small" href="{url}#book">Book a 12-week course'
            f'<span class="visually-hidden"> with {name}</span></a>'
        )
    else:
        accepting = '<span class="muted">Not accepting new clients</span>'
        book = ""
    opening = (
        f'<div><dt>Next opening</dt><dd><time datetime="{esc(therapist.opening_utc)}">'
        f"{esc(therapist.opening_label)}</time></dd></div>"
        if therapist.next_opening
        else ""
    )
    return f"""
          <li class="card">
            <article aria-labelledby="t{pk}-name">
              <div class="card-head">
                <span class="avatar" aria-hidden="true">{esc(therapist.initials)}</span>
                <div>
                  <h2 class="card-title" id="t{pk}-name"><a href="{url}">{name}</a>{credentials}</h2>
                  <p class="modalities">{tags}</p>
                </div>
              </div>
              <ul class="licenses">
                {licenses}
              </ul>
              <dl class="card-facts">
                <div><dt>Format</dt><dd>{formats}</dd></div>
                <div><dt>Fee</dt><dd>{_fee(therapist)}</dd></div>
                {languages}
                <div><dt>New clients</dt><dd>{accepting}</dd></div>
                {opening}
              </dl>
              <p class="card-actions">
                {book}
                <a href="{url}">View profile<span class="visually-hidden"> of {name}</span></a>
              </p>
            </article>
          </li>
        """  # noqa: E501


def render_cards(therapists) -> SafeString:
    """The cards of a page of results, for ``{{ cards }}`` inside ``<ol class="cards">``."""
    # Every value is escaped above; tests/providers/test_search_page_render.py compares
    # with the template on hostile values.
    url_parts = _profile_url_parts()
    return mark_safe("".join(render_card(t, url_parts) for t in therapists))  # noqa: S308  # nosec B308 B703
