"""An answer's exact bytes and their strong entity tag: what the API serves and the export writes."""

from __future__ import annotations

import dataclasses
import hashlib


@dataclasses.dataclass(frozen=True, slots=True)
class Representation:
    """The bytes of an answer and their strong entity tag (unquoted)."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> Representation:
        return cls(body, strong_etag(body))


def strong_etag(body: bytes) -> str:
    # 128 bits of SHA-256: collisions are out of reach, the header stays short
    return hashlib.sha256(body).hexdigest()[:32]
