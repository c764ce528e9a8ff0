"""ZIP codes and distances (PRODUCT.md rule 13, "distance").

Where a ZIP code is comes from ``ZipCentroid``: the centroid of every ZIP code in the 50
states and DC, loaded by a data migration from the pinned ``zipcodes`` package (no web
service at run time). A therapist's office coordinates are copied from their ZIP by the
one writer of a profile (``providers.profiles``); a search near a ZIP then keeps the
offices inside a bounding box first (a range on the indexed latitude and longitude),
and measures the great-circle distance in SQL for those only.

Why not PostgreSQL's ``earthdistance``: both servers we run ship it (with ``cube``), but
it is not a trusted extension: creating it takes a superuser, which a managed production
database does not give. The bounding box needs no extension and keeps one B-tree index.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import ExpressionWrapper, F, FloatField, Value
from django.db.models.functions import ATan2, Cos, Greatest, Power, Radians, Sin, Sqrt

EARTH_RADIUS_MILES = 3958.8
MILES_PER_DEGREE_OF_LATITUDE = math.pi * EARTH_RADIUS_MILES / 180  # ~69.1
ZIP_SHAPE = re.compile(r"[0-9]{5}")
ZIP_MESSAGE = "Give a 5-digit ZIP code, e.g. 10003."


def validate_zip_shape(value: str) -> None:
    """Five ASCII digits (a ZIP+4 is refused rather than cut: say the five you mean)."""
    if value and not ZIP_SHAPE.fullmatch(value):
        raise ValidationError(ZIP_MESSAGE, code="zip_shape")


def unknown_zip_message(zip_code: str) -> str:
    return f"We do not know the ZIP code {zip_code}. Check it, or give a nearby one."


def validate_known_zip(value: str) -> None:
    """A ZIP code of the 50 states or DC, in the data (a well-shaped one: the shape is
    ``validate_zip_shape``'s to refuse)."""
    if value and ZIP_SHAPE.fullmatch(value) and locate(value) is None:
        raise ValidationError(unknown_zip_message(value), code="unknown_zip")


@dataclass(frozen=True, slots=True)
class Place:
    """Where a ZIP code is: its centroid, its state and the city the USPS names for it."""

    zip: str
    lat: float
    lon: float
    state: str
    city: str


def locate(zip_code: str) -> Place | None:
    """The ZIP code's centroid, or None when it is malformed or not in the data."""
    from providers.models import ZipCentroid

    if not zip_code or not ZIP_SHAPE.fullmatch(zip_code):
        return None
    row = ZipCentroid.objects.filter(zip=zip_code).values_list("lat", "lon", "state", "city")
    found = row.first()
    return Place(zip_code, *found) if found else None


# --- Pure distance arithmetic --------------------------------------------------------


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points (degrees), in miles, on a sphere of
    the Earth's mean radius (within ~0.5 % of the ellipsoid: plenty for "4.2 miles")."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class Box:
    """Latitude and longitude ranges (degrees) holding every point within some miles of a
    centre. ``lon_min``/``lon_max`` are None when the box would cross the 180th meridian
    (the Aleutians): then longitude is not narrowed at all."""

    lat_min: float
    lat_max: float
    lon_min: float | None
    lon_max: float | None


def bounding_box(lat: float, lon: float, miles: float) -> Box:
    """A box that holds the circle of ``miles`` around (lat, lon), a little generously:
    it only narrows the rows the exact distance is computed for."""
    miles *= 1.01
    dlat = miles / MILES_PER_DEGREE_OF_LATITUDE
    lat_min, lat_max = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    # A degree of longitude is shortest at the box's edge furthest from the equator.
    widest = max(abs(lat_min), abs(lat_max))
    if widest >= 89.0:
        return Box(lat_min, lat_max, None, None)
    dlon = miles / (MILES_PER_DEGREE_OF_LATITUDE * math.cos(math.radians(widest)))
    if lon - dlon < -180.0 or lon + dlon > 180.0:
        return Box(lat_min, lat_max, None, None)
    return Box(lat_min, lat_max, lon - dlon, lon + dlon)


# --- The same arithmetic in SQL --------------------------------------------------------


def distance_miles_sql(lat: float, lon: float, *, lat_field="office_lat", lon_field="office_lon"):
    """The haversine distance in miles from (lat, lon) to the row's point, as an SQL
    expression (NULL for a row with no point)."""
    phi1 = math.radians(lat)
    phi2 = Radians(F(lat_field))
    half_dphi = (phi2 - Value(phi1)) / Value(2.0)
    half_dlambda = (Radians(F(lon_field)) - Value(math.radians(lon))) / Value(2.0)
    h = Power(Sin(half_dphi), 2) + Value(math.cos(phi1)) * Cos(phi2) * Power(Sin(half_dlambda), 2)
    # 2 atan2(sqrt(h), sqrt(1 - h)), the same angle as 2 asin(sqrt(h)), for an h that
    # rounding puts a hair above 1 (antipodes) too. Not LEAST(sqrt(h), 1): PostgreSQL's
    # LEAST skips a NULL, and a row with no office would be half the world away.
    return ExpressionWrapper(
        Value(2 * EARTH_RADIUS_MILES) * ATan2(Sqrt(h), Sqrt(Greatest(Value(1.0) - h, Value(0.0)))),
        output_field=FloatField(),
    )
