"""Zone menus and zone checks from the `tzdata` package's canonical IANA list (issue 14.10):
U.S. zones first by their common names, never `localtime`, `Factory` or `posixrules`,
old names (links such as US/Eastern) refused with the name to use, the same list on every
page and the API."""

import re
import zoneinfo
from importlib import resources

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import places
from accounts.forms import AccountForm, SignupForm
from accounts.models import User
from tests.accounts.test_pages import sign_up
from tests.factories import TherapistFactory, UserFactory
from tests.providers.test_pages import profile_post_data

NOT_ZONES = ["localtime", "Factory", "posixrules", "Etc/GMT+5", "EST5EDT", "UTC", "right/UTC"]
OLD_NAMES = {"US/Eastern": "America/New_York", "US/Pacific": "America/Los_Angeles"}

US_FIRST = [
    ("America/New_York", "Eastern Time — New York"),
    ("America/Chicago", "Central Time — Chicago"),
    ("America/Denver", "Mountain Time — Denver"),
    ("America/Phoenix", "Mountain Time — Phoenix (no daylight saving)"),
    ("America/Los_Angeles", "Pacific Time — Los Angeles"),
    ("America/Anchorage", "Alaska Time — Anchorage"),
    ("Pacific/Honolulu", "Hawaii Time — Honolulu"),
]


