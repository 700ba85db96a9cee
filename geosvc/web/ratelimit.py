"""Per-client rate limits on the expensive endpoints (scenarios, catchments, whole-coverage
tables), with Flask-Limiter. A client over its limit gets a 429 with Retry-After.

Counters live in each process's memory: with N gunicorn workers a client gets up to N
times the limit, which is fine for protecting this machine's two cores; several
machines behind a load balancer would share a storage (Flask-Limiter takes a Redis or
Memcached URI: GEOSVC_RATE_LIMIT_STORAGE).
"""

from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# Created unbound: init_app attaches it to each app the factory builds.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def _expensive_limit() -> str:
    return current_app.config["GEOSVC_SETTINGS"].expensive_rate_limit


# Decorator for the views that cost whole-region computations.
expensive = limiter.limit(_expensive_limit)


def init_app(app) -> None:
    settings = app.config["GEOSVC_SETTINGS"]
    app.config["RATELIMIT_STORAGE_URI"] = settings.rate_limit_storage
    limiter.init_app(app)
    # Flask-Limiter also checks every request in a before_request hook, for default
    # limits, which we have none of; the `expensive` decorator does its own check. The
    # hook cost ~0.2 ms on every request, cheap ones included, so it is taken out.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
