"""Therapists' photos (PRODUCT.md rule 13): the checks an upload passes, and the one
writer of ``Therapist.photo``.

An upload is read by decoding it with Pillow, never by its name or declared type: only
a JPEG, PNG or WebP image that decodes whole is accepted (a renamed text file, a
truncated image, a GIF or a decompression bomb is a field error). What is stored is not
the upload but a new image made from its pixels: turned upright by its EXIF orientation,
cropped to a centred square, at most 400 px a side, encoded as JPEG with no metadata at
all (no EXIF, GPS position, camera, XMP, colour profile or comment). It is saved through
Django's default storage (MEDIA_ROOT here, any django-storages backend in production)
under a random name, never the uploader's file name.

``set_photo`` and ``remove_photo`` write the row in one transaction, mark the cached
search answers stale (``search_cache.directory_changed``: the cards show the photo), and
delete the file they replaced once that transaction commits."""

from __future__ import annotations

import io
import logging
import uuid
import warnings
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, ImageOps

from providers import profiles, search_cache
from providers.models import Therapist
from therapy_directory.transactions import service_transaction

log = logging.getLogger(__name__)

PHOTO_MAX_BYTES = 5 * 1024 * 1024  # 5 MB, as the page says
PHOTO_MAX_SIDE = 400  # the stored square, in pixels
PHOTO_MIN_SIDE = 100  # smaller would look blurred even on a card
# Far above any phone's photo (a 48-megapixel camera saves 12 or 24 megapixels by
# default), far below what would exhaust a web worker's memory when decoded.
PHOTO_MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
FOLDER = "photos"

# Pillow's own guard against decompression bombs, at our limit: it warns above it and
# refuses above twice it. ``prepare`` turns the warning into a refusal too, and checks
# the size itself before decoding (the warning filter is per process, not per thread).
Image.MAX_IMAGE_PIXELS = PHOTO_MAX_PIXELS

TOO_LARGE = "This file is larger than 5 MB. Choose a smaller photo."
NOT_A_PHOTO = (
    "This file is not a JPEG, PNG or WebP image we can read (it may be damaged or "
    "incomplete). Choose another photo."
)
TOO_MANY_PIXELS = "This image is too large to process. Choose a photo of at most 40 megapixels."
TOO_SMALL = f"This photo is too small. Choose one at least {PHOTO_MIN_SIDE} pixels wide and tall."


class _TooManyPixels(Exception):
    pass


def prepare(upload) -> bytes:
    """The photo to store, made from ``upload`` (a file object: a Django upload, or any
    binary file), as JPEG bytes; or a ``ValidationError`` in words for the page."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > PHOTO_MAX_BYTES:
        raise ValidationError(TOO_LARGE, code="too_large")
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=ACCEPTED_FORMATS) as image:
                if image.width * image.height > PHOTO_MAX_PIXELS:
                    raise _TooManyPixels
                # A JPEG decodes straight at a fraction of its size (1/2 to 1/8), no
                # smaller than the square needs: far less memory for a large photo.
                image.draft("RGB", (PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
                image.load()  # decodes it all: a truncated file fails here
                upright = ImageOps.exif_transpose(image)
    except (_TooManyPixels, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels") from None
    except Exception as exc:  # whatever Pillow raises on a file it cannot read
        raise ValidationError(NOT_A_PHOTO, code="not_a_photo") from exc
    if min(upright.size) < PHOTO_MIN_SIDE:
        raise ValidationError(TOO_SMALL, code="too_small")
    return _encode(_square(_flattened(upright)))


def _flattened(image: Image.Image) -> Image.Image:
    """RGB pixels: transparency laid on white, 16-bit grey scaled to 8 bits."""
    if image.mode.startswith("I"):  # 16-bit greyscale PNG ("I;16", "I")
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    transparent = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if transparent:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _square(image: Image.Image) -> Image.Image:
    side = min(PHOTO_MAX_SIDE, *image.size)
    return ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def _encode(image: Image.Image) -> bytes:
    """JPEG bytes of the pixels only: a new image carries none of the upload's ``info``
    (EXIF, XMP, ICC profile, comments), and nothing is passed to the encoder."""
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


# --- The writer ----------------------------------------------------------------------


def set_photo(*, therapist: Therapist, by, content: bytes) -> Therapist:
    """Store ``content`` (from ``prepare``) as ``therapist``'s photo, in place of any
    photo before, and return the therapist as stored.

    Promises: ``by`` is the therapist themself or staff (else ``PermissionDenied``, and
    nothing is stored); the new file is saved under a random name before the row changes,
    and deleted again if the change does not commit; the old file is deleted once it has
    committed; cached search answers are stale from then on."""
    if not profiles._may_edit(by, therapist):  # the profile's own rule
        raise PermissionDenied("Only the therapist or staff may change this photo.")
    name = default_storage.save(f"{FOLDER}/{uuid.uuid4().hex}.jpg", ContentFile(content))
    try:
        return _point_at(therapist, name)
    except BaseException:
        _delete(name)
        raise


def remove_photo(*, therapist: Therapist, by) -> Therapist:
    """No photo for ``therapist`` any more (the initials instead); its file is deleted
    once the change commits. Without a photo, nothing is written."""
    if not profiles._may_edit(by, therapist):
        raise PermissionDenied("Only the therapist or staff may change this photo.")
    return _point_at(therapist, "")


def _point_at(therapist: Therapist, name: str) -> Therapist:
    with service_transaction():
        current = Therapist.objects.select_for_update().get(pk=therapist.pk)
        old = current.photo.name or ""
        if old == name:
            return current
        current.photo = name
        current.save(update_fields=["photo", "updated_at"])
        search_cache.directory_changed()
        if old:
            transaction.on_commit(partial(_delete, old))
    return current


def _delete(name: str) -> None:
    """Delete a stored photo; a storage that does not answer leaves an unused file
    behind (logged), never a failed request."""
    try:
        default_storage.delete(name)
    except Exception:
        log.exception("photos: could not delete %s", name)
