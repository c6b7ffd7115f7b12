"""Docker's json-file log driver, written by the monitor as a container's output arrives.

One JSON object per line of output, as Docker writes it (and as ``docker logs`` reads it)::

    {"log":"hello\\n","stream":"stdout","time":"2026-11-23T01:02:03.123456789Z"}

A line longer than 16 KiB is cut into pieces whose ``log`` has no newline, as is the
unterminated tail flushed when the stream ends. Rotation follows Docker: before a write, when
the file has reached ``max_size`` bytes, ``<path>.N-1`` moves to ``<path>.N`` ... ``<path>`` to
``<path>.1`` and a new file starts; with ``max_file`` 1 the file is truncated instead.

Small by design (the monitor keeps one per container): no buffered file object, one fd
opened O_APPEND, and a partial-line buffer per stream that is empty between lines.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

__all__ = ["MAX_LINE", "JsonFileLog", "rfc3339_nano_ns"]

log = logging.getLogger(__name__)

MAX_LINE = 16 * 1024


def rfc3339_nano_ns(ns: int) -> str:
    """``2026-11-23T01:02:03.123456789Z`` from Unix nanoseconds (no float rounding)."""
    secs, nanos = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{nanos:09d}Z"


class JsonFileLog:
    __slots__ = ("_fd", "_partial", "_size", "max_file", "max_size", "path")

    def __init__(self, path: Path, max_size: int | None = None, max_file: int = 1) -> None:
        self.path = path
        self.max_size = max_size if max_size and max_size > 0 else None
        self.max_file = max(1, max_file)
        self._partial: dict[str, bytes] = {}
        self._fd = self._open()
        self._size = os.fstat(self._fd).st_size

    def _open(self) -> int:
        return os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o640)

    def write(self, stream: str, data: bytes, now_ns: int | None = None) -> None:
        """Log ``data`` read from ``stream`` ("stdout"/"stderr"); whole lines only."""
        if self._fd < 0:
            return
        ts = rfc3339_nano_ns(now_ns if now_ns is not None else time.time_ns())
        pending = self._partial.pop(stream, b"") + data
        start = 0
        while True:
            nl = pending.find(b"\n", start)
            if nl < 0:
                break
            self._emit(stream, pending[start : nl + 1], ts)
            start = nl + 1
        rest = pending[start:]
        while len(rest) >= MAX_LINE:
            self._emit(stream, rest[:MAX_LINE], ts)
            rest = rest[MAX_LINE:]
        if rest:
            self._partial[stream] = rest

    def flush(self, now_ns: int | None = None) -> None:
        """Write the unterminated tails (the streams ended)."""
        ts = rfc3339_nano_ns(now_ns if now_ns is not None else time.time_ns())
        partial, self._partial = self._partial, {}
        for stream, rest in partial.items():
            self._emit(stream, rest, ts)

    def close(self) -> None:
        if self._fd >= 0:
            self.flush()
            os.close(self._fd)
            self._fd = -1

    def _emit(self, stream: str, chunk: bytes, ts: str) -> None:
        text = chunk.decode("utf-8", errors="replace")
        line = (
            json.dumps(
                {"log": text, "stream": stream, "time": ts},
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode()
            + b"\n"
        )
        if self.max_size is not None and self._size >= self.max_size:
            self._rotate()
        try:
            os.write(self._fd, line)
        except OSError as err:
            log.warning("log %s: write failed: %s", self.path, err)
            return
        self._size += len(line)

    def _rotate(self) -> None:
        try:
            if self.max_file == 1:
                os.ftruncate(self._fd, 0)
            else:
                for n in range(self.max_file - 1, 1, -1):
                    older = self.path.with_name(f"{self.path.name}.{n - 1}")
                    if older.exists():
                        older.replace(self.path.with_name(f"{self.path.name}.{n}"))
                self.path.replace(self.path.with_name(f"{self.path.name}.1"))
                os.close(self._fd)
                self._fd = self._open()
        except OSError as err:
            log.warning("log %s: rotation failed: %s", self.path, err)
        self._size = 0
