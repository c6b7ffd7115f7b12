"""Docker's volume copy-up: an empty volume takes the image's content at its mount point.

When a container first mounts a named or anonymous volume at a path the image already has
(``/var/lib/postgresql/data``), Docker copies that directory into the volume, unless the
volume already holds something or the mount says ``nocopy`` (the daemon decides that).
The copy keeps what the image's software expects: modes, owners, xattrs (file
capabilities), symlinks as links, hard links as links, timestamps; and the directory
itself passes its owner and mode to the volume's root, so an empty ``/data`` owned by uid
999 in the image gives a volume owned by 999.

``cp -a`` does exactly this (GNU coreutils, ``--preserve=all``); its ``src/.`` form copies
the directory's contents and its attributes onto the existing target.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from dockyard.util.proc import run

__all__ = ["copy_up"]

log = logging.getLogger(__name__)


def copy_up(src_dir: Path, volume_data: Path, *, timeout: float = 3600.0) -> bool:
    """Copy ``src_dir`` (a directory in the container's rootfs) into ``volume_data`` when
    that is empty; return whether the copy ran.

    Nothing happens when ``volume_data`` has any entry or ``src_dir`` is not a directory
    (a symlink is not followed: the daemon resolves paths inside the rootfs first). A
    failing ``cp`` raises :class:`~dockyard.util.proc.CommandFailed` with its stderr.
    """
    if src_dir.is_symlink() or not src_dir.is_dir():
        return False
    with os.scandir(volume_data) as it:
        if next(it, None) is not None:
            log.debug("not copying %s into %s: the volume is not empty", src_dir, volume_data)
            return False
    run(["cp", "-a", "--", f"{src_dir}/.", f"{volume_data}/"], timeout=timeout)
    return True
