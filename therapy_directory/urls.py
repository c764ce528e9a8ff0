from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from providers import sitemaps
from therapy_directory import api, health, media, site_files

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("providers.api_urls")),
    path("", include("booking.api_urls")),
    path("", include("audit.api_urls")),
    path("", include("matching.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-v1:schema"), name="docs"),
    # Any other address under the API (e.g. bookings/abc/) is a JSON 404, not the site's
    # HTML page. Only paths ending in "/", so a missing slash still redirects.
    re_path(r"^[\s\S]*/$", api.not_found, name="not-found"),
]

# Under /api/ these answer JSON ({detail}), elsewhere the site's error pages.
handler400 = "therapy_directory.api.bad_request"
handler403 = "therapy_directory.api.permission_denied"
handler404 = "therapy_directory.api.page_not_found"
handler500 = "therapy_directory.api.server_error"

# Prefixed includes before the "" ones: a request under /api/v1/ is then matched without
# trying every page's pattern first (a fifth of a cached API answer's time).
urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("robots.txt", site_files.robots_txt, name="robots_txt"),
    path("favicon.ico", site_files.favicon, name="favicon"),
    path("sitemap.xml", sitemaps.index, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemaps.section, name="sitemap_section"),
    # Therapists' photos, in development and `make run` only (therapy_directory/media.py).
    path("media/<path:path>", media.media, name="media"),
    path("api/v1/", include((api_v1, "api-v1"))),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("matching.urls")),  # the front door, /
    path("", include("providers.urls")),
    path("", include("booking.urls")),
    path("", include("notifications.urls")),
    path("", include("audit.urls")),
]
