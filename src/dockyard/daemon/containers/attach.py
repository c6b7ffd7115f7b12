"""``POST /containers/{id}/attach`` and ``/resize``: a client joined to a container's stdio.

The monitor holds every container's stdio; an attach is one monitor stream (frames in
Docker's stdcopy shape) joined to the client's hijacked connection. What it takes care of:

- **No output lost.** A client that attaches before the start (``docker run``, ``docker start
  -a``) is registered in ``ctx.pending_attaches``; start.py connects it right after the monitor
  created the process and before the process runs.
- **Framing.** A TTY container's output is raw; otherwise the monitor's frames go out as they
  are (1 stdout, 2 stderr). The monitor's last frame (3, the exit code) is never forwarded.
- **Detach keys** (TTY only, as dockerd: a byte sequence typed one key per read, default
  ctrl-p,ctrl-q) end the attach and leave the container running.
- **StdinOnce.** When the client's stdin ends, the container's stdin is closed if the
  container was created with StdinOnce (``docker run -i``); an exec's always is.

The route checks the request with :func:`prepare_attach` before it hijacks, so a bad request
still gets a plain JSON error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from dockyard.daemon.containers import logs as logs_mod
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.state import Action, Status, require
from dockyard.errors import Conflict, DockyardError, InvalidParameter
from dockyard.runtime.monitor.client import AttachStream
from dockyard.runtime.monitor.protocol import AttachStreams, frame

__all__ = [
    "DEFAULT_DETACH_KEYS",
    "AttachOptions",
    "Attachment",
    "ClientConn",
    "EscapeProxy",
    "parse_detach_keys",
    "prepare_attach",
    "pump",
    "resize_container",
]

log = logging.getLogger(__name__)

DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q"
READ_SIZE = 32 * 1024
# moby/term's names, in code order: ctrl-@ is 0, ctrl-a 1 ... ctrl-_ 31.
_CTRL = ["ctrl-@", *(f"ctrl-{chr(c)}" for c in range(ord("a"), ord("z") + 1))]
_CTRL += ["ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_"]


class ClientConn(Protocol):
    """The client's side of a hijacked connection."""

    async def read(self) -> bytes:
        """The next bytes the client sent; b"" once it closed its sending side."""
        ...

    async def write(self, data: bytes) -> None: ...


def parse_detach_keys(spec: str) -> bytes:
    """Docker's key list ("ctrl-p,ctrl-q", "a", "DEL") as bytes; InvalidParameter if bad."""
    out = bytearray()
    for key in spec.split(","):
        if len(key) == 1:
            out.append(ord(key) & 0xFF)
        elif key in _CTRL:
            out.append(_CTRL.index(key))
        elif key == "DEL":
            out.append(127)
        else:
            raise InvalidParameter(f"Invalid detach keys ({spec}) provided")
    return bytes(out)


class EscapeProxy:
    """moby/term's escape proxy: watches single-byte reads for the detach sequence.

    Keys of the sequence are held back while they match; on a mismatch they are released
    before the byte that broke the match. Multi-byte reads (pastes, piped data) never
    detach, so binary stdin cannot end a session by accident.
    """

    def __init__(self, keys: bytes) -> None:
        self.keys = keys
        self._pos = 0

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """(bytes to forward, detached?)."""
        if not self.keys:
            return data, False
        held = self.keys[: self._pos]
        if len(data) != 1 or data[0] != self.keys[self._pos]:
            self._pos = 0
            return held + data, False
        if self._pos == len(self.keys) - 1:
            self._pos = 0
            return b"", True
        self._pos += 1
        return b"", False


async def pump(
    stream: AttachStream,
    conn: ClientConn,
    *,
    tty: bool,
    stdin: bool,
    close_stdin_on_eof: bool,
    detach_keys: bytes,
) -> bool:
    """Join ``stream`` and ``conn`` until the process ends or the client detaches or leaves.

    Returns True when the client detached. The monitor stream is closed on the way out
    (which leaves the process running).
    """

    async def output() -> None:
        while (item := await stream.read()) is not None:
            kind, data = item
            await conn.write(data if tty else frame(kind, data))

    async def input_() -> bool:
        proxy = EscapeProxy(detach_keys if tty and stdin else b"")
        while data := await conn.read():
            forward, detached = proxy.feed(data)
            if stdin and forward:
                await stream.write(forward)
            if detached:
                return True
        if stdin and close_stdin_on_eof:
            await stream.close_stdin()
        await asyncio.Event().wait()  # the output decides when it is over
        return False

    out_task = asyncio.ensure_future(output())
    in_task = asyncio.ensure_future(input_())
    try:
        await asyncio.wait({out_task, in_task}, return_when=asyncio.FIRST_COMPLETED)
        for task in (out_task, in_task):
            if task.done() and not task.cancelled() and task.exception() is not None:
                err = task.exception()
                if not isinstance(err, (OSError, DockyardError)):
                    raise err  # type: ignore[misc]
                log.debug("attach stream ended: %s", err)
        if in_task.done() and not in_task.cancelled() and in_task.exception() is None:
            return in_task.result()
        return False
    finally:
        for task in (out_task, in_task):
            task.cancel()
        for task in (out_task, in_task):
            with contextlib.suppress(BaseException):
                await task
        await stream.close()


