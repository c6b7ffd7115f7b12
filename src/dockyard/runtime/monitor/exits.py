"""Collecting exit codes: the monitor is the subreaper of every container process.

Container inits and exec'd processes are reparented to the monitor when the runtime's own
process exits, so the monitor's SIGCHLD handler sees them end. One subtlety: runtime calls
run ``runc`` as a child of the monitor in a worker thread, and ``subprocess`` waits for that
exact pid. A ``waitpid(-1)`` then would steal runc's status (subprocess would read exit 0 for
a failed runc). So while any runtime call is in flight the reaper only waits for the pids it
knows; when none is, it reaps everything (including stray orphans), and it runs again after
each call ends so nothing stays a zombie.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["Reaper", "exit_code", "oom_killed"]

CGROUP_ROOT = Path("/sys/fs/cgroup")


def exit_code(wait_status: int) -> int:
    """The shell's view: the exit code, or 128+signal for a process killed by a signal."""
    code = os.waitstatus_to_exitcode(wait_status)
    return 128 - code if code < 0 else code


def _counter(path: Path, key: str) -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    return 0


def oom_killed(cgroup_path: str | None, root: Path = CGROUP_ROOT) -> bool:
    """Whether the kernel OOM-killed a process of the container's cgroup.

    Read at exit, before the runtime deletes the cgroup: cgroup v2 ``memory.events`` or v1
    ``memory.oom_control`` ``oom_kill`` (kernel >= 4.13). Only absolute cgroup paths (the
    cgroupfs driver's) are understood; for others the answer is False.
    """
    if not cgroup_path or not cgroup_path.startswith("/"):
        return False
    rel = cgroup_path.lstrip("/")
    if (root / "cgroup.controllers").exists():  # unified hierarchy only
        return _counter(root / rel / "memory.events", "oom_kill") > 0
    v1 = root / "memory" / rel
    return (
        _counter(v1 / "memory.oom_control", "oom_kill") > 0
        or _counter(v1 / "memory.oom_control", "under_oom") > 0
        or _counter(root / "unified" / rel / "memory.events", "oom_kill") > 0
    )


class Reaper:
    """Waits for ended children and reports ``(pid, exit code)`` for the ones it knows."""

    def __init__(
        self, known: Callable[[], Iterable[int]], on_exit: Callable[[int, int], None]
    ) -> None:
        self._known = known
        self._on_exit = on_exit
        self.in_flight = 0

    def reap(self) -> None:
        if self.in_flight:
            self._reap_known()
            return
        known = set(self._known())
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in known:
                self._on_exit(pid, exit_code(status))

    def _reap_known(self) -> None:
        for pid in list(self._known()):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if done:
                self._on_exit(pid, exit_code(status))
