"""Which paths are mount points, from ``/proc/self/mountinfo``.

``os.path.ismount`` cannot see a bind mount of a directory from the same filesystem (same
device, and the inode differs from the parent's in any case), which is exactly what a
``type=none,o=bind`` volume is; the kernel's table can.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["is_mountpoint", "mounts_under"]

_ESCAPE = re.compile(rb"\\([0-7]{3})")


def _mount_points() -> list[str]:
    with open("/proc/self/mountinfo", "rb") as fh:
        lines = fh.read().splitlines()
    out: list[str] = []
    for line in lines:
        fields = line.split(b" ")
        if len(fields) > 4:
            raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 8)]), fields[4])
            out.append(os.fsdecode(raw))
    return out


def is_mountpoint(path: Path) -> bool:
    target = os.path.realpath(path)
    return target in _mount_points()


def mounts_under(path: Path) -> list[str]:
    """Mount points at or below ``path`` (deepest first, the order to unmount them)."""
    base = os.path.realpath(path)
    prefix = base.rstrip("/") + "/"
    found = {p for p in _mount_points() if p == base or p.startswith(prefix)}
    return sorted(found, key=len, reverse=True)