@dataclass(frozen=True, slots=True)
class AttachOptions:
    stdin: bool = False
    stdout: bool = False
    stderr: bool = False
    logs: bool = False
    stream: bool = False
    detach_keys: str = ""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A checked attach request, ready to run on the hijacked connection."""

    ctx: ContainerContext
    cid: str
    tty: bool
    stdin_once: bool
    opts: AttachOptions
    detach_keys: bytes

    @property
    def streams(self) -> AttachStreams:
        return AttachStreams(self.opts.stdin, self.opts.stdout, self.opts.stderr)

    async def run(self, conn: ClientConn) -> None:
        if self.opts.logs:
            await self._replay(conn)
        if not self.opts.stream:
            return
        stream = await self._connect()
        if stream is None:
            return
        await pump(
            stream, conn, tty=self.tty, stdin=self.opts.stdin,
            close_stdin_on_eof=self.stdin_once, detach_keys=self.detach_keys,
        )  # fmt: skip

    async def _replay(self, conn: ClientConn) -> None:
        if not (self.opts.stdout or self.opts.stderr):
            return
        opts = logs_mod.LogOptions(stdout=self.opts.stdout, stderr=self.opts.stderr)
        replay = logs_mod.open_logs(self.ctx, self.cid, opts)
        async for entry in replay.entries:
            await conn.write(logs_mod.encode_entry(entry, tty=self.tty, timestamps=False))

    async def _connect(self) -> AttachStream | None:
        """The monitor stream: now if the container runs, else at its next start."""
        ctx = self.ctx
        waiter: asyncio.Future[AttachStream] = asyncio.get_running_loop().create_future()
        async with ctx.locks[self.cid]:  # a start in progress finishes first
            status = ctx.store.get(self.cid).state.status
            if status is Status.RUNNING:
                try:
                    return await ctx.monitor.attach(self.cid, streams=self.streams)
                except Conflict:  # it just exited
                    return None
            if status not in (Status.CREATED, Status.EXITED):
                return None
            connect = self._deferred(waiter)
            ctx.pending_attaches[self.cid].append(connect)
        # A client that fully closed looks like one that only ended its stdin, so the wait
        # also ends when the container is removed (``docker run --rm`` whose start failed).
        removed = ctx.waiters.removal(self.cid)
        try:
            either: set[asyncio.Future[Any]] = {waiter, removed}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            return waiter.result() if waiter.done() else None
        except DockyardError as err:
            log.debug("deferred attach to %s failed: %s", self.cid[:12], err)
            return None
        finally:
            pending = ctx.pending_attaches.get(self.cid)
            if pending is not None and connect in pending:
                pending.remove(connect)
            if not waiter.done():
                waiter.cancel()
            removed.cancel()

    def _deferred(self, waiter: asyncio.Future[AttachStream]) -> Callable[[], Awaitable[None]]:
        async def connect() -> None:
            if waiter.done():
                return
            try:
                stream = await self.ctx.monitor.attach(self.cid, streams=self.streams)
            except DockyardError as err:
                if not waiter.done():
                    waiter.set_exception(err)
                return
            if waiter.done():
                await stream.close()
            else:
                waiter.set_result(stream)

        return connect


def prepare_attach(ctx: ContainerContext, ref: str, opts: AttachOptions) -> Attachment:
    """Check an attach before the hijack: NotFound, paused/restarting, bad detach keys."""
    c = ctx.store.get(ref)
    require(c.state.status, Action.ATTACH, c.id, ref)
    keys = parse_detach_keys(opts.detach_keys or DEFAULT_DETACH_KEYS)
    return Attachment(
        ctx, c.id, c.config.tty, c.config.stdin_once, opts, keys if c.config.open_stdin else b""
    )


async def resize_container(ctx: ContainerContext, ref: str, height: int, width: int) -> None:
    """Set a running TTY container's window size; a container without a TTY ignores it."""
    if height < 0 or width < 0:
        raise InvalidParameter("invalid resize dimensions: height and width must be positive")
    c = ctx.store.get(ref)
    require(c.state.status, Action.RESIZE, c.id, ref)
    if not c.config.tty:
        return
    await ctx.monitor.resize(c.id, height, width)
