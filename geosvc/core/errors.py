"""Domain errors that carry their HTTP status, and the one JSON error shape.

Every error a client can see has the body
    {"status": 404, "code": "commune_not_found", "message": "...", "details": {...}}
where `code` is stable (clients may branch on it) and `message` is for people.
No stack trace ever reaches a client: unexpected exceptions become a bare 500.
"""

from __future__ import annotations


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
