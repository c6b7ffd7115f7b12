"""An in-memory Engine API behind the client's transport seam, for CLI tests.

``FakeEngine`` answers the routes the CLI's verbs use with Docker-shaped JSON kept in
plain attributes (``images``, ``history``, ``df``, ``events``...), records every request in
``requests``, and can be told to fail a route (``fail(method, path, status, message)``).
``invoke(argv, engine)`` runs the CLI in-process against it and returns the exit code and
both outputs, like click's CliRunner.

Containers are :class:`FakeContainer` records; what one does when started is its
:class:`Script` (frames to print, exit code, echo stdin back, keep the stream open, or a
start error). Attach and exec start are hijacked into a :class:`FakeStream`, which also
serves as the test double of the wire's hijacked socket.
"""

from __future__ import annotations

import base64
import io
import json
import re
import tarfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from dockyard.client.types import Body

__all__ = [
    "CliResult",
    "FakeContainer",
    "FakeEngine",
    "FakeResponse",
    "FakeStream",
    "RecordedRequest",
    "Script",
    "invoke",
]


class FakeResponse:
    """A response with its whole body in memory (the transport's ResponseLike)."""

    def __init__(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
        self.status = status
        self.headers = headers or {}
        self._body = body

    def read(self) -> bytes:
        body, self._body = self._body, b""
        return body

    def iter_chunks(self) -> Iterator[bytes]:
        if body := self.read():
            yield body

    def iter_lines(self) -> Iterator[bytes]:
        for line in self.read().split(b"\n"):
            if line.strip():
                yield line

    def close(self) -> None:
        self._body = b""


class LazyResponse(FakeResponse):
    """A response whose body is computed when read (a ``wait`` that ends at exit)."""

    def __init__(self, body: Callable[[], bytes], headers: dict[str, str] | None = None):
        super().__init__(200, b"", headers)
        self._make: Callable[[], bytes] | None = body

    def read(self) -> bytes:
        if self._make is not None:
            self._body, self._make = self._make(), None
        return super().read()

    def close(self) -> None:
        self._make = None
        super().close()


class FakeStream:
    """A hijacked stream: output pushed by the engine, input recorded in ``sent``.

    ``echo`` copies what the client sends back as output (framed as stdout unless TTY) and
    ends the output when the client half-closes; ``recv`` blocks until there is output,
    the end of it, or ``close()``.
    """

    def __init__(self, tty: bool = False, echo: bool = False) -> None:
        self.tty = tty
        self.echo = echo
        self.sent = bytearray()
        self.write_closed = False
        self.closed = False
        self._buf = bytearray()
        self._eof = False
        self._cond = threading.Condition()
        self.on_input_closed: Callable[[], None] | None = None

    def push(self, kind: int, data: bytes) -> None:
        from dockyard.client.stream import frame

        with self._cond:
            self._buf += data if self.tty else frame(kind, data)
            self._cond.notify_all()

    def push_raw(self, data: bytes) -> None:
        with self._cond:
            self._buf += data
            self._cond.notify_all()

    def finish(self) -> None:
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def recv(self, size: int = 65536) -> bytes:
        with self._cond:
            self._cond.wait_for(lambda: bool(self._buf) or self._eof or self.closed)
            data = bytes(self._buf[:size])
            del self._buf[:size]
            return data

    def sendall(self, data: bytes) -> None:
        self.sent += data
        if self.echo:
            self.push(1, data)

    def close_write(self) -> None:
        self.write_closed = True
        if self.echo:
            self.finish()
        if self.on_input_closed is not None:
            self.on_input_closed()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


@dataclass
class Script:
    """What a fake container (or exec) does once started."""

    output: list[tuple[int, bytes]] = field(default_factory=list)  # (1 stdout | 2 stderr, data)
    exit_code: int = 0
    echo: bool = False  # echo stdin to stdout; exits when stdin closes
    hold_open: bool = False  # keep running with the stream open
    start_error: str = ""  # the daemon's start error (e.g. executable file not found)
    start_status: int = 400


@dataclass
class FakeContainer:
    id: str
    name: str
    body: dict[str, Any]
    script: Script
    created: float
    status: str = "created"
    exit_code: int = 0
    started_at: str = "0001-01-01T00:00:00Z"
    finished_at: str = "0001-01-01T00:00:00Z"
    logs: list[tuple[int, bytes]] = field(default_factory=list)
    streams: list[FakeStream] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)
    ports: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    health: str = ""

    @property
    def tty(self) -> bool:
        return bool(self.body.get("Tty"))

    def state(self) -> dict[str, Any]:
        running = self.status in ("running", "paused")
        state: dict[str, Any] = {
            "Status": self.status,
            "Running": running,
            "Paused": self.status == "paused",
            "Restarting": False,
            "Dead": False,
            "ExitCode": self.exit_code,
            "StartedAt": self.started_at,
            "FinishedAt": self.finished_at,
        }
        if self.health:
            state["Health"] = {"Status": self.health}
        return state


