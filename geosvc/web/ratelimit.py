"""Per-client rate limits on the expensive endpoints (scenarios, catchments, assignment,
whole-coverage tables), with Flask-Limiter. A client over its limit gets a 429 with Retry-After.

One budget: `GEOSVC_EXPENSIVE_RATE_LIMIT` counts a client's requests to all the expensive
endpoints together (a Flask-Limiter shared limit, scope "expensive"), not per endpoint: with
per-route limits one client got 30 requests a minute on each of them.

Counted first: the limit is checked before anything reads the request (a before_request hook
that runs before the other hooks and before the view's validation), so a request that is
then refused (a 400 for an invalid body, a 413) still spends the budget. Invalid scenario
bodies used to cost the server seconds each and were never counted.

Where the counters live (`GEOSVC_RATE_LIMIT_STORAGE`):

* `memory://` (default): in each process. Right for one process (tests, development); with
  N gunicorn workers a client would get up to N times the limit, so `geosvc serve` with more
  than one worker says so in its log.
* `redis://host:port/db` or `redis+unix:///path/to/redis.sock`: one set of counters for every
  worker and machine, so the limit means what it says. The production topology
  (deploy/topology.py, `scripts/serve.sh`) starts a private redis-server on a unix socket for
  it; deploy/geosvc.env names Debian's redis-server on a server. If the store cannot be
  reached, each worker falls back to its own memory (limits still apply, per worker) and
  goes back to the store when it answers again.

Who the client is: the peer's address, or, when the peer is a trusted proxy
(`GEOSVC_TRUSTED_PROXIES`, the nginx in front), the `X-Real-IP` it sets (it overwrites what
a client sent). Behind nginx every peer is 127.0.0.1: without this, all the young people of
the region would share one counter. The address is used for counting only, never logged.
"""

from __future__ import annotations

import logging

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name

log = logging.getLogger(__name__)

CLIENT_ADDRESS_HEADER = "X-Real-IP"


def client_address() -> str:
    peer = request.remote_addr or ""
    trusted = current_app.extensions.get("geosvc.trusted_proxies", frozenset())
    # a unix-socket peer has no address: only a local proxy can be there
    if peer in trusted or not peer:
        forwarded = request.headers.get(CLIENT_ADDRESS_HEADER, "").strip()
        if forwarded:
            return forwarded
    return peer or "unknown"


# Created unbound: init_app attaches it to each app the factory builds.
limiter = Limiter(key_func=client_address, default_limits=[], headers_enabled=True)


def _expensive_limit() -> str:
    return current_app.config["GEOSVC_SETTINGS"].expensive_rate_limit


EXPENSIVE_SCOPE = "expensive"
_budget = limiter.shared_limit(_expensive_limit, scope=EXPENSIVE_SCOPE)
# the attribute marking an expensive view; functools.wraps carries it to APIFlask's wrappers
_MARK = "_geosvc_expensive"


def expensive(view):
    """Decorator for the views that cost whole-region computations: one shared budget per client.

    Registers the shared limit for the view, and returns the view itself (not Flask-Limiter's
    wrapper, which would check it a second time, and only after validation): check_expensive
    checks it, before anything else reads the request."""
    _budget(view)
    setattr(view, _MARK, get_qualified_name(view))
    return view


def check_expensive() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    name = getattr(view, _MARK, None)
    if name is not None:
        limiter._check_request_limit(callable_name=name, in_middleware=False)


def is_shared(storage_uri: str) -> bool:
    return not storage_uri.startswith("memory://")


def init_app(app) -> None:
    settings = app.config["GEOSVC_SETTINGS"]
    app.extensions["geosvc.trusted_proxies"] = frozenset(
        address.strip() for address in settings.trusted_proxies.split(",") if address.strip()
    )
    app.config["RATELIMIT_STORAGE_URI"] = settings.rate_limit_storage
    if is_shared(settings.rate_limit_storage):
        # a store that does not answer must not take the service down: count in memory meanwhile
        app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
        # and not make a request wait: fail fast on a store that hangs
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 0.2, "socket_connect_timeout": 0.2})
    limiter.init_app(app)
    # Flask-Limiter also checks every request in a before_request hook, for default
    # limits, which we have none of; the `expensive` decorator does its own check. The
    # hook cost ~0.2 ms on every request, cheap ones included, so it is taken out.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    # ours only looks at the expensive views, and runs before every other hook (errors in
    # them, a NUL byte, a body too large, count too): first in the list
    app.before_request_funcs[None].insert(0, check_expensive)


def warn_if_per_process(storage_uri: str, workers: int) -> None:
    """Called by the server before forking: a per-process store with several workers."""
    if workers > 1 and not is_shared(storage_uri):
        log.warning("GEOSVC_RATE_LIMIT_STORAGE is memory://: with %d workers, a client gets up to %d times "
                    "GEOSVC_EXPENSIVE_RATE_LIMIT; use a shared store (redis://...)", workers, workers)
