"""Named network namespaces as bind mounts, and running code inside one.

A namespace lives as long as something holds it: a process, an open fd, or a bind mount of
its nsfs file. Dockyard holds each container's network namespace with a bind mount at a path
the caller chooses (the daemon uses ``<exec-root>/netns/<container id>``), so the namespace
outlives a daemon restart and runc can join it by path::

    <exec-root>/netns/
      <id>          empty file; an nsfs bind mount on it keeps the namespace alive

Namespaces are per *task* (thread) on Linux. Creation and :func:`run_in_netns` therefore use
a fresh helper thread that unshares or setns's itself and then exits, so no thread of the
calling process is ever left in a foreign namespace. Anything a callable opens inside (a
netlink socket, a listening socket) stays bound to that namespace after the thread is gone,
and a child process forked from the helper thread (``nft``) starts inside it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from dockyard.errors import DockyardError, NotFound

__all__ = [
    "NetnsError",
    "create_netns",
    "delete_netns",
    "netns_path_of_pid",
    "run_in_netns",
    "set_link_up",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MNT_DETACH = 0x2

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


class NetnsError(DockyardError):
    """A namespace could not be created, entered or removed (the message names the path)."""


def _check(ret: int, what: str, path: Path | str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise NetnsError(f"{what} {path}: {os.strerror(err)}")


def _in_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a new thread that is discarded afterwards; re-raise what it raised."""
    box: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(fn())
        except BaseException as err:  # noqa: BLE001 - handed back to the caller verbatim
            errors.append(err)

    thread = threading.Thread(target=target, name="dockyard-netns", daemon=True)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return box[0]


def set_link_up(ifname: str) -> None:
    """Bring ``ifname`` up in the calling thread's namespace (used for ``lo``)."""
    from dockyard.network._rtnl import IPRoute

    with IPRoute() as ipr:
        idx = ipr.link_lookup(ifname=ifname)
        if not idx:
            raise NotFound(f"network interface {ifname} not found")
        ipr.link("set", index=idx[0], state="up")


def create_netns(path: Path) -> Path:
    """Create a new network namespace held by a bind mount at ``path``, with ``lo`` up.

    The parent directory is created. ``path`` must not exist yet (``NetnsError`` otherwise).
    On failure nothing is left behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o444)
    except FileExistsError as err:
        raise NetnsError(f"network namespace {path} already exists") from err
    os.close(fd)

    def make() -> None:
        _check(_libc.unshare(CLONE_NEWNET), "unshare network namespace for", path)
        source = f"/proc/self/task/{threading.get_native_id()}/ns/net".encode()
        _check(_libc.mount(source, os.fsencode(path), None, MS_BIND, None), "bind-mount", path)
        set_link_up("lo")

    try:
        _in_thread(make)
    except BaseException:
        _libc.umount2(os.fsencode(path), MNT_DETACH)
        path.unlink(missing_ok=True)
        raise
    log.debug("created network namespace %s", path)
    return path


def delete_netns(path: Path) -> None:
    """Unmount and remove ``path``; a missing path is not an error (idempotent).

    The namespace itself disappears once no process or fd holds it any more.
    """
    ret = _libc.umount2(os.fsencode(path), MNT_DETACH)
    if ret != 0:
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOENT):
            raise NetnsError(f"unmount network namespace {path}: {os.strerror(err)}")
    path.unlink(missing_ok=True)
    log.debug("deleted network namespace %s", path)


def run_in_netns(path: Path | str, fn: Callable[[], T]) -> T:
    """Call ``fn`` in a helper thread that has joined the namespace at ``path``.

    Returns what ``fn`` returns and re-raises what it raises. Sockets ``fn`` creates stay in
    that namespace; the helper thread ends with the call.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError as err:
        raise NotFound(f"network namespace {path} not found") from err

    def enter() -> T:
        _check(_libc.setns(fd, CLONE_NEWNET), "enter network namespace", path)
        return fn()

    try:
        return _in_thread(enter)
    finally:
        os.close(fd)


def netns_path_of_pid(pid: int) -> Path:
    """The nsfs path of a process's network namespace (``/proc/<pid>/ns/net``)."""
    path = Path(f"/proc/{pid}/ns/net")
    if not path.exists():
        raise NotFound(f"no such process: {pid}")
    return path
