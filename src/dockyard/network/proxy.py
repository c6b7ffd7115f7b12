"""Holding a published host port, and a userland TCP/UDP proxy on it (like docker-proxy).

Holding: :func:`reserve_port` binds (and for TCP listens on) the host address and port, so
no other program can take a port that DNAT sends to a container, and a second publish of the
same port fails the way Docker's does (``Bind for 0.0.0.0:8080 failed: port is already
allocated``). DNAT rewrites matching packets before local delivery, so the reserving socket
normally sees no traffic.

Proxying: :class:`UserlandProxy` serves on that same socket and relays each TCP connection
(or each UDP client address) to the container's address, for the cases DNAT cannot cover
(when the daemon runs without nftables, or IPv6 loopback). It runs on the daemon's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Coroutine
from ipaddress import IPv4Address
from typing import Any, cast

from dockyard.errors import DockyardError

__all__ = ["PortAllocated", "UserlandProxy", "reserve_port"]

log = logging.getLogger(__name__)

_UDP_IDLE = 30.0


class PortAllocated(DockyardError):
    """The host port is taken (Docker reports it as a 500 with this exact wording)."""


def reserve_port(proto: str, host_ip: IPv4Address, host_port: int) -> socket.socket:
    """Bind ``host_ip:host_port`` (0 = ephemeral); the caller owns (and closes) the socket."""
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    sock = socket.socket(socket.AF_INET, kind)
    try:
        if proto == "tcp":
            # Lets a restarted daemon rebind past TIME_WAIT; a live listener still conflicts.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((str(host_ip), host_port))
        if proto == "tcp":
            sock.listen(128)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise PortAllocated(
                f"Bind for {host_ip}:{host_port} failed: port is already allocated"
            ) from err
        raise DockyardError(f"Bind for {host_ip}:{host_port} failed: {err.strerror}") from err
    sock.setblocking(False)
    return sock


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass


class _UdpFront(asyncio.DatagramProtocol):
    """Receives from clients on the host port; one backend socket per client address,
    closed after ``_UDP_IDLE`` seconds without traffic either way."""

    def __init__(self, proxy: UserlandProxy) -> None:
        self.proxy = proxy
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.DatagramTransport | None = None
        self.backends: dict[tuple[str, int], asyncio.DatagramTransport] = {}
        self.pending: dict[tuple[str, int], list[bytes]] = {}
        self.last_seen: dict[tuple[str, int], float] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.last_seen[addr] = self.loop.time()
        backend = self.backends.get(addr)
        if backend is not None:
            backend.sendto(data)
        elif addr in self.pending:
            self.pending[addr].append(data)
        else:
            self.pending[addr] = [data]
            self.proxy._spawn(self._open_backend(addr))

    async def _open_backend(self, addr: tuple[str, int]) -> None:
        front = self

        class Back(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, _src: tuple[str, int]) -> None:
                front.last_seen[addr] = front.loop.time()
                if front.transport is not None:
                    front.transport.sendto(data, addr)

        try:
            transport, _ = await self.loop.create_datagram_endpoint(
                Back, remote_addr=(str(self.proxy.target_ip), self.proxy.target_port)
            )
        except OSError as err:
            log.debug("udp proxy to %s failed: %s", self.proxy.target_ip, err)
            self.pending.pop(addr, None)
            return
        self.backends[addr] = transport
        for data in self.pending.pop(addr, []):
            transport.sendto(data)
        self.loop.call_later(_UDP_IDLE, self._expire, addr)

    def _expire(self, addr: tuple[str, int]) -> None:
        idle = self.loop.time() - self.last_seen.get(addr, 0.0)
        if idle < _UDP_IDLE and addr in self.backends:
            self.loop.call_later(_UDP_IDLE - idle, self._expire, addr)
            return
        self.last_seen.pop(addr, None)
        backend = self.backends.pop(addr, None)
        if backend is not None:
            backend.close()

    def close(self) -> None:
        for backend in self.backends.values():
            backend.close()
        self.backends.clear()
        self.pending.clear()
        if self.transport is not None:
            self.transport.close()


class UserlandProxy:
    """Relays one published port to ``target_ip:target_port``; ``close`` ends it all."""

    def __init__(
        self, proto: str, sock: socket.socket, target_ip: IPv4Address, target_port: int
    ) -> None:
        self.proto = proto
        self.sock = sock
        self.target_ip = target_ip
        self.target_port = target_port
        self._server: asyncio.Server | None = None
        self._udp: _UdpFront | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        if self.proto == "tcp":
            self._server = await asyncio.start_server(self._relay, sock=self.sock)
        else:
            loop = asyncio.get_running_loop()
            front = _UdpFront(self)
            await loop.create_datagram_endpoint(lambda: front, sock=self.sock)
            self._udp = front

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(
                str(self.target_ip), self.target_port
            )
        except OSError as err:
            log.debug("proxy to %s:%s failed: %s", self.target_ip, self.target_port, err)
            writer.close()
            return
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                w.close()
                with contextlib.suppress(ConnectionError, OSError):
                    await w.wait_closed()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._udp is not None:
            self._udp.close()
        for task in list(self._tasks):
            task.cancel()
        self.sock.close()
