"""The audit key: an HMAC key the database never holds, so that someone who can write the store cannot forge the trail.

The hash chain alone shows an edit only to someone who kept a head outside: a writer who recomputes every hash
from an edit onwards, or who deletes the oldest records and appends a matching prune record, leaves a chain that
checks out. Every record therefore also carries an HMAC of its hash under a key that lives with the server, in
``TEGENKRACHT_AUDIT_KEY`` (``id:hex`` pairs, comma-separated, newest last) or in the file
``TEGENKRACHT_AUDIT_KEY_FILE`` (one ``id hex`` per line, newest last), which must be readable by its owner alone.

Rotation appends a key; records keep the id of the key that signed them, so old keys stay in the ring to verify
what they signed. Without any key the service makes one, in the file, on first use (the embedded default); a
ring from the environment is never written to. What the key does not protect against: whoever holds it (someone
who holds the server) can sign anything. Heads that oversight exports and keeps elsewhere (``audit-log head``)
still bound what such a person can rewrite.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core import settings

KEY_BYTES = 32


class AuditKeyError(RuntimeError):
    """No usable audit key: the file is readable by others, malformed, or names a key that is not in the ring."""


@dataclass(frozen=True)
class Keyring:
    """The audit keys by id; the last one signs, every one verifies what it signed."""

    keys: tuple[tuple[str, bytes], ...]
    source: str

    @property
    def current(self) -> str:
        """The id of the key that signs new records."""
        return self.keys[-1][0]

    def secret(self, key_id: str) -> bytes:
        """The key ``key_id``; an error naming it when the ring lacks it (rotated out, or another server's)."""
        for found, secret in self.keys:
            if found == key_id:
                return secret
        raise AuditKeyError(f"the audit key {key_id!r} is not in the key ring ({self.source})")

    def sign(self, message: str) -> tuple[str, str]:
        """The current key's id and its HMAC-SHA256 of ``message``."""
        return self.current, mac(self.keys[-1][1], message)

    def checks(self, key_id: str, message: str, sent: str) -> bool:
        """Whether ``sent`` is key ``key_id``'s HMAC of ``message``; false for a key the ring does not hold."""
        secret = dict(self.keys).get(key_id)  # bytes compared: a non-ASCII MAC written by hand is false, not a crash
        return secret is not None and hmac.compare_digest(mac(secret, message).encode(), sent.encode())


def mac(secret: bytes, message: str) -> str:
    """HMAC-SHA256, hex."""
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def record_message(digest: str) -> str:
    """What a record's MAC covers: its hash, which covers every field and the previous hash."""
    return f"record:{digest}"


def head_message(seq: int, digest: str, anchor_seq: int, anchor_hash: str) -> str:
    """What the head row's MAC covers: where the chain ends and where it starts."""
    return f"head:{seq}:{digest}:{anchor_seq}:{anchor_hash}"


def export_message(seq: int, digest: str, at: str) -> str:
    """What an exported head's MAC covers (a different prefix, so a head row's MAC cannot pass for one)."""
    return f"export:{seq}:{digest}:{at}"


_cache: dict[tuple[str, int, int, int], Keyring] = {}


def keyring() -> Keyring:
    """The configured ring, made on first use when nothing is configured; re-read when its file changes."""
    if settings.AUDIT_KEY:
        return _from_env(settings.AUDIT_KEY)
    path = settings.AUDIT_KEY_FILE
    if not path.exists():
        _create(path)
    info = path.stat()
    stamp = (str(path), info.st_mtime_ns, info.st_size, info.st_mode)  # a chmod to 644 must be seen at once
    cached = _cache.get(stamp)
    if cached is not None:
        return cached
    ring = _from_file(path, info)
    _cache.clear()
    _cache[stamp] = ring
    return ring


def rotate() -> str:
    """Add a new key to the file ring and return its id; it signs from now on, the old ones still verify."""
    if settings.AUDIT_KEY:
        raise AuditKeyError("the audit key comes from TEGENKRACHT_AUDIT_KEY: rotate it where that is kept")
    ring = keyring()
    key_id = _new_id({k for k, _ in ring.keys})
    with settings.AUDIT_KEY_FILE.open("a") as handle:
        handle.write(f"{key_id} {secrets.token_hex(KEY_BYTES)}\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key_id


def _new_id(taken: set[str]) -> str:
    while True:
        key_id = f"ak{secrets.token_hex(4)}"
        if key_id not in taken:
            return key_id


def _create(path: Path) -> None:
    """A fresh ring of one key, readable by its owner alone; a racing process's file wins.

    Written whole to a temporary file first and then linked into place, so a crash never leaves an empty ring
    behind (a link, unlike a rename, fails when the name exists).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, staged = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(f"{_new_id(set())} {secrets.token_hex(KEY_BYTES)}\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(staged, path)
        except FileExistsError:
            return
    finally:
        os.unlink(staged)


def _from_file(path: Path, info: os.stat_result) -> Keyring:
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuditKeyError(
            f"the audit key file {path} is open to other users (mode {stat.filemode(info.st_mode)}); "
            f"it must be readable by its owner alone: chmod 600 {path}"
        )
    pairs = [line.split() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return _ring([(p[0], p[1]) if len(p) == 2 else ("", "") for p in pairs], str(path))


def _from_env(value: str) -> Keyring:
    pairs = [tuple(item.strip().split(":", 1)) for item in value.split(",") if item.strip()]
    return _ring([(p[0], p[1]) if len(p) == 2 else ("", "") for p in pairs], "TEGENKRACHT_AUDIT_KEY")


def _ring(pairs: list[tuple[str, str]], source: str) -> Keyring:
    keys: list[tuple[str, bytes]] = []
    for key_id, hexed in pairs:
        try:
            secret = bytes.fromhex(hexed)
        except ValueError:
            secret = b""
        if not key_id or len(key_id) > 16 or len(secret) < 16:
            raise AuditKeyError(f"{source}: each key is an id of at most 16 characters and at least 16 hex bytes")
        keys.append((key_id, secret))
    if not keys:
        raise AuditKeyError(f"{source} holds no audit key")
    return Keyring(tuple(keys), source)
