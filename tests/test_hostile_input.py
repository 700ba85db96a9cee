"""Hostile input, found by probing the running service (issue item 7): each probe, and what the
service must answer instead. The probes and what was measured before and after are in
docs/OPERATIONS.md#hostile-input.

Most run against the app (Flask's test client); the ones about what nginx and gunicorn answer
by themselves run against the production topology, as tests/test_topology.py starts it.
"""

from __future__ import annotations

import io
import json
import re
import socket
import time

import pytest

from geosvc.config import PROJECT_ROOT, Settings
from geosvc.core.rules import COMMUNE_CODE, DEPARTEMENT_CODE
from geosvc.web import server
from geosvc.web.security import MAX_BODY_BYTES
from tests.conftest import settings_for
from tests.test_errors_and_docs import assert_error_shape
from tests.test_page_campaign import open_page, wait_for_answer  # noqa: F401 - fixture, helper
from tests.test_topology import topology, writable_db  # noqa: F401 - fixtures

JSON = "application/json"
VALID_SCENARIO = {"close": ["ml-59295-01-hazebrouck"], "farthest": 0}


def empty_items_body() -> bytes:
    """The probe: 64 KB of empty scenario items (21,842 of them)."""
    count = (MAX_BODY_BYTES - len('{"add":[]}') + 1) // 3
    return ('{"add":[' + ",".join(["{}"] * count) + "]}").encode()


def post_json(client, body, path="/coverage/scenarios"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, data=data, content_type=JSON)


# --- POST /coverage/scenarios: size and item count first, short errors -----------------------

def test_thousands_of_empty_items_are_refused_at_once_with_a_short_error(client):
    body = empty_items_body()
    assert len(body) <= MAX_BODY_BYTES
    started = time.monotonic()
    response = post_json(client, body)
    elapsed = time.monotonic() - started
    assert_error_shape(response, 400, "invalid_parameter")
    # before: 1.2-1.3 s and a 6.8 MB body listing three problems per item
    assert len(response.data) < 1000, len(response.data)
    assert elapsed < 0.5, elapsed
    assert "not 21842" in response.get_json()["message"]


def test_too_many_thresholds_are_refused_before_reading_them(client):
    response = post_json(client, VALID_SCENARIO | {"thresholds_km": ["x"] * 5000})
    assert_error_shape(response, 400, "invalid_parameter")
    assert len(response.data) < 1000 and "thresholds_km" in response.get_json()["details"]["json"]


def test_an_error_names_ten_problems_then_counts_the_others(client):
    # 20 items (the most a scenario may have), each missing name, lon and lat: 60 problems
    response = post_json(client, {"add": [{}] * 20})
    assert_error_shape(response, 400, "invalid_parameter")
    body = response.get_json()
    assert len(body["details"]["json"]) == 10
    assert body["details"]["more_problems"] == 50
    assert body["message"].endswith("and 50 more problems")
    assert len(response.data) < 2000


def test_a_clients_long_field_names_are_not_echoed_whole(client):
    response = post_json(client, {"add": [{"name": "A", "lon": 2.3, "lat": 49.9, "k" * 20000: 1}]})
    assert_error_shape(response, 400, "invalid_parameter")
    assert len(response.data) < 1000, len(response.data)


# --- rate limits: failures count, one budget for every expensive route ------------------------

def test_invalid_bodies_spend_the_expensive_budget(api_url, make_app):
    # a limit used by no other test: the process's counters are shared by its apps
    client = make_app(settings_for(api_url, expensive_rate_limit="3 per minute")).test_client()
    statuses = [post_json(client, {"add": [{}]}).status_code for _ in range(3)]
    assert statuses == [400, 400, 400]
    assert_error_shape(post_json(client, empty_items_body()), 429, "too_many_requests")  # before: 400, forever
    assert_error_shape(post_json(client, b"[" * 1000), 429, "too_many_requests")
    assert client.get("/communes/autocomplete?q=lil").status_code == 200  # cheap endpoints are not limited


def test_one_budget_is_shared_by_all_the_expensive_routes(api_url, make_app):
    client = make_app(settings_for(api_url, expensive_rate_limit="4 per minute")).test_client()
    # cheap failures (each is a 400 from validation), one per expensive route: the fifth is over
    for path in ("/coverage?farthest=-1", "/coverage/communes?order=x", "/coverage/catchments?by=x",
                 "/coverage/assignment?format=x"):
        assert client.get(path).status_code == 400, path
    response = client.get("/coverage/assignment?format=x")
    assert_error_shape(response, 429, "too_many_requests")  # before: limits per route, failures not counted
    assert int(response.headers["Retry-After"]) > 0


