"""The Runtime contract: an OCI runtime (runc, crun, our native one) as Dockyard drives it.

Lifecycle of one container, as the OCI runtime spec defines it::

    create(cid, bundle, io)  -> CREATED   init process exists, paused before the user's exec
    start(cid)               -> RUNNING   user process runs
    pause/resume             <-> PAUSED   (cgroup freezer)
    (process exits)          -> STOPPED
    delete(cid)              -> gone      Conflict unless STOPPED or CREATED, or force=True

``create`` and ``exec`` hand the process the file descriptors in :class:`ProcessIO`; they
are called by the monitor, which owns those descriptors and is the subreaper that collects
exit codes. Every other call is made by the daemon. Unknown ids raise NotFound; a call the
state does not allow raises Conflict; a runtime failure raises DockyardError with the
runtime's own stderr in the message.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

__all__ = ["ProcessIO", "Runtime", "RuntimeState", "RuntimeStatus"]


class RuntimeStatus(enum.Enum):
    CREATING = "creating"
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class RuntimeState:
    id: str
    pid: int
    status: RuntimeStatus
    bundle: str


@dataclass(frozen=True, slots=True)
class ProcessIO:
    """What the new process gets as stdio: inherited fds, or a pty sent to a console socket.

    With ``console_socket`` set (terminal=true in the process), the runtime creates a pty and
    sends its master over that unix socket (SCM_RIGHTS); the fds are then unused.
    """

    stdin: int | None = None
    stdout: int | None = None
    stderr: int | None = None
    console_socket: str | None = None


class Runtime(Protocol):
    name: str

    def create(self, cid: str, bundle: Path, io: ProcessIO, pid_file: Path) -> int:
        """Create the container (CREATED); return the pid of its init process."""
        ...

    def start(self, cid: str) -> None: ...

    def state(self, cid: str) -> RuntimeState: ...

    def list(self) -> list[RuntimeState]: ...

    def kill(self, cid: str, signal: int, all_processes: bool = False) -> None: ...

    def pause(self, cid: str) -> None: ...

    def resume(self, cid: str) -> None: ...

    def exec(self, cid: str, process: Mapping[str, Any], io: ProcessIO, pid_file: Path) -> int:
        """Start an extra process (an OCI ``process`` object) in the container; its pid."""
        ...

    def update(self, cid: str, resources: Mapping[str, Any]) -> None:
        """Change cgroup limits of a live container (OCI ``linux.resources`` shape)."""
        ...

    def delete(self, cid: str, force: bool = False) -> None: ...

    def exists(self, cid: str) -> bool:
        """Whether the runtime holds state for ``cid`` — read from its state directory, so
        asking costs no process start (a runtime call is a Go binary's start)."""
        ...
