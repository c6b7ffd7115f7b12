"""A new process's stdio as the monitor holds it: pipes, or a pty master sent by the runtime.

Without a TTY the monitor makes one pipe per stream, gives the runtime the child ends and
keeps the others (stdin only with ``open_stdin``; otherwise the child gets /dev/null). With a
TTY it listens on a one-shot console socket; the runtime connects during ``create``/``exec``
and sends the pty master over SCM_RIGHTS. Because the listener's backlog queues that
connection, the master can be received after the runtime call has returned, in the same
worker thread, with no race.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.errors import DockyardError
from dockyard.runtime.base import ProcessIO

__all__ = ["FdWriter", "Stdio", "console", "pipes", "receive_pty"]


def _close(fd: int | None) -> None:
    if fd is not None and fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)


@dataclass(slots=True)
class Stdio:
    """Our ends (``stdin`` to write; ``stdout``/``stderr`` to read; ``pty`` for resizes) and
    the child's (``io``), which are closed as soon as the runtime has started the process."""

    io: ProcessIO
    stdin: int | None = None
    stdout: int | None = None
    stderr: int | None = None
    pty: int | None = None
    child_fds: list[int] = field(default_factory=list)
    listener: socket.socket | None = None

    def close_child_ends(self) -> None:
        for fd in self.child_fds:
            _close(fd)
        self.child_fds.clear()
        if self.listener is not None:
            path = self.listener.getsockname()
            self.listener.close()
            self.listener = None
            with contextlib.suppress(OSError):
                Path(path).unlink()

    def close_all(self) -> None:
        self.close_child_ends()
        for fd in {self.stdin, self.stdout, self.stderr, self.pty}:
            _close(fd)
        self.stdin = self.stdout = self.stderr = self.pty = None


def pipes(open_stdin: bool) -> Stdio:
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    stdio = Stdio(ProcessIO(stdout=out_w, stderr=err_w), stdout=out_r, stderr=err_r)
    stdio.child_fds += [out_w, err_w]
    if open_stdin:
        in_r, in_w = os.pipe()
        stdio.io = ProcessIO(stdin=in_r, stdout=out_w, stderr=err_w)
        stdio.stdin = in_w
        stdio.child_fds.append(in_r)
    for fd in (stdio.stdin, stdio.stdout, stdio.stderr):
        if fd is not None:
            os.set_blocking(fd, False)
    return stdio


def console(directory: Path) -> Stdio:
    """A listening console socket under ``directory`` (short name: sun_path is 108 bytes)."""
    path = directory / f"c-{secrets.token_hex(6)}.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(path))
        listener.listen(1)
    except OSError:
        listener.close()
        raise
    return Stdio(ProcessIO(console_socket=str(path)), listener=listener)


def receive_pty(stdio: Stdio, timeout: float = 10.0) -> None:
    """Blocking: take the pty master the runtime sent to the console socket."""
    assert stdio.listener is not None
    stdio.listener.settimeout(timeout)
    try:
        conn, _ = stdio.listener.accept()
        with conn:
            conn.settimeout(timeout)
            _, fds, _, _ = socket.recv_fds(conn, 4096, 4)
    except OSError as err:
        raise DockyardError(f"no pty received from the runtime: {err}") from err
    if not fds:
        raise DockyardError("no pty received from the runtime")
    for extra in fds[1:]:
        _close(extra)
    master = fds[0]
    os.set_blocking(master, False)
    stdio.pty = stdio.stdout = master
    stdio.stdin = os.dup(master)


class FdWriter:
    """Non-blocking writes to a process's stdin with a bounded backlog.

    ``write`` never blocks the loop; a writer of much data awaits ``drain`` (the attach
    connection stops reading its client meanwhile, which is the backpressure). ``close``
    closes the fd once the backlog is written: the process reads EOF after all its input.
    """

    __slots__ = ("_closing", "_fd", "_loop", "_pending", "_waiter")
    HIGH_WATER = 64 * 1024

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int) -> None:
        self._loop = loop
        self._fd = fd
        self._pending = bytearray()
        self._closing = False
        self._waiter: asyncio.Future[None] | None = None

    @property
    def closed(self) -> bool:
        return self._fd < 0 or self._closing

    def write(self, data: bytes) -> None:
        if self.closed or not data:
            return
        if self._pending:
            self._pending += data
            return
        try:
            n = os.write(self._fd, data)
        except BlockingIOError:
            n = 0
        except OSError:  # the reader is gone (EPIPE): input is dropped, as Docker does
            self._shut()
            return
        if n < len(data):
            self._pending += data[n:]
            self._loop.add_writer(self._fd, self._on_writable)

    async def drain(self) -> None:
        while len(self._pending) > self.HIGH_WATER and self._fd >= 0:
            self._waiter = self._loop.create_future()
            await self._waiter

    def close(self) -> None:
        if self._pending and self._fd >= 0:
            self._closing = True
        else:
            self._shut()

    def _on_writable(self) -> None:
        try:
            n = os.write(self._fd, self._pending)
        except BlockingIOError:
            return
        except OSError:
            self._shut()
            return
        del self._pending[:n]
        if not self._pending:
            self._loop.remove_writer(self._fd)
            if self._closing:
                self._shut()
        self._wake()

    def _wake(self) -> None:
        if (
            self._waiter is not None
            and not self._waiter.done()
            and (self._fd < 0 or len(self._pending) <= self.HIGH_WATER)
        ):
            self._waiter.set_result(None)

    def _shut(self) -> None:
        if self._fd >= 0:
            self._loop.remove_writer(self._fd)
            _close(self._fd)
            self._fd = -1
        self._pending = bytearray()
        self._wake()
