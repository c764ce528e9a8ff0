"""/robots.txt and the favicon (issue 14.12): both answer 200; crawlers are kept out of
the API and of every private page, and let into the public directory."""

from urllib.robotparser import RobotFileParser

import pytest
from django.urls import reverse

from tests.test_authorization_matrix import make_world
from tests.test_cache_control import URLS, Private, SecretAddress, _url

pytestmark = pytest.mark.django_db


def _robots(client) -> RobotFileParser:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    parser = RobotFileParser()
    parser.parse(response.content.decode().splitlines())
    return parser


def test_robots_txt_is_plain_text(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "User-agent: *" in response.content.decode()


def test_robots_txt_keeps_crawlers_out_of_the_api_and_every_private_address(client):
    robots = _robots(client)
    world = make_world()
    # What a crawler can read: the private addresses answered to a GET (the POST-only
    # actions, e.g. joining a group, answer a crawler 405).
    private = [
        _url(name, entry, world)
        for name, entry in URLS.items()
        if isinstance(entry, SecretAddress)
        or (isinstance(entry, Private) and entry.method == "GET")
    ]
    private += [
        "/api/v1/therapists/",  # public data, but the API is for programs, not crawlers
        "/api/v1/schema/",
        "/admin/",
        "/accounts/login/",
        "/healthz",
    ]
    crawled = [url for url in private if robots.can_fetch("*", url)]
    assert not crawled, f"robots.txt lets crawlers into: {crawled}"


def test_robots_txt_lets_crawlers_into_the_public_directory(client):
    robots = _robots(client)
    world = make_world()
    public = [
        "/",
        reverse("providers:search"),
        reverse("providers:search") + "?state=NY",
        reverse("providers:profile", kwargs={"slug": world.therapist.slug}),
        reverse("booking:groups"),
        reverse("booking:group_detail", kwargs={"pk": world.group.pk}),
    ]
    refused = [url for url in public if not robots.can_fetch("*", url)]
    assert not refused, f"robots.txt keeps crawlers out of: {refused}"


def test_robots_txt_names_a_sitemap_only_if_there_is_one(client):
    for url in _robots(client).site_maps() or []:
        assert client.get(url).status_code == 200, url


def test_favicon_ico_is_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/vnd.microsoft.icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO header
    assert "max-age=86400" in response["Cache-Control"]


def test_every_page_links_its_icon_and_the_icon_is_there(client):
    page = client.get(reverse("providers:search")).content.decode()
    start = page.index('<link rel="icon" href="') + len('<link rel="icon" href="')
    href = page[start : page.index('"', start)]
    assert href.endswith(".svg")
    icon = client.get(href)
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"
