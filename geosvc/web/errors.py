"""One JSON error shape for every error a client can see (see geosvc.core.errors)."""

from __future__ import annotations

import logging

from geosvc.core.errors import HTTP_CODES, ApiError, error_body

log = logging.getLogger(__name__)

# An error body stays short whatever the request: a 64 KB scenario of 21,841 empty items once
# got a 6.8 MB answer listing three problems per item. The first problems are named, then a
# count of the others; field names (the client's own JSON keys) and texts are cut.
MAX_PROBLEMS = 10
MAX_NAME_CHARS = 100
MAX_TEXT_CHARS = 200
# Statuses Werkzeug may raise that core.errors.HTTP_CODES does not name.
MORE_HTTP_CODES = {408: "request_timeout", 411: "length_required", 414: "uri_too_long",
                   431: "request_header_fields_too_large"}


def init_app(app) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError):
        headers = {"Retry-After": "5"} if error.status == 503 else {}
        return error_body(error.status, error.code, error.message, error.details), error.status, headers

    @app.error_processor
    def handle_http_error(error):
        # APIFlask routes Werkzeug HTTP errors and request validation errors here.
        if error.status_code == 400 and error.detail:
            detail, left_out = trimmed(error.detail)
            message = _validation_message(detail)
            if left_out:
                message += f"; and {left_out} more problem{'s' if left_out > 1 else ''}"
                detail["more_problems"] = left_out
            return error_body(400, "invalid_parameter", message, detail), 400, error.headers
        code = HTTP_CODES.get(error.status_code) or MORE_HTTP_CODES.get(error.status_code, "http_error")
        return error_body(error.status_code, code, error.message), error.status_code, error.headers

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        # HTTPException has its own, more specific handler (the processor above).
        log.exception("unhandled error")
        return error_body(500, "internal_error", "internal error; it has been logged"), 500


def trimmed(detail: dict) -> tuple[dict, int]:
    """APIFlask's {location: {field: [problems]}} cut to MAX_PROBLEMS fields, and how many were left out."""
    kept: dict = {}
    total = 0
    for location, fields in detail.items():
        if not isinstance(fields, dict):  # e.g. {"json": ["Invalid JSON body."]}
            kept[location] = [_cut(str(p), MAX_TEXT_CHARS) for p in _as_list(fields)[:MAX_PROBLEMS]]
            total += 1
            continue
        for field, problems in fields.items():
            total += 1
            if total <= MAX_PROBLEMS:
                texts = [_cut(str(p), MAX_TEXT_CHARS) for p in _as_list(problems)[:3]]
                kept.setdefault(location, {})[_cut(str(field), MAX_NAME_CHARS)] = texts
    return kept, max(0, total - MAX_PROBLEMS)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _validation_message(detail: dict) -> str:
    """'k: Must be greater than or equal to 1 and less than or equal to 20.' from APIFlask's detail."""
    messages = []
    for fields in detail.values():
        if not isinstance(fields, dict):
            messages.append(" ".join(str(p) for p in _as_list(fields)))
            continue
        for field, problems in fields.items():
            messages.append(f"{field}: {' '.join(str(p) for p in _as_list(problems))}")
    return "; ".join(messages) or "invalid request"
