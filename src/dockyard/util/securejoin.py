"""Resolve a path inside a container's root filesystem without ever leaving it.

A container's rootfs is untrusted: ``/etc/passwd`` may be a symlink to ``/../../etc/shadow``
of the host. :func:`secure_join` walks the path one component at a time and resolves each
symlink as the container would see it (absolute targets restart at the container's root,
``..`` never climbs above it), so the result is always below ``root``.
"""

from __future__ import annotations

import os
import posixpath
import stat
from pathlib import Path

from dockyard.errors import InvalidParameter

__all__ = ["secure_join"]

MAX_SYMLINKS = 255


def secure_join(root: Path | str, unsafe: str) -> Path:
    """``root``/``unsafe`` with symlinks resolved inside ``root``; missing tails are kept."""
    base = os.path.realpath(root)
    parts = [p for p in unsafe.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(base, *resolved, part)
        try:
            st = os.lstat(candidate)
        except (FileNotFoundError, NotADirectoryError):
            resolved.append(part)
            continue
        if not stat.S_ISLNK(st.st_mode):
            resolved.append(part)
            continue
        links += 1
        if links > MAX_SYMLINKS:
            raise InvalidParameter(f"too many levels of symbolic links in {unsafe!r}")
        target = os.readlink(candidate)
        if target.startswith("/"):
            resolved = []
        parts = [p for p in target.split("/") if p not in ("", ".")] + parts
    return Path(base, *resolved) if resolved else Path(base)


def container_path(path: str) -> str:
    """A clean absolute path as the container sees it (``a/../b`` -> ``/b``)."""
    return posixpath.normpath("/" + path)
