"""Mounting and unmounting a container's root filesystem (its writable snapshot).

The snapshotter only describes the mounts; the container service owns their lifetime: the
rootfs is mounted at start and for filesystem verbs on stopped containers (cp, export,
commit), and unmounted when the container exits or the verb is done.
"""

from __future__ import annotations

import os
from pathlib import Path

from dockyard.daemon.containers.layout import ContainerLayout
from dockyard.mount import mount_all, unmount_all
from dockyard.snapshot.base import Snapshotter

__all__ = ["is_mounted", "mount_rootfs", "unmount_rootfs"]


def is_mounted(path: Path) -> bool:
    try:
        return os.path.ismount(path)
    except OSError:
        return False


def mount_rootfs(layout: ContainerLayout, snapshotter: Snapshotter, cid: str, key: str) -> Path:
    """Mount the container's snapshot at its bundle's rootfs (idempotent)."""
    target = layout.rootfs(cid)
    target.mkdir(parents=True, exist_ok=True)
    if not is_mounted(target):
        mount_all(snapshotter.mounts(key), target)
    return target


def unmount_rootfs(layout: ContainerLayout, cid: str) -> None:
    target = layout.rootfs(cid)
    if is_mounted(target):
        unmount_all(target, detach=True)
