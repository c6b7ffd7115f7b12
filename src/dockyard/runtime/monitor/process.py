"""Making the monitor a process of its own: subreaper, daemon, single instance per exec root.

``daemonize`` is the classic double fork: the command the daemon runs returns only once the
monitor is serving (or has failed, with the reason), while the monitor itself ends up in its
own session and process group, the child of no one who matters (init, or the host's
subreaper). Killing the daemon, or its process group, leaves it running.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import os
import sys
from collections.abc import Callable
from pathlib import Path

from dockyard.errors import Conflict, DockyardError
from dockyard.util.atomic import atomic_write

__all__ = ["PidLock", "daemonize", "set_child_subreaper"]

PR_SET_CHILD_SUBREAPER = 36


def set_child_subreaper() -> None:
    """Orphaned descendants (container inits once runc exits) become our children."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise DockyardError(f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(err)}")


class PidLock:
    """``monitor.lock`` (flock, held for the process's life) and ``monitor.pid``."""

    def __init__(self, exec_root: Path) -> None:
        self.lock_path = exec_root / "monitor.lock"
        self.pid_path = exec_root / "monitor.pid"
        self._fd = -1

    def acquire(self) -> None:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise Conflict(f"a monitor already runs for {self.lock_path.parent}") from None
        self._fd = fd
        atomic_write(self.pid_path, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        if self._fd >= 0:
            self.pid_path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = -1


def daemonize() -> Callable[[str], None]:
    """Fork twice; only the grandchild returns, with a function that reports readiness.

    The original process waits for that report: ``""`` means serving (exit 0), any other
    text is an error it prints to stderr (exit 1). If the grandchild dies first, exit 1.
    """
    read_fd, write_fd = os.pipe()
    child = os.fork()
    if child > 0:
        os.close(write_fd)
        os.waitpid(child, 0)  # the middle process exits at once; leave no zombie behind
        with os.fdopen(read_fd, "rb") as pipe:
            report = pipe.read()
        if report == b"ok":
            os._exit(0)
        sys.stderr.write(report.decode(errors="replace") or "monitor died while starting\n")
        os._exit(1)
    os.close(read_fd)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    os.chdir("/")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)

    def ready(error: str) -> None:
        with contextlib.suppress(OSError):
            os.write(write_fd, error.encode() if error else b"ok")
            os.close(write_fd)

    return ready
