"""Therapists' photos (issue 17, item 4; PRODUCT.md rule 13): an upload on the profile
page is decoded, turned upright, cropped to a square of at most 400 px and stored as a
JPEG without any metadata, under a random name in MEDIA_ROOT; anything else is a field
error with nothing stored. Replacing or removing a photo deletes its file. Cards,
profiles and the API show it, or the initials / null."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from providers import photos
from providers.models import Therapist
from tests.factories import TherapistFactory, UserFactory, verified_license
from tests.providers.photo_helpers import (
    bomb,
    encode,
    gif,
    has_no_metadata,
    jpeg_with_everything,
    over_5_mb,
    picture,
    png_with_text,
    stored_files,
    text_renamed,
    truncated,
    upload,
    webp_with_exif,
)

pytestmark = pytest.mark.django_db

UPLOAD = reverse("providers:dashboard_photo")
REMOVE = reverse("providers:dashboard_photo_remove")
PROFILE = reverse("providers:dashboard_profile")
STORED_NAME = re.compile(r"^photos/[0-9a-f]{32}\.jpg$")


@pytest.fixture
def therapist():
    therapist = TherapistFactory(display_name="Maya Lindqvist")
    verified_license(therapist=therapist, state="NY")
    return therapist


@pytest.fixture
def browser(therapist) -> Client:
    browser = Client()
    browser.force_login(therapist.user)
    return browser


def _post(browser: Client, content: bytes, name: str = "me.jpg", **kwargs):
    return browser.post(UPLOAD, {"photo": upload(content, name)}, **kwargs)


def _stored(therapist: Therapist) -> bytes:
    therapist.refresh_from_db()
    with therapist.photo.open("rb") as file:
        return file.read()


def _row(therapist: Therapist) -> dict:
    return Therapist.objects.values().get(pk=therapist.pk)


# --- What is stored -----------------------------------------------------------------------

VALID = {
    "jpeg": (jpeg_with_everything, "portrait.jpg", (1200, 800)),
    "png": (png_with_text, "portrait.png", (900, 1000)),
    "webp": (webp_with_exif, "portrait.webp", (640, 480)),
}


@pytest.mark.parametrize("kind", sorted(VALID))
def test_a_valid_photo_is_stored_as_a_square_jpeg_of_400_px_without_metadata(
    browser, therapist, media_root, django_capture_on_commit_callbacks, kind
):
    make, filename, _ = VALID[kind]
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(browser, make(), filename)
    assert response.status_code == 302
    assert response["Location"] == f"{PROFILE}#photo"

    therapist.refresh_from_db()
    assert STORED_NAME.match(therapist.photo.name)  # a random name, not "portrait.jpg"
    assert stored_files(media_root) == [media_root / therapist.photo.name]
    content = _stored(therapist)
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.size == (400, 400)
    assert has_no_metadata(content)


def test_a_photo_streamed_to_a_temporary_file_is_read_the_same(
    browser, therapist, media_root, settings
):
    """Uploads over FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) arrive as temporary files."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    assert _post(browser, jpeg_with_everything()).status_code == 302
    content = _stored(therapist)
    assert Image.open(io.BytesIO(content)).size == (400, 400) and has_no_metadata(content)


def test_the_input_really_carried_the_metadata_the_output_lacks():
    """The control for the test above: the uploads hold GPS, camera, XMP and more."""
    for make, _, size in VALID.values():
        content = make()
        image = Image.open(io.BytesIO(content))
        assert image.size == size
        assert image.getexif().get_ifd(0x8825), "GPS"
        assert not has_no_metadata(content)


def test_the_exif_orientation_is_applied_before_it_is_stripped(browser, therapist, media_root):
    # Stored sideways (orientation 6: turn 90° clockwise to show): red, green on top,
    # blue, yellow below. Shown upright, blue and red are the top row.
    _post(browser, jpeg_with_everything(orientation=6))
    image = Image.open(io.BytesIO(_stored(therapist)))
    assert image.getexif().get(0x0112) is None
    top_left, top_right = image.getpixel((100, 100)), image.getpixel((300, 100))
    assert top_left[2] > 200 and top_left[0] < 60  # blue
    assert top_right[0] > 200 and top_right[2] < 60  # red


