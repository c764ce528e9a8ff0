"""In Chromium (issue 17, item 5): from the front door, a visitor answers the short form
→ a ranked list with the reasons for each → a result → the therapist's profile with the
course picker on the fitting weekly time. axe-clean at 1280 and 375 px, and nothing wider
than a phone's screen."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM  # noqa: F401 (the browser's path, checked there)
from tests.e2e.test_accessibility import assert_accessible, axe_source  # noqa: F401 (fixture)
from tests.matching.helpers import directory

pytestmark = pytest.mark.django_db(transaction=True)

# Screenshots for a person to look at: SCREENSHOTS=/some/folder pytest ...
SCREENSHOTS = os.environ.get("SCREENSHOTS", "")
ANSWERS = "/match/?state=NY&concern=grief&times=tue-evening&group=true"


def shoot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def people():
    return directory()


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 812}, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_from_the_front_door_to_the_profile_with_the_picker(
    page,
    people,
    axe_source,  # noqa: F811
):
    assert_accessible(page, axe_source, "/")
    shoot(page, "front-door-1280")
    page.get_by_label("The state you live in").select_option("NY")
    page.get_by_label("Grief or loss").check()
    page.get_by_label("By video").check()
    page.get_by_label("Your insurance").select_option(label="Aetna")
    page.get_by_label("Tuesday evening").check()
    page.get_by_label("Thursday evening").check()
    page.get_by_label("One-to-one or a group").check()
    page.get_by_role("button", name="Show my matches").click()

    expect(page).to_have_url(re.compile(r"/match/\?.*times=tue-evening&times=thu-evening"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your matches in New York")
    cards = page.locator(".match-card")
    first = cards.first
    expect(first.get_by_role("heading", level=2)).to_contain_text("Grace Hollis")
    expect(first).to_contain_text("Practises IPT, which focuses on grief")
    expect(first).to_contain_text("In network with Aetna")
    expect(first).to_contain_text(re.compile(r"Free Tuesdays at 5:00 PM ET for 12 weeks from"))
    expect(page.locator(".match-card", has_text="After a loss")).to_contain_text("A grief group")
    expect(page.get_by_role("main")).not_to_contain_text("Pat Pending")
    expect(page.get_by_role("main")).not_to_contain_text("Fran Full")
    # The answers stay as given, to change them.
    expect(page.get_by_label("Tuesday evening")).to_be_checked()
    assert_accessible(page, axe_source, None)
    shoot(page, "matches-1280")

    first.get_by_role("link", name="Grace Hollis", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/therapists/{people['grace'].slug}/\?.*#chosen$"))
    chosen = page.locator("#chosen")
    expect(chosen.get_by_role("heading")).to_have_text("Tuesdays at 5:00 PM ET")
    expect(page.locator("#summary")).to_contain_text("12 sessions · Tuesdays 5:00 PM ET")
    assert_accessible(page, axe_source, None)
    shoot(page, "profile-from-match-1280")


def test_the_front_door_and_the_matches_read_on_a_phone(
    phone,
    people,
    axe_source,  # noqa: F811
):
    for path, name in (("/", "front-door-375"), (ANSWERS, "matches-375")):
        assert_accessible(phone, axe_source, path)
        shoot(phone, name)
        wide = phone.evaluate(
            """() => [...document.querySelectorAll('main *')]
                .filter(e => e.getBoundingClientRect().right > 375)
                .slice(0, 5).map(e => e.outerHTML.slice(0, 120))"""
        )
        width = phone.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, (path, width, wide)
    # On a phone the matches come before the questions.
    results = phone.locator(".match-results").bounding_box()
    answers = phone.locator(".match-answers").bounding_box()
    assert results["y"] < answers["y"]
    # Answers that cannot be used, beside their questions.
    assert_accessible(phone, axe_source, "/match/?times=tue-night")
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 375
    expect(phone.locator("#id_state_error")).to_be_visible()
    expect(phone.locator("#id_times_error")).to_contain_text("tue-night")
    shoot(phone, "match-errors-375")


def test_the_form_works_with_the_keyboard_alone(
    page,
    people,
):
    page.goto("/")
    page.get_by_label("The state you live in").focus()
    page.keyboard.press("End")  # the last state...
    page.get_by_label("The state you live in").select_option("NY")
    page.get_by_label("Worry or anxiety").focus()
    page.keyboard.press("Space")
    page.get_by_label("Monday morning").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Show my matches").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"concern=anxiety.*times=mon-morning"))
    expect(page.locator(".match-card").first).to_contain_text("Carl Brandt")
    expect(page.locator(".match-card").first).to_contain_text(
        "Practises CBT, a proven therapy for worry and anxiety"
    )
