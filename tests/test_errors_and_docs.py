"""One JSON error shape for every status; the OpenAPI document and an offline docs page."""

from __future__ import annotations

import re
import time

import pytest

from geosvc.config import Settings
from tests.conftest import settings_for

ERROR_KEYS = {"status", "code", "message"}


def assert_error_shape(response, status: int, code: str):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert ERROR_KEYS <= set(body) <= ERROR_KEYS | {"details"}
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "url", "status", "code"), [
    ("get", "/communes/xyz", 400, "invalid_commune_code"),
    ("get", "/communes/62765/nearest?k=0", 400, "invalid_parameter"),
    ("get", "/communes/59999", 404, "commune_not_found"),
    ("get", "/missions/none", 404, "mission_not_found"),
    ("get", "/no/such/path", 404, "not_found"),
    ("post", "/communes/62765", 405, "method_not_allowed"),
])
def test_error_shape(client, method, url, status, code):
    assert_error_shape(getattr(client, method)(url), status, code)


def test_unexpected_error_is_a_bare_500_without_trace(api_url, make_app):
    app = make_app(settings_for(api_url))
    app.add_url_rule("/boom-for-test", "boom", lambda: 1 / 0)
    response = app.test_client().get("/boom-for-test")
    assert_error_shape(response, 500, "internal_error")
    assert "ZeroDivisionError" not in response.get_data(as_text=True)


def test_unreachable_database_is_a_fast_503(make_app):
    # Nothing listens on port 1: the pool cannot connect.
    unreachable = "postgresql+psycopg://geosvc:geosvc@127.0.0.1:1/geosvc"
    settings = Settings(database_url=unreachable, read_database_url=unreachable, pool_timeout_s=1.0)
    app = make_app(settings)
    started = time.monotonic()
    response = app.test_client().get("/communes/62765")
    elapsed = time.monotonic() - started
    assert_error_shape(response, 503, "database_unavailable")
    assert response.headers["Retry-After"]
    assert elapsed < 2.0
    assert "geosvc:geosvc" not in response.get_data(as_text=True)


def test_database_without_data_says_so(empty_db, make_app):
    assert_error_shape(make_app(settings_for(empty_db)).test_client().get("/health"), 503, "data_not_loaded")


def test_openapi_document_is_generated_from_the_code(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/communes/{code}", "/communes/{code}/nearest", "/communes", "/missions", "/missions/{site_id}",
                 "/health"):
        assert path in spec["paths"], path
    nearest = spec["paths"]["/communes/{code}/nearest"]["get"]
    k = next(p for p in nearest["parameters"] if p["name"] == "k")
    assert k["schema"]["minimum"] == 1 and k["schema"]["maximum"] == 20
    assert "404" in nearest["responses"]


def test_docs_page_loads_its_assets_from_the_app_not_a_cdn(client):
    page = client.get("/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    for asset in assets:
        assert asset.startswith("/"), f"external asset {asset}"
        with client.get(asset) as response:  # closes the static file
            assert response.status_code == 200, asset


@pytest.mark.parametrize("url", ["/docs", "/communes/62765", "/communes/xyz", "/openapi.json"])
def test_security_headers_on_every_response(client, url):
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_docs_page_has_no_inline_script(client):
    page = client.get("/docs").get_data(as_text=True)
    assert re.findall(r"<script>", page) == [], "inline scripts are blocked by the CSP"


def test_the_app_never_runs_in_debug_mode(app):
    assert not app.debug


def test_expensive_endpoint_is_rate_limited_with_retry_after(api_url, make_app):
    client = make_app(settings_for(api_url, expensive_rate_limit="2 per minute")).test_client()
    statuses = [client.get("/coverage?farthest=1").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.get("/coverage?farthest=1")
    assert_error_shape(response, 429, "too_many_requests")
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/communes/62765").status_code == 200  # cheap endpoints are not limited


def test_oversized_body_is_413(client):
    response = client.post("/coverage/scenarios", data=b"x" * (65 * 1024), content_type="application/json")
    assert_error_shape(response, 413, "payload_too_large")


@pytest.mark.parametrize("url", ["/missions/a%00b", "/communes?q=lil%00le", "/communes/62765/nearest?k=%00"])
def test_nul_bytes_are_a_400_not_a_500(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.get_json()["code"] in {"invalid_character", "invalid_parameter", "invalid_query"}
