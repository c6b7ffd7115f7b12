"""Disk work the content store does off its callers' path: writeback, syncs, freeing.

* :func:`start_writeback` queues written bytes for the disk at once
  (``sync_file_range(SYNC_FILE_RANGE_WRITE)``, asynchronous), instead of 30 s later;
* :func:`sync_in_background` runs ``fdatasync`` on a shared background thread, so a big
  ingest is made durable piecewise while the rest of it streams in;
* :func:`close_in_background` closes a file on a reaper thread: the last close of an
  unlinked big file is where its blocks are freed, which takes tens of ms per 100 MB;
* :class:`AlignedAppender` appends in writes that start and end on 64 KiB boundaries of
  the file, however the caller slices the data: the page cache then holds large folios,
  which the disk takes in a third of the requests and time (misaligned appends of a
  100 MB stream cost ~100 ms more to flush).

None of these is a guarantee by itself: the store's commit still ends with an ``fsync``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import cast

__all__ = ["AlignedAppender", "close_in_background", "start_writeback", "sync_in_background"]

_SYNC_FILE_RANGE_WRITE = 2
ALIGN = 64 << 10


def _load_sync_file_range() -> Callable[[int, int, int, int], int] | None:
    try:
        fn = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    fn.restype = ctypes.c_int
    return cast(Callable[[int, int, int, int], int], fn)


_sync_file_range = _load_sync_file_range()
_syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="content-sync")


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Queue ``length`` bytes at ``offset`` of ``fd`` for the disk; never waits for them.

    A failure (or a libc without the call) is ignored: this is only a head start.
    """
    if _sync_file_range is not None:
        _sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


def sync_in_background(fd: int) -> Future[None]:
    """``fdatasync(fd)`` on the sync thread; the caller keeps ``fd`` open until it is done
    and must look at the result (a writeback error is reported to one sync only)."""
    return _syncer.submit(os.fdatasync, fd)


class _Reaper:
    """Closes file descriptors on one daemon thread, started on first use."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def close(self, fd: int) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="content-reaper", daemon=True
                )
                self._thread.start()
        self._queue.put(fd)

    def _run(self) -> None:
        while True:
            fd = self._queue.get()
            with contextlib.suppress(OSError):
                os.close(fd)


_reaper = _Reaper()


def close_in_background(fd: int) -> None:
    """Hand ``fd`` to the reaper thread, which closes it soon; the caller must not use it."""
    _reaper.close(fd)


class AlignedAppender:
    """Appends to ``fd`` (positioned at its end, ``offset``) in aligned writes.

    Bytes past the last :data:`ALIGN` boundary wait in a small tail until the next write
    crosses one, or until :meth:`flush`.
    """

    def __init__(self, fd: int, offset: int) -> None:
        self._fd = fd
        self._flushed = offset
        self._tail = bytearray()

    @property
    def flushed(self) -> int:
        """Bytes in the file so far (the tail excluded)."""
        return self._flushed

    def write(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        end = self._flushed + len(self._tail) + len(view)
        boundary = end - end % ALIGN
        if boundary <= self._flushed:
            self._tail += view
            return
        cut = boundary - self._flushed - len(self._tail)
        _write_all(self._fd, [self._tail, view[:cut]] if self._tail else [view[:cut]])
        self._flushed = boundary
        self._tail = bytearray(view[cut:])

    def flush(self) -> None:
        """Write the tail (the file then ends unaligned until the next boundary)."""
        if self._tail:
            _write_all(self._fd, [self._tail])
            self._flushed += len(self._tail)
            self._tail = bytearray()


def _write_all(fd: int, parts: list[bytearray | memoryview]) -> None:
    views = [memoryview(p) for p in parts if len(p)]
    while views:
        n = os.writev(fd, views)
        while views and n >= len(views[0]):
            n -= len(views[0])
            views.pop(0)
        if views and n:
            views[0] = views[0][n:]
