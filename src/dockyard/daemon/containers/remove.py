"""``DELETE /containers/{id}``: the record, its writable layer, its files — all of it.

A running container is refused unless ``force``, which kills it first (SIGKILL, waiting for
the exit to be recorded). Removal marks the container REMOVING first so that concurrent
verbs see it going; a failure part way marks it DEAD, as dockerd does, so a second
``rm -f`` can finish the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import shutil

from dockyard.daemon.containers import rootfs
from dockyard.daemon.containers.context import ContainerContext, Exit
from dockyard.daemon.containers.state import PROCESS, Action, Status, require, transition
from dockyard.daemon.containers.stop import KILL_WAIT
from dockyard.daemon.containers.store import Container
from dockyard.errors import DockyardError, NotFound
from dockyard.util.signals import parse_signal

__all__ = ["remove"]

log = logging.getLogger(__name__)


def _remove_files(ctx: ContainerContext, c: Container) -> None:
    with contextlib.suppress(DockyardError):
        runtime = ctx.runtime(c.host_config.runtime).runtime
        if runtime.exists(c.id):
            runtime.delete(c.id, force=True)
    rootfs.unmount_rootfs(ctx.layout, c.id)
    with contextlib.suppress(NotFound):
        ctx.snapshotter.remove(c.snapshot_key)
    shutil.rmtree(ctx.layout.bundle(c.id), ignore_errors=True)
    shutil.rmtree(ctx.layout.data_dir(c.id), ignore_errors=True)


async def remove(
    ctx: ContainerContext, ref: str, *, force: bool = False, volumes: bool = False
) -> None:
    """``volumes`` (``rm -v``, and AutoRemove) also removes the anonymous volumes."""
    c = ctx.store.get(ref)
    async with ctx.locks[c.id]:
        c = ctx.store.get(c.id)
        require(c.state.status, Action.REMOVE_FORCE if force else Action.REMOVE, c.id, ref)
        if c.state.status in PROCESS:
            waiter = ctx.waiters.next_exit(c.id)
            runtime = ctx.runtime(c.host_config.runtime).runtime
            try:
                await asyncio.to_thread(runtime.kill, c.id, parse_signal("SIGKILL"), True)
            except DockyardError as err:
                log.debug("kill before removal of %s: %s", c.id[:12], err)
            await asyncio.wait_for(waiter, KILL_WAIT)
            c = ctx.store.get(c.id)
        if c.state.status is not Status.REMOVING:
            c = ctx.store.update(
                c.id,
                lambda cur: dataclasses.replace(cur, state=transition(cur.state, Status.REMOVING)),
            )
        try:
            await asyncio.to_thread(_remove_files, ctx, c)
        except BaseException:
            ctx.store.update(
                c.id, lambda cur: dataclasses.replace(cur, state=transition(cur.state, Status.DEAD))
            )
            raise
        for hook in ctx.on_removed:
            hook(c.id)
        for hooks in ctx.hooks:
            await asyncio.to_thread(hooks.removed, c, volumes)
        ctx.store.delete(c.id)
        with contextlib.suppress(DockyardError):
            await ctx.monitor.forget(c.id)
    ctx.locks.pop(c.id, None)
    ctx.emit("destroy", c.id, image=c.image, name=c.name)
    ctx.waiters.removed(c.id, Exit(c.state.exit_code, c.state.error))
