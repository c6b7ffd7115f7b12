"""Hijacked connections (``101 UPGRADED``, ``Upgrade: tcp``) for attach and exec.

After the 101 response the socket carries raw bytes both ways. aiohttp hands the bytes it
receives after an upgrade (including those that arrived in the same packet as the headers)
to a payload parser installed with ``protocol.set_parser``; :class:`HijackReader` is that
parser, turning them into an ``asyncio.StreamReader``.
"""

from __future__ import annotations

import asyncio

from aiohttp import streams, web

__all__ = ["HijackReader", "Hijacked", "hijack"]


class HijackReader:
    """Payload parser for an upgraded connection: feeds everything into a StreamReader."""

    def __init__(self) -> None:
        self.stream = asyncio.StreamReader()

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.stream.feed_data(data)
        return False, b""

    def feed_eof(self) -> None:
        self.stream.feed_eof()


class _KeepHalfOpen(asyncio.Protocol):
    """Stands in for aiohttp's protocol on a hijacked transport.

    aiohttp closes a connection when the client half-closes it (``eof_received`` returns
    None), but the docker CLI half-closes as soon as its stdin ends (``echo hi | docker run
    -i ...``) and still reads the output. This keeps the transport open on EOF, turns EOF
    into the reader's end, and hands flow control and the final ``connection_lost`` (which
    cancels the handler) to aiohttp's protocol.
    """

    def __init__(self, inner: asyncio.BaseProtocol, reader: HijackReader) -> None:
        self._inner = inner
        self._reader = reader

    def data_received(self, data: bytes) -> None:
        self._reader.feed_data(data)

    def eof_received(self) -> bool:
        self._reader.feed_eof()
        return True

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._reader.feed_eof()
        self._inner.connection_lost(exc)


class Hijacked:
    """Both directions of a hijacked connection."""

    def __init__(
        self, response: web.StreamResponse, reader: asyncio.StreamReader | streams.StreamReader
    ) -> None:
        self.response = response
        self.reader = reader

    async def write(self, data: bytes) -> None:
        await self.response.write(data)

    async def close(self) -> None:
        await self.response.write_eof()


async def hijack(request: web.Request, content_type: str) -> Hijacked:
    """Answer 101 (or 200 when the client did not ask to upgrade) and take the socket."""
    upgrade = request.headers.get("Upgrade", "").lower() == "tcp"
    headers = {"Content-Type": content_type}
    if upgrade:
        headers.update({"Connection": "Upgrade", "Upgrade": "tcp"})
    response = web.StreamResponse(status=101 if upgrade else 200, headers=headers)
    await response.prepare(request)
    if not upgrade:
        return Hijacked(response, request.content)
    reader = HijackReader()
    request.protocol.set_parser(reader)  # type: ignore[arg-type]
    transport = request.transport
    if transport is not None and request.protocol is not None:
        transport.set_protocol(_KeepHalfOpen(request.protocol, reader))
    return Hijacked(response, reader.stream)
