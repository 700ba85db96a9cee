"""HTTP caching of the public feeds: strong ETags, Cache-Control, 304 Not Modified, compression.

* ETag: a hash of the exact bytes served (identity coding). Every answer embeds its data
  block (source, vintage, loaded_at), so any ingestion gives new bytes, hence a new ETag;
  so does a new version of the code that changes the answer. Strong: equal tags mean
  byte-identical bodies (the JSON encoding is deterministic, geosvc.campaign.feeds.encode).
* Compression (Flask-Compress) appends the coding to a strong tag ("<tag>:gzip"), because a
  strong validator must differ between two encodings of a body (RFC 9110, 8.8.3). A client
  revalidating with either form gets its 304 here, before any body is encoded or compressed.
* Cache-Control (FEED_CACHE_CONTROL): public, so a CDN may keep the feeds; five minutes
  fresh, so an ingestion reaches everybody within five minutes; then, for an hour,
  stale-while-revalidate lets a cache answer at once with the copy it has while it
  revalidates in the background (usually a 304 of a few hundred bytes). During a campaign
  peak no visitor waits for the origin, and the data, re-ingested a few times a year, is
  at most one revalidation late. must-revalidate would instead make every request after
  the five minutes wait for the origin, and fail when the origin is down.
"""

from __future__ import annotations

from flask import Response, request
from flask_compress import Compress

from geosvc.core.representation import Representation, strong_etag  # noqa: F401 - part of this module's API

FEED_MAX_AGE_S = 300
FEED_STALE_WHILE_REVALIDATE_S = 3600
FEED_CACHE_CONTROL = (
    f"public, max-age={FEED_MAX_AGE_S}, stale-while-revalidate={FEED_STALE_WHILE_REVALIDATE_S}"
)
# For answers about a person's own position: no shared or private cache keeps them.
NO_STORE = "no-store"

JSON = "application/json"
GEOJSON = "application/geo+json"
# Our answers are JSON and GeoJSON; the pages are HTML, CSS and JavaScript.
COMPRESS_MIMETYPES = [JSON, GEOJSON, "text/html", "text/css", "text/javascript", "application/javascript"]
# Static files (the pages' scripts and styles, Leaflet, Swagger UI): all well under 2 MB.
STATIC_ENDPOINTS = frozenset({"static", "assets.static", "docs.static"})
MAX_BUFFERED_BYTES = 2 * 1024 * 1024
# Flask-Compress's own preference order; each coding appends its name to a strong ETag.
CODINGS = ("zstd", "br", "gzip", "deflate")




def cacheable(representation: Representation, mimetype: str = JSON,
              cache_control: str = FEED_CACHE_CONTROL) -> Response:
    """200 with the body, or 304 when the client already holds this representation."""
    held = _held_tag(representation.etag)
    if held is not None:
        response = Response(status=304)
        response.set_etag(held)  # the tag of the copy the client holds, coded or not
    else:
        response = Response(representation.body, mimetype=mimetype)
        response.set_etag(representation.etag)
    response.headers["Cache-Control"] = cache_control
    return response


def _held_tag(etag: str) -> str | None:
    """The tag of If-None-Match that designates our representation (weak comparison, as
    RFC 9110 13.1.2 requires for If-None-Match), in identity or a compressed coding."""
    tags = request.if_none_match
    if tags.star_tag:
        return etag
    for tag in tags.as_set(include_weak=True):
        if not tag:  # Werkzeug parses an empty tag ('""', 'W/""') as None
            continue
        base, _, coding = tag.partition(":")
        if base == etag and (not coding or coding in CODINGS):
            return tag
    return None


def init_app(app) -> None:
    """Compression of every answer the client accepts compressed (zstd, br, gzip, deflate)."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", list(CODINGS))
    # Flask-Compress (1.25) compresses a streamed body without ever closing its source: a
    # static file's descriptor would be left to the garbage collector. Streams stay as they
    # are; static files are read into memory first (below) and compressed like any body.
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)
    # registered after Compress, so it runs before it (Flask runs after_request in reverse)
    app.after_request(_buffer_static_file)


def _buffer_static_file(response: Response) -> Response:
    if (
        request.endpoint in STATIC_ENDPOINTS
        and response.status_code == 200
        and response.direct_passthrough
        and (response.content_length or 0) <= MAX_BUFFERED_BYTES
    ):
        response.direct_passthrough = False
        response.make_sequence()  # reads the file, and closes it when the response is closed
    return response
