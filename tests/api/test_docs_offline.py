"""The API docs work with no network: every asset they load is served by the site."""

import re

import pytest

ASSET = re.compile(r"""(?:src|href)="([^"]+)\"""")


@pytest.mark.django_db
def test_the_api_docs_load_every_asset_from_the_site_itself(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "http://" not in html and "https://" not in html and 'src="//' not in html
    # No inline script: the start-up script is a file of its own (a CSP forbids inline).
    assert "<script>" not in html
    assets = [a.replace("&amp;", "&") for a in ASSET.findall(html)]
    assert len(assets) >= 4, assets  # css, favicon, bundle, preset, start-up script
    for asset in assets:
        assert asset.startswith("/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert body, asset
        if asset.startswith("/api/v1/docs/"):
            script = body.decode()
            assert "/api/v1/schema/" in script
            assert "http://" not in script and "https://" not in script


@pytest.mark.django_db
def test_an_unknown_api_address_is_a_json_404_not_the_html_page(client):
    for path in [
        "/api/v1/bookings/abc/",
        "/api/v1/nothing-here/",
        "/api/v1/therapists/x/slots/",
        "/api/v1/bookings/a%0Ab/",
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json", path
        assert "detail" in response.json()
    # A missing slash still redirects to the real address.
    assert client.get("/api/v1/me").status_code == 301
