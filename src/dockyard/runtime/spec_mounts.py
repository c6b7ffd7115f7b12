"""The mount list of a container's spec: Docker's defaults, ``--tmpfs``, and the caller's.

Order is Docker's: the default filesystems (/proc, /dev, /dev/pts, /sys, /sys/fs/cgroup,
/dev/mqueue, /dev/shm, then the init binary), minus those a user mount replaces (a user
/dev replaces every /dev/* default), then the user mounts (volumes, binds, tmpfs) sorted
parents-first by path depth. ``--read-only`` makes the defaults read-only except the
kernel filesystems a process needs to write; ``--privileged`` makes /sys and cgroups
writable.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping

from dockyard.errors import InvalidParameter
from dockyard.oci.runtime import Mount

__all__ = ["INIT_PATH", "container_mounts", "tmpfs_options"]

INIT_PATH = "/sbin/docker-init"
_NS = ("nosuid", "noexec", "nodev")
_WRITABLE_WHEN_READONLY = frozenset(("/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev"))
_TMPFS_FLAGS = {  # option -> its group; the last option of a group wins
    **dict.fromkeys(("ro", "rw"), "rdonly"),
    **dict.fromkeys(("exec", "noexec"), "exec"),
    **dict.fromkeys(("suid", "nosuid"), "suid"),
    **dict.fromkeys(("dev", "nodev"), "dev"),
    **dict.fromkeys(("atime", "noatime"), "atime"),
    **dict.fromkeys(("diratime", "nodiratime"), "diratime"),
    **dict.fromkeys(("relatime", "norelatime", "strictatime"), "reltime"),
    **dict.fromkeys(("sync", "async"), "sync"),
    **dict.fromkeys(("private", "rprivate", "shared", "rshared", "slave", "rslave"), "prop"),
}
_TMPFS_DATA = frozenset(("size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"))


def tmpfs_options(data: str) -> tuple[str, ...]:
    """``--tmpfs /path:data`` options: noexec,nosuid,nodev,rprivate overridden by ``data``.

    Unknown options are InvalidParameter, as in Docker's MergeTmpfsOptions.
    """
    options = ["noexec", "nosuid", "nodev", "rprivate", *(o for o in data.split(",") if o)]
    seen: set[str] = set()
    merged: list[str] = []
    for opt in reversed(options):
        if opt == "defaults":
            continue
        key = _TMPFS_FLAGS.get(opt)
        if key is None:
            name, has_value, _ = opt.partition("=")
            if not has_value or name not in _TMPFS_DATA:
                raise InvalidParameter(f'invalid tmpfs option ["{opt}"]')
            key = "=" + name
        if key not in seen:
            seen.add(key)
            merged.insert(0, opt)
    return tuple(merged)


def _drop(options: tuple[str, ...], option: str) -> tuple[str, ...]:
    return tuple(o for o in options if o != option)


def _defaults(shm_size: int, init_source: str | None) -> list[Mount]:
    defaults = [
        Mount("/proc", "proc", "proc", _NS),
        Mount("/dev", "tmpfs", "tmpfs", ("nosuid", "strictatime", "mode=755", "size=65536k")),
        Mount(
            "/dev/pts",
            "devpts",
            "devpts",
            ("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
        ),
        Mount("/sys", "sysfs", "sysfs", (*_NS, "ro")),
        Mount("/sys/fs/cgroup", "cgroup", "cgroup", ("ro", *_NS)),
        Mount("/dev/mqueue", "mqueue", "mqueue", _NS),
        Mount("/dev/shm", "tmpfs", "shm", (*_NS, "mode=1777", f"size={shm_size}")),
    ]
    if init_source:
        defaults.append(Mount(INIT_PATH, "bind", init_source, ("bind", "ro")))
    return defaults


def container_mounts(
    user_mounts: Iterable[Mount],
    tmpfs: Mapping[str, str],
    *,
    shm_size: int,
    with_shm: bool = True,
    init_source: str | None = None,
    read_only: bool = False,
    privileged: bool = False,
) -> tuple[Mount, ...]:
    """Every mount of the container, in the order the runtime must perform them."""
    user = list(user_mounts)
    user += [Mount(dest, "tmpfs", "tmpfs", tmpfs_options(data)) for dest, data in tmpfs.items()]
    user.sort(key=lambda m: len(posixpath.normpath(m.destination).split("/")))
    taken = {m.destination for m in user}
    kept = []
    for m in _defaults(shm_size, init_source):
        if m.destination in taken or ("/dev" in taken and m.destination.startswith("/dev/")):
            continue
        if m.destination == "/dev/shm" and not with_shm:
            continue
        if read_only and m.destination not in _WRITABLE_WHEN_READONLY and "ro" not in m.options:
            m = Mount(m.destination, m.type, m.source, (*m.options, "ro"))
        if privileged and m.type in ("sysfs", "cgroup"):
            m = Mount(m.destination, m.type, m.source, _drop(m.options, "ro"))
        kept.append(m)
    return tuple(kept + user)
