"""In Chromium (issue 17, items 1 and 3): a therapist chooses their insurance and identity
on the profile page; a visitor who searched before (the answer cached, as deployed) finds
them by plan at once, reads the plans and identity on the card and the profile; the
pages pass axe, and the filters read on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from providers.models import Faith
from tests.e2e.test_accessibility import assert_accessible, axe_source  # noqa: F401 (fixture)
from tests.e2e.test_booking_flow import log_in
from tests.factories import TherapistFactory, verified_license
from tests.providers.search_cache_setup import search_cache_in_redis

pytestmark = pytest.mark.django_db(transaction=True)

AETNA_SEARCH = "/therapists/?state=NY&insurance=aetna"


@pytest.fixture
def directory(settings):
    with search_cache_in_redis(settings):
        maya = TherapistFactory(display_name="Maya Lindqvist", credentials="PhD")
        verified_license(therapist=maya, state="NY")
        colin = TherapistFactory(
            display_name="Colin Brandt",
            insurance=["cigna"],
            superbill=True,
            gender="man",
            age_groups=["teens"],
            faith=Faith.objects.get(slug="christian"),
        )
        verified_license(therapist=colin, state="NY")
        yield maya


def test_a_therapist_adds_aetna_and_a_visitor_finds_them_by_it_at_once(
    page,
    directory,
    axe_source,  # noqa: F811
):
    # A visitor's search for Aetna, answered (and cached) before the change: nobody.
    page.goto(AETNA_SEARCH)
    expect(page.get_by_role("main")).to_contain_text("No therapists match all of these filters")

    log_in(page, directory.user.email)
    page.goto("/dashboard/profile/")
    page.get_by_label("Aetna", exact=True).check()
    page.get_by_label("Out of network: I give clients a superbill").check()
    page.get_by_label("Your gender").select_option("woman")
    page.get_by_label("Adults (18–64)").check()
    page.get_by_label("Older adults (65 and over)").check()
    page.get_by_label("My practice is LGBTQ+ affirming").check()
    page.get_by_label("Faith-informed practice").select_option(label="Jewish")
    assert_accessible(page, axe_source, None)
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".message--success")).to_contain_text("Your profile is saved.")
    expect(page.get_by_label("Aetna", exact=True)).to_be_checked()
    page.get_by_role("button", name="Log out").click()

    # The same search, right away: the cached answer is stale, she is there.
    page.goto(AETNA_SEARCH)
    expect(page.get_by_role("link", name="Maya Lindqvist", exact=True)).to_be_visible()
    # And through the filter panel.
    page.goto("/therapists/")
    page.get_by_label("State you live in").select_option("NY")
    page.get_by_label("Insurance", exact=True).select_option("aetna")
    page.get_by_role("button", name="Show therapists").click()
    expect(page).to_have_url(re.compile(r"insurance=aetna"))
    results = page.get_by_role("main")
    card = results.get_by_role("listitem").filter(has_text="Maya Lindqvist")
    expect(card).to_contain_text("In network with Aetna; out of network: superbill provided")
    expect(card).to_contain_text("Adults (18–64), Older adults (65 and over)")
    expect(card).to_contain_text("Woman · LGBTQ+ affirming · Faith-informed (Jewish)")
    expect(results).not_to_contain_text("Colin Brandt")
    assert_accessible(page, axe_source, None)

    results.get_by_role("link", name="Maya Lindqvist", exact=True).click()
    practice = page.get_by_role("complementary", name="Practice details")
    expect(practice).to_contain_text("In network with Aetna")
    expect(practice).to_contain_text("Faith-informed (Jewish)")
    assert_accessible(page, axe_source, None)

    # The identity filters, and a plan nobody takes.
    page.goto("/therapists/?age_group=teens&gender=man&faith=christian&superbill=true")
    expect(page.get_by_role("main")).to_contain_text("Colin Brandt")
    expect(page.get_by_role("main")).not_to_contain_text("Maya Lindqvist")
    assert_accessible(page, axe_source, None)
    assert_accessible(page, axe_source, "/therapists/?insurance=no-such-plan")
    expect(page.get_by_role("main")).to_contain_text("Some filters could not be used.")


def test_the_new_filters_and_card_lines_read_on_a_phone(phone_page, directory):
    phone_page.goto("/therapists/?insurance=cigna&age_group=teens&lgbtq_affirming=false")
    expect(phone_page.get_by_role("link", name="Colin Brandt", exact=True)).to_be_visible()
    expect(phone_page.get_by_role("main")).to_contain_text("In network with Cigna / Evernorth")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
