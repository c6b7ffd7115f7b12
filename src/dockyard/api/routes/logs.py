"""``GET /containers/{id}/logs``: the json-file log, framed unless the container has a TTY.

The request is checked (unknown container, no stream chosen, bad since/until) before the
200 goes out; after that the entries stream as they are read (and, with ``follow``, as they
are written, until the container stops).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from dockyard.api.params import query_bool
from dockyard.api.routes.attach import MULTIPLEXED_STREAM, RAW_STREAM
from dockyard.api.server import add_route, request_version
from dockyard.apitypes.versioning import version_tuple
from dockyard.daemon.containers.logs import (
    LogOptions,
    LogStream,
    encode_entry,
    parse_tail,
    parse_timestamp,
)

__all__ = ["LogsBackend", "setup"]

FLUSH_BYTES = 32 * 1024


class LogsBackend(Protocol):
    def logs(self, ref: str, opts: LogOptions) -> LogStream: ...


def setup(backend: LogsBackend) -> Callable[[web.Application], None]:
    async def logs(request: web.Request) -> web.StreamResponse:
        until = request.query.get("until")
        opts = LogOptions(
            stdout=query_bool(request, "stdout"),
            stderr=query_bool(request, "stderr"),
            follow=query_bool(request, "follow"),
            since_ns=parse_timestamp(request.query.get("since")),
            until_ns=parse_timestamp(until) if until not in (None, "", "0") else None,
            timestamps=query_bool(request, "timestamps"),
            tail=parse_tail(request.query.get("tail")),
        )
        stream = backend.logs(request.match_info["id"], opts)
        content_type = RAW_STREAM
        if not stream.tty and version_tuple(request_version(request)) >= (1, 42):
            content_type = MULTIPLEXED_STREAM
        response = web.StreamResponse(headers={"Content-Type": content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        pending = bytearray()
        try:
            async for entry in stream.entries:
                pending += encode_entry(entry, tty=stream.tty, timestamps=opts.timestamps)
                if len(pending) >= FLUSH_BYTES or opts.follow:
                    await response.write(bytes(pending))
                    pending.clear()
            if pending:
                await response.write(bytes(pending))
        finally:
            with contextlib.suppress(AttributeError):
                await stream.entries.aclose()  # type: ignore[attr-defined]
        await response.write_eof()
        return response

    def install(app: web.Application) -> None:
        add_route(app, "GET", "/containers/{id}/logs", logs)

    return install
