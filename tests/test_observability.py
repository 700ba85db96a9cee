"""What an operator watches: /livez and /readyz, the request id, one JSON log line per request
without personal data, Prometheus metrics on their own port (gunicorn's master, all workers)."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from geosvc.web.ratelimit import client_address
from geosvc.web.state import warm_up
from tests.conftest import settings_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def request_lines():
    handler = _Lines()
    logger = logging.getLogger("geosvc.request")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_livez_and_readyz_of_a_worker_that_has_built_its_answers(api_url, make_app):
    app = make_app(settings_for(api_url))
    client = app.test_client()
    assert client.get("/livez").json == {"status": "alive"}
    not_yet = client.get("/readyz")
    assert not_yet.status_code == 503 and not_yet.json["code"] == "not_ready"
    warm_up(app)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "ready"
    assert ready.json["data_loaded_at"] and all(store["built"] for store in ready.json["stores"].values())
    assert client.get("/health").status_code == 200  # kept


def test_alive_but_not_ready_when_the_database_is_down_at_start(make_app):
    down = f"postgresql+psycopg://geosvc:geosvc@127.0.0.1:{free_port()}/nowhere"
    app = make_app(settings_for(down, pool_timeout_s=0.3))
    client = app.test_client()
    warm_up(app)  # logs a warning, builds nothing
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 503


def test_request_id_is_taken_or_added(client):
    assert client.get("/livez", headers={"X-Request-ID": "abc-123_x.y:z"}).headers["X-Request-ID"] == "abc-123_x.y:z"
    for bad in ("two words", "x" * 200, "<script>"):
        made = client.get("/livez", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert made != bad and len(made) == 32
    assert client.get("/livez").headers["X-Request-ID"] != client.get("/livez").headers["X-Request-ID"]


def test_one_json_line_per_request_without_personal_data(client, request_lines):
    client.get("/nearest?lon=3.0631&lat=50.6292&k=2",
               headers={"X-Request-ID": "rid-1", "X-Real-IP": "203.0.113.9", "User-Agent": "Mozilla/5.0 someone"})
    client.get("/communes?q=armentieres")
    assert len(request_lines) == 2
    line = json.loads(request_lines[0])
    assert line["request_id"] == "rid-1" and line["status"] == 200 and line["endpoint"] == "/nearest"
    assert line["method"] == "GET" and line["duration_ms"] >= 0 and line["path"] == "/nearest"
    for personal in ("3.0631", "50.6292", "lon", "lat", "203.0.113", "127.0.0.1", "Mozilla", "armentieres"):
        assert personal not in request_lines[0] + request_lines[1]


def test_rate_limit_key_trusts_only_the_proxy(make_app, api_url):
    app = make_app(settings_for(api_url, trusted_proxies="127.0.0.1"))
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"X-Real-IP": "198.51.100.4"}):
        assert client_address() == "198.51.100.4"
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.8"}, headers={"X-Real-IP": "198.51.100.4"}):
        assert client_address() == "192.0.2.8"  # not a trusted proxy: its header is ignored


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_metrics_of_every_worker_on_their_own_port(api_url, tmp_path):
    port, metrics_port = free_port(), free_port()
    settings = settings_for(api_url)
    env = dict(os.environ, GEOSVC_DATABASE_URL=settings.database_url,
               GEOSVC_READ_DATABASE_URL=settings.read_database_url, GEOSVC_METRICS_PORT=str(metrics_port),
               PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"))
    server = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "geosvc"), "serve", "--port", str(port),
                               "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while _safe_status(f"http://127.0.0.1:{port}/readyz") != 200:
            assert server.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        for _ in range(6):  # new connections: both workers answer some
            assert _get(f"http://127.0.0.1:{port}/communes/59350/nearest")[0] == 200
        assert _get(f"http://127.0.0.1:{port}/metrics")[0] == 404  # not on the service's port
        status, text = _get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert status == 200
        samples = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                   for line in text.splitlines() if line and not line.startswith("#")}
        nearest = 'geosvc_http_requests_total{endpoint="/communes/<code>/nearest",method="GET",status="200"}'
        assert samples[nearest] == 6  # summed over the workers
        assert any(name.startswith("geosvc_http_request_duration_seconds_bucket") for name in samples)
        # one per worker that has finished loading (the second may still be building its answers)
        assert samples['geosvc_store_rebuilds_total{store="nearest-site table"}'] in {1, 2}
        assert 0 <= samples["geosvc_data_age_seconds"] < 7 * 86400
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=40) == 0  # graceful


def _safe_status(url: str) -> int | None:
    try:
        return _get(url)[0]
    except OSError:
        return None
