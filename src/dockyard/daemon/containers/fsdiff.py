"""``docker diff``: what a container changed, read from its overlay upper directory.

dockerd's algorithm (pkg/archive ``changes`` with ``overlayDeletedFile``), over the upper
dir in lexical walk order:

* a 0/0 character device is a whiteout: the path was Deleted (2); an opaque directory
  that hid a lower one is reported Deleted too (its new content follows as Added);
* a path that also exists in a lower layer is Modified (0), except a directory whose
  size, mode and mtime equal the lower one's (only copied up on the way to a change);
* anything else was Added (1);
* the parent of an Added or Deleted path is Modified even if it looks the same.

dockerd diffs against the container's "init" layer, so the mount points it creates there
(/etc/hosts, /etc/resolv.conf, /proc, ...) never show. Here runc creates them in the
upper dir, so they are skipped by name, and a directory that holds one (``/etc``) counts
as Modified only when its owner or mode changed or a reported change lies beneath it.

Reading never follows a symlink: directories are opened from descriptors with
``O_NOFOLLOW``, entries are ``lstat``-ed. Needs the overlay snapshotter (a native copy has
no upper dir to read; that is NotImplementedYet).
"""

from __future__ import annotations

import asyncio
import errno
import os
import posixpath
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dockyard.apitypes.container_fs import Change, ChangeKind
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.fspath import DIR_FLAGS
from dockyard.errors import NotImplementedYet
from dockyard.snapshot.base import Snapshotter

__all__ = ["INIT_PATHS", "LayerDirs", "changes", "container_changes", "layer_dirs"]

# dockerd's init layer (daemon/initlayer): mount points, never a container's change.
INIT_PATHS = frozenset(
    {
        "/dev/pts",
        "/dev/shm",
        "/proc",
        "/sys",
        "/.dockerenv",
        "/etc/resolv.conf",
        "/etc/hosts",
        "/etc/hostname",
        "/dev/console",
        "/etc/mtab",
    }
)
_INIT_PARENTS = frozenset(posixpath.dirname(p) for p in INIT_PATHS) - {"/"}


@dataclass(frozen=True, slots=True)
class LayerDirs:
    """A container's writable upper directory and its read-only lowers, top first."""

    upper: Path
    lowers: tuple[Path, ...]


def layer_dirs(snapshotter: Snapshotter, key: str) -> LayerDirs:
    """Where the container's changes are, from the snapshot's mounts (nothing is mounted)."""
    mounts = snapshotter.mounts(key)
    if len(mounts) == 1 and mounts[0].type == "overlay":
        upper = mounts[0].option("upperdir")
        lower = mounts[0].option("lowerdir") or ""
        if upper is not None:
            return LayerDirs(Path(upper), tuple(Path(p) for p in lower.split(":") if p))
    if len(mounts) == 1 and mounts[0].type == "bind" and not snapshotter.stat(key).parent:
        return LayerDirs(Path(mounts[0].source), ())
    raise NotImplementedYet(
        "filesystem changes need the overlay snapshotter; this daemon stores containers"
        " as full copies (native snapshotter)"
    )


def _is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _lower_stat(lowers: Sequence[Path], path: str) -> os.stat_result | None:
    """The path in the topmost lower holding it (None if absent or whited out)."""
    rel = path.lstrip("/")
    for lower in lowers:
        try:
            st = os.lstat(lower / rel)
        except (FileNotFoundError, NotADirectoryError):
            continue
        return None if _is_whiteout(st) else st
    return None


def _opaque(fd: int) -> bool:
    try:
        return os.getxattr(fd, "trusted.overlay.opaque") == b"y"
    except OSError as err:
        if err.errno in (errno.ENODATA, errno.ENOTSUP, errno.EPERM):
            return False
        raise


class _Differ:
    def __init__(self, dirs: LayerDirs) -> None:
        self.lowers = dirs.lowers
        self.out: list[Change] = []
        self.changed_dirs: set[str] = set()

    def walk(self, fd: int, prefix: str) -> None:
        for name in sorted(os.listdir(fd)):
            path = f"{prefix}/{name}"
            if path in INIT_PATHS:
                continue
            st = os.lstat(name, dir_fd=fd)
            if stat.S_ISDIR(st.st_mode):
                sub = os.open(name, DIR_FLAGS, dir_fd=fd)
                try:
                    self.entry(path, st, _opaque(sub))
                    self.walk(sub, path)
                finally:
                    os.close(sub)
            else:
                self.entry(path, st, False)

    def entry(self, path: str, st: os.stat_result, opaque: bool) -> None:
        lower = _lower_stat(self.lowers, path)
        if _is_whiteout(st) or (opaque and lower is not None):
            kind = ChangeKind.DELETED
        elif lower is None:
            kind = ChangeKind.ADDED
        else:
            if (
                stat.S_ISDIR(st.st_mode)
                and stat.S_ISDIR(lower.st_mode)
                and self.same_dir(path, st, lower)
            ):
                return
            kind = ChangeKind.MODIFIED
        if stat.S_ISDIR(st.st_mode):
            self.changed_dirs.add(path)
        if kind is not ChangeKind.MODIFIED:
            parent = posixpath.dirname(path)
            if parent != "/" and parent not in self.changed_dirs:
                self.out.append(Change(parent, ChangeKind.MODIFIED))
                self.changed_dirs.add(parent)
        self.out.append(Change(path, kind))

    def same_dir(self, path: str, st: os.stat_result, lower: os.stat_result) -> bool:
        if (st.st_mode, st.st_uid, st.st_gid) != (lower.st_mode, lower.st_uid, lower.st_gid):
            return False
        if path in _INIT_PARENTS:
            return True  # its mtime moved when runc made a mount point in it
        return st.st_size == lower.st_size and _same_time(st.st_mtime_ns, lower.st_mtime_ns)


def _same_time(a: int, b: int) -> bool:
    """dockerd's ``sameFsTime``: equal, or equal seconds where one side has no fraction."""
    if a == b:
        return True
    return a // 10**9 == b // 10**9 and (a % 10**9 == 0 or b % 10**9 == 0)


async def container_changes(ctx: ContainerContext, ref: str) -> list[Change]:
    """``GET /containers/{id}/changes``."""
    c = ctx.store.get(ref)
    dirs = layer_dirs(ctx.snapshotter, c.snapshot_key)
    return await asyncio.to_thread(changes, dirs)


def changes(dirs: LayerDirs) -> list[Change]:
    """The container's changes, in dockerd's order (see the module doc)."""
    differ = _Differ(dirs)
    fd = os.open(dirs.upper, DIR_FLAGS)
    try:
        differ.walk(fd, "")
    finally:
        os.close(fd)
    return differ.out
