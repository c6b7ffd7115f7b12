"""The monitor's wire protocol, version 1: JSON lines over ``<exec-root>/monitor.sock``.

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

import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeAlias

from dockyard.errors import Conflict, DockyardError, InvalidParameter, NotFound, Unavailable

__all__ = [
    "FRAME_HEADER",
    "HELLO",
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
    "ProtocolError",
    "Reply",
    "Request",
    "ResizeRequest",
    "RuntimeRef",
    "StartRequest",
    "StateRequest",
    "decode_hello",
    "decode_request",
    "decode_server_message",
    "encode",
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
_REQUESTS: dict[str, type[Request]] = {
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


# -- encoding ------------------------------------------------------------------------------


def _streams_json(s: AttachStreams) -> dict[str, bool]:
    return {"stdin": s.stdin, "stdout": s.stdout, "stderr": s.stderr}


def _to_json(msg: Message) -> dict[str, Any]:
    if isinstance(msg, Hello):
        return msg.to_json()
    if isinstance(msg, ExitEvent):
        out: dict[str, Any] = {"event": "exit", "cid": msg.cid, "exec_id": msg.exec_id}
        return {**out, "status": msg.status, "oom": msg.oom, "time": msg.time}
    if isinstance(msg, Reply):
        out = {"id": msg.id, "ok": msg.ok}
        if not msg.ok:
            out |= {"error": msg.error, "kind": msg.kind}
        if msg.pid is not None:
            out["pid"] = msg.pid
        if msg.containers is not None:
            out["containers"] = [_container_json(c) for c in msg.containers]
        return out
    out = {"op": msg.OP}
    for f in fields(msg):
        name, value = f.name, getattr(msg, f.name)
        if isinstance(value, RuntimeRef):
            value = {"name": value.name, "binary": value.binary, "root": value.root}
        elif isinstance(value, AttachStreams):
            value = _streams_json(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[name] = value
    return out


def _container_json(c: ContainerInfo) -> dict[str, Any]:
    execs = [
        {
            "exec_id": e.exec_id,
            "pid": e.pid,
            "status": e.status,
            "exit_code": e.exit_code,
            "exited_at": e.exited_at,
        }
        for e in c.execs
    ]
    return {
        "cid": c.cid,
        "pid": c.pid,
        "status": c.status,
        "exit_code": c.exit_code,
        "exited_at": c.exited_at,
        "oom": c.oom,
        "execs": execs,
    }


def encode(msg: Message) -> bytes:
    return json.dumps(_to_json(msg), separators=(",", ":")).encode() + b"\n"


# -- decoding ------------------------------------------------------------------------------


def _load(line: bytes) -> dict[str, Any]:
    try:
        raw = json.loads(line)
    except ValueError as err:
        raise ProtocolError(f"monitor protocol: not JSON: {line[:80]!r}") from err
    if not isinstance(raw, dict):
        raise ProtocolError(f"monitor protocol: not an object: {line[:80]!r}")
    return raw


def decode_hello(line: bytes) -> Hello:
    raw = _load(line)
    if raw.get("hello") != HELLO:
        raise ProtocolError(f"monitor protocol: expected a hello, got {line[:80]!r}")
    if raw.get("version") != VERSION:
        raise ProtocolError(f"monitor protocol: version {raw.get('version')} != {VERSION}")
    return Hello()


def decode_request(line: bytes) -> Request:
    raw = _load(line)
    cls = _REQUESTS.get(str(raw.get("op")))
    if cls is None or not isinstance(raw.get("id"), int):
        raise ProtocolError(f"monitor protocol: unknown request {line[:80]!r}")
    try:
        return cls(**_request_kwargs(cls, raw))
    except (TypeError, KeyError, AttributeError) as err:
        message = f"monitor protocol: bad {cls.OP} request: {err}"
        raise ProtocolError(message, raw["id"]) from err


def _request_kwargs(cls: type[Request], raw: Mapping[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in raw:
            continue
        value = raw[f.name]
        if f.name == "runtime":
            value = RuntimeRef(str(value["name"]), str(value["binary"]), str(value["root"]))
        elif f.name in ("attach", "streams") and value is not None:
            value = AttachStreams(
                bool(value.get("stdin")), bool(value.get("stdout")), bool(value.get("stderr"))
            )
        kwargs[f.name] = value
    return kwargs


def _container_from_json(raw: Mapping[str, Any]) -> ContainerInfo:
    return ContainerInfo(
        cid=raw["cid"],
        pid=raw["pid"],
        status=raw["status"],
        exit_code=raw.get("exit_code"),
        exited_at=raw.get("exited_at"),
        oom=bool(raw.get("oom")),
        execs=tuple(
            ExecInfo(e["exec_id"], e["pid"], e["status"], e.get("exit_code"), e.get("exited_at"))
            for e in raw.get("execs", ())
        ),
    )


def decode_server_message(line: bytes) -> Reply | ExitEvent:
    raw = _load(line)
    try:
        if raw.get("event") == "exit":
            return ExitEvent(
                cid=raw["cid"],
                exec_id=raw.get("exec_id"),
                status=raw.get("status"),
                time=float(raw["time"]),
                oom=bool(raw.get("oom")),
            )
        containers = raw.get("containers")
        return Reply(
            id=int(raw["id"]),
            ok=bool(raw["ok"]),
            error=raw.get("error"),
            kind=raw.get("kind"),
            pid=raw.get("pid"),
            containers=None
            if containers is None
            else tuple(_container_from_json(c) for c in containers),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ProtocolError(f"monitor protocol: bad message {line[:80]!r}: {err}") from err