def _tab(name: str) -> list[list[str]]:
    text = (resources.files("tzdata") / "zoneinfo" / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


def _options(choices) -> list[tuple[str, str]]:
    flat = []
    for value, label in choices:
        flat += label if isinstance(label, list) else [(value, label)]
    return flat


def _offered() -> list[str]:
    return [value for value, _ in _options(places.timezone_choices())]


# --- The list ---------------------------------------------------------------------------------


def test_the_menu_starts_with_the_us_zones_by_their_common_names():
    group, options = places.timezone_choices()[0]
    assert group == "United States"
    assert options[: len(US_FIRST)] == US_FIRST
    territories = dict(options[len(US_FIRST) :])
    assert "Puerto Rico" in territories["America/Puerto_Rico"]
    assert "Guam" in territories["Pacific/Guam"]
    assert "American Samoa" in territories["Pacific/Pago_Pago"]


def test_every_us_zone_has_a_common_name_and_comes_before_the_rest_of_the_world():
    us_zones = {row[2] for row in _tab("zone1970.tab") if row[0].split(",")[0] == "US"}
    named = dict(places.US_TIMEZONES + places.US_LOCAL_TIMEZONES)
    assert us_zones <= set(named), "a U.S. zone of this tzdata has no common name"
    groups = places.timezone_choices()
    first_two = {value for _, options in groups[:2] for value, _ in options}
    assert us_zones <= first_two
    assert all(label.split(" — ")[0].endswith("Time") for label in named.values())


def test_the_list_is_every_canonical_zone_of_the_tzdata_package_once():
    offered = _offered()
    assert len(offered) == len(set(offered))
    assert set(offered) == {row[2] for row in _tab("zone1970.tab")}
    zones = {
        line.split()[1]
        for line in (resources.files("tzdata") / "zoneinfo" / "tzdata.zi")
        .read_text(encoding="utf-8")
        .splitlines()
        if line.startswith("Z ")
    }
    assert set(offered) <= zones  # zones of their own, never links
    for value in offered:
        zoneinfo.ZoneInfo(value)  # each one loads


@pytest.mark.parametrize("name", NOT_ZONES + list(OLD_NAMES))
def test_server_files_and_old_names_are_not_offered(name):
    assert name not in _offered()


def test_the_rest_of_the_world_is_grouped_by_region_and_sorted_by_name():
    groups = places.timezone_choices()
    regions = [group for group, _ in groups[2:]]
    assert regions == sorted(regions)
    assert {"Americas", "Europe", "Asia", "Africa", "Pacific Ocean"} <= set(regions)
    europe = dict(groups[[g for g, _ in groups].index("Europe")][1])
    assert europe["Europe/Paris"] == "Paris — France, Monaco"
    assert europe["Europe/London"].startswith("London — Britain (UK)")
    for _, options in groups[2:]:
        labels = [label for _, label in options]
        assert labels == sorted(labels)


def test_the_list_is_read_once_from_the_package_not_from_the_servers_zoneinfo(monkeypatch):
    def server_directory():
        raise AssertionError("the server's zoneinfo directory was read")

    monkeypatch.setattr(zoneinfo, "available_timezones", server_directory)
    assert places.timezone_choices() is places.timezone_choices()
    places.validate_timezone("America/Chicago")


# --- The check ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NOT_ZONES + ["", "Mars/Olympus", "America/New_York "])
def test_what_is_not_a_canonical_zone_is_refused(name):
    with pytest.raises(ValidationError) as refused:
        places.validate_timezone(name)
    assert refused.value.code == "invalid_timezone"


@pytest.mark.parametrize(("old", "canonical"), OLD_NAMES.items())
def test_an_old_name_is_refused_with_the_name_to_use(old, canonical):
    with pytest.raises(ValidationError) as refused:
        places.validate_timezone(old)
    assert canonical in refused.value.messages[0]
    assert places.canonical_timezone(old) == canonical


# --- Pages ------------------------------------------------------------------------------------


def _select(html: str, name: str = "timezone") -> str:
    start = html.index(f'<select name="{name}"')
    return html[start : html.index("</select>", start)]


@pytest.mark.django_db
def test_the_sign_up_menu_shows_the_us_zones_first_in_an_optgroup(client):
    menu = _select(client.get(reverse("accounts:signup")).content.decode())
    labels = re.findall(r"<option[^>]*>([^<]*)</option>", menu)
    assert labels[0] == "The usual time zone of my state"
    assert labels[1 : 1 + len(US_FIRST)] == [label for _, label in US_FIRST]
    assert menu.index('<optgroup label="United States">') < menu.index("Eastern Time")
    assert '<optgroup label="Europe">' in menu
    for name in NOT_ZONES:
        assert f'value="{name}"' not in menu


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules", "US/Eastern"])
def test_the_sign_up_page_refuses_a_zone_outside_the_list(
    client, django_capture_on_commit_callbacks, name
):
    response, sent = sign_up(client, django_capture_on_commit_callbacks, timezone=name)
    assert response.status_code == 200
    assert "timezone" in response.context["form"].errors
    assert not sent


def test_the_sign_up_form_suggests_the_canonical_name_for_an_old_one():
    form = SignupForm(
        data={
            "role": "client",
            "name": "Maya Lopez",
            "email": "maya@example.com",
            "state": "NY",
            "timezone": "US/Eastern",
        }
    )
    assert not form.is_valid()
    assert "America/New_York" in form.errors["timezone"][0]


def test_an_account_with_an_old_name_sees_the_zone_it_stands_for():
    menu = str(AccountForm(instance=User(state="NY", timezone="US/Pacific"))["timezone"])
    assert re.search(r'<option value="America/Los_Angeles" selected>', menu)
    assert "US/Pacific" not in menu


def test_an_account_with_a_value_no_longer_offered_sees_it_and_must_choose():
    form = AccountForm(instance=User(state="NY", timezone="Etc/GMT+5"))
    menu = str(form["timezone"])
    assert re.search(r'<option value="Etc/GMT\+5" selected>Etc/GMT\+5 \(no longer offered', menu)
    assert menu.count(" selected>") == 1


@pytest.mark.django_db
def test_saving_the_account_page_stores_the_canonical_name(client):
    user = UserFactory(timezone="US/Eastern")
    client.force_login(user)
    page = client.get(reverse("accounts:account")).content.decode()
    assert '<option value="America/New_York" selected>' in _select(page)
    response = client.post(
        reverse("accounts:account"),
        {"name": user.name, "state": "NY", "timezone": "America/New_York"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.timezone == "America/New_York"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["localtime", "Factory", "US/Central"])
def test_the_account_page_refuses_a_zone_outside_the_list(client, name):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:account"), {"name": user.name, "state": "NY", "timezone": name}
    )
    assert response.status_code == 200
    assert "timezone" in response.context["form"].errors
    user.refresh_from_db()
    assert user.timezone == "America/New_York"


@pytest.mark.django_db
def test_the_therapist_profile_uses_the_same_menu_and_refuses_server_files(client):
    therapist = TherapistFactory(timezone="America/Chicago")
    client.force_login(therapist.user)
    menu = _select(client.get(reverse("providers:dashboard_profile")).content.decode())
    assert '<option value="America/Chicago" selected>Central Time — Chicago</option>' in menu
    assert 'value="localtime"' not in menu
    response = client.post(
        reverse("providers:dashboard_profile"),
        profile_post_data(therapist, timezone="posixrules"),
    )
    assert response.status_code == 200
    assert "timezone" in response.context["form"].errors
    therapist.refresh_from_db()
    assert therapist.timezone == "America/Chicago"


# --- API: IANA names, the same canonical set ----------------------------------------------------


def _api(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return api


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules", "US/Eastern"])
def test_the_api_refuses_a_zone_outside_the_list_naming_the_field(name):
    user = UserFactory()
    response = _api(user).patch(reverse("api-v1:me"), {"timezone": name}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"timezone"}
    if name in OLD_NAMES:
        assert OLD_NAMES[name] in response.json()["timezone"][0]
    user.refresh_from_db()
    assert user.timezone == "America/New_York"


@pytest.mark.django_db
def test_registering_with_factory_is_a_400_and_makes_no_account():
    response = APIClient().post(
        reverse("api-v1:register"),
        {
            "email": "ana@example.com",
            "password": "a long enough passphrase",
            "name": "Ana Ruiz",
            "role": "client",
            "state": "NY",
            "timezone": "Factory",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "timezone" in response.json()
    assert not User.objects.filter(email="ana@example.com").exists()


@pytest.mark.django_db
def test_the_profile_api_refuses_localtime_and_keeps_iana_names():
    therapist = TherapistFactory(timezone="America/Chicago")
    api = _api(therapist.user)
    refused = api.patch(reverse("api-v1:my-profile"), {"timezone": "localtime"}, format="json")
    assert refused.status_code == 400
    assert "timezone" in refused.json()
    accepted = api.patch(reverse("api-v1:my-profile"), {"timezone": "Europe/Paris"}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["timezone"] == "Europe/Paris"