def test_assignment_is_limited_and_computed_once_per_data_version(api_url, make_app, monkeypatch):
    from geosvc.web.api import coverage

    client = make_app(settings_for(api_url, expensive_rate_limit="5 per minute")).test_client()
    first = client.get("/coverage/assignment")
    assert first.status_code == 200 and first.get_json()["available"] is True
    csv_first = client.get("/coverage/assignment?format=csv")
    assert csv_first.status_code == 200

    def recomputed(*args, **kwargs):
        raise AssertionError("the assignment was computed again for the same data")

    monkeypatch.setattr(coverage.zones, "report", recomputed)
    assert client.get("/coverage/assignment").data == first.data  # before: recomputed every time
    assert client.get("/coverage/assignment?format=csv").data == csv_first.data
    assert client.get("/coverage/assignment?format=json").data == first.data
    assert_error_shape(client.get("/coverage/assignment"), 429, "too_many_requests")  # before: never limited


# --- the client's Host header ----------------------------------------------------------------

def test_openapi_servers_never_come_from_a_host_header(api_url, make_app):
    client = make_app(settings_for(api_url)).test_client()
    hostile = client.get("/openapi.json", headers={"Host": "evil.example"})
    assert hostile.status_code == 200 and b"evil.example" not in hostile.data
    later = client.get("/openapi.json")  # the document is cached per worker: the next client's copy
    assert b"evil.example" not in later.data
    assert all(not server_["url"].startswith("http") for server_ in later.get_json().get("servers", []))


def test_redirects_do_not_name_the_clients_host(client):
    response = client.get("/communes//59350", headers={"Host": "evil.example"})
    assert response.status_code == 308
    assert response.headers["Location"] == "/communes/59350"  # before: http://evil.example/communes/59350


# --- bodies that broke the parser, or the size limit --------------------------------------------

@pytest.mark.parametrize("body", [
    b'{"add": ' + b"[" * 1000 + b"]" * 1000 + b"}",  # before: RecursionError, 500
    b"[" * 60_000,
    b'{"close": ["x"], "add": [' + b'{"a":' * 20 + b"1" + b"}" * 20 + b"]}",
], ids=["1000-deep", "60000-open", "21-deep"])
def test_deeply_nested_json_is_a_400(client, body):
    response = post_json(client, body)
    assert_error_shape(response, 400, "invalid_json")
    assert "nested deeper" in response.get_json()["message"]


@pytest.mark.parametrize("number", [b"1" * 4301, b"-" + b"9" * 5000, b"1" * 200 + b".5", b"1e" + b"0" * 200])
def test_a_number_of_thousands_of_digits_is_a_400(client, number):
    response = post_json(client, b'{"close": ["x"], "farthest": ' + number + b"}")  # before: ValueError, 500
    assert_error_shape(response, 400, "invalid_json")


def test_long_digit_strings_inside_json_strings_are_not_numbers(client):
    response = post_json(client, {"close": ["1" * 150]})
    assert_error_shape(response, 400, "unknown_mission")  # read as an id (and looked up), not refused


def test_a_chunked_body_over_64_kib_is_a_413(client):
    body = json.dumps({"close": ["x" * (70 * 1024)]}).encode()
    response = client.post("/coverage/scenarios", input_stream=io.BytesIO(body), content_type=JSON,
                           headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})  # as gunicorn sets it
    assert_error_shape(response, 413, "payload_too_large")  # before: cut at 64 KiB, then a 400


def test_a_small_chunked_body_is_read_whole(client):
    response = client.post("/coverage/scenarios", input_stream=io.BytesIO(json.dumps({"close": ["nope"]}).encode()),
                           content_type=JSON, headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert_error_shape(response, 400, "unknown_mission")  # parsed, then checked against the data


# --- patterns match whole values ---------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "/communes?q=lille&departement=59%0A",
    "/communes/autocomplete?q=lil&departement=59%0A",
    "/coverage/communes?departement=80%0A&format=csv",
    "/coverage/communes?epci=200067965%0A&format=csv",
])
def test_a_trailing_newline_does_not_pass_a_pattern(client, url):
    assert_error_shape(client.get(url), 400, "invalid_parameter")  # before: 200 with nothing in it