def _rfc3339(ts: float) -> str:
    import datetime

    moment = datetime.datetime.fromtimestamp(ts, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1e9) % 1_000_000_000:09d}Z"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str  # without the /v1.xx prefix
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)


Handler = Callable[[RecordedRequest, re.Match[str]], FakeResponse]


def _json(doc: Any, status: int = 200) -> FakeResponse:
    return FakeResponse(status, json.dumps(doc).encode(), {"content-type": "application/json"})


def _lines(docs: Iterable[Any]) -> FakeResponse:
    return FakeResponse(200, b"".join(json.dumps(d).encode() + b"\n" for d in docs))


def _error(status: int, message: str) -> FakeResponse:
    return _json({"message": message}, status)


@dataclass
class FakeEngine:
    api_version: str = "1.45"
    images: list[dict[str, Any]] = field(default_factory=list)
    inspect: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    removals: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    prune_report: dict[str, Any] = field(
        default_factory=lambda: {"ImagesDeleted": None, "SpaceReclaimed": 0}
    )
    saved: bytes = b"TARDATA"
    load_stream: list[dict[str, Any]] = field(default_factory=list)
    import_stream: list[dict[str, Any]] = field(default_factory=list)
    df: dict[str, Any] = field(
        default_factory=lambda: {
            "LayersSize": 0,
            "Images": [],
            "Containers": [],
            "Volumes": [],
            "BuildCache": [],
        }
    )
    events: list[dict[str, Any]] = field(default_factory=list)
    version: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    unreachable: bool = False
    containers: dict[str, FakeContainer] = field(default_factory=dict)
    script: Script = field(default_factory=Script)  # for containers created from now on
    exec_script: Script = field(default_factory=Script)
    execs: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing_images: set[str] = field(default_factory=set)  # create answers 404 for these
    pull_stream: list[dict[str, Any]] | None = None  # None: no registry (pull fails)
    containers_json: list[dict[str, Any]] | None = None  # overrides GET /containers/json
    top: dict[str, Any] = field(default_factory=dict)
    commits: list[RecordedRequest] = field(default_factory=list)
    now: float = 1_700_000_000.0
    streams: list[FakeStream] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    _failures: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)

    def fail(self, method: str, path: str, status: int, message: str) -> None:
        """Answer ``method path`` (exact, unversioned) with ``{"message": message}``."""
        self._failures[(method, path)] = (status, message)

    def last(self, method: str, path_prefix: str = "") -> RecordedRequest:
        return next(
            r
            for r in reversed(self.requests)
            if r.method == method and r.path.startswith(path_prefix)
        )

    # -- Transport -----------------------------------------------------------------------

    def request(
        self, method: str, path: str, headers: dict[str, str], body: Body = None
    ) -> FakeResponse:
        from dockyard.client.errors import DaemonUnreachable

        if self.unreachable:
            raise DaemonUnreachable("unix:///fake.sock")
        data = body if isinstance(body, bytes) else b"".join(body or [])
        parts = urlsplit(path)
        route = re.sub(r"^/v\d+\.\d+(?=/)", "", parts.path)
        req = RecordedRequest(method, route, parse_qsl(parts.query), dict(headers), data)
        self.requests.append(req)
        if (method, route) in self._failures:
            return _error(*self._failures[(method, route)])
        for verb, pattern, handler in self._routes():
            if verb == method and (match := re.fullmatch(pattern, route)):
                return handler(req, match)
        return _error(404, "page not found")

    def hijack(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> tuple[FakeResponse, FakeStream | None]:
        response = self.request(method, path, headers, body)
        stream = getattr(response, "stream", None)
        if response.status != 101 or stream is None:
            return response, None
        return response, stream

    def clone(self) -> FakeEngine:
        return self

    def close(self) -> None:
        pass

    # -- containers ----------------------------------------------------------------------

    def add_container(
        self, name: str, image: str = "busybox", *, status: str = "running", **config: Any
    ) -> FakeContainer:
        """A container as if created (and started, unless ``status="created"``) earlier."""
        body = {"Image": image, "Cmd": ["sh"], "Tty": False, "OpenStdin": False, **config}
        body.setdefault("HostConfig", {})
        container = self._new_container(name, body)
        if status != "created":
            container.status = status
            container.started_at = _rfc3339(self.now - 120)
            if status == "exited":
                container.finished_at = _rfc3339(self.now - 3)
        return container

    def _new_container(self, name: str, body: dict[str, Any]) -> FakeContainer:
        cid = f"{len(self.containers) + 1:02d}" + "c0ffee" * 10 + "ab"
        container = FakeContainer(
            cid, name or f"fake_{len(self.containers) + 1}", body, self.script, self.now - 60
        )
        self.containers[cid] = container
        return container

    def find(self, ref: str) -> FakeContainer | None:
        for container in self.containers.values():
            if ref in (container.id, container.name) or (
                len(ref) >= 3 and container.id.startswith(ref)
            ):
                return container
        return None

    def _with_container(
        self, action: Callable[[RecordedRequest, FakeContainer], FakeResponse]
    ) -> Handler:
        def handler(req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
            container = self.find(m.group(1))
            if container is None:
                return _error(404, f"No such container: {m.group(1)}")
            return action(req, container)

        return handler

    def _exit(self, container: FakeContainer, code: int) -> None:
        container.status = "exited"
        container.exit_code = code
        container.finished_at = _rfc3339(self.now)
        for stream in container.streams:
            stream.finish()

    def _create(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        body = json.loads(req.body or b"{}")
        image = str(body.get("Image", ""))
        if image in self.missing_images:
            return _error(404, f"No such image: {image}")
        name = req.param("name") or ""
        if name and self.find(name) is not None:
            return _error(
                409,
                f'Conflict. The container name "/{name}" is already in use by container '
                f'"{self.find(name).id}". You have to remove (or rename) that container to '  # type: ignore[union-attr]
                "be able to reuse that name.",
            )
        container = self._new_container(name, body)
        return _json({"Id": container.id, "Warnings": []}, 201)

    def _attach(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        stream = FakeStream(c.tty, c.script.echo)
        stream.on_input_closed = lambda: (
            self._exit(c, c.script.exit_code) if c.script.echo else None
        )
        c.streams.append(stream)
        self.streams.append(stream)
        if c.status == "exited":
            stream.finish()
        response = FakeResponse(101, b"", {"content-type": "application/vnd.docker.raw-stream"})
        response.stream = stream  # type: ignore[attr-defined]
        return response

    def _start(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        if c.status in ("running", "paused"):
            return FakeResponse(304)
        script = c.script
        if script.start_error:
            c.status = "exited"
            c.exit_code = 127 if "not found" in script.start_error else 126
            return _error(script.start_status, script.start_error)
        c.status = "running"
        c.started_at = _rfc3339(self.now)
        for kind, data in script.output:
            c.logs.append((kind, data))
            for stream in c.streams:
                stream.push(kind, data)
        if not script.echo and not script.hold_open:
            self._exit(c, script.exit_code)
        return FakeResponse(204)

    def _wait(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        condition = req.param("condition") or "not-running"

        def body() -> bytes:
            if condition == "removed" and c.body.get("HostConfig", {}).get("AutoRemove"):
                self.containers.pop(c.id, None)
            return json.dumps({"StatusCode": c.exit_code, "Error": None}).encode()

        return LazyResponse(body, {"content-type": "application/json"})

    def _set_status(self, status: str, code: int | None = None) -> Any:
        def action(req: RecordedRequest, c: FakeContainer) -> FakeResponse:
            if c.status not in ("running", "paused"):
                return _error(409, f"Container {c.id} is not running")
            if status == "exited":
                self._exit(c, code if code is not None else c.exit_code)
            else:
                c.status = status
            return FakeResponse(204)

        return action

    def _restart(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        c.status = "running"
        c.started_at = _rfc3339(self.now)
        return FakeResponse(204)

    def _remove_container(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        if c.status in ("running", "paused") and req.param("force") != "1":
            return _error(
                409,
                f'cannot remove container "/{c.name}": container is running: stop the '
                "container before removing or force remove",
            )
        del self.containers[c.id]
        return FakeResponse(204)

    def summary(self, c: FakeContainer) -> dict[str, Any]:
        from dockyard.cli.output.containers import status_text

        argv = [*(c.body.get("Entrypoint") or []), *(c.body.get("Cmd") or [])]
        # dockerd: the path, then each argument, quoted with '' when it has a space
        command = " ".join(argv[:1] + [f"'{a}'" if " " in a else a for a in argv[1:]])
        ports = []
        for private, frontends in c.ports.items():
            number, _, kind = private.partition("/")
            for f in frontends or [{}]:
                entry: dict[str, Any] = {"PrivatePort": int(number), "Type": kind}
                if f.get("HostPort"):
                    entry |= {"IP": f.get("HostIp", ""), "PublicPort": int(f["HostPort"])}
                ports.append(entry)
        return {
            "Id": c.id,
            "Names": [f"/{c.name}"],
            "Image": c.body.get("Image", ""),
            "ImageID": "sha256:" + "ab" * 32,
            "Command": command,
            "Created": int(c.created),
            "Ports": ports,
            "Labels": c.body.get("Labels") or {},
            "State": c.status,
            "Status": status_text(c.state(), self.now),
            "HostConfig": {"NetworkMode": "bridge"},
            "NetworkSettings": {"Networks": {"bridge": {}}},
            "Mounts": [],
        }

    def _list(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        if self.containers_json is not None:
            return _json(self.containers_json)
        found = [
            c
            for c in reversed(self.containers.values())
            if req.param("all") == "1" or req.param("limit") or c.status in ("running", "paused")
        ]
        if req.param("limit"):
            found = found[: int(req.param("limit") or 0)]
        return _json([self.summary(c) for c in found])

    def _inspect_container(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        config = {k: v for k, v in c.body.items() if k not in ("HostConfig", "NetworkingConfig")}
        return _json(
            {
                "Id": c.id,
                "Name": f"/{c.name}",
                "Created": _rfc3339(c.created),
                "Image": "sha256:" + "ab" * 32,
                "State": c.state(),
                "Config": config,
                "HostConfig": c.body.get("HostConfig") or {},
                "NetworkSettings": {"Ports": c.ports},
            }
        )

    def _logs(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        from dockyard.client.stream import frame

        wanted = {1: req.param("stdout") == "1", 2: req.param("stderr") == "1"}
        entries = [(k, d) for k, d in c.logs if wanted.get(k)]
        tail = req.param("tail") or "all"
        if tail != "all":
            entries = entries[-int(tail) :] if int(tail) else []
        if c.tty:
            return FakeResponse(200, b"".join(d for _, d in entries))
        return FakeResponse(200, b"".join(frame(k, d) for k, d in entries))

    def _stats(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        doc = {"id": c.id, "name": f"/{c.name}", **c.stats}
        if req.param("stream") == "0":
            return _json(doc)
        return _lines([doc])

    def _top(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        return _json(
            self.top
            or {
                "Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
                "Processes": [["root", "4242", "4200", "0", "10:00", "?", "00:00:00", "sh"]],
            }
        )

    def _exec_create(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        if c.status != "running":
            return _error(409, f"container {c.id} is not running")
        exec_id = f"{len(self.execs) + 1:02d}" + "e1" * 31
        self.execs[exec_id] = {"container": c, "body": json.loads(req.body), "code": None}
        return _json({"Id": exec_id}, 201)

    def _exec_start(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        record = self.execs.get(m.group(1))
        if record is None:
            return _error(404, f"No such exec instance: {m.group(1)}")
        options = json.loads(req.body or b"{}")
        script = self.exec_script
        record["code"] = script.exit_code
        if options.get("Detach"):
            return FakeResponse(200)
        stream = FakeStream(bool(options.get("Tty")), script.echo)
        self.streams.append(stream)
        for kind, data in script.output:
            stream.push(kind, data)
        if not script.echo and not script.hold_open:
            stream.finish()
        response = FakeResponse(101, b"", {"content-type": "application/vnd.docker.raw-stream"})
        response.stream = stream  # type: ignore[attr-defined]
        return response

    def _exec_inspect(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        record = self.execs.get(m.group(1))
        if record is None:
            return _error(404, f"No such exec instance: {m.group(1)}")
        return _json({"ID": m.group(1), "Running": False, "ExitCode": record["code"]})

    def _archive_get(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        path = (req.param("path") or "/").rstrip("/") or "/"
        base = path.rsplit("/", 1)[-1] or "/"
        children = {p: d for p, d in c.files.items() if p.startswith(path + "/")}
        if path not in c.files and not children:
            return _error(404, f"Could not find the file {path} in container {c.name}")
        is_dir = path not in c.files
        stat = {
            "name": base,
            "size": 0 if is_dir else len(c.files[path]),
            "mode": (1 << 31 | 0o755) if is_dir else 0o644,
            "mtime": "2023-11-14T22:13:20Z",
            "linkTarget": "",
        }
        headers = {
            "x-docker-container-path-stat": base64.b64encode(json.dumps(stat).encode()).decode()
        }
        if req.method == "HEAD":
            return FakeResponse(200, b"", headers)
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w") as tar:
            entries = {path: c.files[path]} if not is_dir else children
            if is_dir:
                info = tarfile.TarInfo(base)
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            for name, data in sorted(entries.items()):
                info = tarfile.TarInfo(base + name[len(path) :])
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return FakeResponse(200, out.getvalue(), headers)

    def _archive_put(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        root = (req.param("path") or "/").rstrip("/")
        with tarfile.open(fileobj=io.BytesIO(req.body)) as tar:
            for member in tar.getmembers():
                if member.isfile():
                    handle = tar.extractfile(member)
                    assert handle is not None
                    c.files[f"{root}/{member.name.removeprefix('./')}"] = handle.read()
        return FakeResponse(200)

    def _prune(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        gone = [cid for cid, c in self.containers.items() if c.status in ("exited", "created")]
        for cid in gone:
            del self.containers[cid]
        return _json({"ContainersDeleted": gone or None, "SpaceReclaimed": 1234 * len(gone)})

    def _commit(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        if self.find(req.param("container") or "") is None:
            return _error(404, f"No such container: {req.param('container')}")
        self.commits.append(req)
        return _json({"Id": "sha256:" + "f0" * 32}, 201)

    def _pull(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        if req.param("fromImage") is None:
            return _lines(self.import_stream)
        if self.pull_stream is None:
            return _error(
                500,
                'Get "https://registry-1.docker.io/v2/": dial tcp: lookup '
                "registry-1.docker.io: no such host",
            )
        self.missing_images.clear()
        return _lines(self.pull_stream)

    def _container_routes(self) -> list[tuple[str, str, Handler]]:
        w = self._with_container
        c = r"/containers/([^/]+)"
        ok = lambda req, ctr: FakeResponse(200)  # noqa: E731
        return [
            ("POST", "/containers/create", self._create),
            ("GET", "/containers/json", self._list),
            ("POST", "/containers/prune", self._prune),
            ("POST", "/commit", self._commit),
            ("GET", c + "/json", w(self._inspect_container)),
            ("POST", c + "/attach", w(self._attach)),
            ("POST", c + "/start", w(self._start)),
            ("POST", c + "/wait", w(self._wait)),
            ("POST", c + "/stop", w(self._set_status("exited", 143))),
            ("POST", c + "/kill", w(self._set_status("exited", 137))),
            ("POST", c + "/pause", w(self._set_status("paused"))),
            ("POST", c + "/unpause", w(self._set_status("running"))),
            ("POST", c + "/restart", w(self._restart)),
            ("POST", c + "/resize", w(ok)),
            ("POST", c + "/rename", w(lambda req, ctr: self._rename(req, ctr))),
            ("POST", c + "/update", w(lambda req, ctr: _json({"Warnings": []}))),
            ("DELETE", c, w(self._remove_container)),
            ("GET", c + "/logs", w(self._logs)),
            ("GET", c + "/stats", w(self._stats)),
            ("GET", c + "/top", w(self._top)),
            ("GET", c + "/changes", w(lambda req, ctr: _json(ctr.changes))),
            ("GET", c + "/export", w(lambda req, ctr: FakeResponse(200, b"EXPORTED-TAR"))),
            ("GET", c + "/archive", w(self._archive_get)),
            ("HEAD", c + "/archive", w(self._archive_get)),
            ("PUT", c + "/archive", w(self._archive_put)),
            ("POST", c + "/exec", w(self._exec_create)),
            ("POST", r"/exec/([^/]+)/start", self._exec_start),
            ("POST", r"/exec/([^/]+)/resize", lambda r, m: FakeResponse(200)),
            ("GET", r"/exec/([^/]+)/json", self._exec_inspect),
        ]

    def _rename(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        c.name = req.param("name") or c.name
        return FakeResponse(204)

    # -- routes --------------------------------------------------------------------------

    def _routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/_ping", lambda r, m: FakeResponse(200, b"OK", self._ping_headers())),
            ("GET", "/version", lambda r, m: _json(self.version or self._default_version())),
            ("GET", "/info", lambda r, m: _json(self.info or {"ServerVersion": "0.1.0"})),
            ("GET", "/images/json", lambda r, m: _json(self.images)),
            ("GET", "/images/get", lambda r, m: FakeResponse(200, self.saved)),
            ("GET", r"/images/(.+)/json", self._inspect),
            ("GET", r"/images/(.+)/history", self._history),
            ("POST", r"/images/(.+)/tag", self._tag),
            ("DELETE", r"/images/(.+)", self._remove),
            ("POST", "/images/load", lambda r, m: _lines(self.load_stream)),
            ("POST", "/images/create", self._pull),
            ("POST", "/images/prune", lambda r, m: _json(self.prune_report)),
            ("GET", "/system/df", lambda r, m: _json(self.df)),
            ("GET", "/events", lambda r, m: _lines(self.events)),
            *self._container_routes(),
        ]

    def _ping_headers(self) -> dict[str, str]:
        return {"api-version": self.api_version} if self.api_version else {}

    def _default_version(self) -> dict[str, Any]:
        details = {
            "ApiVersion": self.api_version,
            "MinAPIVersion": "1.24",
            "GoVersion": "python3.11",
            "GitCommit": "fake",
            "BuildTime": "",
            "Os": "linux",
            "Arch": "amd64",
            "Experimental": "false",
        }
        return {
            "Platform": {"Name": "Dockyard Engine"},
            "Components": [{"Name": "Engine", "Version": "0.1.0", "Details": details}],
            "Version": "0.1.0",
            "ApiVersion": self.api_version,
        }

    def _inspect(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        name = m.group(1)
        if name not in self.inspect:
            return _error(404, f"No such image: {name}")
        return _json(self.inspect[name])

    def _history(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        name = m.group(1)
        if name not in self.history:
            return _error(404, f"No such image: {name}")
        return _json(self.history[name])

    def _tag(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        if m.group(1) not in self.inspect:
            return _error(404, f"No such image: {m.group(1)}")
        return FakeResponse(201)

    def _remove(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        name = m.group(1)
        if name not in self.removals:
            return _error(404, f"No such image: {name}")
        return _json(self.removals[name])


@dataclass(frozen=True, slots=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


class _Output(io.TextIOWrapper):
    def __init__(self, tty: bool, size: tuple[int, int] | None = None) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", write_through=True)
        self._tty = tty
        self._size = size

    def isatty(self) -> bool:
        return self._tty

    def terminal_size(self) -> tuple[int, int] | None:
        """(rows, columns) of the pretend terminal (read by the CLI's resize)."""
        return self._size if self._tty else None

    def value(self) -> bytes:
        self.flush()
        raw = self.buffer
        assert isinstance(raw, io.BytesIO)
        return raw.getvalue()


class _Input(io.BytesIO):
    def __init__(self, data: bytes, tty: bool) -> None:
        super().__init__(data)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def invoke(
    argv: list[str],
    engine: FakeEngine,
    *,
    stdin: bytes = b"",
    stdin_tty: bool = False,
    stdout_tty: bool = False,
    environ: dict[str, str] | None = None,
    now: float | None = None,
    terminal_size: tuple[int, int] = (24, 80),
) -> CliResult:
    """Run ``dockyard <argv>`` in-process against ``engine`` at a fixed clock (the
    engine's ``now`` unless given)."""
    from dockyard.cli.main import run

    if now is None:
        now = engine.now
    out = _Output(stdout_tty, terminal_size)
    err = _Output(False)
    code = run(
        argv,
        stdout=out,
        stderr=err,
        stdin=_Input(stdin, stdin_tty),
        environ=environ or {},
        transport=engine,
        now=now,
    )
    raw = out.value()
    return CliResult(code, raw.decode("utf-8", "replace"), err.value().decode(), raw)
