"""The search page's words for the filters in use (PRODUCT.md, "Pages: Search"): the
heading that names them ("IPT therapists licensed in New York · in network with Aetna ·
within 10 miles of 10003") and the removable chips, each a link to the same search
without that filter. Pure functions of the query and the validated filters: no query."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from accounts.places import STATE_NAMES
from providers.browse import modality_short_name
from providers.filters import RADIUS_DEFAULT
from providers.models import AgeGroup, Format, Gender

# Filters that travel with every chip's link but are not filters themselves.
NOT_FILTERS = {"ordering", "page"}
# Removing a chip removes these too: the distance means nothing without its ZIP code.
REMOVED_WITH = {"near": {"radius"}}

_FORMAT_WORDS = {Format.TELEHEALTH: "by video (telehealth)", Format.IN_PERSON: "in person"}
_GENDER_WORDS = {
    Gender.WOMAN: "who are women",
    Gender.MAN: "who are men",
    Gender.NONBINARY: "who are nonbinary",
}
_AGE_WORDS = {
    AgeGroup.CHILDREN: "working with children",
    AgeGroup.TEENS: "working with teens",
    AgeGroup.ADULTS: "working with adults",
    AgeGroup.OLDER_ADULTS: "working with older adults",
}


def _lower_first(name: str) -> str:
    """ "Grief or loss" -> "grief or loss"; "EMDR" and "Spanish"-like names stay."""
    return name[0].lower() + name[1:] if name[1:2].islower() else name


def _miles(value) -> str:
    return f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"


def filter_words(cleaned: dict) -> dict[str, str]:
    """Plain words for each filter in use, by the parameter it came from, in the search
    panel's order (state and therapy are the heading's subject, not listed here)."""
    words: dict[str, str] = {}
    if cleaned.get("specialty"):
        words["specialty"] = f"focusing on {_lower_first(cleaned['specialty'].name)}"
    if cleaned.get("insurance"):
        words["insurance"] = f"in network with {cleaned['insurance'].name}"
    if cleaned.get("superbill") is not None:
        words["superbill"] = "superbill provided" if cleaned["superbill"] else "no superbill"
    if cleaned.get("near"):
        radius = cleaned.get("radius") or RADIUS_DEFAULT
        words["near"] = f"within {_miles(radius)} miles of {cleaned['near'].zip}"
    if cleaned.get("format"):
        words["format"] = _FORMAT_WORDS.get(cleaned["format"], cleaned["format"])
    if cleaned.get("language"):
        words["language"] = f"speaking {cleaned['language'].name}"
    if cleaned.get("gender"):
        words["gender"] = _GENDER_WORDS.get(cleaned["gender"], cleaned["gender"])
    if cleaned.get("age_group"):
        words["age_group"] = _AGE_WORDS.get(cleaned["age_group"], cleaned["age_group"])
    if cleaned.get("lgbtq_affirming") is not None:
        words["lgbtq_affirming"] = (
            "LGBTQ+ affirming" if cleaned["lgbtq_affirming"] else "not stated LGBTQ+ affirming"
        )
    if cleaned.get("faith"):
        words["faith"] = f"faith-informed ({cleaned['faith'].name})"
    if cleaned.get("accepting") is not None:
        words["accepting"] = (
            "accepting new clients" if cleaned["accepting"] else "not accepting new clients"
        )
    if cleaned.get("fee_max") is not None:
        words["fee_max"] = f"fee up to ${cleaned['fee_max']:,.0f} or a sliding scale"
    if cleaned.get("available_within") is not None:
        days = int(cleaned["available_within"])
        words["available_within"] = f"an opening within {days} day{'s' if days != 1 else ''}"
    q = (cleaned.get("q") or "").strip()
    if q:
        words["q"] = f"matching “{q}”"
    return words


def subject(cleaned: dict) -> str:
    """ "Therapists", "IPT therapists", "Therapists licensed in New York", "IPT therapists
    licensed in New York", "Therapists licensed in New York offering group therapy"."""
    state = cleaned.get("state")
    where = f" licensed in {STATE_NAMES[state]}" if state else ""
    modality = cleaned.get("modality")
    if modality is None:
        return f"Therapists{where}"
    short = modality_short_name(modality.name)
    if short:
        return f"{short} therapists{where}"
    return f"Therapists{where} offering {_lower_first(modality.name)}"


def heading(cleaned: dict) -> str:
    """The results' heading, naming every filter in use; "Therapists" when none."""
    return " · ".join([subject(cleaned), *filter_words(cleaned).values()])


@dataclass(frozen=True, slots=True)
class Chip:
    name: str  # the parameter
    label: str
    url: str  # the same search without it


def _state_label(cleaned: dict) -> str:
    return f"licensed in {STATE_NAMES[cleaned['state']]}"


def _modality_label(cleaned: dict) -> str:
    name = cleaned["modality"].name
    return modality_short_name(name) or _lower_first(name)


def chips(params, cleaned: dict, *, base: str) -> list[Chip]:
    """One chip per filter in use, each linking to ``base`` with every other filter in
    use (blank values and the page number left out; the order kept)."""
    labels: dict[str, str] = {}
    if cleaned.get("state"):
        labels["state"] = _state_label(cleaned)
    if cleaned.get("modality"):
        labels["modality"] = _modality_label(cleaned)
    labels.update(filter_words(cleaned))
    result = []
    for name, label in labels.items():
        dropped = {name, "page", *REMOVED_WITH.get(name, ())}
        kept = [
            (key, value)
            for key, values in params.lists()
            if key not in dropped
            for value in values
            if value
        ]
        url = f"{base}?{urlencode(kept)}" if kept else base
        result.append(Chip(name, label[0].upper() + label[1:], url))
    return result
