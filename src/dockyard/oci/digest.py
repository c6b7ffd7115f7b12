"""Content digests (``algorithm:hex``) as used by OCI images and distribution.

Only sha256 is produced; sha512 is accepted on input because the spec allows it.
"""

from __future__ import annotations

import hashlib
import re
from typing import NewType

from dockyard.errors import InvalidParameter

__all__ = ["Digest", "Hasher", "compute", "hex_of", "parse", "short_id"]

Digest = NewType("Digest", str)

_PATTERN = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")


def parse(text: str) -> Digest:
    """Validate ``text`` as a digest; raise InvalidParameter naming it otherwise."""
    if not _PATTERN.match(text):
        raise InvalidParameter(f"invalid digest {text!r}")
    return Digest(text)


def is_digest(text: str) -> bool:
    return bool(_PATTERN.match(text))


def compute(data: bytes) -> Digest:
    return Digest("sha256:" + hashlib.sha256(data).hexdigest())


def hex_of(digest: str) -> str:
    """The hex part of a digest, which names blobs on disk."""
    return digest.split(":", 1)[1]


def short_id(digest: str) -> str:
    """Docker's 12-character id, as `docker images` prints it."""
    return hex_of(digest)[:12] if ":" in digest else digest[:12]


class Hasher:
    """Incremental sha256 that also counts bytes, for hashing while streaming."""

    __slots__ = ("_h", "size")

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self.size = 0

    def update(self, data: bytes | memoryview) -> None:
        self._h.update(data)
        self.size += len(data)

    def digest(self) -> Digest:
        return Digest("sha256:" + self._h.hexdigest())