def test_a_site_name_ending_in_a_newline_is_refused(client):
    response = post_json(client, {"add": [{"name": "Site\n", "lon": 2.3, "lat": 49.9}]})
    assert_error_shape(response, 400, "invalid_parameter")


def test_core_patterns_match_whole_strings():
    assert COMMUNE_CODE.match("59350") and not COMMUNE_CODE.match("59350\n")
    assert DEPARTEMENT_CODE.match("2A") and not DEPARTEMENT_CODE.match("59\n")


# --- numbers: ASCII digits only, everywhere ----------------------------------------------------

@pytest.mark.parametrize("url", [
    "/nearest?lon=2.3&lat=49.9&k=%EF%BC%92",  # full-width 2
    "/communes/autocomplete?q=lil&limit=%D9%A3",  # Arabic-Indic 3
    "/communes?q=lille&limit=%D9%A3",
    "/nearest?lon=%EF%BC%92.3&lat=49.9",  # full-width lon
    "/nearest?lon=3_0&lat=49.9",  # was read as 30
    "/nearest?lon=2.3&lat=4_9.9",  # was read as 49.9
    "/nearest?lon=%202.3&lat=49.9",
    "/nearest?lon=2.3&lat=49.9&k=2.0",
    "/coverage?thresholds_km=1_0&farthest=0",
    "/coverage?farthest=%D9%A3",
    "/coverage/communes?beyond_km=1_5&format=csv",
    "/communes/62765/nearest?k=%EF%BC%92",
    "/communes/62765/nearest?k=" + "1" * 5000,  # int() of 5,000 digits raises ValueError
    "/communes/62765/mission-locale?k=" + "2" * 5000,
    "/communes?q=lille&limit=" + "1" * 5000,
])
def test_numbers_must_be_ascii(client, url):
    assert_error_shape(client.get(url), 400, "invalid_parameter")


@pytest.mark.parametrize("change", [
    {"add": [{"name": "A", "lon": "２.3", "lat": 49.9}]},
    {"add": [{"name": "A", "lon": "3_0", "lat": 49.9}]},
    {"add": [{"name": "A", "lon": True, "lat": 49.9}]},
    {"close": ["ml-59295-01-hazebrouck"], "farthest": "３"},
    {"close": ["ml-59295-01-hazebrouck"], "farthest": 3.5},
    {"close": ["ml-59295-01-hazebrouck"], "thresholds_km": ["1_0"]},
])
def test_numbers_in_a_scenario_must_be_numbers(client, change):
    assert_error_shape(post_json(client, change), 400, "invalid_parameter")


@pytest.mark.parametrize("url", [
    "/nearest?lon=2.3&lat=49.9&k=2", "/nearest?lon=2.30000&lat=4.99e1", "/nearest?lon=.23e1&lat=49.9&k=20",
    "/communes/autocomplete?q=lil&limit=3", "/communes?q=lille&limit=1", "/communes/62765/nearest?k=02",
])
def test_ascii_numbers_still_work(client, url):
    assert client.get(url).status_code == 200, url


# --- /docs serves only what its page needs --------------------------------------------------------

@pytest.mark.parametrize("name", ["index.html", "oauth2-redirect.html", "swagger-initializer.js",
                                  "swagger-ui.js.map", "../__init__.py"])
def test_swagger_uis_stock_files_are_not_served(client, name):
    assert client.get(f"/docs/static/{name}").status_code == 404


def test_the_docs_page_still_has_its_files(client):
    page = client.get("/docs").get_data(as_text=True)
    for asset in re.findall(r'(?:src|href)="(/docs/static/[^"]+)"', page):
        with client.get(asset) as response:
            assert response.status_code == 200, asset


# --- map tooltips render text, not HTML ----------------------------------------------------------

@pytest.mark.parametrize("script", ["campaign.js", "analyse.js", "coverage_map.js", "standalone.js"])
def test_tooltips_and_popups_are_given_nodes_not_html_strings(script):
    source = (PROJECT_ROOT / "geosvc" / "web" / "static" / script).read_text()
    for call in re.finditer(r"\.(bindTooltip|bindPopup|setTooltipContent|setPopupContent)\(\s*([^,)]*)", source):
        argument = call.group(2).strip()
        assert argument.startswith(("function", "element(", "el(", "box")), f"{script}: {call.group(0)}"
    assert "insertAdjacentHTML" not in source
    # the one HTML string: the operator's tile attribution, rebuilt from text and https links only
    # (Leaflet's attribution control takes HTML), never data of the answers
    assert re.findall(r".{0,20}innerHTML.{0,3}", source) in ([], ["    return out.innerHTML;"]), script


