"""``GET /containers/{id}/logs``: read the json-file log the monitor writes, as dockerd does.

The log of a container is ``<id>-json.log`` plus, when it rotates (``max-file`` > 1), the
older ``<id>-json.log.1`` (newer) ... ``.N`` (oldest); a read goes oldest to newest::

    <data-root>/containers/<id>/<id>-json.log.2   oldest
    <data-root>/containers/<id>/<id>-json.log.1
    <data-root>/containers/<id>/<id>-json.log     live, appended to by the monitor

Filters apply in dockerd's order: ``tail`` picks the last N lines of the log (both streams
counted), then ``since``/``until`` and the stream selection drop lines. A ``follow`` keeps
reading the live file (across a rotation, or a truncation with ``max-file`` 1) until the
container is no longer running AND the file is drained — the monitor closes the log before
it reports the exit, so the last read after that report is complete.
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import json
import logging
import os
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.state import Status
from dockyard.errors import InvalidParameter, NotFound
from dockyard.runtime.monitor.jsonlog import rfc3339_nano_ns
from dockyard.runtime.monitor.protocol import STDERR, STDOUT, frame

__all__ = [
    "LogEntry",
    "LogOptions",
    "LogStream",
    "encode_entry",
    "log_files",
    "open_logs",
    "parse_log_line",
    "parse_tail",
    "parse_timestamp",
    "read_log",
]

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.1
BATCH = 1024
_STREAMS = {"stdout": STDOUT, "stderr": STDERR}
_FOLLOWED = (Status.RUNNING, Status.PAUSED)
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$"
)


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line (or piece of a long line) of output; ``stream`` is 1 (stdout) or 2."""

    stream: int
    data: bytes
    time_ns: int


@dataclass(frozen=True, slots=True)
class LogOptions:
    """``since_ns``/``until_ns`` are Unix nanoseconds (None: no bound); ``tail`` -1 is all."""

    stdout: bool = True
    stderr: bool = True
    follow: bool = False
    since_ns: int | None = None
    until_ns: int | None = None
    timestamps: bool = False
    tail: int = -1


@dataclass(frozen=True, slots=True)
class LogStream:
    """The entries to send and how: a TTY container's output is raw, others are framed."""

    tty: bool
    entries: AsyncIterator[LogEntry]


def parse_timestamp(value: str | None) -> int | None:
    """``since``/``until`` as dockerd reads them: ``<seconds>[.<fraction>]`` -> ns.

    The docker CLI turns durations and dates into this form before sending; the error text
    is Go's, as dockerd answers it.
    """
    if value is None or value == "":
        return None
    secs_text, dot, frac_text = value.partition(".")
    try:
        secs = int(secs_text, 10)
    except ValueError as err:
        raise InvalidParameter(f'strconv.ParseInt: parsing "{secs_text}": invalid syntax') from err
    nanos = 0
    if dot:
        try:
            frac = int(frac_text, 10)
        except ValueError as err:
            raise InvalidParameter(
                f'strconv.ParseInt: parsing "{frac_text}": invalid syntax'
            ) from err
        nanos = frac * 10 ** (9 - len(frac_text)) if len(frac_text) <= 9 else int(frac_text[:9])
    return secs * 1_000_000_000 + nanos


def parse_tail(value: str | None) -> int:
    """``tail``: a count, or anything else ("all", garbage, negative) for every line."""
    try:
        n = int(value or "")
    except ValueError:
        return -1
    return n if n >= 0 else -1


def _time_ns(text: str) -> int:
    match = _RFC3339.match(text)
    if match is None:
        return 0
    year, month, day, hour, minute, sec = (int(g) for g in match.groups()[:6])
    frac, zone = match.group(7) or "", match.group(8)
    secs = calendar.timegm((year, month, day, hour, minute, sec, 0, 0, 0))
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        secs -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return secs * 1_000_000_000 + (int(frac.ljust(9, "0")) if frac else 0)


def parse_log_line(line: bytes) -> LogEntry | None:
    """One json-file line; None for a line that is not one (torn write, garbage)."""
    try:
        doc = json.loads(line)
        stream = _STREAMS[doc["stream"]]
        return LogEntry(stream, doc["log"].encode(), _time_ns(doc.get("time", "")))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def encode_entry(entry: LogEntry, *, tty: bool, timestamps: bool) -> bytes:
    """The bytes dockerd sends for ``entry``: timestamp prefix (fixed 9 digits), frame."""
    data = entry.data
    if timestamps:
        data = rfc3339_nano_ns(entry.time_ns).encode() + b" " + data
    return data if tty else frame(entry.stream, data)


