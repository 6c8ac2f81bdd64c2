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


# The pages' session cookie: the pages set it, and the audit middleware only asks whether a request carries one
# (a request with neither a key nor this cookie is a stranger's, limited before anything is written).
# Over TLS it is SECURE_SESSION_COOKIE instead: the ``__Host-`` prefix makes browsers accept it only when Secure,
# from this host, for path /, so a network attacker on plain HTTP or a sibling domain cannot plant one. Browsers
# refuse ``__Host-`` cookies that are not Secure, so plain-HTTP localhost keeps the plain name. The secure name
# ends with the plain one, so the middleware's test for ``tk_session=`` in the Cookie header finds either.
SESSION_COOKIE = "tk_session"
SECURE_SESSION_COOKIE = "__Host-" + SESSION_COOKIE
SESSION_COOKIES = (SECURE_SESSION_COOKIE, SESSION_COOKIE)

# Sent with every answer that came over TLS (as uvicorn saw it, through a trusted proxy): browsers then refuse
# plain HTTP to this host for a year, so a session cookie never travels unencrypted after the first visit.
HSTS: tuple[bytes, bytes] = (b"strict-transport-security", b"max-age=31536000")
