"""An in-memory Engine API behind the client's transport seam, for CLI tests.

``FakeEngine`` answers the routes the CLI's foundation verbs use with Docker-shaped JSON
kept in plain attributes (``images``, ``history``, ``df``, ``events``...), records every
request in ``requests``, and can be told to fail a route (``fail(method, path, status,
message)``). ``invoke(argv, engine)`` runs the CLI in-process against it and returns the
exit code and both outputs, like click's CliRunner.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from dockyard.client.types import Body

__all__ = ["CliResult", "FakeEngine", "FakeResponse", "RecordedRequest", "invoke"]


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

    def close(self) -> None:
        pass

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
            ("POST", "/images/create", lambda r, m: _lines(self.import_stream)),
            ("POST", "/images/prune", lambda r, m: _json(self.prune_report)),
            ("GET", "/system/df", lambda r, m: _json(self.df)),
            ("GET", "/events", lambda r, m: _lines(self.events)),
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
    def __init__(self, tty: bool) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", write_through=True)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty

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
    now: float = 1_700_000_000.0,
) -> CliResult:
    """Run ``dockyard <argv>`` in-process against ``engine`` at a fixed clock."""
    from dockyard.cli.main import run

    out = _Output(stdout_tty)
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
