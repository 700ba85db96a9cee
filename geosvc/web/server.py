"""Runs the app under gunicorn (a production WSGI server) from `geosvc serve`.

Behind nginx (deploy/, what `scripts/serve.sh` runs), never on the network by itself: gunicorn's
sync workers hold one connection each, so two clients sending their headers slowly would hold
both workers. nginx reads whole requests and whole answers (buffering) and hands a worker only
complete requests on loopback, which is what gunicorn's documentation asks of sync workers.

The settings, measured on the 2-core reference machine (docs/OPERATIONS.md#figures):

* worker class `sync`, 2 workers (one per core): behind nginx a worker is never held by a slow
  client (measured: 0 answers in 10 s under 500 slow-header + 200 slow-reading clients without
  nginx, 0 errors with it, docs/OPERATIONS.md#figures), and the cached answers never reach it.
  `gthread` (upstream keep-alive) was not measured against it: the requests that reach a worker
  are the uncached ones, CPU-bound, where threads would share one GIL per worker.
* keepalive 2 s: only used by a keep-alive-capable worker class; nginx opens a loopback
  connection per request to a sync worker, which costs tens of microseconds.
* graceful_timeout `GEOSVC_GRACEFUL_TIMEOUT_S` (20 s): on SIGTERM each worker finishes its
  request in flight, then exits; the master waits that long before killing one.
* timeout 30 s: a worker stuck that long (it cannot be, statements stop at 1.5 s) is replaced.
* no gunicorn access log: the app writes one JSON line per request, without the query string
  nor the client's address (geosvc/web/observability.py).
* request limits above nginx's (deploy/nginx/geosvc.conf.template: a request line or a header
  line fits in 8 KB, `large_client_header_buffers 4 8k`), so nginx meets them first and answers
  in JSON; gunicorn's own 400/414/431 pages are HTML without the security headers. Its
  defaults (4,094-byte line, 100 headers) turned a 5,000-byte URL or 150 headers, which nginx
  passes, into those pages. Without nginx they still bound a request: a 1 MB line, 32,768
  headers of at most 16 KB.
* metrics: with `GEOSVC_METRICS_PORT`, the master serves /metrics for all workers, merged from
  the files they write in PROMETHEUS_MULTIPROC_DIR (made empty at start; a fresh temporary
  folder when the variable is not set, removed at exit).
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile

from gunicorn.app.base import BaseApplication

from geosvc.config import Settings

WORKER_CLASS = "sync"
KEEPALIVE_S = 2
TIMEOUT_S = 30
LIMIT_REQUEST_LINE = 0  # gunicorn's "unlimited": 1 MB; nginx stops lines over 8 KB
LIMIT_REQUEST_FIELDS = 32768  # gunicorn's maximum; nginx's 4 x 8 KB of headers hold fewer
LIMIT_REQUEST_FIELD_SIZE = 16384  # twice nginx's 8 KB header line


class _GunicornApp(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Built in each worker after the fork, so every worker has its own pool.
        from geosvc.web import create_app
        from geosvc.web.observability import observe_stores
        from geosvc.web.state import warm_up

        app = create_app()
        warm_up(app)  # build the in-memory answers now, not on a user's first request
        observe_stores(app)  # their build counts and the data's age, in the metrics from the start
        return app


def options(host: str, port: int, workers: int, settings: Settings) -> dict:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": WORKER_CLASS,
        "keepalive": KEEPALIVE_S,
        "timeout": TIMEOUT_S,
        "graceful_timeout": math.ceil(settings.graceful_timeout_s),  # gunicorn takes whole seconds
        "accesslog": None,
        "limit_request_line": LIMIT_REQUEST_LINE,
        "limit_request_fields": LIMIT_REQUEST_FIELDS,
        "limit_request_field_size": LIMIT_REQUEST_FIELD_SIZE,
    }


def serve(host: str, port: int, workers: int) -> None:
    from geosvc.web.ratelimit import warn_if_per_process

    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level)
    warn_if_per_process(settings.rate_limit_storage, workers)
    config = options(host, port, workers, settings)
    created = None
    if settings.metrics_port:
        from geosvc.web import observability

        path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not path:
            path = created = tempfile.mkdtemp(prefix="geosvc-metrics-")
        observability.prepare_multiprocess_dir(path)  # before prometheus_client is imported

        def when_ready(_arbiter):
            try:
                observability.start_metrics_server(settings.metrics_host, settings.metrics_port)
            except OSError as exc:  # the port is taken: serve anyway, say so
                _arbiter.log.error("metrics not served on %s:%d: %s", settings.metrics_host, settings.metrics_port, exc)

        def child_exit(_arbiter, worker):
            observability.worker_exited(worker.pid)

        config |= {"when_ready": when_ready, "child_exit": child_exit}
    try:
        _GunicornApp(config).run()
    finally:
        if created:
            shutil.rmtree(created, ignore_errors=True)
