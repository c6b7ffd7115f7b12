"""The on-disk content store: blobs named by digest, written through resumable ingests.

Layout (``root`` is ``<data-root>/content``)::

    root/
    ├── blobs/
    │   └── sha256/
    │       └── <hex>                 committed blob, mode 0444, never modified
    └── ingest/
        └── <sha256 of ref>/          one in-flight write; invisible to info/open/walk
            ├── ref                   the ref text (the directory name is its hash)
            ├── started               creation time, seconds since the epoch
            └── data                  bytes written so far

Why this shape: a blob appears under ``blobs/`` by a single ``rename(2)`` of a fully written
and fsynced ``data`` file, so a reader sees a whole blob or nothing, and a crash leaves at
most an ingest directory. A writer holds ``flock(LOCK_EX)`` on its ingest directory for its
whole life; the kernel drops the lock when the process dies, so a stale ingest is resumable
(the new writer re-hashes ``data`` to recover the hash state) and a live one is a Conflict.

Speed (helpers in :mod:`dockyard.content.diskio`): a writer appends in aligned writes,
asks the kernel to start writing its data back every few MiB and makes it durable as often
(one sync at a time) on a background thread (on a virtual disk the cache flush, not the
write, is the long part), so the disk works while the rest streams in and the ``fsync`` at
commit, still the guarantee, only waits for the tail. A background sync error fails the
next write or the commit (Linux reports a writeback error to one sync only).
:meth:`LocalWriter.digest` exposes the running hash, so a caller that needs the digest
before committing (the archive reader) need not hash every byte twice. Deleting a big blob
unlinks its name at once and frees its blocks later.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dockyard.content.base import Info, commit_refusal
from dockyard.content.diskio import (
    AlignedAppender,
    close_in_background,
    start_writeback,
    sync_in_background,
)
from dockyard.errors import Conflict, InvalidParameter, NotFound
from dockyard.oci.digest import Digest, Hasher, is_digest
from dockyard.util.atomic import fsync_dir

__all__ = ["IngestStatus", "LocalContentStore", "LocalWriter"]

_CHUNK = 1 << 20
_WRITEBACK = 8 << 20  # start writeback of each this many bytes written...
_SYNC_STRIDE = 8 << 20  # ...and sync in the background each this many (one sync at a time)
_FREE_IN_BACKGROUND = 8 << 20  # deleted blobs this big are freed by the reaper thread


@dataclass(frozen=True, slots=True)
class IngestStatus:
    """An ingest that has not been committed or aborted (for gc and ``docker system df``)."""

    ref: str
    offset: int
    started: float
    updated: float
    active: bool


def _ingest_name(ref: str) -> str:
    return hashlib.sha256(ref.encode()).hexdigest()


class LocalWriter:
    """Appends to one ingest's ``data`` while hashing; see :class:`ContentStore` for the contract.

    Also a context manager: leaving the block without commit releases the lock and keeps
    the ingest for a later resume (call :meth:`abort` to drop it instead).
    """

    def __init__(self, store: LocalContentStore, ref: str, expected: Digest | None) -> None:
        self._store = store
        self._ref = ref
        self._expected = expected
        self._dir = store.root / "ingest" / _ingest_name(ref)
        self._lock_fd = self._lock(ref)
        try:
            self._open_data()
        except BaseException:
            os.close(self._lock_fd)
            raise

    def _lock(self, ref: str) -> int:
        while True:
            self._dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as err:
                os.close(fd)
                raise Conflict(f"ref {ref!r} is locked: another writer is ingesting it") from err
            try:
                if self._dir.stat().st_ino == os.fstat(fd).st_ino:
                    return fd
            except FileNotFoundError:
                pass
            os.close(fd)  # the previous holder committed and removed it: start afresh

    def _open_data(self) -> None:
        ref_file = self._dir / "ref"
        if not ref_file.exists():
            ref_file.write_text(self._ref)
            (self._dir / "started").write_text(repr(time.time()))
        self._hasher = Hasher()
        self._fd = os.open(self._dir / "data", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            # Resume: the hash state is not persisted, so rebuild it from the bytes on disk
            # (which leaves the file position at the end, where appending goes on).
            buf = bytearray(_CHUNK)
            view = memoryview(buf)
            while n := os.readv(self._fd, [buf]):
                self._hasher.update(view[:n])
        except BaseException:
            os.close(self._fd)
            raise
        self._out = AlignedAppender(self._fd, self._hasher.size)
        self._written_back = self._synced = self._hasher.size
        self._sync: Future[None] | None = None
        self._closed = False

    @property
    def ref(self) -> str:
        return self._ref

    @property
    def offset(self) -> int:
        return self._hasher.size

    def write(self, data: bytes | memoryview) -> None:
        self._check_open()
        self._out.write(data)
        self._hasher.update(data)
        flushed = self._out.flushed
        if flushed - self._written_back < _WRITEBACK:
            return
        start_writeback(self._fd, self._written_back, flushed - self._written_back)
        self._written_back = flushed
        if flushed - self._synced >= _SYNC_STRIDE and (self._sync is None or self._sync.done()):
            self._settle_sync()
            self._sync = sync_in_background(self._fd)
            self._synced = flushed

    def digest(self) -> Digest:
        """The digest of the bytes written so far: what :meth:`commit` will name the blob."""
        return self._hasher.digest()

    def reader(self) -> BinaryIO:
        """A reader of the bytes written so far, before (and independent of) the commit.

        The file stays readable after :meth:`commit` renames it or :meth:`abort` removes
        it, so a caller can use the data while the commit's fsync is under way.
        """
        self._check_open()
        self._out.flush()
        return open(self._dir / "data", "rb")

    def commit(self, size: int | None = None, expected: Digest | None = None) -> Digest:
        self._check_open()
        expected = expected or self._expected
        digest = self._hasher.digest()
        refusal = commit_refusal(self._ref, self._hasher.size, digest, size, expected)
        if refusal is not None:
            self.abort()
            raise InvalidParameter(refusal)
        try:
            self._settle_sync()
        except BaseException:
            self.abort()
            raise
        try:
            self._out.flush()
            os.fchmod(self._fd, 0o444)
            os.fsync(self._fd)
        except BaseException:
            self.abort()
            raise
        os.close(self._fd)
        target = self._store.blob_path(digest)
        if not target.exists():  # content is immutable: an existing blob is kept as is
            target.parent.mkdir(parents=True, exist_ok=True)
            (self._dir / "data").rename(target)
            fsync_dir(target.parent)
        self._remove_ingest()
        return digest

    def abort(self) -> None:
        """Drop the ingest and everything written to it."""
        if self._closed:
            return
        self._wait_sync()
        os.close(self._fd)
        self._remove_ingest()

    def close(self) -> None:
        """Release the ref, keeping the ingest so a later writer resumes at :attr:`offset`."""
        if self._closed:
            return
        self._wait_sync()
        try:
            self._out.flush()
        finally:
            os.close(self._fd)
            self._release()

    def __enter__(self) -> LocalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _settle_sync(self) -> None:
        """Wait for the background sync, if any; raise its error."""
        sync, self._sync = self._sync, None
        if sync is not None:
            sync.result()

    def _wait_sync(self) -> None:
        """Wait for the background sync, if any, before the file is closed; errors do not
        matter to a writer that commits nothing."""
        with contextlib.suppress(OSError):
            self._settle_sync()

    def _remove_ingest(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
        self._release()

    def _release(self) -> None:
        self._closed = True
        os.close(self._lock_fd)

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidParameter(f"writer for ref {self._ref!r} is closed")


class LocalContentStore:
    """A :class:`~dockyard.content.base.ContentStore` on a local directory (see module doc)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        (self.root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (self.root / "ingest").mkdir(parents=True, exist_ok=True)

    def blob_path(self, digest: Digest) -> Path:
        """Where a sha256 blob lives (whether or not it exists); NotFound for other digests."""
        if not is_digest(digest) or not digest.startswith("sha256:"):
            raise NotFound(f"content {digest}: not found")
        return self.root / "blobs" / "sha256" / digest[len("sha256:") :]

    def info(self, digest: Digest) -> Info:
        try:
            st = self.blob_path(digest).stat()
        except FileNotFoundError as err:
            raise NotFound(f"content {digest}: not found") from err
        return Info(digest=digest, size=st.st_size, created=st.st_mtime)

    def open(self, digest: Digest) -> BinaryIO:
        try:
            return open(self.blob_path(digest), "rb")
        except FileNotFoundError as err:
            raise NotFound(f"content {digest}: not found") from err

    def writer(self, ref: str, expected: Digest | None = None) -> LocalWriter:
        if not ref:
            raise InvalidParameter("ingest ref must not be empty")
        return LocalWriter(self, ref, expected)

    def delete(self, digest: Digest) -> None:
        """Remove the blob's name at once; a big blob's blocks are freed in the background.

        Freeing the blocks of a large file is the slow part of unlinking it (tens of ms per
        100 MB on ext4) and happens at the last close: so the file is held open across the
        unlink and closed by the reaper thread, off the caller's path (``docker rmi``).
        """
        path = self.blob_path(digest)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError as err:
            raise NotFound(f"content {digest}: not found") from err
        try:
            path.unlink()
        except BaseException as err:
            os.close(fd)
            if isinstance(err, FileNotFoundError):
                raise NotFound(f"content {digest}: not found") from err
            raise
        if os.fstat(fd).st_size >= _FREE_IN_BACKGROUND:
            close_in_background(fd)
        else:
            os.close(fd)

    def walk(self) -> Iterator[Info]:
        with os.scandir(self.root / "blobs" / "sha256") as entries:
            for entry in entries:
                digest = "sha256:" + entry.name
                if not is_digest(digest):
                    continue
                with contextlib.suppress(FileNotFoundError):  # deleted while walking
                    st = entry.stat(follow_symlinks=False)
                    yield Info(digest=Digest(digest), size=st.st_size, created=st.st_mtime)

    def abort(self, ref: str) -> None:
        """Remove the ingest ``ref``; Conflict while a writer holds it, NotFound if absent."""
        path = self.root / "ingest" / _ingest_name(ref)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError as err:
            raise NotFound(f"ingest {ref!r}: not found") from err
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as err:
                raise Conflict(f"ref {ref!r} is locked: another writer is ingesting it") from err
            shutil.rmtree(path, ignore_errors=True)
        finally:
            os.close(fd)

    def ingests(self) -> Iterator[IngestStatus]:
        """Every uncommitted ingest; ``active`` tells whether a writer holds it now."""
        with os.scandir(self.root / "ingest") as entries:
            dirs = [e.path for e in entries if e.is_dir(follow_symlinks=False)]
        for d in dirs:
            status = self._ingest_status(Path(d))
            if status is not None:
                yield status

    @staticmethod
    def _ingest_status(path: Path) -> IngestStatus | None:
        try:
            ref = (path / "ref").read_text()
            started = float((path / "started").read_text())
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except (FileNotFoundError, ValueError):
            return None  # half-created or being removed
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                active = False
            except BlockingIOError:
                active = True
            try:
                st = (path / "data").stat()
                offset, updated = st.st_size, st.st_mtime
            except OSError as err:
                if err.errno != errno.ENOENT:
                    raise
                offset, updated = 0, started
        finally:
            os.close(fd)
        return IngestStatus(ref=ref, offset=offset, started=started, updated=updated, active=active)