def test_a_small_photo_is_cropped_square_and_not_enlarged(browser, therapist, media_root):
    _post(browser, encode(picture((300, 180)), "PNG"), "small.png")
    assert Image.open(io.BytesIO(_stored(therapist))).size == (180, 180)


def test_transparency_is_laid_on_white(browser, therapist, media_root):
    clear = Image.new("RGBA", (200, 200), (255, 0, 0, 0))
    _post(browser, encode(clear, "PNG"), "clear.png")
    assert Image.open(io.BytesIO(_stored(therapist))).getpixel((100, 100)) == (255, 255, 255)


# --- What is refused ------------------------------------------------------------------------

REFUSED = {
    "text renamed .jpg": (text_renamed, "photo.jpg", "not a JPEG, PNG or WebP image"),
    "truncated JPEG": (lambda: truncated(jpeg_with_everything()), "cut.jpg", "damaged"),
    "truncated PNG": (lambda: truncated(png_with_text()), "cut.png", "damaged"),
    "truncated WebP": (lambda: truncated(webp_with_exif()), "cut.webp", "damaged"),
    "over 5 MB": (over_5_mb, "huge.png", "larger than 5 MB"),
    "decompression bomb": (bomb, "bomb.png", "too large to process"),
    "just over the pixel limit": (lambda: bomb(7_000), "big.png", "too large to process"),
    "GIF": (gif, "anim.gif", "not a JPEG, PNG or WebP image"),
    "GIF renamed .jpg": (gif, "anim.jpg", "not a JPEG, PNG or WebP image"),
    "too small": (lambda: encode(picture((80, 300)), "PNG"), "tiny.png", "too small"),
    "empty": (lambda: b"", "empty.jpg", "This file is empty"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_bad_file_is_a_field_error_and_nothing_is_stored(
    browser, therapist, media_root, django_capture_on_commit_callbacks, case
):
    make, filename, words = REFUSED[case]
    before = _row(therapist)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _post(browser, make(), filename)
    assert response.status_code == 400
    page = response.content.decode()
    error = re.search(r'<ul class="errorlist" id="id_photo_error">(.*?)</ul>', page, re.S)
    assert error and words in error.group(1), page[-3000:]
    assert 'aria-describedby="id_photo_error id_photo_helptext"' in page
    assert stored_files(media_root) == []  # no file written
    assert _row(therapist) == before  # no change in the database
    assert callbacks == []  # and no search answer made stale


def test_a_refusal_keeps_the_photo_there_was(browser, therapist, media_root):
    _post(browser, jpeg_with_everything())
    kept = stored_files(media_root)
    before = _row(therapist)
    assert _post(browser, text_renamed(), "photo.jpg").status_code == 400
    assert stored_files(media_root) == kept
    assert _row(therapist) == before


def test_a_post_without_a_file_asks_for_one(browser, therapist, media_root):
    response = browser.post(UPLOAD, {"photo": "not a file"})
    assert response.status_code == 400
    assert "Choose a photo to upload." in response.content.decode()
    assert stored_files(media_root) == []


@given(
    junk=st.one_of(
        st.binary(max_size=2_000),
        # A real photo with a few bytes changed: many still decode, some do not.
        st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8).map(
            lambda changes: _mutated(jpeg_with_everything((320, 240)), changes)
        ),
        st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8).map(
            lambda changes: _mutated(png_with_text((240, 240)), changes)
        ),
    )
)
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_any_file_is_stored_clean_or_refused_beside_the_field_never_a_500(junk):
    therapist = Therapist.objects.first() or TherapistFactory()
    browser = Client()
    browser.force_login(therapist.user)
    photos.remove_photo(therapist=therapist, by=therapist.user)
    before = {path.name for path in stored_files(_media())}
    response = _post(browser, junk)
    assert response.status_code in (302, 400)
    after = {path.name for path in stored_files(_media())}
    if response.status_code == 400:
        assert 'id="id_photo_error"' in response.content.decode()
        assert after == before
    else:
        (new,) = after - before
        content = (_media() / "photos" / new).read_bytes()
        image = Image.open(io.BytesIO(content))
        assert image.width == image.height <= 400 and has_no_metadata(content)


