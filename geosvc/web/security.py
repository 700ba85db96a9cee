"""Security headers on every response, and request size limits.

The Content-Security-Policy allows only the app's own scripts, styles and images:
no inline script, no CDN. Pages must load their JavaScript from files the app serves.
One exception, only when configured: the map tiles of GEOSVC_TILE_URL, whose origin (and
nothing else) is added to img-src.

No page may be framed (`frame-ancestors 'none'`, `X-Frame-Options: DENY`), except the
embeddable widget `GET /widget` (`framable`): the sites of GEOSVC_EMBED_ORIGINS may frame it,
nobody when that is empty. `GET /widget.js` is a script other sites load (`cross_origin_script`).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from geosvc.config import Settings, frame_ancestors, tile_origin
from geosvc.core.errors import BadRequest


def content_security_policy(image_origins: tuple[str, ...] = (), ancestors: str = "'none'") -> str:
    """The policy; `image_origins` (the tile server's, when one is configured) join img-src only;
    `ancestors`: who may frame the page ('none' but for the widget)."""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        " ".join(["img-src 'self' data:", *image_origins]),
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {ancestors}",
    ])


CONTENT_SECURITY_POLICY = content_security_policy()  # without tiles (deploy/topology.py copies it for nginx)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# The largest body any endpoint accepts (scenario requests are a few hundred bytes).
MAX_BODY_BYTES = 64 * 1024
# What a JSON body may hold: no endpoint needs more than 4 levels (a scenario's add[0].lon);
# Python's json module fails on ~1,000 levels (RecursionError) and int() on 4,301 digits
# (ValueError), both 500s when they reach the view.
MAX_JSON_DEPTH = 16
MAX_NUMBER_DIGITS = 100


def security_headers(settings: Settings | None) -> dict[str, str]:
    """The headers of every answer of an app with these settings."""
    if settings is None or not settings.tile_url:
        return SECURITY_HEADERS
    return SECURITY_HEADERS | {"Content-Security-Policy": content_security_policy(_image_origins(settings))}


def _image_origins(settings: Settings | None) -> tuple[str, ...]:
    return (tile_origin(settings.tile_url),) if settings is not None and settings.tile_url else ()


def framable(response, settings: Settings):
    """The widget's page: framable by the origins of GEOSVC_EMBED_ORIGINS only (frame-ancestors),
    without X-Frame-Options, which knows no list of origins (a browser that predates
    frame-ancestors would refuse every frame). Empty setting: 'none' and DENY, as everywhere."""
    ancestors = frame_ancestors(settings.embed_origins)
    response.headers["Content-Security-Policy"] = content_security_policy(_image_origins(settings), ancestors)
    response.geosvc_framable = ancestors != "'none'"  # add_security_headers then adds no X-Frame-Options
    return response


# A script other sites include with <script src>: a script tag needs no CORS, but a site that pins
# it with Subresource Integrity loads it in CORS mode (crossorigin="anonymous"), and one whose
# pages are cross-origin isolated (COEP require-corp) needs CORP. Public file, no credentials.
CROSS_ORIGIN_SCRIPT_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


def cross_origin_script(response):
    response.headers.update(CROSS_ORIGIN_SCRIPT_HEADERS)
    return response


def init_app(app) -> None:
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    headers = security_headers(app.config.get("GEOSVC_SETTINGS"))

    @app.before_request
    def reject_nul_bytes():
        # PostgreSQL text cannot hold NUL: refuse it here, once, with a clear 400.
        if "\x00" in request.path or any("\x00" in value for value in request.args.values()):
            raise BadRequest("the request contains a NUL character", code="invalid_character")

    @app.before_request
    def check_body():
        if _is_streamed():
            _read_streamed_body()
        if request.is_json and (request.content_length or _is_streamed()):
            check_json_text(request.get_data(cache=True))

    @app.after_request
    def add_security_headers(response):
        framable_page = getattr(response, "geosvc_framable", False)  # framable(): the CSP says who
        for header, value in headers.items():
            if not (framable_page and header == "X-Frame-Options"):
                response.headers.setdefault(header, value)
        location = response.headers.get("Location")
        if location:
            response.headers["Location"] = relative(location)
        return response


def relative(location: str) -> str:
    """A redirect's target without scheme nor host: Werkzeug builds them from the request's Host
    header, which the client chooses (`/communes//59350` -> `http://evil.example/communes/59350`)."""
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc:
        return location
    return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))


def _is_streamed() -> bool:
    return request.content_length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _read_streamed_body() -> None:
    """A chunked body over MAX_BODY_BYTES is a 413, as one with a Content-Length is.

    Werkzeug reads a streamed body up to MAX_CONTENT_LENGTH and stops there without a word, so
    the JSON was cut and said to be invalid (400). One more byte from the server's stream says
    whether there was more."""
    data = request.get_data(cache=True)
    if len(data) >= MAX_BODY_BYTES and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


class _NumberTooLong(ValueError):
    pass


def _bounded_number(text: str) -> str:
    if len(text) > MAX_NUMBER_DIGITS:
        raise _NumberTooLong(text)
    return text  # only checked here: the view's parser converts it


def check_json_text(data: bytes) -> None:
    """400 for a JSON body nested deeper than MAX_JSON_DEPTH or with a number of more than
    MAX_NUMBER_DIGITS characters; anything else malformed is left to the parser's own 400.
    Parsed once more by the view (webargs): 64 KiB at most, about a millisecond."""
    try:
        document = json.loads(data, parse_int=_bounded_number, parse_float=_bounded_number)
    except _NumberTooLong:
        raise BadRequest(f"a number in the JSON body has more than {MAX_NUMBER_DIGITS} characters",
                         code="invalid_json") from None
    except RecursionError:
        document = None  # deeper than the parser goes: far deeper than allowed
    except ValueError:  # JSONDecodeError, UnicodeDecodeError: the view's parser says so (400)
        return
    if document is None or _depth(document) > MAX_JSON_DEPTH:
        raise BadRequest(f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels", code="invalid_json")


def _depth(document) -> int:
    """How deep the arrays and objects go, level by level (stops past MAX_JSON_DEPTH)."""
    depth, level = 0, [document] if isinstance(document, dict | list) else []
    while level and depth <= MAX_JSON_DEPTH:
        depth += 1
        level = [child for value in level for child in (value.values() if isinstance(value, dict) else value)
                 if isinstance(child, dict | list)]
    return depth
