"""A container's lifecycle: one status, an explicit transition table, and the guards.

::

      create                 start                     pause
    ───────► CREATED ───────────────► RUNNING ◄──────────────────► PAUSED
                │                    │   ▲  │      unpause            │
                │                    │   │  └─ process exits ─┐       │ kill / stop
                │           restart  ▼   │ start              ▼       │
                │                 RESTARTING ──────────────► EXITED ◄─┘
                │                                             │
                └──────────────► REMOVING ◄──────────────────┘  (running ones: force)
                                  │     └─ removal failed ──► DEAD
                                  ▼
                                (gone)

Services never test a status ad hoc: they call :func:`require` with the action they are
about to take (which raises Docker's exact error when the status does not allow it) and
move the record with :func:`transition` (which refuses an edge not in the table).
Messages are dockerd 20.10's, checked against a real one.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

from dockyard.errors import Conflict, DockyardError, NotModified

__all__ = [
    "LIVE",
    "PROCESS",
    "TRANSITIONS",
    "ZERO_TIME",
    "Action",
    "Health",
    "HealthLogEntry",
    "State",
    "Status",
    "can_transition",
    "require",
    "transition",
]

ZERO_TIME = "0001-01-01T00:00:00Z"


class Status(enum.Enum):
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    RESTARTING = "restarting"
    REMOVING = "removing"
    EXITED = "exited"
    DEAD = "dead"


S = Status
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.CREATED: frozenset({S.RUNNING, S.EXITED, S.REMOVING, S.DEAD}),
    S.RUNNING: frozenset({S.PAUSED, S.EXITED, S.RESTARTING, S.REMOVING, S.DEAD}),
    S.PAUSED: frozenset({S.RUNNING, S.EXITED, S.REMOVING, S.DEAD}),
    S.RESTARTING: frozenset({S.RUNNING, S.EXITED, S.REMOVING, S.DEAD}),
    S.EXITED: frozenset({S.RUNNING, S.RESTARTING, S.REMOVING, S.DEAD}),
    # A failed removal puts the container back where it was, or marks it dead.
    S.REMOVING: frozenset({S.CREATED, S.EXITED, S.DEAD}),
    S.DEAD: frozenset({S.REMOVING}),
}


class Action(enum.Enum):
    START = "start"
    STOP = "stop"
    RESTART = "restart"
    KILL = "kill"
    PAUSE = "pause"
    UNPAUSE = "unpause"
    EXEC = "exec"
    ATTACH = "attach"
    REMOVE = "remove"
    REMOVE_FORCE = "remove-force"
    TOP = "top"
    RESIZE = "resize"


# A process may exist (LIVE, which includes waiting out a restart back-off) or surely does
# (PROCESS: something to signal, freeze or read cgroups of).
LIVE = frozenset({S.RUNNING, S.PAUSED, S.RESTARTING})
PROCESS = frozenset({S.RUNNING, S.PAUSED})
_LIVE = LIVE


def can_transition(src: Status, dst: Status) -> bool:
    return dst in TRANSITIONS[src]


def require(status: Status, action: Action, cid: str, ref: str = "") -> None:
    """Raise the error dockerd answers ``action`` with in ``status``; return if allowed.

    ``cid`` is the full id, ``ref`` the name or id as the client wrote it (some of
    dockerd's messages use one, some the other). Starting a running container or stopping
    a stopped one raises NotModified (HTTP 304), which clients treat as success.
    """
    ref = ref or cid
    error = _ERRORS.get(action, _allowed)(status, cid, ref)
    if error is not None:
        raise error


def transition(state: State, dst: Status) -> State:
    """``state`` moved to ``dst``; Conflict when the table has no such edge."""
    if not can_transition(state.status, dst):
        raise Conflict(
            f"cannot move container from {state.status.value} to {dst.value}: "
            "not a valid state transition"
        )
    return dataclasses.replace(state, status=dst)


def _allowed(status: Status, cid: str, ref: str) -> DockyardError | None:
    return None


def _not_running(cid: str) -> Conflict:
    return Conflict(f"Container {cid} is not running")


def _restarting(name: str) -> Conflict:
    return Conflict(f"Container {name} is restarting, wait until the container is running")


def _start(status: Status, cid: str, ref: str) -> DockyardError | None:
    if status is S.PAUSED:
        return Conflict("cannot start a paused container, try unpause instead")
    if status in (S.RUNNING, S.RESTARTING):
        return NotModified(f"Container {cid} is already started")
    if status in (S.REMOVING, S.DEAD):
        return Conflict("container is marked for removal and cannot be started")
    return None


def _stop(status: Status, cid: str, ref: str) -> DockyardError | None:
    if status not in _LIVE:
        return NotModified(f"Container {cid} is already stopped")
    return None


def _kill(status: Status, cid: str, ref: str) -> DockyardError | None:
    if status not in _LIVE:
        return Conflict(f"Cannot kill container: {ref}: Container {cid} is not running")
    return None


def _pause(status: Status, cid: str, ref: str) -> DockyardError | None:
    if status is S.PAUSED:
        return Conflict(f"Container {cid} is already paused")
    if status is S.RESTARTING:
        return _restarting(cid)
    if status is not S.RUNNING:
        return _not_running(cid)
    return None


def _unpause(status: Status, cid: str, ref: str) -> DockyardError | None:
    # dockerd 20.10 answers 500 here; 409 is what the error means.
    if status is not S.PAUSED:
        return Conflict(f"Container {cid} is not paused")
    return None


def _exec(status: Status, cid: str, ref: str) -> DockyardError | None:
    if status is S.PAUSED:
        return Conflict(f"Container {ref} is paused, unpause the container before exec")
    if status is S.RESTARTING:
        return _restarting(ref)
    if status is not S.RUNNING:
        return _not_running(cid)
    return None


def _attach(status: Status, cid: str, ref: str) -> DockyardError | None:
    if status is S.PAUSED:
        return Conflict(f"container {ref} is paused, unpause the container before attach")
    if status is S.RESTARTING:
        return Conflict(f"container {ref} is restarting, wait until the container is running")
    return None


def _remove(status: Status, cid: str, ref: str) -> DockyardError | None:
    if status is S.REMOVING:
        return Conflict(f"removal of container {ref} is already in progress")
    if status in _LIVE:
        procedure = "Stop the container before attempting removal or force remove"
        if status is S.PAUSED:
            procedure = "Unpause and then " + procedure[0].lower() + procedure[1:]
        return Conflict(f"You cannot remove a {status.value} container {cid}. {procedure}")
    return None


def _remove_force(status: Status, cid: str, ref: str) -> DockyardError | None:
    if status is S.REMOVING:
        return Conflict(f"removal of container {ref} is already in progress")
    return None


def _top(status: Status, cid: str, ref: str) -> DockyardError | None:
    if status is S.RESTARTING:
        return _restarting(cid)
    if status not in _LIVE:
        return _not_running(cid)
    return None


def _resize(status: Status, cid: str, ref: str) -> DockyardError | None:
    if status not in _LIVE:
        return _not_running(cid)
    return None


_ERRORS = {
    Action.START: _start,
    Action.STOP: _stop,
    Action.KILL: _kill,
    Action.PAUSE: _pause,
    Action.UNPAUSE: _unpause,
    Action.EXEC: _exec,
    Action.ATTACH: _attach,
    Action.REMOVE: _remove,
    Action.REMOVE_FORCE: _remove_force,
    Action.TOP: _top,
    Action.RESIZE: _resize,
}


@dataclass(frozen=True, slots=True)
class HealthLogEntry:
    start: str
    end: str
    exit_code: int
    output: str

    def to_wire(self) -> dict[str, Any]:
        return {
            "Start": self.start,
            "End": self.end,
            "ExitCode": self.exit_code,
            "Output": self.output,
        }

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> HealthLogEntry:
        return cls(doc["Start"], doc["End"], int(doc["ExitCode"]), doc["Output"])


@dataclass(frozen=True, slots=True)
class Health:
    """``status``: starting, healthy, unhealthy (none when the image disables checks)."""

    status: str = "starting"
    failing_streak: int = 0
    log: tuple[HealthLogEntry, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return {
            "Status": self.status,
            "FailingStreak": self.failing_streak,
            "Log": [entry.to_wire() for entry in self.log],
        }

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> Health:
        return cls(
            status=doc["Status"],
            failing_streak=int(doc["FailingStreak"]),
            log=tuple(HealthLogEntry.from_wire(e) for e in doc.get("Log") or ()),
        )


@dataclass(frozen=True, slots=True)
class State:
    """Docker's ``State`` object; Running/Paused/Restarting/Dead derive from ``status``.

    Times are RFC 3339 strings, :data:`ZERO_TIME` for never. ``health`` is None for a
    container without a healthcheck (the key is then absent, as in dockerd).
    """

    status: Status = Status.CREATED
    pid: int = 0
    exit_code: int = 0
    error: str = ""
    oom_killed: bool = False
    started_at: str = ZERO_TIME
    finished_at: str = ZERO_TIME
    health: Health | None = field(default=None)

    @property
    def running(self) -> bool:
        return self.status in _LIVE

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Status": self.status.value,
            "Running": self.running,
            "Paused": self.status is S.PAUSED,
            "Restarting": self.status is S.RESTARTING,
            "OOMKilled": self.oom_killed,
            "Dead": self.status is S.DEAD,
            "Pid": self.pid,
            "ExitCode": self.exit_code,
            "Error": self.error,
            "StartedAt": self.started_at,
            "FinishedAt": self.finished_at,
        }
        if self.health is not None:
            out["Health"] = self.health.to_wire()
        return out

    @classmethod
    def from_wire(cls, doc: dict[str, Any]) -> State:
        """Inverse of :meth:`to_wire` (the store keeps this JSON)."""
        health = doc.get("Health")
        return cls(
            status=Status(doc["Status"]),
            pid=int(doc["Pid"]),
            exit_code=int(doc["ExitCode"]),
            error=doc["Error"],
            oom_killed=bool(doc["OOMKilled"]),
            started_at=doc["StartedAt"],
            finished_at=doc["FinishedAt"],
            health=Health.from_wire(health) if health is not None else None,
        )