def _mutated(content: bytes, changes: list[tuple[int, int]]) -> bytes:
    data = bytearray(content)
    for offset, value in changes:
        data[offset % len(data)] = value
    return bytes(data)


def _media() -> Path:
    return Path(django_settings.MEDIA_ROOT)


# --- Replace and remove ---------------------------------------------------------------------


def test_replacing_a_photo_deletes_the_old_file(
    browser, therapist, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _post(browser, jpeg_with_everything())
    (first,) = stored_files(media_root)
    page = browser.get(PROFILE).content.decode()
    assert "Replace photo" in page and REMOVE in page

    with django_capture_on_commit_callbacks(execute=True):
        assert _post(browser, png_with_text(), "new.png").status_code == 302
    (second,) = stored_files(media_root)
    assert second != first and not first.exists()
    therapist.refresh_from_db()
    assert media_root / therapist.photo.name == second


def test_the_old_file_stays_until_the_change_commits(browser, therapist, media_root):
    """A test's transaction never commits: the on-commit deletion does not run."""
    _post(browser, jpeg_with_everything())
    _post(browser, png_with_text(), "new.png")
    assert len(stored_files(media_root)) == 2


def test_a_change_that_fails_leaves_no_new_file(therapist, media_root):
    content = photos.prepare(io.BytesIO(jpeg_with_everything()))
    gone = Therapist.objects.get(pk=therapist.pk)
    Therapist.objects.filter(pk=therapist.pk).delete()
    with pytest.raises(Therapist.DoesNotExist):
        photos.set_photo(therapist=gone, by=gone.user, content=content)
    assert stored_files(media_root) == []


def test_only_the_therapist_or_staff_may_set_or_remove_it(therapist, media_root):
    content = photos.prepare(io.BytesIO(jpeg_with_everything()))
    for stranger in (UserFactory(role="client"), TherapistFactory().user, None):
        with pytest.raises(PermissionDenied):
            photos.set_photo(therapist=therapist, by=stranger, content=content)
        with pytest.raises(PermissionDenied):
            photos.remove_photo(therapist=therapist, by=stranger)
    assert stored_files(media_root) == []
    staff = UserFactory(role="staff", is_staff=True)
    assert photos.set_photo(therapist=therapist, by=staff, content=content).photo


def test_remove_asks_first_then_deletes_the_file(
    browser, therapist, media_root, django_capture_on_commit_callbacks
):
    _post(browser, jpeg_with_everything())
    (file,) = stored_files(media_root)
    before = _row(therapist)

    # The confirmation: a GET (or a POST without `confirm`) that changes nothing.
    with CaptureQueriesContext(connection) as queries:
        page = browser.get(REMOVE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Remove your photo?" in text and "Yes, remove my photo" in text
    assert 'alt="Photo of Maya Lindqvist"' in text
    writes = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and '"django_session"' not in q["sql"]
    ]
    assert writes == []
    assert browser.post(REMOVE).status_code == 200
    assert _row(therapist) == before and file.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(REMOVE, {"confirm": "yes"})
    assert response.status_code == 302 and response["Location"] == f"{PROFILE}#photo"
    therapist.refresh_from_db()
    assert not therapist.photo
    assert stored_files(media_root) == []
    page = browser.get(PROFILE).content.decode()
    assert "Your photo is removed." in page and "Upload photo" in page and REMOVE not in page


def test_remove_without_a_photo_goes_back_to_the_profile(browser, therapist, media_root):
    response = browser.get(REMOVE)
    assert response.status_code == 302 and response["Location"] == f"{PROFILE}#photo"
    assert "You have no photo to remove." in browser.get(PROFILE).content.decode()


def test_clients_and_visitors_have_no_photo_form(therapist, media_root):
    client = Client()
    client.force_login(UserFactory(role="client"))
    content = {"photo": upload(jpeg_with_everything())}
    assert client.post(UPLOAD, content).status_code == 404
    assert client.get(REMOVE).status_code == 404
    anonymous = Client().post(UPLOAD, {"photo": upload(jpeg_with_everything())})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert stored_files(media_root) == []


def test_a_get_of_the_upload_address_is_not_allowed(browser):
    assert browser.get(UPLOAD).status_code == 405


# --- Where it shows -------------------------------------------------------------------------


def test_the_card_the_profile_and_the_api_show_the_photo(browser, therapist, media_root):
    _post(browser, jpeg_with_everything())
    therapist.refresh_from_db()
    url = f"/media/{therapist.photo.name}"
    img = f'src="{url}" alt="Photo of Maya Lindqvist"'

    search = Client().get(reverse("providers:search"), {"state": "NY"}).content.decode()
    assert img in search
    profile = Client().get(therapist.get_absolute_url()).content.decode()
    assert img in profile
    dashboard = browser.get(PROFILE).content.decode()
    assert img in dashboard and "Replace photo" in dashboard

    (result,) = Client().get("/api/v1/therapists/", {"state": "NY"}).json()["results"]
    assert result["photo_url"] == f"http://testserver{url}"
    detail = Client().get(f"/api/v1/therapists/{therapist.pk}/").json()
    assert detail["photo_url"] == f"http://testserver{url}"

    # The address serves the stored JPEG (development and `make run`).
    served = Client().get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == _stored(therapist)


def test_without_a_photo_the_initials_and_null(therapist, media_root):
    search = Client().get(reverse("providers:search"), {"state": "NY"}).content.decode()
    assert '<span class="avatar" aria-hidden="true">ML</span>' in search
    assert "Photo of" not in search
    profile = Client().get(therapist.get_absolute_url()).content.decode()
    assert '<span class="avatar avatar--large" aria-hidden="true">ML</span>' in profile
    (result,) = Client().get("/api/v1/therapists/", {"state": "NY"}).json()["results"]
    assert result["photo_url"] is None


def test_the_api_takes_no_photo(therapist, media_root):
    """The JSON API stays JSON: ``photo_url`` is read-only, and ``me/profile/`` neither
    shows nor changes a photo (PRODUCT.md lists no upload endpoint)."""
    api = Client()
    api.force_login(therapist.user)
    before = _row(therapist)
    response = api.patch(
        "/api/v1/me/profile/",
        {"photo": "photos/elsewhere.jpg", "photo_url": "http://evil.example/x.jpg"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert "photo" not in response.json() and "photo_url" not in response.json()
    assert _row(therapist)["photo"] == before["photo"] == ""


def test_the_app_serves_media_only_when_told(settings, browser, therapist, media_root):
    _post(browser, jpeg_with_everything())
    therapist.refresh_from_db()
    url = f"/media/{therapist.photo.name}"
    settings.RAPPORT_SERVE_MEDIA = False
    assert Client().get(url).status_code == 404
    settings.RAPPORT_SERVE_MEDIA = True
    assert Client().get(url).status_code == 200
    assert Client().get("/media/../../etc/passwd").status_code in (400, 404)
    assert Client().get("/media/photos/none.jpg").status_code == 404
    assert Client().post(url).status_code == 405


def _search_queries(params: dict) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as page:
        assert Client().get(reverse("providers:search"), params).status_code == 200
    with CaptureQueriesContext(connection) as api:
        assert Client().get("/api/v1/therapists/", params).status_code == 200
    return len(page), len(api)


def test_photos_add_no_query_to_a_search(media_root):
    people = [TherapistFactory() for _ in range(4)]
    for person in people:
        verified_license(therapist=person, state="NY")
    without = _search_queries({"state": "NY"})
    content = photos.prepare(io.BytesIO(jpeg_with_everything()))
    for person in people:
        photos.set_photo(therapist=person, by=person.user, content=content)
    assert _search_queries({"state": "NY"}) == without
    page = Client().get(reverse("providers:search"), {"state": "NY"}).content.decode()
    assert page.count('class="avatar avatar--photo"') == 4
