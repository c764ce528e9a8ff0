"""Where people are: USPS state codes (50 states + DC) and IANA time zones."""

from functools import cache
from importlib import resources

from django.core.exceptions import ValidationError

US_STATES: list[tuple[str, str]] = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"),
    ("KS", "Kansas"), ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"),
    ("MD", "Maryland"), ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"),
    ("MS", "Mississippi"), ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"),
    ("NV", "Nevada"), ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"),
    ("NY", "New York"), ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"),
    ("OK", "Oklahoma"), ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"),
    ("SC", "South Carolina"), ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"),
    ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"),
    ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
]  # fmt: skip
STATE_NAMES = dict(US_STATES)

# The zone a person in each state most likely uses: the default offered at sign-up.
STATE_TIMEZONES = {
    "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix",
    "AR": "America/Chicago", "CA": "America/Los_Angeles", "CO": "America/Denver",
    "CT": "America/New_York", "DE": "America/New_York", "DC": "America/New_York",
    "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
    "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis",
    "IA": "America/Chicago", "KS": "America/Chicago", "KY": "America/New_York",
    "LA": "America/Chicago", "ME": "America/New_York", "MD": "America/New_York",
    "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver",
    "NE": "America/Chicago", "NV": "America/Los_Angeles", "NH": "America/New_York",
    "NJ": "America/New_York", "NM": "America/Denver", "NY": "America/New_York",
    "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York",
    "RI": "America/New_York", "SC": "America/New_York", "SD": "America/Chicago",
    "TN": "America/Chicago", "TX": "America/Chicago", "UT": "America/Denver",
    "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
    "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver",
}  # fmt: skip

# --- Time zones: the canonical IANA zones of the pinned `tzdata` package -------------------
#
# Canonical: the zones tzdata defines as zones of their own (a `Zone`, not a `Link` such as
# US/Eastern or Europe/Amsterdam) for a place (zone1970.tab): never Factory, localtime,
# posixrules, Etc/GMT+5 or EST5EDT. Read once from the package's files, not from the
# server's zoneinfo directory, so every machine offers and accepts the same list.

# The first group of every zone menu, in this order, by the names people use.
US_TIMEZONES: list[tuple[str, str]] = [
    ("America/New_York", "Eastern Time — New York"),
    ("America/Chicago", "Central Time — Chicago"),
    ("America/Denver", "Mountain Time — Denver"),
    ("America/Phoenix", "Mountain Time — Phoenix (no daylight saving)"),
    ("America/Los_Angeles", "Pacific Time — Los Angeles"),
    ("America/Anchorage", "Alaska Time — Anchorage"),
    ("Pacific/Honolulu", "Hawaii Time — Honolulu"),
    ("America/Puerto_Rico", "Atlantic Time — Puerto Rico, U.S. Virgin Islands"),
    ("Pacific/Guam", "Chamorro Time — Guam, Northern Mariana Islands"),
    ("Pacific/Pago_Pago", "Samoa Time — American Samoa"),
]  # fmt: skip
COMMON_TIMEZONES = [zone for zone, _ in US_TIMEZONES]

# The other U.S. zones: places whose clocks differed at some time since 1970.
US_LOCAL_TIMEZONES: list[tuple[str, str]] = [
    ("America/Detroit", "Eastern Time — Detroit, Michigan"),
    ("America/Indiana/Indianapolis", "Eastern Time — Indianapolis, Indiana"),
    ("America/Kentucky/Louisville", "Eastern Time — Louisville, Kentucky"),
    ("America/Kentucky/Monticello", "Eastern Time — Wayne County, Kentucky"),
    ("America/Indiana/Marengo", "Eastern Time — Crawford County, Indiana"),
    ("America/Indiana/Petersburg", "Eastern Time — Pike County, Indiana"),
    ("America/Indiana/Vevay", "Eastern Time — Switzerland County, Indiana"),
    ("America/Indiana/Vincennes", "Eastern Time — Daviess, Dubois, Knox, Martin Counties, Indiana"),
    ("America/Indiana/Winamac", "Eastern Time — Pulaski County, Indiana"),
    ("America/Indiana/Knox", "Central Time — Starke County, Indiana"),
    ("America/Indiana/Tell_City", "Central Time — Perry County, Indiana"),
    ("America/Menominee", "Central Time — Menominee, Michigan"),
    ("America/North_Dakota/Beulah", "Central Time — Mercer County, North Dakota"),
    ("America/North_Dakota/Center", "Central Time — Oliver County, North Dakota"),
    ("America/North_Dakota/New_Salem", "Central Time — rural Morton County, North Dakota"),
    ("America/Boise", "Mountain Time — Boise, Idaho"),
    ("America/Juneau", "Alaska Time — Juneau"),
    ("America/Sitka", "Alaska Time — Sitka"),
    ("America/Metlakatla", "Alaska Time — Metlakatla"),
    ("America/Yakutat", "Alaska Time — Yakutat"),
    ("America/Nome", "Alaska Time — Nome"),
    ("America/Adak", "Hawaii-Aleutian Time — Adak"),
]  # fmt: skip


# The rest of the world, one group per region (the first part of the zone's name).
REGIONS = {
    "Africa": "Africa", "America": "Americas", "Antarctica": "Antarctica", "Arctic": "Arctic",
    "Asia": "Asia", "Atlantic": "Atlantic Ocean", "Australia": "Australia",
    "Europe": "Europe", "Indian": "Indian Ocean", "Pacific": "Pacific Ocean",
}  # fmt: skip

