"""``POST /containers/{id}/start``: mount the rootfs, write the bundle, run it under the monitor.

A start that fails leaves nothing running or mounted and records the failure in the
container's State (``Error``, and exit code 127/126 for a command that cannot be found or
run, as dockerd does) without moving it out of its status.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from pathlib import Path

from dockyard.daemon.containers import rootfs
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.hooks import StartExtras
from dockyard.daemon.containers.logopts import parse_log_options
from dockyard.daemon.containers.runspec import build_container_spec, write_bundle
from dockyard.daemon.containers.state import Action, Status, require, transition
from dockyard.daemon.containers.store import Container
from dockyard.errors import DockyardError, InvalidParameter
from dockyard.runtime.spec import ExtraMount
from dockyard.util.timefmt import rfc3339_nano

__all__ = ["start", "start_locked", "stop_hooks"]

log = logging.getLogger(__name__)


def _network_for(c: Container) -> str:
    """The spec's network namespace: shared with the host, or a new one (loopback only
    until the network service joins the container to a network)."""
    return "host" if c.host_config.network_mode == "host" else ""


def _run_hooks(ctx: ContainerContext, c: Container, root: Path) -> StartExtras:
    """Every hook's spec extras joined (hooks.py): the last network choice wins."""
    network: str | None = None
    mounts: list[ExtraMount] = []
    env: list[str] = []
    for hook in ctx.hooks:
        extra = hook.prepare(c, root)
        network = extra.network if extra.network is not None else network
        mounts.extend(extra.mounts)
        env.extend(extra.env)
    return StartExtras(network, tuple(mounts), tuple(env))


def stop_hooks(ctx: ContainerContext, c: Container) -> None:
    """Every hook's ``stopped`` (idempotent; errors are logged, never raised)."""
    for hook in ctx.hooks:
        try:
            hook.stopped(c)
        except Exception:
            log.exception("undoing the start of %s failed", c.id[:12])


def _prepare(ctx: ContainerContext, c: Container) -> None:
    root = rootfs.mount_rootfs(ctx.layout, ctx.snapshotter, c.id, c.snapshot_key)
    try:
        extras = _run_hooks(ctx, c, root)
        spec = build_container_spec(
            c,
            ctx.layout,
            network=_network_for(c) if extras.network is None else extras.network,
            host_capabilities=ctx.host_capabilities,
            init_binary=ctx.init_binary,
            mounts=extras.mounts,
            extra_env=extras.env,
        )
        write_bundle(ctx.layout, c.id, spec)
    except BaseException:
        stop_hooks(ctx, c)
        rootfs.unmount_rootfs(ctx.layout, c.id)
        raise


def _teardown(ctx: ContainerContext, c: Container) -> None:
    """Undo a start: no runtime state, no mount (safe when half of it never happened)."""
    with contextlib.suppress(DockyardError):
        runtime = ctx.runtime(c.host_config.runtime).runtime
        if runtime.exists(c.id):
            runtime.delete(c.id, force=True)
    stop_hooks(ctx, c)
    rootfs.unmount_rootfs(ctx.layout, c.id)


def _exit_code_for(message: str) -> int:
    if "executable file not found" in message or "no such file or directory" in message:
        return 127
    if "permission denied" in message or "is a directory" in message:
        return 126
    return 128


async def _before_run(ctx: ContainerContext, c: Container) -> None:
    """Between create and start: give a TTY its initial size (HostConfig.ConsoleSize, which
    the docker CLI sets for ``-t``) and connect the attaches registered before the start
    (``docker run``, ``start -a``), so the process never sees a 0x0 terminal and no output
    is missed."""
    height, width = c.host_config.console_size or (0, 0)
    if c.config.tty and height and width:
        try:
            await ctx.monitor.resize(c.id, height, width)
        except DockyardError as err:
            log.warning("initial console size of %s not applied: %s", c.id[:12], err)
    for connect in ctx.pending_attaches.pop(c.id, []):
        try:
            await connect()
        except Exception:
            log.exception("connecting an attach to %s failed", c.id[:12])


async def start_locked(ctx: ContainerContext, c: Container, ref: str) -> None:
    """Start ``c``; the caller holds the container's lock."""
    require(c.state.status, Action.START, c.id, ref)
    await asyncio.to_thread(_prepare, ctx, c)
    choice = ctx.runtime(c.host_config.runtime)
    opts = parse_log_options(c.host_config.log_config.type, c.host_config.log_config.config or {})
    try:
        pid = await ctx.monitor.create(
            c.id,
            ctx.layout.bundle(c.id),
            choice.ref,
            tty=c.config.tty,
            open_stdin=c.config.open_stdin,
            log_path=ctx.layout.log_path(c.id),
            log_max_size=opts.max_size,
            log_max_file=opts.max_file,
            cgroup_path=f"{c.host_config.resources.cgroup_parent or '/dockyard'}/{c.id}",
        )
        started = time.time()  # before the process can run, let alone exit
        await _before_run(ctx, c)
        await ctx.monitor.start(c.id)
    except DockyardError as err:
        await asyncio.to_thread(_teardown, ctx, c)
        message = f"OCI runtime create failed: {err.message}"
        code = _exit_code_for(err.message)
        ctx.store.update(
            c.id,
            lambda cur: dataclasses.replace(
                cur, state=dataclasses.replace(cur.state, error=message, exit_code=code)
            ),
        )
        with contextlib.suppress(DockyardError):
            await ctx.monitor.forget(c.id)
        if code in (126, 127):
            raise InvalidParameter(message) from err
        raise DockyardError(message) from err

    def running(cur: Container) -> Container:
        state = transition(cur.state, Status.RUNNING)
        state = dataclasses.replace(
            state, pid=pid, exit_code=0, error="", oom_killed=False,
            started_at=rfc3339_nano(started),
        )  # fmt: skip
        return dataclasses.replace(cur, state=state, has_been_started=True, manually_stopped=False)

    ctx.store.update(c.id, running)
    ctx.emit("start", c.id, image=c.image, name=c.name)
    for hook in ctx.on_started:
        hook(c.id)


async def start(ctx: ContainerContext, ref: str) -> None:
    c = ctx.store.get(ref)
    async with ctx.locks[c.id]:
        await start_locked(ctx, ctx.store.get(c.id), ref)
