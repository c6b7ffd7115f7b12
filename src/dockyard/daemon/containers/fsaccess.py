"""Access to a container's root filesystem for cp and export, running or not.

A running (or paused) container's snapshot is mounted at ``layout.rootfs(cid)`` already;
a stopped or never started one is mounted there for the duration of the verb and unmounted
after, as dockerd does. The container's lock is held throughout (dockerd holds its
container lock until the archive is read to the end), so a ``start`` cannot mount the
same overlay a second time underneath us, nor can a ``rm`` take it away.

What is seen is the overlay's merged directory on the host: the container's files, but not
what is mounted inside the container's own mount namespace (its /proc, /dev, /etc/hosts
bind mounts, and volumes or bind mounts once they exist). Copying into or out of a volume
therefore reaches the directory underneath the volume's mount point; this is documented
as a limitation until volumes are wired into containers.

The verb works through a file descriptor of the rootfs (see :mod:`.fspath`), which also
keeps the mount alive should the container exit and its rootfs be lazily unmounted while
an archive is being written.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from dockyard.daemon.containers import rootfs
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.fspath import DIR_FLAGS
from dockyard.daemon.containers.state import Status
from dockyard.daemon.containers.store import Container
from dockyard.errors import Conflict, NotFound

__all__ = ["RootfsHandle", "open_rootfs"]


@dataclass(frozen=True, slots=True)
class RootfsHandle:
    """The container (as it was when the lock was taken) and its mounted rootfs."""

    container: Container
    path: Path
    fd: int


def _refuse(c: Container) -> None:
    if c.state.status is Status.REMOVING:
        raise Conflict(f"container {c.id} is marked for removal and cannot be modified")
    if c.state.status is Status.DEAD:
        raise Conflict(f"container {c.id} is dead and cannot be modified")


def _mount(ctx: ContainerContext, c: Container) -> tuple[Path, int, bool]:
    target = ctx.layout.rootfs(c.id)
    mounted_here = False
    if not rootfs.is_mounted(target):
        rootfs.mount_rootfs(ctx.layout, ctx.snapshotter, c.id, c.snapshot_key)
        mounted_here = True
    try:
        fd = os.open(target, DIR_FLAGS)
    except BaseException:
        if mounted_here:
            rootfs.unmount_rootfs(ctx.layout, c.id)
        raise
    return target, fd, mounted_here


@asynccontextmanager
async def open_rootfs(ctx: ContainerContext, ref: str) -> AsyncIterator[RootfsHandle]:
    """Hold ``ref``'s lock and its mounted rootfs for the body of the ``async with``."""
    c = ctx.store.get(ref)
    async with ctx.locks[c.id]:
        c = ctx.store.get(c.id)
        _refuse(c)
        path, fd, mounted_here = await asyncio.to_thread(_mount, ctx, c)
        try:
            yield RootfsHandle(c, path, fd)
        finally:
            os.close(fd)
            try:
                live = ctx.store.get(c.id).state.status in (Status.RUNNING, Status.PAUSED)
            except NotFound:
                live = False
            if mounted_here and not live:
                await asyncio.to_thread(rootfs.unmount_rootfs, ctx.layout, c.id)
