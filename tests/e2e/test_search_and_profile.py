"""A visitor in a real browser: search New York + IPT, open a profile."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import LicenseFactory, TherapistFactory, verified_license

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def directory():
    nj_office = TherapistFactory(
        display_name="Maya Lindqvist", credentials="PhD", office_state="NJ", modalities=["ipt"]
    )
    verified_license(therapist=nj_office, state="NY")
    cbt_only = TherapistFactory(display_name="Colin Brandt", modalities=["cbt"])
    verified_license(therapist=cbt_only, state="NY")
    pending = TherapistFactory(display_name="Petra Pending", modalities=["ipt"])
    LicenseFactory(therapist=pending, state="NY", status="pending")
    return nj_office


def test_a_visitor_finds_an_ipt_therapist_licensed_in_new_york_and_opens_the_profile(
    page, directory
):
    page.goto("/therapists/")
    expect(page.get_by_role("complementary", name="Crisis resources")).to_contain_text("988")
    page.get_by_label("State you live in").select_option("NY")
    page.get_by_label("Therapy").select_option("ipt")
    page.get_by_role("button", name="Show therapists").click()

    expect(page).to_have_url(re.compile(r"state=NY.*modality=ipt|modality=ipt.*state=NY"))
    results = page.get_by_role("main")
    expect(results).to_contain_text("Showing therapists licensed in New York")
    expect(results.get_by_role("link", name="Maya Lindqvist", exact=True)).to_be_visible()
    expect(results).not_to_contain_text("Colin Brandt")  # CBT only
    expect(results).not_to_contain_text("Petra Pending")  # license not verified

    results.get_by_role("link", name="Maya Lindqvist", exact=True).click()
    # The profile link carries the search: its "Back to the search" keeps the filters.
    expect(page).to_have_url(re.compile(rf"/therapists/{directory.slug}/\?state=NY&modality=ipt"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maya Lindqvist")
    expect(page.get_by_role("main")).to_contain_text("New York")
    expect(page.get_by_role("main")).to_contain_text("verified")
    expect(page.get_by_role("complementary", name="Crisis resources")).to_contain_text("741741")
    page.get_by_role("link", name="Back to the search").click()
    expect(page.get_by_label("Therapy")).to_have_value("ipt")
    expect(page.get_by_role("main")).to_contain_text("Showing therapists licensed in New York")


def test_the_search_page_reads_on_a_phone_with_a_shareable_url(phone_page, directory):
    phone_page.goto("/therapists/?state=NY&modality=ipt")
    expect(phone_page.get_by_role("link", name="Maya Lindqvist", exact=True)).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"


def test_a_visitor_searches_near_their_zip_code_and_sees_how_far_each_office_is(page):
    from providers import geo

    for name, zip_code in (("Una Square", "10003"), ("Bo Buffalo", "14201")):
        place = geo.locate(zip_code)
        therapist = TherapistFactory(
            display_name=name,
            formats=["in_person"],
            office_zip=zip_code,
            office_lat=place.lat,
            office_lon=place.lon,
            office_city=place.city,
        )
        verified_license(therapist=therapist, state="NY")
    page.goto("/therapists/")
    page.get_by_label("Near ZIP code").fill("10001")
    page.get_by_label("Distance", exact=True).select_option("10")
    page.get_by_label("Format").select_option("in_person")
    page.get_by_role("button", name="Show therapists").click()

    expect(page).to_have_url(re.compile(r"near=10001"))
    results = page.get_by_role("main")
    expect(results.get_by_role("link", name="Una Square", exact=True)).to_be_visible()
    expect(results).to_contain_text("1.2 miles away")
    expect(results).not_to_contain_text("Bo Buffalo")
    expect(page.get_by_label("Distance", exact=True)).to_have_value("10")
