"""The container half of the fake Engine API: records, scripts and their routes.

:class:`FakeContainers` is mixed into :class:`~dockyard.testing.fake_engine_api.FakeEngine`,
which owns the state named below; containers are :class:`FakeContainer` records and what
one does when started is its :class:`Script`.
"""

from __future__ import annotations

import base64
import io
import json
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dockyard.testing.fake_wire import (
    FakeResponse,
    FakeStream,
    Handler,
    LazyResponse,
    RecordedRequest,
    error_reply,
    json_reply,
    lines_reply,
    rfc3339,
)

__all__ = ["FakeContainer", "FakeContainers", "Script"]


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


class FakeContainers:
    """Container and exec routes over the engine's state (declared here, set by the engine)."""

    containers: dict[str, FakeContainer]
    script: Script
    exec_script: Script
    execs: dict[str, dict[str, Any]]
    missing_images: set[str]
    containers_json: list[dict[str, Any]] | None
    top: dict[str, Any]
    commits: list[RecordedRequest]
    now: float
    streams: list[FakeStream]

    def add_container(
        self, name: str, image: str = "busybox", *, status: str = "running", **config: Any
    ) -> FakeContainer:
        """A container as if created (and started, unless ``status="created"``) earlier."""
        body = {"Image": image, "Cmd": ["sh"], "Tty": False, "OpenStdin": False, **config}
        body.setdefault("HostConfig", {})
        container = self._new_container(name, body)
        if status != "created":
            container.status = status
            container.started_at = rfc3339(self.now - 120)
            if status == "exited":
                container.finished_at = rfc3339(self.now - 3)
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
                return error_reply(404, f"No such container: {m.group(1)}")
            return action(req, container)

        return handler

    def _exit(self, container: FakeContainer, code: int) -> None:
        container.status = "exited"
        container.exit_code = code
        container.finished_at = rfc3339(self.now)
        for stream in container.streams:
            stream.finish()

    def _create(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        body = json.loads(req.body or b"{}")
        image = str(body.get("Image", ""))
        if image in self.missing_images:
            return error_reply(404, f"No such image: {image}")
        name = req.param("name") or ""
        if name and self.find(name) is not None:
            return error_reply(
                409,
                f'Conflict. The container name "/{name}" is already in use by container '
                f'"{self.find(name).id}". You have to remove (or rename) that container to '  # type: ignore[union-attr]
                "be able to reuse that name.",
            )
        container = self._new_container(name, body)
        return json_reply({"Id": container.id, "Warnings": []}, 201)

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
            return error_reply(script.start_status, script.start_error)
        c.status = "running"
        c.started_at = rfc3339(self.now)
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
                return error_reply(409, f"Container {c.id} is not running")
            if status == "exited":
                self._exit(c, code if code is not None else c.exit_code)
            else:
                c.status = status
            return FakeResponse(204)

        return action

    def _restart(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        c.status = "running"
        c.started_at = rfc3339(self.now)
        return FakeResponse(204)

    def _remove_container(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        if c.status in ("running", "paused") and req.param("force") != "1":
            return error_reply(
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
            return json_reply(self.containers_json)
        found = [
            c
            for c in reversed(self.containers.values())
            if req.param("all") == "1" or req.param("limit") or c.status in ("running", "paused")
        ]
        if req.param("limit"):
            found = found[: int(req.param("limit") or 0)]
        return json_reply([self.summary(c) for c in found])

    def _inspect_container(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        config = {k: v for k, v in c.body.items() if k not in ("HostConfig", "NetworkingConfig")}
        return json_reply(
            {
                "Id": c.id,
                "Name": f"/{c.name}",
                "Created": rfc3339(c.created),
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
            return json_reply(doc)
        return lines_reply([doc])

    def _top(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        return json_reply(
            self.top
            or {
                "Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
                "Processes": [["root", "4242", "4200", "0", "10:00", "?", "00:00:00", "sh"]],
            }
        )

    def _exec_create(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        if c.status != "running":
            return error_reply(409, f"container {c.id} is not running")
        exec_id = f"{len(self.execs) + 1:02d}" + "e1" * 31
        self.execs[exec_id] = {"container": c, "body": json.loads(req.body), "code": None}
        return json_reply({"Id": exec_id}, 201)

    def _exec_start(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        record = self.execs.get(m.group(1))
        if record is None:
            return error_reply(404, f"No such exec instance: {m.group(1)}")
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
            return error_reply(404, f"No such exec instance: {m.group(1)}")
        return json_reply({"ID": m.group(1), "Running": False, "ExitCode": record["code"]})

    def _archive_get(self, req: RecordedRequest, c: FakeContainer) -> FakeResponse:
        path = (req.param("path") or "/").rstrip("/") or "/"
        base = path.rsplit("/", 1)[-1] or "/"
        children = {p: d for p, d in c.files.items() if p.startswith(path + "/")}
        if path not in c.files and not children:
            return error_reply(404, f"Could not find the file {path} in container {c.name}")
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
        return json_reply({"ContainersDeleted": gone or None, "SpaceReclaimed": 1234 * len(gone)})

    def _commit(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        if self.find(req.param("container") or "") is None:
            return error_reply(404, f"No such container: {req.param('container')}")
        self.commits.append(req)
        return json_reply({"Id": "sha256:" + "f0" * 32}, 201)

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
            ("POST", c + "/update", w(lambda req, ctr: json_reply({"Warnings": []}))),
            ("DELETE", c, w(self._remove_container)),
            ("GET", c + "/logs", w(self._logs)),
            ("GET", c + "/stats", w(self._stats)),
            ("GET", c + "/top", w(self._top)),
            ("GET", c + "/changes", w(lambda req, ctr: json_reply(ctr.changes))),
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