def test_a_site_name_shows_as_text_in_the_campaign_maps_tooltip(open_page):  # noqa: F811
    from playwright.sync_api import expect

    hostile = '<b id="injected">Mission</b>'
    page = open_page()

    def rename_the_sites(route):
        response = route.fetch()
        answer = response.json()
        for site in answer["mission_locale"]["sites"] + answer["nearest"]:
            site["name"] = hostile
        route.fulfill(response=response, json=answer)

    page.route("**/communes/*/mission-locale?k=3", rename_the_sites)
    page.select_option("#departement-select", "80")
    page.select_option("#commune-select", "80001")
    wait_for_answer(page)
    page.locator(".leaflet-overlay-pane path.leaflet-interactive").nth(1).hover()  # after the outline
    expect(page.locator(".leaflet-tooltip")).to_contain_text(hostile)  # before: a bold "Mission"
    assert page.locator("#injected").count() == 0


# --- gunicorn's limits, nginx's own errors (the topology) ------------------------------------

def test_gunicorn_limits_are_above_nginxs():
    template = (PROJECT_ROOT / "deploy" / "nginx" / "geosvc.conf.template").read_text()
    number, size = re.search(r"large_client_header_buffers (\d+) (\d+)k;", template).groups()
    options = server.options("127.0.0.1", 8001, 2, Settings())
    assert options["limit_request_line"] == 0 or options["limit_request_line"] > int(size) * 1024
    assert options["limit_request_field_size"] > int(size) * 1024
    assert options["limit_request_fields"] >= int(number) * int(size) * 1024 // 4  # 4-byte header lines


def _raw(port: int, request: bytes) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def assert_json_error(status: int, headers: dict, body: bytes, expected_status: int, code: str) -> None:
    assert status == expected_status, (status, body[:200])
    assert headers["content-type"].startswith(JSON), headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    document = json.loads(body)
    assert set(document) <= {"status", "code", "message", "details"}
    assert document["status"] == expected_status and document["code"] == code and document["message"]


@pytest.mark.parametrize(("request_bytes", "status", "code"), [
    (b"GET /communes?q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 414, "uri_too_long"),
    (b"GET /livez HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * 9000 + b"\r\nConnection: close\r\n\r\n", 431,
     "request_header_fields_too_large"),
    (b"POST /coverage/scenarios HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 70000\r\n"
     b"Connection: close\r\n\r\n" + b" " * 70000, 413, "payload_too_large"),
    (b"GET /static/no-such-file.js HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 404, "not_found"),
    (b"GARBAGE\r\n\r\n", 400, "bad_request"),
], ids=["uri", "header", "body", "static", "malformed"])
def test_nginx_answers_its_own_errors_in_json_with_the_security_headers(topology, request_bytes, status, code):  # noqa: F811
    assert_json_error(*_raw(topology.port, request_bytes), status, code)  # before: nginx's HTML pages


@pytest.mark.parametrize("request_bytes", [
    # passes nginx (lines up to 8 KB) but was over gunicorn's 4,094 bytes: its HTML 414
    b"GET /communes?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    # 150 headers: nginx passes them, gunicorn's limit was 100: its HTML 431
    b"GET /communes?q=" + b"a" * 200 + b" HTTP/1.1\r\nHost: t\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(150))
    + b"Connection: close\r\n\r\n",
], ids=["5000-byte-line", "150-headers"])
def test_what_nginx_passes_reaches_the_app(topology, request_bytes):  # noqa: F811
    status, headers, body = _raw(topology.port, request_bytes)
    assert_json_error(status, headers, body, 400, "invalid_parameter")  # q too long: the app's own answer


def test_gunicorn_answers_a_chunked_body_over_64_kib_with_a_413(topology):  # noqa: F811
    body = json.dumps({"close": ["x" * (70 * 1024)]}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 8192]), body[i:i + 8192]) for i in range(0, len(body), 8192))
    request = (b"POST /coverage/scenarios HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
               b"X-Real-IP: 198.51.100.7\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
               + chunks + b"0\r\n\r\n")
    status, headers, answer = _raw(topology.upstream_port, request)  # gunicorn itself: nginx already says 413
    assert_json_error(status, headers, answer, 413, "payload_too_large")  # before: 400 bad_request
