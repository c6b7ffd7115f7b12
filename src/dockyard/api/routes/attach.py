"""Attach routes: ``POST /containers/{id}/attach`` and ``POST /containers/{id}/resize``.

The handler checks the request through the backend first (so a bad one gets a JSON error),
then hijacks the connection (``101 UPGRADED``) and lets the backend run the attach on it.
Content type as dockerd 25 picks it: ``multiplexed-stream`` when the client upgraded, asked
for API >= 1.42 and the stream is not a TTY; ``raw-stream`` otherwise (the frames are the
same: only a TTY's output is unframed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from dockyard.api.hijack import Hijacked, hijack
from dockyard.api.params import query_bool
from dockyard.api.server import add_route, request_version
from dockyard.apitypes.versioning import version_tuple
from dockyard.daemon.containers.attach import AttachOptions, ClientConn
from dockyard.errors import InvalidParameter

__all__ = [
    "AttachBackend",
    "HijackedConn",
    "dimension",
    "end_hijack",
    "setup",
    "stream_content_type",
]

RAW_STREAM = "application/vnd.docker.raw-stream"
MULTIPLEXED_STREAM = "application/vnd.docker.multiplexed-stream"
READ_SIZE = 32 * 1024


class AttachSession(Protocol):
    @property
    def tty(self) -> bool: ...

    async def run(self, conn: ClientConn) -> None: ...


class AttachBackend(Protocol):
    def attach(self, ref: str, opts: AttachOptions) -> AttachSession: ...
    async def resize(self, ref: str, height: int, width: int) -> None: ...


class HijackedConn:
    """A hijacked connection as the daemon's :class:`ClientConn`."""

    def __init__(self, hijacked: Hijacked) -> None:
        self._hijacked = hijacked

    async def read(self) -> bytes:
        return await self._hijacked.reader.read(READ_SIZE)

    async def write(self, data: bytes) -> None:
        await self._hijacked.write(data)


def stream_content_type(request: web.Request, tty: bool) -> str:
    upgrade = "Upgrade" in request.headers
    if upgrade and not tty and version_tuple(request_version(request)) >= (1, 42):
        return MULTIPLEXED_STREAM
    return RAW_STREAM


async def end_hijack(request: web.Request, hijacked: Hijacked) -> None:
    """Flush and close: the client reads EOF as the end of the session."""
    with contextlib.suppress(ConnectionError, RuntimeError):
        await hijacked.close()
    if request.transport is not None:
        request.transport.close()


def dimension(request: web.Request, name: str) -> int:
    """``h``/``w`` as dockerd parses them (strconv.Atoi, its error text)."""
    raw = request.query.get(name, "")
    try:
        return int(raw, 10)
    except ValueError as err:
        raise InvalidParameter(f'strconv.Atoi: parsing "{raw}": invalid syntax') from err


def setup(backend: AttachBackend) -> Callable[[web.Application], None]:
    async def attach(request: web.Request) -> web.StreamResponse:
        opts = AttachOptions(
            stdin=query_bool(request, "stdin"),
            stdout=query_bool(request, "stdout"),
            stderr=query_bool(request, "stderr"),
            logs=query_bool(request, "logs"),
            stream=query_bool(request, "stream"),
            detach_keys=request.query.get("detachKeys", ""),
        )
        session = backend.attach(request.match_info["id"], opts)
        hijacked = await hijack(request, stream_content_type(request, session.tty))
        try:
            await session.run(HijackedConn(hijacked))
        finally:
            await end_hijack(request, hijacked)
        return hijacked.response

    async def resize(request: web.Request) -> web.StreamResponse:
        height, width = dimension(request, "h"), dimension(request, "w")
        await backend.resize(request.match_info["id"], height, width)
        return web.Response(status=200)

    def install(app: web.Application) -> None:
        add_route(app, "POST", "/containers/{id}/attach", attach)
        add_route(app, "POST", "/containers/{id}/resize", resize)

    return install
