"""Security headers on every response, and request size limits.

The Content-Security-Policy allows only the app's own scripts, styles and images:
no inline script, no CDN. Pages must load their JavaScript from files the app serves.
"""

from __future__ import annotations

from flask import request

from geosvc.core.errors import BadRequest

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# The largest body any endpoint accepts (scenario requests are a few hundred bytes).
MAX_BODY_BYTES = 64 * 1024


def init_app(app) -> None:
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.before_request
    def reject_nul_bytes():
        # PostgreSQL text cannot hold NUL: refuse it here, once, with a clear 400.
        if "\x00" in request.path or any("\x00" in value for value in request.args.values()):
            raise BadRequest("the request contains a NUL character", code="invalid_character")

    @app.after_request
    def add_security_headers(response):
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        return response
