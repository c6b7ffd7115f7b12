"""``stop``, ``kill`` and ``restart``: signals, the grace period, and SIGKILL after it.

The exit itself is observed by the exit handler (exits.py), which tears the container down
and resolves the waiters this module awaits; so stopping never races the bookkeeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal as signals

from dockyard.daemon.containers.context import ContainerContext, Exit
from dockyard.daemon.containers.start import start_locked
from dockyard.daemon.containers.state import PROCESS, Action, Status, require, transition
from dockyard.daemon.containers.store import Container
from dockyard.errors import DockyardError, NotFound, NotModified
from dockyard.util.signals import parse_signal

__all__ = ["kill", "restart", "stop", "stop_process"]

log = logging.getLogger(__name__)

DEFAULT_STOP_TIMEOUT = 10
KILL_WAIT = 30.0
SIGKILL = int(signals.SIGKILL)


async def _signal(ctx: ContainerContext, c: Container, number: int, all_: bool = False) -> None:
    runtime = ctx.runtime(c.host_config.runtime).runtime
    try:
        await asyncio.to_thread(runtime.kill, c.id, number, all_)
    except (NotFound, DockyardError) as err:
        # It may have exited between our look and the signal; the exit handler has it.
        log.debug("signal %d to %s: %s", number, c.id[:12], err)
    ctx.emit("kill", c.id, image=c.image, name=c.name, signal=str(number))


async def stop_process(
    ctx: ContainerContext, c: Container, timeout: int | None, signal: str | None
) -> Exit:
    """Signal, wait up to the grace period, then SIGKILL; return the exit once recorded."""
    waiter = ctx.waiters.next_exit(c.id)
    number = parse_signal(signal or c.config.stop_signal or "SIGTERM")
    grace = timeout
    if grace is None:
        grace = c.config.stop_timeout if c.config.stop_timeout is not None else DEFAULT_STOP_TIMEOUT
    await _signal(ctx, c, number)
    if c.state.status is Status.PAUSED:
        # A frozen process cannot handle the signal: thaw it so that it can.
        runtime = ctx.runtime(c.host_config.runtime).runtime
        await asyncio.to_thread(runtime.resume, c.id)
    try:
        return await asyncio.wait_for(asyncio.shield(waiter), None if grace < 0 else grace)
    except TimeoutError:
        pass
    await _signal(ctx, c, SIGKILL, all_=True)
    return await asyncio.wait_for(waiter, KILL_WAIT)


async def stop(
    ctx: ContainerContext, ref: str, timeout: int | None = None, signal: str | None = None
) -> None:
    c = ctx.store.get(ref)
    async with ctx.locks[c.id]:
        c = ctx.store.get(c.id)
        require(c.state.status, Action.STOP, c.id, ref)
        c = ctx.store.update(c.id, lambda cur: dataclasses.replace(cur, manually_stopped=True))
        if c.state.status is Status.RESTARTING:
            # Waiting out a restart back-off: no process to signal, just stay down.
            ctx.store.update(
                c.id,
                lambda cur: dataclasses.replace(cur, state=transition(cur.state, Status.EXITED)),
            )
        elif c.state.status in PROCESS:
            await stop_process(ctx, c, timeout, signal)
    ctx.emit("stop", c.id, image=c.image, name=c.name)


async def kill(ctx: ContainerContext, ref: str, signal: str | None = None) -> None:
    c = ctx.store.get(ref)
    number = parse_signal(signal or "SIGKILL")
    require(c.state.status, Action.KILL, c.id, ref)
    if number == SIGKILL:
        waiter = ctx.waiters.next_exit(c.id)
        c = ctx.store.update(c.id, lambda cur: dataclasses.replace(cur, manually_stopped=True))
        await _signal(ctx, c, number, all_=True)
        await asyncio.wait_for(waiter, KILL_WAIT)
    else:
        await _signal(ctx, c, number)


async def restart(ctx: ContainerContext, ref: str, timeout: int | None = None) -> None:
    c = ctx.store.get(ref)
    async with ctx.locks[c.id]:
        c = ctx.store.get(c.id)
        if c.state.status in PROCESS:
            c = ctx.store.update(c.id, lambda cur: dataclasses.replace(cur, manually_stopped=True))
            await stop_process(ctx, c, timeout, None)
        elif c.state.status is Status.RESTARTING:
            ctx.store.update(
                c.id,
                lambda cur: dataclasses.replace(cur, state=transition(cur.state, Status.EXITED)),
            )
        with contextlib.suppress(NotModified):
            await start_locked(ctx, ctx.store.get(c.id), ref)
    ctx.emit("restart", c.id, image=c.image, name=c.name)
