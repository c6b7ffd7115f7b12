"""The Mount value that snapshotters return and the one place that mounts it.

Snapshotters never mount: they describe what to mount as a list of :class:`Mount`, and the
caller (unpacker, container start, commit) mounts it with :func:`mount_all` and undoes it
with :func:`unmount_all`. This keeps mount lifetimes visible at the call site.

Mounting calls libc ``mount(2)``/``umount2(2)`` through ctypes: no ``mount(8)`` process,
which matters on the container start path. Options are split as the kernel wants them:
flag words (``ro``, ``nosuid``, ``rbind``...) become ``MS_*`` bits, propagation words
(``rprivate``...) a second call, the rest the data string. A read-only bind needs a
remount, because the kernel ignores ``MS_RDONLY`` on the first bind call.

The data string of one mount is limited to a page. An overlay with many long lowerdirs
goes over it; then the new mount API (``fsopen``/``fsconfig``/``fsmount``) is used and
each lower is added with its own ``lowerdir+`` (Linux 6.8+; as an O_PATH fd on 6.13+,
since fsconfig strings stop at 256 bytes), so the limit disappears without the
chdir-in-a-child trick containerd needs. Older kernels get a DockyardError naming it.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import DockyardError

__all__ = ["Mount", "mount_all", "unmount_all"]


@dataclass(frozen=True, slots=True)
class Mount:
    """One mount(2) call: ``type`` (overlay, bind), ``source`` and comma-free options."""

    type: str
    source: str
    options: tuple[str, ...] = ()

    def option(self, key: str) -> str | None:
        """The value of ``key=value`` in the options (``upperdir``, ``lowerdir``...)."""
        prefix = key + "="
        for opt in self.options:
            if opt.startswith(prefix):
                return opt[len(prefix) :]
        return None


MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_SYNCHRONOUS = 0x10
MS_REMOUNT = 0x20
MS_MANDLOCK = 0x40
MS_DIRSYNC = 0x80
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_REC = 0x4000
MS_UNBINDABLE = 1 << 17
MS_PRIVATE = 1 << 18
MS_SLAVE = 1 << 19
MS_SHARED = 1 << 20
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24
MNT_DETACH = 0x2

# option -> (clear?, bits); "clear" options (rw, suid...) undo an earlier flag.
_FLAGS: dict[str, tuple[bool, int]] = {
    "ro": (False, MS_RDONLY),
    "rw": (True, MS_RDONLY),
    "nosuid": (False, MS_NOSUID),
    "suid": (True, MS_NOSUID),
    "nodev": (False, MS_NODEV),
    "dev": (True, MS_NODEV),
    "noexec": (False, MS_NOEXEC),
    "exec": (True, MS_NOEXEC),
    "sync": (False, MS_SYNCHRONOUS),
    "async": (True, MS_SYNCHRONOUS),
    "dirsync": (False, MS_DIRSYNC),
    "remount": (False, MS_REMOUNT),
    "mand": (False, MS_MANDLOCK),
    "nomand": (True, MS_MANDLOCK),
    "noatime": (False, MS_NOATIME),
    "atime": (True, MS_NOATIME),
    "nodiratime": (False, MS_NODIRATIME),
    "diratime": (True, MS_NODIRATIME),
    "relatime": (False, MS_RELATIME),
    "norelatime": (True, MS_RELATIME),
    "strictatime": (False, MS_STRICTATIME),
    "bind": (False, MS_BIND),
    "rbind": (False, MS_BIND | MS_REC),
    "defaults": (False, 0),
}
_PROPAGATION: dict[str, int] = {
    "private": MS_PRIVATE,
    "rprivate": MS_PRIVATE | MS_REC,
    "shared": MS_SHARED,
    "rshared": MS_SHARED | MS_REC,
    "slave": MS_SLAVE,
    "rslave": MS_SLAVE | MS_REC,
    "unbindable": MS_UNBINDABLE,
    "runbindable": MS_UNBINDABLE | MS_REC,
}

# new mount API (linux/mount.h)
_FSOPEN_CLOEXEC = 0x1
_FSCONFIG_SET_FLAG = 0
_FSCONFIG_SET_STRING = 1
_FSCONFIG_SET_FD = 5
_FSCONFIG_CMD_CREATE = 6
_FSMOUNT_CLOEXEC = 0x1
_MOVE_MOUNT_F_EMPTY_PATH = 0x4
_AT_FDCWD = -100
_PATH_KEYS = frozenset({"lowerdir+", "upperdir", "workdir", "datadir+"})

_libc: ctypes.CDLL | None = None


def _lib() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        lib = ctypes.CDLL(None, use_errno=True)
        lib.mount.argtypes = [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_ulong,
            ctypes.c_char_p,
        ]
        lib.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
        _libc = lib
    return _libc


def _check(ret: int, what: str) -> int:
    if ret < 0:
        err = ctypes.get_errno()
        raise DockyardError(f"{what}: {os.strerror(err)}") from OSError(err, os.strerror(err))
    return ret


@dataclass(frozen=True, slots=True)
class _Parsed:
    flags: int
    propagation: int
    data: str


def _parse(options: tuple[str, ...]) -> _Parsed:
    flags = propagation = 0
    data: list[str] = []
    for opt in options:
        if opt in _FLAGS:
            clear, bits = _FLAGS[opt]
            flags = flags & ~bits if clear else flags | bits
        elif opt in _PROPAGATION:
            propagation |= _PROPAGATION[opt]
        else:
            data.append(opt)
    return _Parsed(flags, propagation, ",".join(data))


def _mount_one(m: Mount, target: str) -> None:
    p = _parse(m.options)
    flags = p.flags
    bind = m.type == "bind" or bool(flags & MS_BIND)
    if bind:
        flags |= MS_BIND
    fstype = None if bind else m.type
    if len(p.data) >= resource.getpagesize():
        if m.type != "overlay":
            raise DockyardError(
                f"mount {m.type} on {target}: options are {len(p.data)} bytes, over a page"
            )
        _mount_overlay_fsconfig(m, target, flags)
    else:
        what = f"mount {m.type} {m.source} on {target}"
        lib = _lib()
        _check(
            lib.mount(
                m.source.encode(),
                target.encode(),
                fstype.encode() if fstype else None,
                flags & ~MS_RDONLY if bind else flags,
                p.data.encode() if p.data else None,
            ),
            what,
        )
        if bind and flags & MS_RDONLY:
            # the kernel ignores MS_RDONLY on the bind itself: remount to make it ro
            ro = MS_REMOUNT | MS_BIND | MS_RDONLY | (flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC))
            try:
                _check(lib.mount(None, target.encode(), None, ro, None), what + " (ro remount)")
            except DockyardError:
                _umount(target, MNT_DETACH)
                raise
    if p.propagation:
        _check(
            _lib().mount(None, target.encode(), None, p.propagation, None),
            f"set propagation of {target}",
        )


def _mount_overlay_fsconfig(m: Mount, target: str, flags: int) -> None:
    """Mount an overlay whose options exceed a page: one ``fsconfig`` call per option."""
    lib = _lib()
    what = f"mount overlay on {target} (fsconfig)"
    fs = _check(lib.fsopen(b"overlay", _FSOPEN_CLOEXEC), what)
    try:
        for opt in _parse(m.options).data.split(","):
            key, _, value = opt.partition("=")
            if key == "lowerdir":
                for lower in value.split(":"):
                    _fsconfig(lib, fs, "lowerdir+", lower, what)
            else:
                _fsconfig(lib, fs, key, value or None, what)
        _check(lib.fsconfig(fs, _FSCONFIG_CMD_CREATE, None, None, 0), what + ": create")
        attrs = 0x1 if flags & MS_RDONLY else 0  # MOUNT_ATTR_RDONLY
        mnt = _check(lib.fsmount(fs, _FSMOUNT_CLOEXEC, attrs), what + ": fsmount")
        try:
            _check(
                lib.move_mount(mnt, b"", _AT_FDCWD, target.encode(), _MOVE_MOUNT_F_EMPTY_PATH),
                what + ": move_mount",
            )
        finally:
            os.close(mnt)
    finally:
        os.close(fs)


def _fsconfig(lib: ctypes.CDLL, fs: int, key: str, value: str | None, what: str) -> None:
    if value is None:
        _check(lib.fsconfig(fs, _FSCONFIG_SET_FLAG, key.encode(), None, 0), f"{what}: {key}")
        return
    if key in _PATH_KEYS:
        # fsconfig strings are capped at 256 bytes; an O_PATH fd has no length (Linux 6.13+)
        fd = os.open(value, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            if lib.fsconfig(fs, _FSCONFIG_SET_FD, key.encode(), None, fd) == 0:
                return
            if ctypes.get_errno() != errno.EINVAL or len(value) >= 256:
                _check(-1, f"{what}: {key}={value}")
        finally:
            os.close(fd)
    ret = lib.fsconfig(fs, _FSCONFIG_SET_STRING, key.encode(), value.encode(), 0)
    _check(ret, f"{what}: {key}={value}")


def _umount(target: str, flags: int) -> int:
    """0 on success, else the errno."""
    if _lib().umount2(target.encode(), flags) == 0:
        return 0
    return ctypes.get_errno()


def mount_all(mounts: list[Mount], target: str | Path) -> None:
    """Mount ``mounts`` in order on ``target``; on a failure, undo the ones already mounted."""
    target = os.fspath(target)
    done = 0
    try:
        for m in mounts:
            _mount_one(m, target)
            done += 1
    except BaseException:
        for _ in range(done):
            _umount(target, MNT_DETACH)
        raise


def unmount_all(target: str | Path, *, detach: bool = False) -> None:
    """Unmount everything stacked on ``target`` (no error if nothing is mounted there).

    ``detach`` (``MNT_DETACH``) succeeds even while files are open below ``target``;
    without it a busy mount raises DockyardError.
    """
    path = os.fspath(target)
    flags = MNT_DETACH if detach else 0
    while True:
        err = _umount(path, flags)
        if err == errno.EINTR:
            continue
        if err in (errno.EINVAL, errno.ENOENT):
            return  # not (or no longer) a mount point
        if err:
            raise DockyardError(f"unmount {path}: {os.strerror(err)}")
