"""``{% site_url path %}``: a path on the site's public address (``SITE_URL``), for
canonical links and robots.txt."""

from django import template

from therapy_directory.site_files import site_url as absolute

register = template.Library()


@register.simple_tag
def site_url(path: str) -> str:
    return absolute(path)