def log_files(path: Path) -> list[Path]:
    """The rotated files of ``path`` that exist, oldest first (the live file excluded)."""
    rotated: list[tuple[int, Path]] = []
    for sibling in path.parent.glob(f"{path.name}.*"):
        suffix = sibling.name[len(path.name) + 1 :]
        if suffix.isdigit():
            rotated.append((int(suffix), sibling))
    return [p for _, p in sorted(rotated, reverse=True)]


class _Cursor:
    """Reads the rotated files then the live file; later reads follow the live file."""

    def __init__(self, path: Path, tail: int) -> None:
        self.path = path
        self._fh: BinaryIO | None = None
        self._partial = b""
        with contextlib.suppress(FileNotFoundError):
            self._fh = path.open("rb")  # first: pins the live file before listing the old
        self._initial: Iterator[bytes] = self._history(tail)

    def _history(self, tail: int) -> Iterator[bytes]:
        lines = self._history_lines()
        if tail >= 0:
            yield from deque(lines, maxlen=tail)
        else:
            yield from lines

    def _history_lines(self) -> Iterator[bytes]:
        for old in log_files(self.path):
            try:
                with old.open("rb") as fh:
                    yield from fh
            except FileNotFoundError:
                continue
        yield from self._live_lines()

    def _live_lines(self) -> Iterator[bytes]:
        if self._fh is None:
            return
        while line := self._fh.readline():
            if not line.endswith(b"\n"):
                self._partial += line
                return
            if self._partial:
                line, self._partial = self._partial + line, b""
            yield line

    def read_batch(self, limit: int) -> list[bytes]:
        """Up to ``limit`` lines: history first, then what the live file gained."""
        out: list[bytes] = []
        for line in self._initial:
            out.append(line)
            if len(out) >= limit:
                return out
        for line in self._live_lines():
            out.append(line)
            if len(out) >= limit:
                return out
        if not out:
            self._reopen_if_rotated()
        return out

    def _reopen_if_rotated(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return
        if self._fh is None:
            self._fh = self.path.open("rb")
            return
        own = os.fstat(self._fh.fileno())
        if (st.st_dev, st.st_ino) != (own.st_dev, own.st_ino):
            self._fh.close()
            self._fh = self.path.open("rb")  # the old file was drained just before
            self._partial = b""
        elif st.st_size < self._fh.tell():
            self._fh.seek(0)  # truncated in place (max-file 1)
            self._partial = b""

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def read_log(path: Path, tail: int = -1) -> list[LogEntry]:
    """Every entry of a log (and its rotated files) as of now; for tests and tools."""
    cursor = _Cursor(path, tail)
    try:
        entries = []
        while batch := cursor.read_batch(BATCH):
            entries += [e for e in map(parse_log_line, batch) if e is not None]
        return entries
    finally:
        cursor.close()


def _followed(ctx: ContainerContext, cid: str) -> bool:
    try:
        return ctx.store.get(cid).state.status in _FOLLOWED
    except NotFound:
        return False


async def _entries(
    ctx: ContainerContext, cid: str, path: Path, opts: LogOptions
) -> AsyncIterator[LogEntry]:
    cursor = await asyncio.to_thread(_Cursor, path, opts.tail)
    last_round = not opts.follow
    try:
        while True:
            batch = await asyncio.to_thread(cursor.read_batch, BATCH)
            for line in batch:
                entry = parse_log_line(line)
                if entry is None:
                    continue
                if opts.until_ns is not None and entry.time_ns > opts.until_ns:
                    return
                if opts.since_ns is not None and entry.time_ns < opts.since_ns:
                    continue
                if (entry.stream == STDOUT and opts.stdout) or (
                    entry.stream == STDERR and opts.stderr
                ):
                    yield entry
            if batch:
                continue
            if last_round:
                return
            past_until = opts.until_ns is not None and time.time_ns() > opts.until_ns
            if past_until or not _followed(ctx, cid):
                last_round = True  # one more read drains what was written before the exit
                continue
            await asyncio.sleep(POLL_INTERVAL)
    finally:
        cursor.close()


def open_logs(ctx: ContainerContext, ref: str, opts: LogOptions) -> LogStream:
    """Check the request (NotFound, no stream chosen) before anything is sent, then stream."""
    c = ctx.store.get(ref)
    if not (opts.stdout or opts.stderr):
        raise InvalidParameter("Bad parameters: you must choose at least one stream")
    return LogStream(c.config.tty, _entries(ctx, c.id, ctx.layout.log_path(c.id), opts))
