"""Browse by state in a real browser (issue 17.6): the index of states and a state's pages
at desktop and phone size, axe clean and no wider than the screen; from the footer to a
state, a therapy and a therapist's profile with the keyboard-reachable links.
SCREENSHOTS=<dir> keeps a screenshot of each page there."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accessibility import AXE, assert_accessible
from tests.factories import TherapistFactory, verified_license

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 667}}
PAGES = {
    "index": "/therapists/in/",
    "state": "/therapists/in/new-york/",
    "therapy": "/therapists/in/new-york/ipt/",
    "empty": "/therapists/in/wyoming/",
}


@pytest.fixture(scope="session")
def axe() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make install-dev` runs `npm ci` in tests/e2e/.")
    return AXE.read_text()


@pytest.fixture
def therapists():
    people = [
        ("Maya Lindqvist", ["NY", "NJ"], {"modalities": ["ipt", "cbt"], "credentials": "PhD"}),
        ("Jordan Okafor", ["NY"], {"modalities": ["ipt"], "sliding_scale": True}),
        ("Priya Raman", ["NY"], {"modalities": ["cbt"], "accepting_new_clients": False}),
        ("Sam Ortiz", ["CA"], {"modalities": ["group"]}),
    ]
    for name, states, fields in people:
        therapist = TherapistFactory(display_name=name, **fields)
        for state in states:
            verified_license(therapist=therapist, state=state)


def snap(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"browse-{name}.png"), full_page=True)


@pytest.mark.parametrize("size", SIZES)
def test_the_state_index_and_a_states_pages_are_accessible_and_fit_the_screen(
    browser, live_server, axe, therapists, size
):
    viewport = SIZES[size]
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport, is_mobile=size == "phone"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        for name, path in PAGES.items():
            assert_accessible(page, axe, path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{path} is {width} px wide at {size} size"
            snap(page, f"{name}-{size}")
    finally:
        context.close()


def test_from_the_footer_to_a_state_a_therapy_and_a_profile(page, therapists):
    page.goto("/therapists/")
    page.get_by_role("contentinfo").get_by_role("link", name="Therapists by state").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Therapists by state")
    new_york = page.get_by_role("listitem").filter(
        has=page.get_by_role("link", name="New York", exact=True)
    )
    expect(new_york).to_contain_text("3 therapists")

    new_york.get_by_role("link").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Therapists licensed in New York")
    cards = page.locator(".card-title")
    expect(cards).to_have_count(3)
    for name in ("Maya Lindqvist", "Jordan Okafor", "Priya Raman"):
        expect(cards.filter(has_text=name)).to_be_visible()

    page.get_by_role("link", name="Interpersonal Therapy (IPT)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("IPT therapists licensed in New York")
    expect(page.locator(".card-title")).to_have_count(2)
    expect(page.locator('link[rel="canonical"]')).to_have_attribute(
        "href", re.compile(r"/therapists/in/new-york/ipt/$")
    )

    page.get_by_role("link", name="Filter these therapists in the search").click()
    expect(page).to_have_url(re.compile(r"/therapists/\?state=NY&modality=ipt$"))
    expect(page.locator(".card-title")).to_have_count(2)
    page.go_back()

    page.get_by_role("link", name="Maya Lindqvist", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maya Lindqvist")
