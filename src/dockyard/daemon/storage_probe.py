"""Whether overlayfs works on the data root, decided once at start by trying it.

Why probe instead of reading ``/proc/filesystems``: overlay can be listed and still fail
here (not root, the data root itself on overlayfs, no ``trusted.*`` xattrs). A 2-layer
mount in a scratch directory is the only reliable answer; the composition root picks the
overlay snapshotter when it succeeds and the native (copying) one otherwise.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

from dockyard.errors import DockyardError
from dockyard.mount import Mount, mount_all, unmount_all

__all__ = ["overlay_supported"]

log = logging.getLogger(__name__)


def overlay_supported(directory: Path) -> bool:
    """Mount a small overlay under ``directory`` and whiteout a file; True when it works."""
    if os.geteuid() != 0:
        return False
    directory.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".overlay-probe-", dir=directory))
    try:
        lower, upper, work, merged = (scratch / n for n in ("lower", "upper", "work", "merged"))
        for d in (lower, upper, work, merged):
            d.mkdir()
        (lower / "f").write_bytes(b"x")
        os.mknod(upper / "f", 0o600 | 0o020000, os.makedev(0, 0))  # a whiteout
        mount = Mount(
            "overlay",
            "overlay",
            (f"lowerdir={lower}", f"upperdir={upper}", f"workdir={work}"),
        )
        mount_all([mount], merged)
        try:
            return not (merged / "f").exists()
        finally:
            unmount_all(merged, detach=True)
    except (OSError, DockyardError) as err:
        log.info("overlayfs is not usable on %s (%s); using the native snapshotter", directory, err)
        return False
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(scratch)
