"""The monitor's asyncio server: one connection per daemon client or attached stream.

Requests on a connection run concurrently (a slow ``create`` does not hold up ``state``);
every runtime call runs in a worker thread under the reaper's in-flight gate (see
:mod:`.exits`). Exits are pushed to every connected client and kept until ``forget``, so a
daemon that was away when a container ended learns it from ``state``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import signal
import struct
import termios
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from dockyard.errors import Conflict, DockyardError, InvalidParameter
from dockyard.runtime.base import Runtime
from dockyard.runtime.monitor import stdio as stdio_mod
from dockyard.runtime.monitor.codec import decode_hello, decode_request, encode
from dockyard.runtime.monitor.exits import Reaper, oom_killed
from dockyard.runtime.monitor.jsonlog import JsonFileLog
from dockyard.runtime.monitor.procs import Attach, Proc
from dockyard.runtime.monitor.protocol import (
    FRAME_HEADER,
    STDIN,
    AttachRequest,
    AttachStreams,
    CloseStdinRequest,
    CreateRequest,
    ExecRequest,
    ExitEvent,
    ForgetRequest,
    Hello,
    ProtocolError,
    Reply,
    Request,
    ResizeRequest,
    RuntimeRef,
    StartRequest,
    StateRequest,
    error_reply,
)
from dockyard.runtime.monitor.records import ContainerRecord, pid_start_time
from dockyard.runtime.monitor.table import Container, Table
from dockyard.runtime.runc import RuncRuntime

__all__ = ["Monitor", "RuntimeFactory"]

log = logging.getLogger(__name__)

RuntimeFactory = Callable[[RuntimeRef], Runtime]
T = TypeVar("T")
LINE_LIMIT = 1024 * 1024
HELLO_TIMEOUT = 10.0


def _runc_factory(ref: RuntimeRef) -> Runtime:
    return RuncRuntime(Path(ref.root), ref.binary, ref.name)


class Monitor:
    """Serve ``<exec_root>/monitor.sock``; state under ``<exec_root>/monitor/``."""

    def __init__(
        self,
        exec_root: Path,
        runtime_root: Path,
        runtime_factory: RuntimeFactory = _runc_factory,
    ) -> None:
        self.exec_root = exec_root
        self.runtime_root = runtime_root
        self.socket_path = exec_root / "monitor.sock"
        self.state_dir = exec_root / "monitor"
        self._factory = runtime_factory
        self._runtimes: dict[RuntimeRef, Runtime] = {}
        self._clients: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self._loop = asyncio.get_running_loop()
        self.table = Table(self._loop, self.state_dir / "state.json", self._orphan_exited)
        self.reaper = Reaper(lambda: self.table.by_pid.keys(), self._reaped)

    async def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        (self.state_dir / "pids").mkdir(exist_ok=True)
        self.table.load()
        self._loop.add_signal_handler(signal.SIGCHLD, self.reaper.reap)
        self.socket_path.unlink(missing_ok=True)
        self._server = await asyncio.start_unix_server(
            self._connection, path=str(self.socket_path), limit=LINE_LIMIT
        )
        self.socket_path.chmod(0o600)
        self.reaper.reap()

    async def close(self) -> None:
        """Stop serving and persist; the containers are left running."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._clients):
            writer.close()
        self._loop.remove_signal_handler(signal.SIGCHLD)
        self.table.close()
        self.table.save()

    # -- connections -----------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tasks: set[asyncio.Task[None]] = set()
        try:
            writer.write(encode(Hello()))
            decode_hello(await asyncio.wait_for(reader.readline(), HELLO_TIMEOUT))
            self._clients.add(writer)
            while line := await reader.readline():
                try:
                    req = decode_request(line)
                except ProtocolError as err:
                    writer.write(encode(error_reply(err.request_id, err)))
                    continue
                if isinstance(req, AttachRequest) or (
                    isinstance(req, ExecRequest) and req.attach is not None
                ):
                    if tasks:
                        alone = InvalidParameter("a stream request must be alone on its connection")
                        writer.write(encode(error_reply(req.id, alone)))
                        continue
                    self._clients.discard(writer)
                    await self._stream(req, reader, writer)
                    return
                task = asyncio.create_task(self._answer(req, writer))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        except (OSError, TimeoutError, ValueError, DockyardError, asyncio.IncompleteReadError):
            pass
        finally:
            self._clients.discard(writer)
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            writer.close()

    async def _answer(self, req: Request, writer: asyncio.StreamWriter) -> None:
        reply = await self._reply(req, self._dispatch)
        if not writer.is_closing():
            writer.write(encode(reply))

    async def _reply(self, req: T, op: Callable[[T], Awaitable[Reply]]) -> Reply:
        try:
            return await op(req)
        except DockyardError as err:
            return error_reply(getattr(req, "id", 0), err)
        except Exception as err:
            log.exception("monitor request %r failed", req)
            return error_reply(getattr(req, "id", 0), DockyardError(f"monitor: {err}"))

    async def _dispatch(self, req: Request) -> Reply:
        if isinstance(req, CreateRequest):
            return Reply(req.id, pid=await self._create(req))
        if isinstance(req, StartRequest):
            await self._start(req)
        elif isinstance(req, ExecRequest):
            return Reply(req.id, pid=(await self._exec(req)).pid)
        elif isinstance(req, ResizeRequest):
            self._resize(req)
        elif isinstance(req, CloseStdinRequest):
            stdin = self.table.proc(req.cid, req.exec_id).stdin
            if stdin is not None:
                stdin.close()
        elif isinstance(req, StateRequest):
            infos = tuple(c.info() for c in self.table.containers.values())
            return Reply(req.id, containers=infos)
        elif isinstance(req, ForgetRequest):
            self.table.forget(req.cid, req.exec_id)
        else:
            raise InvalidParameter(f"monitor: {req.OP} is not a plain request")
        return Reply(req.id)

    # -- streams ---------------------------------------------------------------------------

    async def _stream(
        self,
        req: AttachRequest | ExecRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        """Answer, then carry frames until either side ends (see the protocol docs)."""
        proc: Proc | None = None

        async def open_stream(r: AttachRequest | ExecRequest) -> Reply:
            nonlocal proc
            if isinstance(r, ExecRequest):
                proc = await self._exec(r)
            else:
                proc = self.table.proc(r.cid, r.exec_id)
                if proc.finished:
                    raise Conflict(f"container {r.cid} is not running")
            return Reply(r.id, pid=proc.pid if isinstance(r, ExecRequest) else None)

        reply = await self._reply(req, open_stream)
        writer.write(encode(reply))
        if not reply.ok or proc is None:
            return
        streams = req.streams if isinstance(req, AttachRequest) else req.attach
        assert streams is not None
        attach = Attach(writer, streams)
        proc.attaches.append(attach)
        try:
            await self._pump_stdin(proc, streams, reader)
        finally:
            with contextlib.suppress(ValueError):
                proc.attaches.remove(attach)

    async def _pump_stdin(
        self, proc: Proc, streams: AttachStreams, reader: asyncio.StreamReader
    ) -> None:
        while True:
            header = await reader.readexactly(FRAME_HEADER.size)
            stream, length = FRAME_HEADER.unpack(header)
            data = await reader.readexactly(length) if length else b""
            if stream != STDIN or not streams.stdin or proc.stdin is None:
                continue
            if not data:
                proc.stdin.close()
                continue
            proc.stdin.write(data)
            await proc.stdin.drain()

    # -- operations ------------------------------------------------------------------------

    def _runtime(self, ref: RuntimeRef) -> Runtime:
        if not ref.root:
            ref = RuntimeRef(ref.name, ref.binary, str(self.runtime_root))
        runtime = self._runtimes.get(ref)
        if runtime is None:
            runtime = self._runtimes[ref] = self._factory(ref)
        return runtime

    async def _runtime_call(self, fn: Callable[..., T], *args: Any) -> T:
        self.reaper.in_flight += 1
        try:
            return await asyncio.to_thread(fn, *args)
        finally:
            self.reaper.in_flight -= 1
            self._loop.call_soon(self.reaper.reap)

    def _make_stdio(self, tty: bool, open_stdin: bool) -> stdio_mod.Stdio:
        if tty:
            return stdio_mod.console(self.state_dir)
        return stdio_mod.pipes(open_stdin)

    async def _create(self, req: CreateRequest) -> int:
        if req.cid in self.table.containers:
            raise Conflict(f"container {req.cid} already exists in the monitor")
        runtime = self._runtime(req.runtime)
        pid_file = self.state_dir / "pids" / f"{req.cid}.pid"
        stdio = self._make_stdio(req.tty, req.open_stdin)
        log_file = None
        try:
            if req.log_path:
                log_file = JsonFileLog(Path(req.log_path), req.log_max_size, req.log_max_file)
            pid = await self._runtime_call(
                _create_blocking, runtime, req.cid, Path(req.bundle), stdio, pid_file
            )
        except BaseException:
            stdio.close_all()
            if log_file is not None:
                log_file.close()
            raise
        finally:
            pid_file.unlink(missing_ok=True)
        stdio.close_child_ends()
        record = ContainerRecord(
            cid=req.cid,
            pid=pid,
            pid_start=pid_start_time(pid),
            status="created",
            bundle=req.bundle,
            runtime=req.runtime,
            tty=req.tty,
            log_path=req.log_path,
            log_max_size=req.log_max_size,
            log_max_file=req.log_max_file,
            cgroup_path=req.cgroup_path,
        )
        proc = Proc(req.cid, None, pid, req.tty, self._finished, log=log_file)
        proc.take_stdio(self._loop, stdio)
        self.table.add(Container(record, proc))
        return pid

    async def _start(self, req: StartRequest) -> None:
        c = self.table.container(req.cid)
        if c.proc is None or c.record.status != "created":
            raise Conflict(f"container {req.cid} is {c.record.status}: cannot start it")
        await self._runtime_call(self._runtime(c.record.runtime).start, req.cid)
        if c.record.status == "created":
            c.record.status = c.proc.status = "running"
            self.table.dirty()

    async def _exec(self, req: ExecRequest) -> Proc:
        c = self.table.container(req.cid)
        if c.proc is None or c.proc.finished:
            raise Conflict(f"container {req.cid} is not running")
        if req.exec_id in c.execs:
            raise Conflict(f"exec {req.exec_id} already exists")
        runtime = self._runtime(c.record.runtime)
        pid_file = self.state_dir / "pids" / f"{req.exec_id}.pid"
        stdio = self._make_stdio(req.tty, req.open_stdin)
        process: Mapping[str, Any] = {**req.process, "terminal": req.tty}
        try:
            pid = await self._runtime_call(
                _exec_blocking, runtime, req.cid, process, stdio, pid_file
            )
        except BaseException:
            stdio.close_all()
            raise
        finally:
            pid_file.unlink(missing_ok=True)
        stdio.close_child_ends()
        proc = Proc(req.cid, req.exec_id, pid, req.tty, self._finished, status="running")
        proc.take_stdio(self._loop, stdio)
        self.table.add_exec(c, proc)
        return proc

    def _resize(self, req: ResizeRequest) -> None:
        proc = self.table.proc(req.cid, req.exec_id)
        if proc.pty is None:
            raise Conflict(f"container {req.cid} has no TTY to resize")
        winsize = struct.pack("HHHH", req.height, req.width, 0, 0)
        fcntl.ioctl(proc.pty, termios.TIOCSWINSZ, winsize)

    # -- exits -----------------------------------------------------------------------------

    def _reaped(self, pid: int, code: int) -> None:
        proc = self.table.by_pid.pop(pid, None)
        if proc is None:
            return
        oom = False
        if proc.exec_id is None:
            c = self.table.containers.get(proc.cid)
            oom = c is not None and oom_killed(c.record.cgroup_path)
        proc.exited(self._loop, code, oom)

    def _finished(self, proc: Proc) -> None:
        c = self.table.containers.get(proc.cid)
        if proc.exec_id is None and c is not None and c.proc is proc:
            r = c.record
            r.status, r.exit_code, r.exited_at, r.oom = (
                "exited",
                proc.exit_code,
                proc.exited_at,
                proc.oom,
            )
            self.table.dirty()
        ts = proc.exited_at or 0.0
        self._broadcast(ExitEvent(proc.cid, proc.exec_id, proc.exit_code, ts, proc.oom))

    def _orphan_exited(self, c: Container) -> None:
        self._broadcast(ExitEvent(c.record.cid, None, None, c.record.exited_at or 0.0))

    def _broadcast(self, event: ExitEvent) -> None:
        line = encode(event)
        for writer in list(self._clients):
            if writer.is_closing():
                self._clients.discard(writer)
            else:
                writer.write(line)


def _create_blocking(
    runtime: Runtime, cid: str, bundle: Path, stdio: stdio_mod.Stdio, pid_file: Path
) -> int:
    pid = runtime.create(cid, bundle, stdio.io, pid_file)
    if stdio.listener is not None:
        try:
            stdio_mod.receive_pty(stdio)
        except DockyardError:
            with contextlib.suppress(DockyardError):
                runtime.delete(cid, force=True)
            raise
    return pid


def _exec_blocking(
    runtime: Runtime,
    cid: str,
    process: Mapping[str, Any],
    stdio: stdio_mod.Stdio,
    pid_file: Path,
) -> int:
    pid = runtime.exec(cid, process, stdio.io, pid_file)
    if stdio.listener is not None:
        stdio_mod.receive_pty(stdio)
    return pid
