"""Domain errors that carry their HTTP status, and the one JSON error shape.

Every error a client can see has the body
    {"status": 404, "code": "commune_not_found", "message": "...", "details": {...}}
where `code` is stable (clients may branch on it) and `message` is for people.
No stack trace ever reaches a client: unexpected exceptions become a bare 500.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class ApiError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, code: str | None = None, **details):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.details = details


class BadRequest(ApiError):
    status = 400
    code = "bad_request"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class ServiceUnavailable(ApiError):
    status = 503
    code = "database_unavailable"


def error_body(status: int, code: str, message: str, details: dict | None = None) -> dict:
    body = {"status": status, "code": code, "message": message}
    if details:
        body["details"] = details
    return body


# Stable codes for the errors Flask/Werkzeug raise by themselves.
HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


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
