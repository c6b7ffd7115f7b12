"""A busybox root filesystem from Debian's busybox-static, as a tar stream.

There is no Docker Hub here: ``busybox:latest`` for demos and tests is this tar, imported
with ``dockyard import``. It holds the static binary, one symlink per applet (as the
official image does), and the minimal /etc a container expects.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import time
from pathlib import Path
from typing import BinaryIO

__all__ = ["BUSYBOX", "applets", "write_rootfs"]

BUSYBOX = Path("/bin/busybox")

_PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    "www-data:x:33:33:www-data:/var/www:/bin/false\n"
    "nobody:x:65534:65534:nobody:/home:/bin/false\n"
)
_GROUP = "root:x:0:\ndaemon:x:1:\nwww-data:x:33:\nnogroup:x:65534:\n"
_DIRS = (
    "bin",
    "dev",
    "etc",
    "home",
    "proc",
    "root",
    "sys",
    "tmp",
    "usr",
    "usr/bin",
    "usr/sbin",
    "sbin",
    "var",
    "var/www",
)


def applets(busybox: Path = BUSYBOX) -> list[str]:
    """Full paths of every applet, from ``busybox --list-full`` (e.g. ``usr/bin/wget``)."""
    out = subprocess.run(
        [str(busybox), "--list-full"], capture_output=True, check=True, timeout=10
    ).stdout.decode()
    return sorted({line.strip() for line in out.splitlines() if line.strip()})


def _add_file(tar: tarfile.TarFile, name: str, data: bytes, mode: int, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = int(mtime)
    tar.addfile(info, io.BytesIO(data))


def write_rootfs(out: BinaryIO, busybox: Path = BUSYBOX) -> None:
    """Write the rootfs tar to ``out`` (uncompressed)."""
    mtime = time.time()
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for d in _DIRS:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if d == "tmp" else 0o755
            info.mtime = int(mtime)
            tar.addfile(info)
        _add_file(tar, "bin/busybox", busybox.read_bytes(), 0o755, mtime)
        for applet in applets(busybox):
            path = applet.lstrip("/")
            if path == "bin/busybox":
                continue
            link = tarfile.TarInfo(path)
            link.type = tarfile.SYMTYPE
            link.linkname = "/bin/busybox"
            link.mode = 0o777
            link.mtime = int(mtime)
            tar.addfile(link)
        _add_file(tar, "etc/passwd", _PASSWD.encode(), 0o644, mtime)
        _add_file(tar, "etc/group", _GROUP.encode(), 0o644, mtime)
        _add_file(tar, "etc/hostname", b"busybox\n", 0o644, mtime)
        _add_file(tar, "var/www/index.html", b"hello from dockyard\n", 0o644, mtime)
