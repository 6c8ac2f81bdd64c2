"""The security headers every answer carries, in one place for the middleware and the error responses.

Errors are answered by code that runs outside the header middleware (a crash, a refused body, an audit trail
that cannot be written), so they add these themselves.
"""

from __future__ import annotations

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"interest-cohort=()"),
    (b"cache-control", b"no-store"),
]


def as_text() -> dict[str, str]:
    """The same headers for a Starlette response."""
    return {k.decode(): v.decode() for k, v in SECURITY_HEADERS}
