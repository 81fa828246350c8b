"""Binance request signing: HMAC-SHA256 over the query string and body, key in a header.

The signed payload is the request's ``totalParams``: the raw query string followed by the
raw body, exactly as sent, without the ``signature`` parameter itself.
"""

from __future__ import annotations

import hashlib
import hmac


def split_signature(query: str, body: str) -> tuple[str, str | None]:
    """(payload to verify, signature) from the raw query string and body."""
    signature: str | None = None
    parts: list[str] = []
    for raw in (query, body):
        kept: list[str] = []
        for pair in raw.split("&") if raw else ():
            if pair.startswith("signature="):
                signature = pair[len("signature=") :]
            else:
                kept.append(pair)
        if kept:
            parts.append("&".join(kept))
    return "".join(parts), signature


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def signature_valid(secret: str, payload: str, signature: str) -> bool:
    # As bytes: compare_digest raises TypeError for a str with non-ASCII characters, and a
    # raw (unencoded) body can carry any.
    given = signature.lower().encode("utf-8", "surrogateescape")
    return hmac.compare_digest(sign(secret, payload).encode(), given)
