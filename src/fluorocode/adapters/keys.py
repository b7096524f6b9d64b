"""The service's API keys: created once, stored only as salted hashes.

A key is ``fck_`` followed by 43 URL-safe characters (32 random bytes). It is shown once,
when created; ``<home>/api-keys.json`` (mode 0600, replaced atomically) keeps for each
name a random salt and ``sha256(salt + key)``, the scopes and when it was made. With 256
random bits a key cannot be guessed, so a fast hash is enough (a slow one such as scrypt
protects guessable passwords, and would cost every request milliseconds).

Scopes: ``check`` (check, extract, editions) for every key; ``audit`` (read the audit
trail over HTTP) only when asked for.

The file is read again whenever it changes, so ``fluorocode keys revoke`` takes effect on
a running service within 10 ms (``verify`` looks at the file at most that often; a
change made in the same process is seen at once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from fluorocode.adapters._files import locked, write_private
from fluorocode.errors import ApiKeyError

KEYS_FILE = "api-keys.json"
PREFIX = "fck_"
SCOPES = ("check", "audit")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
_FORMAT = 1
#: ``verify`` trusts the keys it read for this long before it looks at the file again
#: (issue 11: a stat per request on the event loop let the check threads take the GIL
#: there). A create or revoke by any store of this process is seen at once
#: (``_changes``); one by another process (``fluorocode keys revoke``) within this much.
_RECHECK_NS = 10_000_000


@dataclass(frozen=True, slots=True)
class ApiKey:
    """What is known about a key without the key itself."""

    name: str
    created: str
    scopes: tuple[str, ...]
    hint: str  # the key's first characters, to tell keys apart

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "created": self.created,
            "scopes": list(self.scopes),
            "hint": self.hint,
        }


@dataclass(frozen=True, slots=True)
class _Stored:
    key: ApiKey
    salt: bytes
    digest: bytes


def _digest(salt: bytes, token: str) -> bytes:
    return hashlib.sha256(salt + token.encode("utf-8")).digest()


class KeyStore:
    """The API keys of one home directory."""

    #: Creates and revokes made in this process so far, by any store.
    _changes: ClassVar[int] = 0

    def __init__(self, home: Path) -> None:
        self.path = home / KEYS_FILE
        self._lock = home / f".{KEYS_FILE}.lock"
        self._cache: tuple[tuple[int, int, int], list[_Stored]] | None = None
        # when (monotonic) ``verify`` last looked at the file, and the changes by then
        self._checked: tuple[int, int] = (0, -1)

    def _trusted(self) -> list[_Stored]:
        """The keys as ``verify`` sees them: read again at most every ``_RECHECK_NS``
        and after any create or revoke in this process."""
        changes = KeyStore._changes  # read before the file: a change after it is
        now = time.monotonic_ns()  # seen by the next call
        if (
            self._cache is not None
            and self._checked[1] == changes
            and now - self._checked[0] < _RECHECK_NS
        ):
            return self._cache[1]
        stored = self._read()
        self._checked = (now, changes)
        return stored

    def _read(self) -> list[_Stored]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._cache = None
            return []
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if self._cache is not None and self._cache[0] == stamp:
            return self._cache[1]
        try:
            doc = json.loads(self.path.read_bytes())
            stored = [
                _Stored(
                    ApiKey(k["name"], k["created"], tuple(k["scopes"]), k["hint"]),
                    bytes.fromhex(k["salt"]),
                    bytes.fromhex(k["sha256"]),
                )
                for k in doc["keys"]
            ]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ApiKeyError(f"{self.path}: not a readable key file ({exc})") from exc
        self._cache = (stamp, stored)
        return stored

    def _write(self, stored: list[_Stored]) -> None:
        doc = {
            "format": _FORMAT,
            "keys": [
                {
                    **s.key.to_dict(),
                    "salt": s.salt.hex(),
                    "sha256": s.digest.hex(),
                }
                for s in stored
            ],
        }
        write_private(self.path, json.dumps(doc, indent=1).encode("utf-8"))
        KeyStore._changes += 1

    def create(self, name: str, scopes: tuple[str, ...] = ("check",)) -> str:
        """Make a new key called ``name`` and return it (the only time it is shown).

        Raises:
            ApiKeyError: the name is malformed or taken, or a scope is unknown.
        """
        if not _NAME.match(name):
            raise ApiKeyError(
                f"{name!r} is not a key name (1-64 of A-Z a-z 0-9 . _ -, "
                "starting with a letter or digit)"
            )
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise ApiKeyError(f"unknown scope(s) {unknown}; known: {list(SCOPES)}")
        token = PREFIX + secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        ordered = tuple(s for s in SCOPES if s in scopes or s == "check")
        key = ApiKey(name, created, ordered, token[: len(PREFIX) + 4])
        with locked(self._lock):
            stored = self._read()
            if any(s.key.name == name for s in stored):
                raise ApiKeyError(
                    f"a key named {name!r} exists; revoke it first or choose "
                    "another name"
                )
            self._write([*stored, _Stored(key, salt, _digest(salt, token))])
        return token

    def list(self) -> list[ApiKey]:
        return [s.key for s in self._read()]

    def revoke(self, name: str) -> None:
        """Delete the key called ``name``; requests with it fail from now on.

        Raises:
            ApiKeyError: no key has that name.
        """
        with locked(self._lock):
            stored = self._read()
            kept = [s for s in stored if s.key.name != name]
            if len(kept) == len(stored):
                raise ApiKeyError(f"no key named {name!r}")
            self._write(kept)

    def verify(self, token: str) -> ApiKey | None:
        """The key ``token`` is, or None (compared in constant time per key)."""
        if not token.startswith(PREFIX):
            return None
        found = None
        for s in self._trusted():
            if hmac.compare_digest(_digest(s.salt, token), s.digest):
                found = s.key
        return found
