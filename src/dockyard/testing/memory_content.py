"""An in-memory ContentStore for unit tests: the same contract as the local store, no disk.

It passes ``tests/contract/test_content_store.py``, so code tested against it behaves the
same against :class:`~dockyard.content.local.LocalContentStore`. ``open`` returns
``io.BytesIO`` (no ``fileno``), which is the one documented difference.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from dockyard.content.base import Info, commit_refusal
from dockyard.content.local import IngestStatus
from dockyard.errors import Conflict, InvalidParameter, NotFound
from dockyard.oci.digest import Digest, Hasher

__all__ = ["MemoryContentStore", "MemoryWriter"]


@dataclass(slots=True)
class _Ingest:
    data: bytearray = field(default_factory=bytearray)
    started: float = field(default_factory=time.time)
    locked: bool = False


class MemoryWriter:
    def __init__(
        self, store: MemoryContentStore, ref: str, ingest: _Ingest, expected: Digest | None
    ) -> None:
        self._store = store
        self._ref = ref
        self._ingest = ingest
        self._expected = expected
        self._hasher = Hasher()
        self._hasher.update(bytes(ingest.data))
        self._closed = False

    @property
    def offset(self) -> int:
        return self._hasher.size

    def write(self, data: bytes | memoryview) -> None:
        self._check_open()
        self._ingest.data += data
        self._hasher.update(data)

    def commit(self, size: int | None = None, expected: Digest | None = None) -> Digest:
        self._check_open()
        expected = expected or self._expected
        digest = self._hasher.digest()
        refusal = commit_refusal(self._ref, self._hasher.size, digest, size, expected)
        if refusal is not None:
            self.abort()
            raise InvalidParameter(refusal)
        with self._store._lock:
            if digest not in self._store._blobs:
                self._store._blobs[digest] = (bytes(self._ingest.data), time.time())
            del self._store._ingests[self._ref]
        self._closed = True
        return digest

    def abort(self) -> None:
        if self._closed:
            return
        with self._store._lock:
            self._store._ingests.pop(self._ref, None)
        self._closed = True

    def close(self) -> None:
        if self._closed:
            return
        with self._store._lock:
            self._ingest.locked = False
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidParameter(f"writer for ref {self._ref!r} is closed")


class MemoryContentStore:
    """Blobs in a dict; thread-safe so tests may drive it from ``asyncio.to_thread``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blobs: dict[str, tuple[bytes, float]] = {}
        self._ingests: dict[str, _Ingest] = {}

    def info(self, digest: Digest) -> Info:
        with self._lock:
            entry = self._blobs.get(digest)
        if entry is None:
            raise NotFound(f"content {digest}: not found")
        return Info(digest=digest, size=len(entry[0]), created=entry[1])

    def open(self, digest: Digest) -> BinaryIO:
        with self._lock:
            entry = self._blobs.get(digest)
        if entry is None:
            raise NotFound(f"content {digest}: not found")
        return io.BytesIO(entry[0])

    def writer(self, ref: str, expected: Digest | None = None) -> MemoryWriter:
        if not ref:
            raise InvalidParameter("ingest ref must not be empty")
        with self._lock:
            ingest = self._ingests.setdefault(ref, _Ingest())
            if ingest.locked:
                raise Conflict(f"ref {ref!r} is locked: another writer is ingesting it")
            ingest.locked = True
        return MemoryWriter(self, ref, ingest, expected)

    def delete(self, digest: Digest) -> None:
        with self._lock:
            if self._blobs.pop(digest, None) is None:
                raise NotFound(f"content {digest}: not found")

    def walk(self) -> Iterator[Info]:
        with self._lock:
            items = list(self._blobs.items())
        for digest, (data, created) in items:
            yield Info(digest=Digest(digest), size=len(data), created=created)

    def abort(self, ref: str) -> None:
        """Remove the ingest ``ref``; Conflict while a writer holds it, NotFound if absent."""
        with self._lock:
            ingest = self._ingests.get(ref)
            if ingest is None:
                raise NotFound(f"ingest {ref!r}: not found")
            if ingest.locked:
                raise Conflict(f"ref {ref!r} is locked: another writer is ingesting it")
            del self._ingests[ref]

    def ingests(self) -> Iterator[IngestStatus]:
        """Every uncommitted ingest, as the local store reports them."""
        with self._lock:
            items = [(ref, len(i.data), i.started, i.locked) for ref, i in self._ingests.items()]
        for ref, offset, started, active in items:
            yield IngestStatus(
                ref=ref, offset=offset, started=started, updated=started, active=active
            )
