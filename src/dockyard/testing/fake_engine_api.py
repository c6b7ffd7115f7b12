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

import io
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from dockyard.client.types import Body
from dockyard.testing.fake_containers import FakeContainer, FakeContainers, Script
from dockyard.testing.fake_wire import (
    FakeResponse,
    FakeStream,
    Handler,
    RecordedRequest,
    error_reply,
    json_reply,
    lines_reply,
)

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


@dataclass
class FakeEngine(FakeContainers):
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
            return error_reply(*self._failures[(method, route)])
        for verb, pattern, handler in self._routes():
            if verb == method and (match := re.fullmatch(pattern, route)):
                return handler(req, match)
        return error_reply(404, "page not found")

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

    def _pull(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        if req.param("fromImage") is None:
            return lines_reply(self.import_stream)
        if self.pull_stream is None:
            return error_reply(
                500,
                'Get "https://registry-1.docker.io/v2/": dial tcp: lookup '
                "registry-1.docker.io: no such host",
            )
        self.missing_images.clear()
        return lines_reply(self.pull_stream)

    # -- routes --------------------------------------------------------------------------

    def _routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/_ping", lambda r, m: FakeResponse(200, b"OK", self._ping_headers())),
            ("GET", "/version", lambda r, m: json_reply(self.version or self._default_version())),
            ("GET", "/info", lambda r, m: json_reply(self.info or {"ServerVersion": "0.1.0"})),
            ("GET", "/images/json", lambda r, m: json_reply(self.images)),
            ("GET", "/images/get", lambda r, m: FakeResponse(200, self.saved)),
            ("GET", r"/images/(.+)/json", self._inspect),
            ("GET", r"/images/(.+)/history", self._history),
            ("POST", r"/images/(.+)/tag", self._tag),
            ("DELETE", r"/images/(.+)", self._remove),
            ("POST", "/images/load", lambda r, m: lines_reply(self.load_stream)),
            ("POST", "/images/create", self._pull),
            ("POST", "/images/prune", lambda r, m: json_reply(self.prune_report)),
            ("GET", "/system/df", lambda r, m: json_reply(self.df)),
            ("GET", "/events", lambda r, m: lines_reply(self.events)),
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
            return error_reply(404, f"No such image: {name}")
        return json_reply(self.inspect[name])

    def _history(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        name = m.group(1)
        if name not in self.history:
            return error_reply(404, f"No such image: {name}")
        return json_reply(self.history[name])

    def _tag(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        if m.group(1) not in self.inspect:
            return error_reply(404, f"No such image: {m.group(1)}")
        return FakeResponse(201)

    def _remove(self, req: RecordedRequest, m: re.Match[str]) -> FakeResponse:
        name = m.group(1)
        if name not in self.removals:
            return error_reply(404, f"No such image: {name}")
        return json_reply(self.removals[name])


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
