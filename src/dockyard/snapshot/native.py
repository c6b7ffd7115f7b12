"""Native snapshotter: every snapshot is a full copy of its parent's tree.

The tree is drawn in :mod:`dockyard.snapshot.metastore`. Why keep it: it works where
overlayfs does not (no root, overlay on overlay, filesystems without ``trusted.*`` xattrs)
and it is the reference the overlay snapshotter is tested against. It costs a copy per
snapshot; ``cp --reflink=auto`` makes that cheap on btrfs/xfs. Every mount is a bind of
the snapshot's own ``fs``: rw for ACTIVE, ro for VIEW; COMMITTED ones are not mountable.
"""

from __future__ import annotations

from pathlib import Path

from dockyard.mount import Mount
from dockyard.snapshot.base import Kind
from dockyard.snapshot.metastore import DirSnapshotter, Record
from dockyard.util.proc import run

__all__ = ["NativeSnapshotter"]


class NativeSnapshotter(DirSnapshotter):
    """A :class:`~dockyard.snapshot.base.Snapshotter` that copies (see module doc)."""

    def _populate(self, dir_: Path, parent: Record | None, kind: Kind) -> None:
        fs = dir_ / "fs"
        if parent is None:
            fs.mkdir(mode=0o755)
            return
        # cp -a keeps owners, modes, times, xattrs, hard links, devices and sparseness
        src = self._fs(parent.id)
        run(["cp", "-a", "--reflink=auto", "--", str(src), str(fs)], timeout=3600)

    def _mounts(self, chain: list[Record]) -> list[Mount]:
        me = chain[0]
        ro = "ro" if me.info.kind is Kind.VIEW else "rw"
        return [Mount("bind", str(self._fs(me.id)), ("rbind", ro))]
