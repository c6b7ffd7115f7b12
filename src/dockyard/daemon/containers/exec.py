"""``docker exec``: create, start (detached or attached), resize and inspect exec instances.

An exec is a record first (``POST /containers/{id}/exec``) and a process once started. Its
OCI process is the container's own (``config.json`` in the bundle: capabilities, rlimits,
noNewPrivileges, AppArmor, user) with the exec's args, env (container env, then the exec's),
cwd, user (resolved in the container's /etc/passwd and /etc/group) and terminal — as dockerd
derives it. ``--privileged`` grants every capability this host allows.

Life of a record: ``running`` is claimed in the same transaction that checks it was never
started (a second start is a Conflict), the exit code comes from exits.py (the monitor's exit
event) or, for an attached start, from the stream's last frame — whichever is first, so that
a client inspecting right after the stream ends sees the code. A start that cannot run the
command records 127 (not found) or 126 (cannot run), as dockerd.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from dataclasses import dataclass
from typing import Any

from dockyard.daemon.containers import attach as attach_mod
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.runspec import read_in_rootfs
from dockyard.daemon.containers.state import Action, require
from dockyard.daemon.containers.store import Container, ExecProcess, ExecRecord
from dockyard.errors import Conflict, DockyardError, InvalidParameter, NotFound
from dockyard.runtime.monitor.protocol import STDOUT, AttachStreams, frame
from dockyard.runtime.usergroup import resolve_user
from dockyard.util.ids import random_id

__all__ = [
    "ExecStartOptions",
    "ExecView",
    "create_exec",
    "exec_process",
    "inspect_exec",
    "resize_exec",
    "run_attached",
    "start_detached",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExecStartOptions:
    """``POST /exec/{id}/start``: ``tty`` decides the framing, ``console_size`` (h, w)."""

    detach: bool = False
    tty: bool = False
    console_size: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class ExecView:
    """What ``GET /exec/{id}/json`` shows."""

    id: str
    container_id: str
    process: ExecProcess
    running: bool
    exit_code: int | None
    pid: int


def _event_action(verb: str, p: ExecProcess) -> str:
    # dockerd: "exec_create: " + entrypoint + " " + strings.Join(args, " ")
    return f"{verb}: {p.cmd[0]} {' '.join(p.cmd[1:])}"


async def create_exec(ctx: ContainerContext, ref: str, process: ExecProcess) -> str:
    """A new exec record for a running container; its id."""
    if not process.cmd:
        raise InvalidParameter("No exec command specified")
    c = ctx.store.get(ref)
    require(c.state.status, Action.EXEC, c.id, ref)
    if process.detach_keys:
        attach_mod.parse_detach_keys(process.detach_keys)
    eid = random_id()
    await asyncio.to_thread(ctx.store.add_exec, ExecRecord(eid, c.id, process))
    ctx.emit(_event_action("exec_create", process), c.id, image=c.image, name=c.name, execID=eid)
    return eid


def inspect_exec(ctx: ContainerContext, eid: str) -> ExecView:
    r = ctx.store.get_exec(eid)
    return ExecView(r.id, r.container_id, r.process, r.running, r.exit_code, r.pid)


def _replace_or_append(env: list[str], overrides: tuple[str, ...]) -> list[str]:
    """Docker's env merge: KEY=v replaces KEY in place or appends; a bare KEY removes it."""
    out = list(env)
    for item in overrides:
        key = item.partition("=")[0]
        at = next((i for i, e in enumerate(out) if e.partition("=")[0] == key), None)
        if "=" not in item:
            if at is not None:
                del out[at]
        elif at is None:
            out.append(item)
        else:
            out[at] = item
    return out


def exec_process(
    base: dict[str, Any],
    p: ExecProcess,
    *,
    user: dict[str, Any] | None,
    host_capabilities: tuple[str, ...],
) -> dict[str, Any]:
    """The OCI process for ``runc exec --process``: the container's ``base`` process with the
    exec's args/env/cwd/terminal; ``user`` None keeps the container's user. Pure."""
    process = {k: v for k, v in base.items() if k not in ("terminal", "consoleSize")}
    env = list(base.get("env") or ())
    if p.tty and not any(e.startswith("TERM=") for e in env):
        env.append("TERM=xterm")
    process["env"] = _replace_or_append(env, p.env)
    process["args"] = list(p.cmd)
    process["cwd"] = p.working_dir or base.get("cwd") or "/"
    if p.tty:
        process["terminal"] = True
    if user is not None:
        process["user"] = user
    if p.privileged:
        caps = list(host_capabilities)
        process["capabilities"] = {
            "bounding": caps, "effective": caps, "permitted": caps, "inheritable": caps,
        }  # fmt: skip
    return process


def _build_process(ctx: ContainerContext, c: Container, p: ExecProcess) -> dict[str, Any]:
    spec = json.loads((ctx.layout.bundle(c.id) / "config.json").read_text())
    base: dict[str, Any] = spec.get("process") or {}
    user: dict[str, Any] | None = None
    if p.user:
        rootfs = ctx.layout.rootfs(c.id)
        ids = resolve_user(
            p.user, read_in_rootfs(rootfs, "/etc/passwd"), read_in_rootfs(rootfs, "/etc/group")
        )
        user = {"uid": ids.uid, "gid": ids.gid, "additionalGids": [ids.gid, *ids.extra_gids]}
    return exec_process(base, p, user=user, host_capabilities=ctx.host_capabilities)


