"""The embedded DNS server containers on user-defined networks reach at 127.0.0.11.

Design (Docker's, without a process per container):

* The daemon's event loop serves every container. For each container it creates a UDP and a
  TCP socket *inside the container's namespace* (bound to ``127.0.0.11:<ephemeral>``, via
  :func:`~dockyard.network.netns.run_in_netns`); a socket stays in the namespace it was
  created in, so the loop can serve it from the host namespace.
* A tiny nft table in the container's namespace (``ip dockyard_dns``) DNATs
  ``127.0.0.11:53`` to those ports. Binding port 53 itself would make a container that runs
  its own DNS server on ``0.0.0.0:53`` fail with "address in use"; the redirect avoids that.
* A-queries for names the container's networks know (container names, aliases) are answered
  from ``lookup``; AAAA for such names gets an empty NOERROR (no waiting on IPv6). Everything
  else is relayed verbatim to the host's resolvers from the daemon's own namespace, so a
  host stub resolver on 127.0.0.53 works, and no container ever talks to a 127.x resolver of
  its own namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import threading
from collections.abc import Callable, Coroutine, Sequence
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any, cast

from dockyard.network import dns_message as dm
from dockyard.network.nat import resolver_redirect_script
from dockyard.network.netns import run_in_netns
from dockyard.util.proc import run

__all__ = ["EmbeddedDns", "NameTable", "Resolver", "start_in_netns"]

log = logging.getLogger(__name__)

Lookup = Callable[[str], Sequence[IPv4Address]]
EMBEDDED_IP = "127.0.0.11"


class NameTable:
    """Name -> addresses for one network (names and aliases); thread-safe, case-insensitive."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, list[IPv4Address]] = {}

    def add(self, name: str, ip: IPv4Address) -> None:
        key = name.lower().rstrip(".")
        with self._lock:
            ips = self._names.setdefault(key, [])
            if ip not in ips:
                ips.append(ip)

    def remove(self, name: str, ip: IPv4Address) -> None:
        key = name.lower().rstrip(".")
        with self._lock:
            ips = self._names.get(key, [])
            if ip in ips:
                ips.remove(ip)
            if not ips:
                self._names.pop(key, None)

    def lookup(self, name: str) -> list[IPv4Address]:
        with self._lock:
            return list(self._names.get(name.lower().rstrip("."), ()))


class Resolver:
    """Answers one query (bytes in, bytes out); ``lookup`` must not block (runs on the loop)."""

    def __init__(
        self,
        lookup: Lookup,
        upstreams: Sequence[tuple[str, int]],
        *,
        timeout: float = 2.0,
        ttl: int = 600,
    ) -> None:
        self.lookup = lookup
        self.upstreams = list(upstreams)
        self.timeout = timeout
        self.ttl = ttl

    async def answer(self, data: bytes, *, tcp: bool = False) -> bytes | None:
        try:
            query = dm.parse_message(data)
        except dm.DnsFormatError:
            return dm.error_response(data, dm.FORMERR)
        if query.is_response:
            return None
        if query.opcode != 0 or len(query.questions) != 1:
            return dm.encode_response(query, rcode=dm.NOTIMP)
        q = query.questions[0]
        if q.qclass == dm.CLASS_IN and q.qtype in (dm.TYPE_A, dm.TYPE_AAAA):
            ips = tuple(self.lookup(q.name))
            if ips:
                addresses = ips if q.qtype == dm.TYPE_A else ()
                return dm.encode_response(query, addresses=addresses, ttl=self.ttl)
        forwarded = await self._forward(data, tcp=tcp)
        return forwarded if forwarded is not None else dm.encode_response(query, rcode=dm.SERVFAIL)

    async def _forward(self, data: bytes, *, tcp: bool) -> bytes | None:
        for host, port in self.upstreams:
            try:
                async with asyncio.timeout(self.timeout):
                    if tcp:
                        return await _ask_tcp(host, port, data)
                    return await _ask_udp(host, port, data)
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as err:
                log.debug("upstream %s:%s failed: %r", host, port, err)
        return None


async def _ask_udp(host: str, port: int, data: bytes) -> bytes:
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        await loop.sock_connect(sock, (host, port))
        await loop.sock_sendall(sock, data)
        while True:
            reply = await loop.sock_recv(sock, 65535)
            if reply[:2] == data[:2]:
                return reply


async def _ask_tcp(host: str, port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(struct.pack(">H", len(data)) + data)
        await writer.drain()
        (length,) = struct.unpack(">H", await reader.readexactly(2))
        return await reader.readexactly(length)
    finally:
        writer.close()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: EmbeddedDns) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.server._spawn(self._reply(data, addr))

    async def _reply(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = await self.server.resolver.answer(data)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


class EmbeddedDns:
    """Serves a :class:`Resolver` on an already bound UDP socket and listening TCP socket."""

    def __init__(self, resolver: Resolver, udp: socket.socket, tcp: socket.socket) -> None:
        self.resolver = resolver
        self.udp_sock = udp
        self.tcp_sock = tcp
        self._transport: asyncio.DatagramTransport | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def ports(self) -> tuple[int, int]:
        return int(self.udp_sock.getsockname()[1]), int(self.tcp_sock.getsockname()[1])

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: _Udp(self), sock=self.udp_sock
        )
        self._server = await asyncio.start_server(self._serve_tcp, sock=self.tcp_sock)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                (length,) = struct.unpack(">H", await reader.readexactly(2))
                reply = await self.resolver.answer(await reader.readexactly(length), tcp=True)
                if reply is None:
                    break
                writer.write(struct.pack(">H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        self.udp_sock.close()
        self.tcp_sock.close()


def _bind_inside(table: str) -> tuple[socket.socket, socket.socket]:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        udp.bind((EMBEDDED_IP, 0))
        tcp.bind((EMBEDDED_IP, 0))
        tcp.listen(64)
        script = resolver_redirect_script(table, udp.getsockname()[1], tcp.getsockname()[1])
        run(["nft", "-f", "-"], input=script.encode(), timeout=30)
    except BaseException:
        udp.close()
        tcp.close()
        raise
    udp.setblocking(False)
    tcp.setblocking(False)
    return udp, tcp


async def start_in_netns(
    netns: Path, resolver: Resolver, *, table: str = "dockyard_dns"
) -> EmbeddedDns:
    """Serve ``resolver`` at 127.0.0.11:53 inside ``netns``; ``close()`` the result to stop.

    The redirect table lives in the container's namespace and dies with it.
    """
    udp, tcp = await asyncio.to_thread(run_in_netns, netns, lambda: _bind_inside(table))
    server = EmbeddedDns(resolver, udp, tcp)
    try:
        await server.start()
    except BaseException:
        with contextlib.suppress(OSError):
            await server.close()
        raise
    return server
