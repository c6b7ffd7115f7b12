"""One process whose stdio the monitor holds (a container's init or an exec): its output
readers, its log, its attached streams, and the moment it is over.

Output is read with ``loop.add_reader`` on the raw fds (no task, no thread, no buffer per
process); each chunk goes to the json-file log (container inits only, as Docker) and to every
attached stream that asked for it. A process is *finished* once it has been reaped AND its
output has reached EOF, so the log is complete before the exit is announced; if something
(a daemonized grandchild) keeps a pipe open, the exit is announced after ``LINGER`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dockyard.runtime.monitor.jsonlog import JsonFileLog
from dockyard.runtime.monitor.protocol import END, STDERR, STDOUT, AttachStreams, frame
from dockyard.runtime.monitor.stdio import FdWriter, Stdio

__all__ = ["Attach", "Proc"]

log = logging.getLogger(__name__)

LINGER = 2.0
READ_SIZE = 32 * 1024
MAX_ATTACH_BACKLOG = 4 * 1024 * 1024
_STREAM_NAMES = {STDOUT: "stdout", STDERR: "stderr"}


@dataclass(slots=True, eq=False)
class Attach:
    """An attached client's connection, in frame mode."""

    writer: asyncio.StreamWriter
    streams: AttachStreams

    def wants(self, stream: int) -> bool:
        return self.streams.stdout if stream == STDOUT else self.streams.stderr

    def send(self, stream: int, data: bytes) -> bool:
        """Queue a frame; False (and the connection is closed) for a client far behind."""
        if self.writer.is_closing():
            return False
        if self.writer.transport.get_write_buffer_size() > MAX_ATTACH_BACKLOG:
            log.warning("dropping an attached client that does not read its output")
            self.writer.close()
            return False
        self.writer.write(frame(stream, data))
        return True


@dataclass(slots=True, eq=False)
class Proc:
    cid: str
    exec_id: str | None
    pid: int
    tty: bool
    on_finished: Callable[[Proc], None]
    log: JsonFileLog | None = None
    stdin: FdWriter | None = None
    pty: int | None = None
    outs: dict[int, int] = field(default_factory=dict)  # open fd -> stream
    attaches: list[Attach] = field(default_factory=list)
    status: str = "created"
    exit_code: int | None = None
    exited_at: float | None = None
    oom: bool = False
    reaped: bool = False
    finished: bool = False
    _timer: asyncio.TimerHandle | None = None

    def take_stdio(self, loop: asyncio.AbstractEventLoop, stdio: Stdio) -> None:
        """Own our ends of ``stdio`` and start reading the output."""
        if stdio.stdin is not None:
            self.stdin = FdWriter(loop, stdio.stdin)
        self.pty = stdio.pty
        if stdio.pty is not None:
            self.outs[stdio.pty] = STDOUT
        else:
            for fd, stream in ((stdio.stdout, STDOUT), (stdio.stderr, STDERR)):
                if fd is not None:
                    self.outs[fd] = stream
        stdio.stdin = stdio.stdout = stdio.stderr = stdio.pty = None
        for fd in self.outs:
            loop.add_reader(fd, self._on_readable, loop, fd)

    def _on_readable(self, loop: asyncio.AbstractEventLoop, fd: int) -> None:
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError as err:  # EIO: every slave end of the pty is closed
            if err.errno != errno.EIO:
                log.warning("%s: reading output: %s", self.cid, err)
            data = b""
        if not data:
            self._close_out(loop, fd)
            return
        stream = self.outs[fd]
        if self.log is not None:
            self.log.write(_STREAM_NAMES[stream], data)
        if self.attaches:
            self.attaches = [
                a for a in self.attaches if not a.wants(stream) or a.send(stream, data)
            ]

    def _close_out(self, loop: asyncio.AbstractEventLoop, fd: int) -> None:
        loop.remove_reader(fd)
        del self.outs[fd]
        if fd != self.pty:
            os.close(fd)
        if not self.outs and self.reaped:
            self.finish(loop)

    def exited(self, loop: asyncio.AbstractEventLoop, code: int, oom: bool = False) -> None:
        """The reaper saw the process end: record it, finish now or once output drained."""
        self.reaped = True
        self.exit_code = code
        self.exited_at = time.time()
        self.oom = oom
        if not self.outs:
            self.finish(loop)
        else:
            self._timer = loop.call_later(LINGER, self.finish, loop)

    def finish(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.finished:
            return
        self.finished = True
        self.status = "exited"
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for fd in list(self.outs):
            loop.remove_reader(fd)
            if fd != self.pty:
                os.close(fd)
        self.outs.clear()
        if self.pty is not None:
            os.close(self.pty)
            self.pty = None
        if self.stdin is not None:
            self.stdin.close()
        if self.log is not None:
            self.log.close()
            self.log = None
        end = b"" if self.exit_code is None else str(self.exit_code).encode()
        for attach in self.attaches:
            if not attach.writer.is_closing():
                attach.writer.write(frame(END, end))
                attach.writer.close()
        self.attaches.clear()
        self.on_finished(self)

    def release(self, loop: asyncio.AbstractEventLoop) -> None:
        """Give everything back without an exit (the monitor is shutting down)."""
        with contextlib.suppress(Exception):
            self.finished = True
            for fd in list(self.outs):
                loop.remove_reader(fd)
                if fd != self.pty:
                    os.close(fd)
            self.outs.clear()
            if self.pty is not None:
                os.close(self.pty)
            if self.log is not None:
                self.log.close()
