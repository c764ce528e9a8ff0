"""In Chromium (issue 17, item 7): on a phone (375 px) the search's filters are collapsed
behind "Show filters" and open on a tap; on a wide screen they are shown without it; the
active filters are chips that each remove their filter; the form's blank fields stay out
of the address; the page passes axe at 1280 and 375 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accessibility import assert_accessible, axe_source  # noqa: F401 (fixture)
from tests.factories import TherapistFactory, verified_license

pytestmark = pytest.mark.django_db(transaction=True)

SEARCH = "/therapists/?state=NY&modality=ipt&accepting=true"


@pytest.fixture
def directory():
    maya = TherapistFactory(display_name="Maya Lindqvist", modalities=["ipt"])
    verified_license(therapist=maya, state="NY")
    colin = TherapistFactory(display_name="Colin Brandt", modalities=["cbt"])
    verified_license(therapist=colin, state="NY")
    return maya


@pytest.fixture
def small_phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_on_a_phone_the_filters_are_collapsed_and_open_on_a_tap(
    small_phone,
    directory,
    axe_source,  # noqa: F811
):
    page = small_phone
    page.goto(SEARCH)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("IPT therapists licensed in New York · accepting new clients")
    therapy = page.get_by_label("Therapy")
    expect(therapy).to_be_hidden()
    assert_accessible(page, axe_source, None)

    page.get_by_text("Show filters").tap()
    expect(therapy).to_be_visible()
    expect(therapy).to_have_value("ipt")
    assert_accessible(page, axe_source, None)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the page scrolls sideways on a phone"
    page.screenshot(path="/tmp/search-375.png", full_page=True)

    # The form's blank fields do not reach the address.
    page.get_by_label("Therapy").select_option("")
    page.get_by_role("button", name="Show therapists").click()
    expect(page).to_have_url(re.compile(r"/therapists/\?state=NY&accepting=true$"))
    expect(page.get_by_role("main")).to_contain_text("Colin Brandt")


def test_a_chip_removes_its_filter(page, directory, axe_source):  # noqa: F811
    page.goto(SEARCH)
    main = page.get_by_role("main")
    expect(main).not_to_contain_text("Colin Brandt")
    # On a wide screen the panel is shown without its toggle.
    expect(page.get_by_label("Therapy")).to_be_visible()
    expect(page.get_by_text("Show filters")).to_be_hidden()
    assert_accessible(page, axe_source, None)
    page.screenshot(path="/tmp/search-1280.png", full_page=True)

    page.get_by_role("link", name=re.compile(r"^IPT\W*: remove this filter$")).click()
    expect(page).to_have_url(re.compile(r"/therapists/\?state=NY&accepting=true$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Therapists licensed in New York · accepting new clients"
    )
    expect(main.get_by_role("link", name="Colin Brandt", exact=True)).to_be_visible()
    expect(page.get_by_label("Therapy")).to_have_value("")

    page.get_by_role(
        "link", name=re.compile(r"^Licensed in New York\W*: remove this filter$")
    ).click()
    page.get_by_role(
        "link", name=re.compile(r"^Accepting new clients\W*: remove this filter$")
    ).click()
    expect(page).to_have_url(re.compile(r"/therapists/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Therapists")
