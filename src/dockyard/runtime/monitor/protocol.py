"""The monitor's wire protocol, version 1: JSON lines over ``<exec-root>/monitor.sock``
(message types here; their encoding in codec.py).

Each side first sends one hello line and checks the other's::

    {"hello": "dockyard-monitor", "version": 1}

Then the client sends requests and the monitor answers each, in any order, matched by id::

    -> {"id": 7, "op": "start", "cid": "abc"}
    <- {"id": 7, "ok": true}
    <- {"id": 8, "ok": false, "error": "No such container: abc", "kind": "NotFound"}

and pushes notifications, unasked, to every connection that is not a stream::

    <- {"event": "exit", "cid": "abc", "exec_id": null, "status": 3, "oom": false,
        "time": 1795000000.123}

``status`` is the exit code (128+signal for a signal); it is null when the monitor could not
see the exit (it restarted while the process ran: see ``orphaned`` in the package docs).

Streams. ``attach`` (and ``exec`` with ``attach`` set) must be the only request in flight on
its connection: after its ok reply the connection stops carrying JSON and carries frames in
Docker's stdcopy shape, an 8-byte header ``>BxxxI`` (stream, length) then the payload, so the
daemon can forward them to a non-TTY client unchanged:

    monitor -> client   stream 1 stdout, 2 stderr (a TTY sends everything as 1), and one
                        last frame 3 whose payload is the exit code in ASCII ("" if unknown)
                        when the process ended; then the monitor closes the connection.
    client -> monitor   stream 0 stdin data; an empty stream-0 frame closes the stdin.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias

from dockyard.errors import Conflict, DockyardError, InvalidParameter, NotFound, Unavailable

__all__ = [
    "END",
    "FRAME_HEADER",
    "HELLO",
    "REQUEST_TYPES",
    "STDERR",
    "STDIN",
    "STDOUT",
    "VERSION",
    "AttachRequest",
    "AttachStreams",
    "CloseStdinRequest",
    "ContainerInfo",
    "CreateRequest",
    "ExecInfo",
    "ExecRequest",
    "ExitEvent",
    "ForgetRequest",
    "Hello",
    "Message",
    "ProtocolError",
    "Reply",
    "Request",
    "ResizeRequest",
    "RuntimeRef",
    "StartRequest",
    "StateRequest",
    "error_from_reply",
    "error_reply",
    "frame",
]

HELLO = "dockyard-monitor"
VERSION = 1
FRAME_HEADER = struct.Struct(">BxxxI")
STDIN, STDOUT, STDERR, END = 0, 1, 2, 3


class ProtocolError(InvalidParameter):
    """A line that is not a message of this protocol version (``request_id``: its id, when
    it had one, so that the error reaches the request's caller)."""

    def __init__(self, message: str, request_id: int = 0) -> None:
        super().__init__(message)
        self.request_id = request_id


@dataclass(frozen=True, slots=True)
class Hello:
    version: int = VERSION

    def to_json(self) -> dict[str, Any]:
        return {"hello": HELLO, "version": self.version}


@dataclass(frozen=True, slots=True)
class RuntimeRef:
    """Which OCI runtime runs a container: the monitor builds it from these three."""

    name: str
    binary: str
    root: str


@dataclass(frozen=True, slots=True)
class AttachStreams:
    stdin: bool = False
    stdout: bool = True
    stderr: bool = True


@dataclass(frozen=True, slots=True)
class CreateRequest:
    """Create a container with stdio held by the monitor; the reply carries its ``pid``.

    ``log_max_size`` is in bytes (None: never rotate); ``log_max_file`` counts the current
    file, as Docker's json-file ``max-file``. ``cgroup_path`` (the spec's absolute
    cgroupsPath) lets the monitor tell an OOM kill at exit.
    """

    OP: ClassVar[str] = "create"
    id: int
    cid: str
    bundle: str
    runtime: RuntimeRef
    tty: bool = False
    open_stdin: bool = False
    log_path: str | None = None
    log_max_size: int | None = None
    log_max_file: int = 1
    cgroup_path: str | None = None


@dataclass(frozen=True, slots=True)
class StartRequest:
    OP: ClassVar[str] = "start"
    id: int
    cid: str


@dataclass(frozen=True, slots=True)
class ExecRequest:
    """Run an OCI ``process`` in a container; with ``attach`` the connection turns into its
    stream right after the reply, so no output is lost (exec output is never logged)."""

    OP: ClassVar[str] = "exec"
    id: int
    cid: str
    exec_id: str
    process: Mapping[str, Any]
    tty: bool = False
    open_stdin: bool = False
    attach: AttachStreams | None = None


@dataclass(frozen=True, slots=True)
class AttachRequest:
    OP: ClassVar[str] = "attach"
    id: int
    cid: str
    exec_id: str | None = None
    streams: AttachStreams = field(default_factory=AttachStreams)


@dataclass(frozen=True, slots=True)
class ResizeRequest:
    OP: ClassVar[str] = "resize"
    id: int
    cid: str
    height: int
    width: int
    exec_id: str | None = None


@dataclass(frozen=True, slots=True)
class CloseStdinRequest:
    OP: ClassVar[str] = "close_stdin"
    id: int
    cid: str
    exec_id: str | None = None


@dataclass(frozen=True, slots=True)
class StateRequest:
    OP: ClassVar[str] = "state"
    id: int


@dataclass(frozen=True, slots=True)
class ForgetRequest:
    """Drop an ended container's record (or one exec's) once the daemon has stored it."""

    OP: ClassVar[str] = "forget"
    id: int
    cid: str
    exec_id: str | None = None


Request: TypeAlias = (
    CreateRequest
    | StartRequest
    | ExecRequest
    | AttachRequest
    | ResizeRequest
    | CloseStdinRequest
    | StateRequest
    | ForgetRequest
)
REQUEST_TYPES: dict[str, type[Request]] = {
    cls.OP: cls
    for cls in (
        CreateRequest,
        StartRequest,
        ExecRequest,
        AttachRequest,
        ResizeRequest,
        CloseStdinRequest,
        StateRequest,
        ForgetRequest,
    )
}


@dataclass(frozen=True, slots=True)
class ExecInfo:
    exec_id: str
    pid: int
    status: str  # running | exited
    exit_code: int | None = None
    exited_at: float | None = None


@dataclass(frozen=True, slots=True)
class ContainerInfo:
    """One container the monitor holds.

    ``status``: created | running | exited | orphaned (alive, but a restarted monitor no
    longer holds its stdio nor can see its exit code) | unknown (ended while orphaned).
    """

    cid: str
    pid: int
    status: str
    exit_code: int | None = None
    exited_at: float | None = None
    oom: bool = False
    execs: tuple[ExecInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class Reply:
    id: int
    ok: bool = True
    error: str | None = None
    kind: str | None = None
    pid: int | None = None
    containers: tuple[ContainerInfo, ...] | None = None


@dataclass(frozen=True, slots=True)
class ExitEvent:
    cid: str
    exec_id: str | None
    status: int | None
    time: float
    oom: bool = False


Message: TypeAlias = Hello | Request | Reply | ExitEvent

_KINDS: dict[str, type[DockyardError]] = {
    "NotFound": NotFound,
    "Conflict": Conflict,
    "InvalidParameter": InvalidParameter,
    "Unavailable": Unavailable,
}


def error_reply(request_id: int, err: DockyardError) -> Reply:
    kind = next((k for k, cls in _KINDS.items() if isinstance(err, cls)), "DockyardError")
    return Reply(id=request_id, ok=False, error=err.message, kind=kind)


def error_from_reply(reply: Reply) -> DockyardError:
    cls = _KINDS.get(reply.kind or "", DockyardError)
    return cls(reply.error or "monitor error")


def frame(stream: int, data: bytes) -> bytes:
    return FRAME_HEADER.pack(stream, len(data)) + data
