"""Static files: WhiteNoise, which also serves what `collectstatic` gathered in STATIC_ROOT."""

from pathlib import Path

from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise with STATIC_ROOT made first: before any `collectstatic` the folder does
    not exist, and WhiteNoise warns each time a handler starts (each test client)."""

    def __init__(self, get_response=None, settings=settings) -> None:
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        super().__init__(get_response, settings)
