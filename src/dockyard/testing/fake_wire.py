"""The wire half of the fake Engine API: responses, hijacked streams, recorded requests.

Shared by :mod:`dockyard.testing.fake_engine_api` and :mod:`dockyard.testing.fake_containers`;
the transport seam only needs ``status``, ``headers`` and the body readers of a response.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FakeResponse",
    "FakeStream",
    "Handler",
    "LazyResponse",
    "RecordedRequest",
    "error_reply",
    "json_reply",
    "lines_reply",
    "rfc3339",
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


def rfc3339(ts: float) -> str:
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


def json_reply(doc: Any, status: int = 200) -> FakeResponse:
    return FakeResponse(status, json.dumps(doc).encode(), {"content-type": "application/json"})


def lines_reply(docs: Iterable[Any]) -> FakeResponse:
    return FakeResponse(200, b"".join(json.dumps(d).encode() + b"\n" for d in docs))


def error_reply(status: int, message: str) -> FakeResponse:
    return json_reply({"message": message}, status)
