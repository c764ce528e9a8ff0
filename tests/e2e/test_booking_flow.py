"""A client books a 12-week course in a real browser and the therapist confirms it;
then the same booking with the keyboard only."""

import re

import pytest
from playwright.sync_api import expect

from booking.models import Booking
from tests.booking.helpers import bookable_therapist, client_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# A free weekly time as the picker labels it, in Chicago time.
CHICAGO_TIME = re.compile(r"s at \d{1,2}:\d\d [AP]M CT$")


@pytest.fixture
def therapist():
    return bookable_therapist(display_name="Maya Lindqvist", credentials="PhD")


@pytest.fixture
def client_account():
    return client_in(state="NY", tz="America/Chicago", name="Dana Reyes", email="dana@example.com")


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_client_books_a_12_week_course_and_the_therapist_confirms_it(
    page, browser, live_server, therapist, client_account
):
    log_in(page, client_account.email)
    page.goto(therapist.get_absolute_url())
    book = page.get_by_role("region", name="Book a course of weekly sessions")
    book.get_by_label("Course length").select_option("12")
    book.get_by_role("button", name="Show times").click()

    expect(page).to_have_url(re.compile(rf"/therapists/{therapist.slug}/\?weeks=12"))
    picker = page.get_by_role("table", name=re.compile("Weekly times free for all 12 weeks"))
    expect(page.get_by_role("main")).to_contain_text("your time zone, Central Time")
    first_time = picker.get_by_role("link", name=CHICAGO_TIME).first
    expect(first_time).to_be_visible()
    first_time.click()
    page.get_by_role("button", name="Request these 12 weekly sessions").click()

    expect(page).to_have_url(re.compile(r"/my/bookings/\d+/$"))
    main = page.get_by_role("main")
    expect(main).to_contain_text(
        "Requested: 12 weekly sessions, waiting for Maya Lindqvist to confirm within 48 h"
    )
    expect(main.locator(".session-item")).to_have_count(12)
    expect(main.locator(".session-item").first).to_contain_text(re.compile(r"[AP]M CT"))

    therapist_context = browser.new_context(base_url=live_server.url)
    try:
        desk = therapist_context.new_page()
        log_in(desk, therapist.user.email)
        desk.goto("/dashboard/requests/")
        request = desk.get_by_role("listitem").filter(has_text="Dana Reyes")
        expect(request).to_contain_text("12")
        request.get_by_role("button", name=re.compile(r"^Confirm")).click()
        expect(desk.get_by_role("main")).to_contain_text(
            "Confirmed Dana Reyes’s course of 12 weekly sessions"
        )
    finally:
        therapist_context.close()
    assert Booking.objects.get().status == "confirmed"


# The focused control shows a focus ring (its own, or its label's for a styled radio).
FOCUS_RING_SHOWN = """() => {
    const el = document.activeElement;
    const ring = e => {
        const s = getComputedStyle(e);
        return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
            || s.boxShadow !== 'none';
    };
    if (!el.matches(':focus-visible')) return false;
    const label = el.id && document.querySelector(`label[for="${el.id}"]`);
    return ring(el) || (!!label && ring(label));
}"""


def tab_to(page, condition: str, *, limit: int = 200) -> None:
    """Press Tab until the focused element meets ``condition`` (JavaScript on `el`);
    a sighted keyboard user must see where the focus is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({condition}); }}"):
            assert page.evaluate(FOCUS_RING_SHOWN), f"no visible focus on the element: {condition}"
            return
    raise AssertionError(f"Tab never reached an element where {condition}")


def test_a_client_books_a_course_with_the_keyboard_only(page, therapist, client_account):
    page.goto("/accounts/login/")
    expect(page.get_by_label("E-mail")).to_be_focused()  # autofocus
    page.keyboard.type(client_account.email)
    tab_to(page, "el.name === 'password'")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto(therapist.get_absolute_url())
    tab_to(page, "el.id === 'id_weeks'")
    page.keyboard.press("End")  # 16 weekly sessions
    for _ in range(4):
        page.keyboard.press("ArrowUp")  # back to 12
    expect(page.get_by_label("Course length")).to_have_value("12")
    tab_to(page, "el.type === 'submit' && el.textContent.includes('Show times')")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"\?weeks=12"))
    tab_to(page, "el.classList.contains('cell')")
    page.keyboard.press("Enter")
    expect(page.locator("#chosen h3")).to_have_text(re.compile(r"^\w+days at .* CT$"))
    tab_to(page, "el.type === 'submit' && el.textContent.includes('Request these')")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/my/bookings/\d+/$"))
    expect(page.get_by_role("main").locator(".session-item")).to_have_count(12)
    assert Booking.objects.get().sessions.count() == 12


def test_the_picker_reads_on_a_phone_without_sideways_scrolling(phone_page, therapist):
    phone_page.goto(f"/therapists/{therapist.slug}/book/?weeks=12")
    phone_page.get_by_role("link", name=re.compile(r"^Tuesdays at")).first.click()
    expect(phone_page.get_by_role("link", name="Log in to book")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the picker scrolls sideways on a phone"