_TZDATA = resources.files("tzdata") / "zoneinfo"


def _rows(name: str) -> list[list[str]]:
    """The rows of one of tzdata's tab-separated tables, comments left out."""
    text = (_TZDATA / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@cache
def _tzdata() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """The canonical zones with the countries each covers, and every link that leads to
    one of them (US/Eastern -> America/New_York), from the tzdata package's own files:
    tzdata.zi (the compiled source: ``Z name ...`` for a zone, ``L target name`` for a
    link) and zone1970.tab (the zones of places, with their countries)."""
    zones: set[str] = set()
    links: dict[str, str] = {}
    for line in (_TZDATA / "tzdata.zi").read_text(encoding="utf-8").splitlines():
        kind, *fields = line.split()
        if kind == "Z":
            zones.add(fields[0])
        elif kind == "L":
            links[fields[1]] = fields[0]
    places = {row[2]: tuple(row[0].split(",")) for row in _rows("zone1970.tab")}
    canonical = {zone: countries for zone, countries in places.items() if zone in zones}
    leads_to = {}
    for link, target in links.items():
        while target in links:  # a link to a link: follow it to its zone
            target = links[target]
        if target in canonical:
            leads_to[link] = target
    return canonical, leads_to


@cache
def _country_names() -> dict[str, str]:
    return {row[0]: row[1] for row in _rows("iso3166.tab")}


def _world_label(zone: str, countries: tuple[str, ...]) -> str:
    city = zone.rsplit("/", 1)[-1].replace("_", " ")
    names = _country_names()
    # The zone's own country first, then the others that keep its time.
    places = [names.get(countries[0], countries[0])]
    places += sorted(names.get(code, code) for code in countries[1:])
    return f"{city} — {', '.join(places)}"


Choices = list[tuple[str, str] | tuple[str, list[tuple[str, str]]]]


@cache
def _choices() -> Choices:
    canonical, _ = _tzdata()
    # Only what this tzdata still has as zones of their own (the tests check the tables).
    us = [(zone, label) for zone, label in US_TIMEZONES if zone in canonical]
    us_local = [(zone, label) for zone, label in US_LOCAL_TIMEZONES if zone in canonical]
    named = {zone for zone, _ in us + us_local}
    by_region: dict[str, list[tuple[str, str]]] = {}
    for zone, countries in canonical.items():
        if zone in named:
            continue
        item = (zone, _world_label(zone, countries))
        if countries[0] == "US":  # a U.S. zone newer than the tables above
            us_local.append(item)
        else:
            by_region.setdefault(REGIONS.get(zone.split("/", 1)[0], "Other"), []).append(item)
    groups: Choices = [("United States", us), ("Other U.S. areas", us_local)]
    for region in sorted(by_region):
        groups.append((region, sorted(by_region[region], key=lambda item: item[1])))
    return groups


def timezone_choices() -> Choices:
    """The zone menu: U.S. zones first by their common names, then the rest of the world
    grouped by region (each group an <optgroup>); values are IANA names."""
    return _choices()


def canonical_timezone(value: str) -> str | None:
    """The canonical zone a name stands for (itself, or the zone a link leads to)."""
    canonical, leads_to = _tzdata()
    return value if value in canonical else leads_to.get(value)


def timezone_common_name(zone) -> str:
    """The name people use for a zone: "Central Time" for America/Chicago; "Mountain Time
    (Phoenix)" where a U.S. place keeps a clock of its own; "London time" elsewhere; ""
    for none. Old link names (US/Eastern) read as the zone they lead to."""
    zone = str(zone or "")
    zone = canonical_timezone(zone) or zone
    labels = dict(US_TIMEZONES + US_LOCAL_TIMEZONES)
    if zone in labels:
        common, _, place = labels[zone].partition(" — ")
        if zone in _PLAIN_US_ZONES:
            return common
        return f"{common} ({place.split(' (')[0]})"
    city = zone.rsplit("/", 1)[-1].replace("_", " ")
    if city in ("", "UTC", "GMT"):
        return city
    return f"{city} time"


# The zones most Americans live in, named without a place ("Eastern Time").
_PLAIN_US_ZONES = {
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu",
}  # fmt: skip


# What refusing a zone says (Django fills in the parameters).
TIMEZONE_INVALID = (
    "“%(value)s” is not the time zone of a place: give its IANA name, e.g. America/New_York."
)
TIMEZONE_OLD_NAME = "“%(value)s” is an old name for a time zone: use %(canonical)s."


def validate_timezone(value: str) -> None:
    """Canonical zones only. An old name (a link such as US/Eastern) is refused too, with
    the name to use instead, so the same zone is never stored under two names."""
    if value in _tzdata()[0]:
        return
    canonical = canonical_timezone(value)
    if canonical:
        raise ValidationError(
            TIMEZONE_OLD_NAME,
            params={"value": value, "canonical": canonical},
            code="invalid_timezone",
        )
    raise ValidationError(TIMEZONE_INVALID, params={"value": value}, code="invalid_timezone")


def validate_state(value: str) -> None:
    if value not in STATE_NAMES:
        raise ValidationError(
            "“%(value)s” is not a US state code (for example NY or DC).",
            params={"value": value},
            code="invalid_state",
        )
