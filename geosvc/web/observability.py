"""What an operator watches: a request id, one JSON log line per request, Prometheus metrics.

* **Request id**: taken from the request's `X-Request-ID` when it is a sane token (the nginx in
  front sets one, deploy/nginx/), else made here; sent back in `X-Request-ID` and written in the
  log line, so one answer can be followed from nginx's log to the app's.
* **One JSON line per request** on stderr (logger `geosvc.request`): time, request id, method,
  route (`/communes/<code>/nearest`), path, status, duration, bytes, worker pid. Never the query
  string (`/nearest?lon=&lat=` is a person's position, `q=` what they typed), the client's
  address, nor any other header: rate limiting alone reads the address, in memory.
* **Prometheus metrics** (prometheus_client), on their own port (`GEOSVC_METRICS_PORT`, loopback):
  served by gunicorn's master for all its workers (geosvc/web/server.py), which write their
  samples to files in `PROMETHEUS_MULTIPROC_DIR` (prometheus_client's multiprocess mode). What
  each metric means: docs/OPERATIONS.md#watching-it.

The metric objects are made on first use in a worker, never in the master: a metric made in the
master would leave a sample of the master's own (a gauge of 0) among the workers'.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, request

from geosvc.web.state import state_of

log = logging.getLogger(__name__)
request_log = logging.getLogger("geosvc.request")

REQUEST_ID = "X-Request-ID"
# a token of a proxy or a client (uuid, nginx's $request_id, a trace id); anything else is replaced
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
UNMATCHED = "<unmatched>"  # the route label of a 404 on no route: no raw path in a label
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
DATA_LOADED = "geosvc_data_loaded_timestamp_seconds"
_KEY = "geosvc.observability"

_metrics = None


class _Metrics:
    def __init__(self):
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter("geosvc_http_requests_total", "HTTP requests answered, by route, method and status",
                                ["endpoint", "method", "status"])
        self.latency = Histogram("geosvc_http_request_duration_seconds",
                                 "Time from the request reaching the app to its answer, by route and status",
                                 ["endpoint", "status"], buckets=LATENCY_BUCKETS_S)
        self.rebuilds = Counter("geosvc_store_rebuilds_total",
                                "In-memory stores built (once at start, then once per new ingestion seen)", ["store"])
        self.database_errors = Counter("geosvc_database_errors_total",
                                       "Database unavailable: in a request (503 database_unavailable), or at a "
                                       "store's check for new data (the previous answers kept serving)", ["source"])
        # one sample per live worker (liveall): the collector of the master takes the oldest
        self.data_loaded = Gauge(DATA_LOADED, "When the data a worker serves was ingested (Unix time)",
                                 multiprocess_mode="liveall")


def metrics() -> _Metrics:
    global _metrics
    if _metrics is None:
        _metrics = _Metrics()
    return _metrics


def init_app(app: Flask) -> None:
    _install_log_handler()
    app.extensions[_KEY] = {}  # store name -> (builds, failed checks) already counted
    app.before_request(_start)
    # registered last among the after_request hooks, so it runs first: the duration stops before
    # compression; the status and the headers are final either way
    app.after_request(_finish)


def _install_log_handler() -> None:
    if request_log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))  # the message is the JSON line
    request_log.addHandler(handler)
    request_log.setLevel(logging.INFO)
    request_log.propagate = False


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get(REQUEST_ID, "")
    g.request_id = given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex


def request_id() -> str | None:
    return g.get("request_id")


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:  # a request refused before our before_request hook ran
        _start()
        started = g.request_started
    duration = time.perf_counter() - started
    response.headers[REQUEST_ID] = g.request_id
    endpoint = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    status = response.status_code
    try:
        observed = metrics()
        observed.requests.labels(endpoint, request.method, str(status)).inc()
        observed.latency.labels(endpoint, str(status)).observe(duration)
        if status == 503 and (response.get_json(silent=True) or {}).get("code") == "database_unavailable":
            observed.database_errors.labels("request").inc()
        observe_stores()
    except Exception:  # noqa: BLE001 - metrics must never break an answer
        log.exception("metrics not recorded")
    request_log.info(json.dumps({
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": "error" if status >= 500 else "info",
        "event": "request",
        "request_id": g.request_id,
        "method": request.method,
        "endpoint": endpoint,
        "path": request.path,
        "status": status,
        "duration_ms": round(duration * 1000, 3),
        "bytes": response.content_length,
        "pid": os.getpid(),
    }, separators=(",", ":")))
    return response


def observe_stores(app: Flask | None = None) -> None:
    """Count the stores' rebuilds and failed checks since last seen, and the data's ingestion
    time (cheap: a few attribute reads per request; geosvc/web/server.py calls it at warm-up)."""
    worker = state_of(app)
    seen = (app.extensions if app is not None else _current_extensions())[_KEY]
    observed = metrics()
    for store in worker.stores():
        builds, failed = store.builds, store.failed_checks
        last_builds, last_failed = seen.get(store.name, (0, 0))
        if builds != last_builds:
            observed.rebuilds.labels(store.name).inc(builds - last_builds)
            if store is worker.nearest:
                loaded_at = _loaded_at(store.peek())
                if loaded_at is not None:
                    observed.data_loaded.set(loaded_at)
        if failed != last_failed:
            observed.database_errors.labels("store_refresh").inc(failed - last_failed)
        seen[store.name] = (builds, failed)


def _current_extensions() -> dict:
    from flask import current_app

    return current_app.extensions


def _loaded_at(table) -> float | None:
    try:
        return datetime.fromisoformat(table.data["communes"]["loaded_at"]).timestamp()
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


# --- the metrics endpoint, in gunicorn's master ---------------------------------------------

def prepare_multiprocess_dir(path: str) -> None:
    """Make PROMETHEUS_MULTIPROC_DIR empty (samples of a previous run would be added to ours).
    Must run before prometheus_client is first imported: it picks its storage at import."""
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.remove(os.path.join(path, name))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path


def start_metrics_server(host: str, port: int) -> None:
    """Serve /metrics for every worker (in a thread of the calling process: gunicorn's master)."""
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_DataAge())
    start_http_server(port, addr=host, registry=registry)
    log.info("metrics on http://%s:%d/metrics", host, port)


def worker_exited(pid: int) -> None:
    """gunicorn's child_exit hook: drop the live gauges of a worker that is gone."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)


class _DataAge:
    """geosvc_data_age_seconds: now minus the oldest ingestion time a live worker serves."""

    def collect(self):
        from prometheus_client import multiprocess
        from prometheus_client.core import GaugeMetricFamily

        loaded = [
            sample.value
            for family in multiprocess.MultiProcessCollector(None).collect() if family.name == DATA_LOADED
            for sample in family.samples if sample.value > 0
        ]
        if loaded:
            yield GaugeMetricFamily("geosvc_data_age_seconds",
                                    "Seconds since the oldest data served by a live worker was ingested",
                                    value=time.time() - min(loaded))