def _claim(eid: str) -> Any:
    def change(r: ExecRecord) -> ExecRecord:
        if r.exit_code is not None:
            raise Conflict(f"Error: Exec command {eid} has already run")
        if r.running:
            raise Conflict(f"Error: Exec command {eid} is already running")
        return dataclasses.replace(r, running=True)

    return change


def _exit_code_for(message: str) -> int:
    return 127 if "executable file not found" in message else 126


async def _begin(ctx: ContainerContext, eid: str) -> tuple[ExecRecord, Container, dict[str, Any]]:
    """Claim the exec and build its process; on any failure record why it never ran."""
    rec = await asyncio.to_thread(ctx.store.update_exec, eid, _claim(eid))
    try:
        c = ctx.store.get(rec.container_id)
        require(c.state.status, Action.EXEC, c.id, c.id)
        process = await asyncio.to_thread(_build_process, ctx, c, rec.process)
    except DockyardError:
        _finish(ctx, eid, 126)
        raise
    return rec, c, process


def _finish(ctx: ContainerContext, eid: str, code: int) -> None:
    """Record an exit unless one was already recorded (exits.py may have been first)."""

    def change(r: ExecRecord) -> ExecRecord:
        if r.exit_code is not None:
            return r
        return dataclasses.replace(r, running=False, exit_code=code)

    with contextlib.suppress(NotFound):
        ctx.store.update_exec(eid, change)


def _started(ctx: ContainerContext, eid: str, pid: int) -> None:
    def change(r: ExecRecord) -> ExecRecord:
        return r if r.exit_code is not None else dataclasses.replace(r, pid=pid)

    with contextlib.suppress(NotFound):
        ctx.store.update_exec(eid, change)


def _failed(ctx: ContainerContext, eid: str, err: DockyardError) -> DockyardError:
    message = err.message
    if not message.startswith("unable to find"):
        message = f"OCI runtime exec failed: {message}"
    _finish(ctx, eid, _exit_code_for(message))
    return type(err)(message)


async def _after_start(
    ctx: ContainerContext, c: Container, rec: ExecRecord, opts: ExecStartOptions, pid: int
) -> None:
    _started(ctx, rec.id, pid)
    ctx.emit(_event_action("exec_start", rec.process), c.id, image=c.image, name=c.name,
             execID=rec.id)  # fmt: skip
    size = opts.console_size or rec.process.console_size
    if rec.process.tty and size and size[0] and size[1]:
        with contextlib.suppress(DockyardError):
            await ctx.monitor.resize(c.id, size[0], size[1], rec.id)


async def start_detached(ctx: ContainerContext, eid: str, opts: ExecStartOptions) -> None:
    rec, c, process = await _begin(ctx, eid)
    try:
        pid = await ctx.monitor.exec(c.id, eid, process, tty=rec.process.tty)
    except DockyardError as err:
        raise _failed(ctx, eid, err) from err
    await _after_start(ctx, c, rec, opts, pid)


async def run_attached(
    ctx: ContainerContext, eid: str, opts: ExecStartOptions, conn: attach_mod.ClientConn
) -> None:
    """Start the exec joined to ``conn`` (already hijacked): errors are written in-band, as
    dockerd does once the response has begun."""
    try:
        rec, c, process = await _begin(ctx, eid)
        p = rec.process
        streams = AttachStreams(p.attach_stdin, p.attach_stdout, p.attach_stderr)
        try:
            stream = await ctx.monitor.exec_attached(c.id, eid, process, streams, tty=p.tty)
        except DockyardError as err:
            raise _failed(ctx, eid, err) from err
    except DockyardError as err:
        text = err.message.encode() + b"\r\n"
        with contextlib.suppress(OSError):
            await conn.write(text if opts.tty else frame(STDOUT, text))
        return
    await _after_start(ctx, c, rec, opts, stream.pid or 0)
    keys = attach_mod.parse_detach_keys(p.detach_keys or attach_mod.DEFAULT_DETACH_KEYS)
    await attach_mod.pump(
        stream, conn, tty=opts.tty, stdin=p.attach_stdin, close_stdin_on_eof=True,
        detach_keys=keys if p.tty else b"",
    )  # fmt: skip
    if stream.exit_code is not None:
        await asyncio.to_thread(_finish, ctx, eid, stream.exit_code)


async def resize_exec(ctx: ContainerContext, eid: str, height: int, width: int) -> None:
    if height < 0 or width < 0:
        raise InvalidParameter("invalid resize dimensions: height and width must be positive")
    rec = ctx.store.get_exec(eid)
    if not rec.process.tty:
        return
    if not rec.running:
        raise Conflict(f"Exec {eid} is not running")
    await ctx.monitor.resize(rec.container_id, height, width, eid)
