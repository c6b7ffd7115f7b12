"""The daemon's side of the monitor protocol: requests, exit notifications, attached streams.

One :class:`MonitorClient` holds one connection for requests and notifications; each attach
opens a connection of its own (it turns into a frame stream). When the connection drops (the
monitor restarted), pending requests fail with Unavailable, the client reconnects in the
background (starting the monitor again if it was built with ``spawn``), and
:meth:`MonitorClient.events` yields :class:`Reconnected` so the caller can ask ``state`` for
exits it may have missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.errors import DockyardError, Unavailable
from dockyard.runtime.monitor.codec import decode_hello, decode_server_message, encode
from dockyard.runtime.monitor.protocol import (
    END,
    FRAME_HEADER,
    STDIN,
    AttachRequest,
    AttachStreams,
    CloseStdinRequest,
    ContainerInfo,
    CreateRequest,
    ExecRequest,
    ExitEvent,
    ForgetRequest,
    Hello,
    Reply,
    Request,
    ResizeRequest,
    RuntimeRef,
    StartRequest,
    StateRequest,
    error_from_reply,
    frame,
)

__all__ = ["AttachStream", "MonitorClient", "Reconnected", "ensure_running", "socket_path"]

log = logging.getLogger(__name__)

LINE_LIMIT = 16 * 1024 * 1024
CONNECT_TIMEOUT = 10.0


def socket_path(exec_root: Path) -> Path:
    return exec_root / "monitor.sock"


@dataclass(frozen=True, slots=True)
class Reconnected:
    """The connection was re-established: exits may have been missed; ask ``state``."""


async def _open(path: Path) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        reader, writer = await asyncio.open_unix_connection(str(path), limit=LINE_LIMIT)
    except OSError as err:
        raise Unavailable(f"monitor at {path} does not answer: {err}") from err
    try:
        writer.write(encode(Hello()))
        decode_hello(await asyncio.wait_for(reader.readline(), CONNECT_TIMEOUT))
    except (OSError, TimeoutError, DockyardError) as err:
        writer.close()
        raise Unavailable(f"monitor at {path}: handshake failed: {err}") from err
    return reader, writer


async def ensure_running(
    exec_root: Path,
    runtime_root: Path,
    *,
    python: str = sys.executable,
    timeout: float = CONNECT_TIMEOUT,
) -> None:
    """Start the monitor unless one answers on ``exec_root``; return once it serves.

    The launcher daemonizes (double fork, setsid), so the monitor is neither our child nor in
    our process group: it outlives the daemon. Its stdio goes to ``<exec-root>/monitor.log``.
    """
    path = socket_path(exec_root)
    with contextlib.suppress(Unavailable):
        _, writer = await _open(path)
        writer.close()
        return
    exec_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    argv = [
        python,
        "-m",
        "dockyard.runtime.monitor",
        "--exec-root",
        str(exec_root),
        "--runtime-root",
        str(runtime_root),
    ]

    def launch() -> subprocess.CompletedProcess[bytes]:
        with (exec_root / "monitor.log").open("ab") as log_file:
            return subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                timeout=timeout,
                check=False,
                start_new_session=True,
            )

    try:
        proc = await asyncio.to_thread(launch)
    except subprocess.TimeoutExpired as err:
        raise Unavailable(f"monitor did not start within {timeout}s") from err
    if proc.returncode != 0:
        raise Unavailable(f"monitor failed to start (see {exec_root / 'monitor.log'})")
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            _, writer = await _open(path)
        except Unavailable:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return


class MonitorClient:
    """Async client of one monitor; safe to use from many tasks at once."""

    def __init__(
        self, exec_root: Path, *, spawn: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        self.path = socket_path(exec_root)
        self._spawn = spawn
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[Reply]] = {}
        self._events: asyncio.Queue[ExitEvent | Reconnected] = asyncio.Queue()
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._reconnect_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        self._ever_connected = False

    async def connect(self) -> None:
        async with self._lock:
            if self._writer is not None:
                return
            try:
                reader, writer = await _open(self.path)
            except Unavailable:
                if self._spawn is None:
                    raise
                await self._spawn()
                reader, writer = await _open(self.path)
            self._writer = writer
            self._reader_task = asyncio.create_task(self._read(reader, writer))
            if self._ever_connected:
                self._events.put_nowait(Reconnected())
            self._ever_connected = True

    async def close(self) -> None:
        self._closed = True
        if self._writer is not None:
            self._writer.close()
        for task in (self._reader_task, self._reconnect_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def events(self) -> AsyncIterator[ExitEvent | Reconnected]:
        """Exit notifications as they come (and a marker after each reconnect)."""
        while True:
            yield await self._events.get()

    # -- requests --------------------------------------------------------------------------

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def request(self, req: Request) -> Reply:
        await self.connect()
        assert self._writer is not None
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[req.id] = future
        try:
            self._writer.write(encode(req))
            reply = await future
        finally:
            self._pending.pop(req.id, None)
        if not reply.ok:
            raise error_from_reply(reply)
        return reply

    async def create(
        self,
        cid: str,
        bundle: Path,
        runtime: RuntimeRef,
        *,
        tty: bool = False,
        open_stdin: bool = False,
        log_path: Path | None = None,
        log_max_size: int | None = None,
        log_max_file: int = 1,
        cgroup_path: str | None = None,
    ) -> int:
        req = CreateRequest(
            self._id(), cid, str(bundle), runtime, tty, open_stdin,
            str(log_path) if log_path else None, log_max_size, log_max_file, cgroup_path,
        )  # fmt: skip
        pid = (await self.request(req)).pid
        assert pid is not None
        return pid

    async def start(self, cid: str) -> None:
        await self.request(StartRequest(self._id(), cid))

    async def exec(
        self,
        cid: str,
        exec_id: str,
        process: Mapping[str, Any],
        *,
        tty: bool = False,
        open_stdin: bool = False,
    ) -> int:
        """Start a detached exec (its output is dropped; use :meth:`exec_attached`)."""
        req = ExecRequest(self._id(), cid, exec_id, process, tty, open_stdin)
        pid = (await self.request(req)).pid
        assert pid is not None
        return pid

    async def exec_attached(
        self,
        cid: str,
        exec_id: str,
        process: Mapping[str, Any],
        streams: AttachStreams,
        *,
        tty: bool = False,
    ) -> AttachStream:
        """Start an exec whose output (and stdin, if asked) is this stream from byte one."""
        req = ExecRequest(self._id(), cid, exec_id, process, tty, streams.stdin, streams)
        return await self._stream(req)

    async def attach(
        self, cid: str, exec_id: str | None = None, streams: AttachStreams | None = None
    ) -> AttachStream:
        req = AttachRequest(self._id(), cid, exec_id, streams or AttachStreams())
        return await self._stream(req)

    async def resize(self, cid: str, height: int, width: int, exec_id: str | None = None) -> None:
        await self.request(ResizeRequest(self._id(), cid, height, width, exec_id))

    async def close_stdin(self, cid: str, exec_id: str | None = None) -> None:
        await self.request(CloseStdinRequest(self._id(), cid, exec_id))

    async def state(self) -> tuple[ContainerInfo, ...]:
        return (await self.request(StateRequest(self._id()))).containers or ()

    async def forget(self, cid: str, exec_id: str | None = None) -> None:
        await self.request(ForgetRequest(self._id(), cid, exec_id))

    # -- plumbing --------------------------------------------------------------------------

    async def _stream(self, req: AttachRequest | ExecRequest) -> AttachStream:
        reader, writer = await _open(self.path)
        try:
            writer.write(encode(req))
            while True:
                line = await reader.readline()
                if not line:
                    raise Unavailable("monitor closed the stream before answering")
                msg = decode_server_message(line)
                if isinstance(msg, Reply) and msg.id == req.id:
                    break
            if not msg.ok:
                raise error_from_reply(msg)
        except BaseException:
            writer.close()
            raise
        return AttachStream(reader, writer, msg.pid)

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    msg = decode_server_message(line)
                except DockyardError as err:
                    log.warning("%s", err)
                    continue
                if isinstance(msg, ExitEvent):
                    self._events.put_nowait(msg)
                    continue
                future = self._pending.get(msg.id)
                if future is not None and not future.done():
                    future.set_result(msg)
        except (OSError, ValueError) as err:
            log.warning("monitor connection: %s", err)
        finally:
            writer.close()
            self._writer = None
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(Unavailable("monitor connection lost"))
        if not self._closed:
            self._reconnect_task = asyncio.create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.05
        while not self._closed and self._writer is None:
            try:
                await self.connect()
            except Unavailable as err:
                log.info("monitor not back yet: %s", err)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)


class AttachStream:
    """Output frames from the monitor; stdin frames to it (see protocol.py)."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pid: int | None
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.pid = pid
        self.exit_code: int | None = None
        self.ended = False

    async def read(self) -> tuple[int, bytes] | None:
        """The next ``(stream, data)``; None once the process ended (``exit_code`` set if
        known) or the connection closed."""
        if self.ended:
            return None
        try:
            header = await self._reader.readexactly(FRAME_HEADER.size)
            stream, length = FRAME_HEADER.unpack(header)
            data = await self._reader.readexactly(length) if length else b""
        except (asyncio.IncompleteReadError, OSError):
            self._end()
            return None
        if stream == END:
            self.exit_code = int(data) if data else None
            self._end()
            return None
        return stream, data

    def _end(self) -> None:
        self.ended = True
        self._writer.close()

    async def write(self, data: bytes) -> None:
        if data:
            self._writer.write(frame(STDIN, data))
            await self._writer.drain()

    async def close_stdin(self) -> None:
        self._writer.write(frame(STDIN, b""))
        await self._writer.drain()

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()
