"""The ContentStore contract.

Lifecycle of a blob::

    writer(ref) -> write()* -> commit(size, expected)   blob visible under its digest
                            -> abort()                   nothing visible, ingest removed

Until ingestion is complete its content is not visible: ``info``/``open`` of the digest
raise NotFound, and a crash mid-write leaves only an ingest directory that a later writer
with the same ``ref`` resumes (``offset`` tells where) or ``abort`` removes. ``commit``
verifies the size and digest when given and raises InvalidParameter on a mismatch,
discarding the ingest. Committing a digest that already exists is not an error (content is
immutable; the existing blob is kept). Two writers with the same ref at once: the second
raises Conflict.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from dockyard.oci.digest import Digest

__all__ = ["ContentStore", "Info", "Writer", "commit_refusal"]


@dataclass(frozen=True, slots=True)
class Info:
    digest: Digest
    size: int
    created: float


def commit_refusal(
    ref: str, got_size: int, got: Digest, size: int | None, expected: Digest | None
) -> str | None:
    """Why the contract refuses to commit this ingest (its message), or None to proceed.

    Every implementation refuses with these same words, which the contract suite pins.
    """
    if size is not None and size != got_size:
        return f"size mismatch for ref {ref!r}: got {got_size} bytes, expected {size}"
    if expected is not None and expected != got:
        return f"digest mismatch for ref {ref!r}: got {got}, expected {expected}"
    return None


class Writer(Protocol):
    @property
    def offset(self) -> int:
        """Bytes written so far (including bytes from a resumed ingest)."""
        ...

    def write(self, data: bytes | memoryview) -> None: ...

    def commit(self, size: int | None = None, expected: Digest | None = None) -> Digest:
        """Make the blob visible under its digest and return that digest."""
        ...

    def abort(self) -> None: ...

    def close(self) -> None:
        """Release the ref without committing; the ingest stays and a later writer resumes it."""
        ...


class ContentStore(Protocol):
    def info(self, digest: Digest) -> Info:
        """Raise NotFound when no committed blob has this digest."""
        ...

    def open(self, digest: Digest) -> BinaryIO:
        """A seekable binary reader (a real file, so ``fileno()`` works for sendfile)."""
        ...

    def writer(self, ref: str, expected: Digest | None = None) -> Writer:
        """Start or resume the ingest named ``ref``."""
        ...

    def delete(self, digest: Digest) -> None:
        """Remove a blob; NotFound if absent."""
        ...

    def walk(self) -> Iterator[Info]: ...
