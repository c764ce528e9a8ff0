"""``/sitemap.xml`` (Django's sitemaps framework): an index of two sections, each on the
site's public address (``SITE_URL``) whatever host a crawler asked by:

- ``directory``: the state index, every state's page and every state-and-therapy page
  that lists someone;
- ``therapists``: every public therapist profile, 50 000 to a file (the sitemaps
  protocol's limit), so the index names ``?p=2`` and on when there are more.

Both are kept in the search cache (providers/search_cache.py) under the directory
version, like the pages they list: a therapist who becomes findable is in the next one."""

from __future__ import annotations

import re
from functools import cached_property
from urllib.parse import urlsplit

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_safe

from accounts.places import US_STATES
from providers import browse, search_cache
from therapy_directory.site_files import site_url

CONTENT_TYPE = "application/xml"
# What Django's sitemap views say: the files are for crawlers, not for search results.
HEADERS = {"X-Robots-Tag": "noindex, noodp, noarchive"}


class _OnSiteUrl(Sitemap):
    """Locations on ``SITE_URL`` (Django's own would take the request's host)."""

    @cached_property
    def paginator(self):  # one per sitemap, not one per use: one COUNT
        return super().paginator

    def get_urls(self, page=1, site=None, protocol=None):
        public = urlsplit(site_url("/"))
        return self._urls(page, public.scheme, public.netloc + public.path.rstrip("/"))


class DirectorySitemap(_OnSiteUrl):
    def items(self) -> list[str]:
        paths = [reverse("providers:browse_states")]
        paths += [
            reverse("providers:browse_state", kwargs={"state": browse.STATE_SLUGS[code]})
            for code, _ in US_STATES
        ]
        paths += [
            reverse(
                "providers:browse_modality",
                kwargs={"state": browse.STATE_SLUGS[code], "modality": modality},
            )
            for code, modality in browse.state_modality_pairs()
        ]
        return paths

    def location(self, item: str) -> str:
        return item


class TherapistSitemap(_OnSiteUrl):
    def items(self):
        return browse.public_profile_slugs()

    def location(self, item: str) -> str:
        return reverse("providers:profile", kwargs={"slug": item})


SITEMAPS: dict[str, type[Sitemap]] = {
    "directory": DirectorySitemap,
    "therapists": TherapistSitemap,
}


def _xml(body: str) -> HttpResponse:
    return HttpResponse(body, content_type=CONTENT_TYPE, headers=HEADERS)


@require_safe
def index(request):
    key, body = search_cache.lookup("sitemap", [("file", "index")])
    if body is None:
        locations = []
        for section, sitemap_class in SITEMAPS.items():
            location = site_url(reverse("sitemap_section", kwargs={"section": section}))
            pages = sitemap_class().paginator.num_pages
            locations.append(SitemapIndexItem(location))
            locations += [SitemapIndexItem(f"{location}?p={p}") for p in range(2, pages + 1)]
        body = render_to_string("sitemap_index.xml", {"sitemaps": locations})
        search_cache.store(key, body)
    return _xml(body)


@require_safe
def section(request, section: str):
    page = request.GET.get("p", "1")
    if section not in SITEMAPS or not re.fullmatch(r"[0-9]{1,6}", page):
        raise Http404
    key, body = search_cache.lookup("sitemap", [("file", section), ("p", page)])
    if body is None:
        sitemap = SITEMAPS[section]()
        if not 1 <= int(page) <= sitemap.paginator.num_pages:
            raise Http404
        body = render_to_string("sitemap.xml", {"urlset": sitemap.get_urls(page=int(page))})
        search_cache.store(key, body)
    return _xml(body)
