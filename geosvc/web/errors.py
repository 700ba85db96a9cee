"""One JSON error shape for every error a client can see (see geosvc.core.errors)."""

from __future__ import annotations

import logging

from geosvc.core.errors import HTTP_CODES, ApiError, error_body

log = logging.getLogger(__name__)


def init_app(app) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError):
        headers = {"Retry-After": "5"} if error.status == 503 else {}
        return error_body(error.status, error.code, error.message, error.details), error.status, headers

    @app.error_processor
    def handle_http_error(error):
        # APIFlask routes Werkzeug HTTP errors and request validation errors here.
        if error.status_code == 400 and error.detail:
            return (
                error_body(400, "invalid_parameter", _validation_message(error.detail), error.detail),
                400,
                error.headers,
            )
        code = HTTP_CODES.get(error.status_code, "http_error")
        return error_body(error.status_code, code, error.message), error.status_code, error.headers

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        # HTTPException has its own, more specific handler (the processor above).
        log.exception("unhandled error")
        return error_body(500, "internal_error", "internal error; it has been logged"), 500


def _validation_message(detail: dict) -> str:
    """'k: Must be greater than or equal to 1 and less than or equal to 20.' from APIFlask's detail."""
    messages = []
    for fields in detail.values():
        for field, problems in fields.items():
            messages.append(f"{field}: {' '.join(str(p) for p in problems)}")
    return "; ".join(messages) or "invalid request"
