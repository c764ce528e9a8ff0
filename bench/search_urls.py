"""The app's URLs plus ``/bench/constant/``, a trivial Django view returning a constant:
the reference the search throughput is divided by. Only ``search_settings`` loads it."""

from django.http import HttpResponse
from django.urls import path

from therapy_directory.urls import urlpatterns as app_urlpatterns


def constant(request):
    return HttpResponse(b"ok\n", content_type="text/plain")


urlpatterns = [path("bench/constant/", constant), *app_urlpatterns]
