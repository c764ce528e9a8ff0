"""A therapist uploads a photo through the profile page's file input in Chromium; the
search card and the profile then show it; removing it asks first. axe finds nothing
serious on the profile dashboard at 1280 and 375 px, with and without a photo, with a
refused file's error, and on the confirmation. SCREENSHOTS=<dir> keeps a screenshot of
each step there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.booking.helpers import bookable_therapist
from tests.e2e.test_accessibility import AXE, assert_accessible
from tests.e2e.test_booking_flow import log_in
from tests.providers.photo_helpers import jpeg_with_everything, stored_files, text_renamed

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}
PHOTO_OF = "Photo of Maya Lindqvist"


@pytest.fixture(scope="session")
def axe() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make install-dev` runs `npm ci` in tests/e2e/.")
    return AXE.read_text()


def snap(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"photo-{name}.png"), full_page=True)


def accessible_at_both_widths(page, axe: str, name: str) -> None:
    for label, size in (("1280", DESKTOP), ("375", PHONE)):
        page.set_viewport_size(size)
        assert_accessible(page, axe, None)
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= size["width"]
        snap(page, f"{name}-{label}")
    page.set_viewport_size(DESKTOP)


def loaded_width(image) -> int:
    """The image's natural width once the browser has loaded it (0: it did not load)."""
    image.evaluate("img => img.complete || new Promise(done => img.addEventListener('load', done))")
    return image.evaluate("img => img.naturalWidth")


def choose(page, name: str, content: bytes) -> None:
    page.get_by_label("Choose a photo").set_input_files(
        files=[{"name": name, "mimeType": "image/jpeg", "buffer": content}]
    )


def test_a_therapist_uploads_a_photo_and_the_card_shows_it(page, axe, media_root):
    therapist = bookable_therapist(display_name="Maya Lindqvist", credentials="PhD")
    log_in(page, therapist.user.email)
    page.goto("/dashboard/profile/")
    photo = page.get_by_role("group", name="Your photo")
    expect(photo.get_by_text("You have no photo yet")).to_be_visible()
    accessible_at_both_widths(page, axe, "none")

    # A text file named like a photo: refused beside the field, nothing stored.
    choose(page, "notes.jpg", text_renamed())
    page.get_by_role("button", name="Upload photo").click()
    expect(page.locator("#id_photo_error")).to_contain_text("not a JPEG, PNG or WebP image")
    expect(page.get_by_label("Choose a photo")).to_have_attribute(
        "aria-describedby", "id_photo_error id_photo_helptext"
    )
    assert stored_files(media_root) == []
    accessible_at_both_widths(page, axe, "refused")

    choose(page, "IMG_0042.jpg", jpeg_with_everything())
    page.get_by_role("button", name="Upload photo").click()
    expect(page.get_by_text("Your photo is saved.")).to_be_visible()
    own = page.get_by_role("img", name=PHOTO_OF)
    expect(own).to_be_visible()
    assert loaded_width(own) == 400
    assert len(stored_files(media_root)) == 1
    accessible_at_both_widths(page, axe, "uploaded")

    # The search card and the public profile show it.
    page.goto("/therapists/?state=NY")
    card = page.get_by_role("article", name="Maya Lindqvist")
    expect(card.get_by_role("img", name=PHOTO_OF)).to_be_visible()
    assert loaded_width(card.get_by_role("img", name=PHOTO_OF)) == 400
    snap(page, "card")
    page.goto(therapist.get_absolute_url())
    assert loaded_width(page.get_by_role("img", name=PHOTO_OF)) == 400

    # Removing asks first; "No, keep it" keeps it.
    page.goto("/dashboard/profile/")
    page.get_by_role("link", name="Remove photo").click()
    expect(page.get_by_role("heading", name="Remove your photo?")).to_be_visible()
    accessible_at_both_widths(page, axe, "confirm-remove")
    page.get_by_role("link", name="No, keep it").click()
    expect(page.get_by_role("img", name=PHOTO_OF)).to_be_visible()
    page.get_by_role("link", name="Remove photo").click()
    page.get_by_role("button", name="Yes, remove my photo").click()
    expect(page.get_by_text("Your photo is removed.")).to_be_visible()
    expect(page.get_by_role("img", name=PHOTO_OF)).to_have_count(0)
    assert stored_files(media_root) == []
    page.goto("/therapists/?state=NY")
    card = page.get_by_role("article", name="Maya Lindqvist")
    expect(card.get_by_role("img")).to_have_count(0)
    expect(card.get_by_text("ML", exact=True)).to_be_visible()
