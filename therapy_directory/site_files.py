"""What browsers and crawlers ask for at the site's root: /robots.txt and /favicon.ico;
and the site's public address of a page, which canonical links, the sitemap and robots.txt
name."""

from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

FAVICON = "img/favicon.ico"  # favicon.svg's mark at 16, 32 and 48 px (PNG inside ICO)


def site_url(path: str) -> str:
    """``path`` (``/therapists/in/new-york/``) on the site's public address (``SITE_URL``),
    whatever host name a request came in by."""
    return settings.SITE_URL.rstrip("/") + path


# It names the sitemap (providers.sitemaps) by its address on SITE_URL.
robots_txt = TemplateView.as_view(
    template_name="robots.txt", content_type="text/plain; charset=utf-8"
)


@cache
def _favicon() -> bytes:
    with open(finders.find(FAVICON), "rb") as icon:
        return icon.read()


@require_safe
@cache_control(max_age=86400)
def favicon(request: HttpRequest) -> HttpResponse:
    # Pages link favicon.svg from static/; this answers programs that ask the root.
    return HttpResponse(_favicon(), content_type="image/vnd.microsoft.icon")
