"""``docker export``: the container's whole root filesystem as one tar.

The tar is written from the mounted rootfs (mounted for the duration when the container is
stopped; see :mod:`.fsaccess`) by :func:`~dockyard.archive.diff.write_tree`, so it holds
what the container sees on its rootfs, mount point files such as /etc/hosts included and
without what is mounted inside the container (/proc, volumes), as with dockerd.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import BinaryIO

from dockyard.archive.diff import write_tree
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.fsaccess import open_rootfs

__all__ = ["open_export"]


@asynccontextmanager
async def open_export(ctx: ContainerContext, ref: str) -> AsyncIterator[Callable[[BinaryIO], None]]:
    """Yield the tar writer to call (in a thread) inside the ``async with``."""
    async with open_rootfs(ctx, ref) as fs:
        c = fs.container
        # Through the held descriptor: the tree stays readable if the mount is detached.
        root = Path(f"/proc/self/fd/{fs.fd}")

        def write(out: BinaryIO) -> None:
            write_tree(root, out)

        yield write
    ctx.emit("export", c.id, image=c.image, name=c.name)
