"""Images for the photo tests, made here in memory: real JPEG, PNG and WebP files (one
with EXIF GPS, a camera, XMP, a colour profile and a comment), and the files a photo
upload must refuse."""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from providers import photos

# What the stored JPEG may say about itself: its JFIF header and its encoding.
JPEG_STRUCTURE = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "progressive", "progression"}
SECRET = "Secret Camera Co"
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (40.0, 44.0, 54.36),
    ExifTags.GPS.GPSLongitudeRef: "W",
    ExifTags.GPS.GPSLongitude: (73.0, 59.0, 8.5),
}
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="'
    + SECRET.encode()
    + b'"/></rdf:RDF></x:xmpmeta>'
)


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def picture(size=(1200, 800), mode="RGB") -> Image.Image:
    """Four coloured quarters (red, green / blue, yellow) on ``size``: where a crop or a
    rotation put them can be read back."""
    width, height = size
    image = Image.new(mode, size, "white")
    colours = ["red", "green", "blue", "yellow"]
    for i, colour in enumerate(colours):
        left, top = (i % 2) * width // 2, (i // 2) * height // 2
        image.paste(colour, (left, top, left + width // 2, top + height // 2))
    return image


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = SECRET
    exif[ExifTags.Base.Model] = "Model 7"
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    return exif


@functools.cache
def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@functools.cache
def jpeg_with_everything(size=(1200, 800), orientation: int = 1) -> bytes:
    """A JPEG as a phone saves it, and more: EXIF with GPS and the camera, XMP, an ICC
    profile and a comment."""
    return encode(
        picture(size),
        "JPEG",
        exif=exif_with_gps(orientation),
        icc_profile=srgb_profile(),
        comment=SECRET.encode(),
        xmp=XMP,
    )


@functools.cache
def png_with_text(size=(900, 1000), mode="RGB") -> bytes:
    info = PngInfo()
    info.add_text("Author", SECRET)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    return encode(picture(size, mode), "PNG", pnginfo=info, exif=exif_with_gps())


@functools.cache
def webp_with_exif(size=(640, 480)) -> bytes:
    return encode(picture(size), "WEBP", exif=exif_with_gps(), xmp=XMP)


def upload(content: bytes, name: str = "me.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- What must be refused ---------------------------------------------------------------


def text_renamed() -> bytes:
    return b"Dear therapist,\nthis is a letter, not a photo.\n" * 20


def truncated(content: bytes) -> bytes:
    return content[: len(content) // 2]


@functools.cache
def over_5_mb() -> bytes:
    """A real PNG just over 5 MB (random pixels do not compress)."""
    side = 1340
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    content = encode(image, "PNG", compress_level=0)
    assert photos.PHOTO_MAX_BYTES < len(content) < photos.PHOTO_MAX_BYTES * 1.1
    return content


@functools.cache
def bomb(side: int = 10_000) -> bytes:
    """A decompression bomb: a PNG of a few kilobytes that decodes to ``side`` x ``side``
    pixels (10 000: 100 megapixels, more than twice the limit, Pillow's own refusal)."""
    return encode(Image.new("1", (side, side)), "PNG")


def gif() -> bytes:
    return encode(picture((400, 400)).convert("P"), "GIF")


def has_no_metadata(content: bytes) -> bool:
    image = Image.open(io.BytesIO(content))
    return (
        image.format == "JPEG"
        and set(image.info) <= JPEG_STRUCTURE
        and len(image.getexif()) == 0
        and not image.applist[1:]  # only the JFIF segment (APP0)
        and SECRET.encode() not in content
        and b"Exif" not in content
        and b"ICC_PROFILE" not in content
        and b"http://ns.adobe.com/xap" not in content
    )
