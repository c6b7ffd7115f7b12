"""Overlay snapshotter: each snapshot is one overlayfs upperdir; parents are its lowers.

The tree is drawn in :mod:`dockyard.snapshot.metastore`. Why overlay: a container's
snapshot costs only what it changes, and the layers of all images share disk. What
``mounts`` returns for each case (it never mounts):

    ACTIVE, no parent       bind (rw) of its fs
    ACTIVE, parents         overlay  lowerdir=<newest parent fs>:...:<oldest>,
                                     upperdir=<fs>, workdir=<work>
    VIEW, no parent         bind (ro) of its (empty) fs
    VIEW, one parent        bind (ro) of the parent's fs
    VIEW, several parents   overlay  lowerdir=... (read-only, no upperdir)
    COMMITTED               Conflict: prepare or view a child instead

Needs root (or a user namespace) to mount, and ``trusted.*`` xattrs on the backing
filesystem for whiteouts and opaque directories.
"""

from __future__ import annotations

from pathlib import Path

from dockyard.errors import InvalidParameter
from dockyard.mount import Mount
from dockyard.snapshot.base import Kind
from dockyard.snapshot.metastore import DirSnapshotter, Record

__all__ = ["OverlaySnapshotter"]


class OverlaySnapshotter(DirSnapshotter):
    """A :class:`~dockyard.snapshot.base.Snapshotter` on overlayfs (see module doc)."""

    def _populate(self, dir_: Path, parent: Record | None, kind: Kind) -> None:
        (dir_ / "fs").mkdir(mode=0o755)
        if kind is Kind.ACTIVE:
            (dir_ / "work").mkdir(mode=0o711)

    def _mounts(self, chain: list[Record]) -> list[Mount]:
        me, parents = chain[0], chain[1:]
        fs = str(self._fs(me.id))
        if not parents:
            ro = "ro" if me.info.kind is Kind.VIEW else "rw"
            return [Mount("bind", fs, ("rbind", ro))]
        lowers = ":".join(str(self._fs(p.id)) for p in parents)
        if me.info.kind is Kind.VIEW:
            if len(parents) == 1:
                return [Mount("bind", str(self._fs(parents[0].id)), ("rbind", "ro"))]
            return [Mount("overlay", "overlay", (f"lowerdir={lowers}",))]
        work = str(self._dir(me.id) / "work")
        return [
            Mount("overlay", "overlay", (f"workdir={work}", f"upperdir={fs}", f"lowerdir={lowers}"))
        ]

    def upper_dir(self, key: str) -> Path:
        """The upperdir of ACTIVE ``key``: exactly what the container changed (for diff)."""
        rec = self._meta.get(key)
        if rec.info.kind is not Kind.ACTIVE:
            raise InvalidParameter(f"snapshot {key} is {rec.info.kind.value}, not active")
        return self._fs(rec.id)
