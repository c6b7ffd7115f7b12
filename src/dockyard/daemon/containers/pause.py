"""``pause`` and ``unpause``: the cgroup freezer, through the runtime."""

from __future__ import annotations

import asyncio
import dataclasses

from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.state import Action, Status, require, transition

__all__ = ["pause", "unpause"]


async def pause(ctx: ContainerContext, ref: str) -> None:
    c = ctx.store.get(ref)
    async with ctx.locks[c.id]:
        c = ctx.store.get(c.id)
        require(c.state.status, Action.PAUSE, c.id, ref)
        runtime = ctx.runtime(c.host_config.runtime).runtime
        await asyncio.to_thread(runtime.pause, c.id)
        ctx.store.update(
            c.id, lambda cur: dataclasses.replace(cur, state=transition(cur.state, Status.PAUSED))
        )
    ctx.emit("pause", c.id, image=c.image, name=c.name)


async def unpause(ctx: ContainerContext, ref: str) -> None:
    c = ctx.store.get(ref)
    async with ctx.locks[c.id]:
        c = ctx.store.get(c.id)
        require(c.state.status, Action.UNPAUSE, c.id, ref)
        runtime = ctx.runtime(c.host_config.runtime).runtime
        await asyncio.to_thread(runtime.resume, c.id)
        ctx.store.update(
            c.id, lambda cur: dataclasses.replace(cur, state=transition(cur.state, Status.RUNNING))
        )
    ctx.emit("unpause", c.id, image=c.image, name=c.name)
