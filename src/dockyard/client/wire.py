"""HTTP/1.1 over a stream socket, just enough for the Engine API.

Why not ``http.client``: importing it costs ~35 ms (``email``, ``ssl``, ``socket``'s enums),
more than the whole budget of ``dockyard version``. This module uses the C ``_socket`` module
directly and speaks the small subset the daemon needs: fixed-length, chunked and
read-until-close bodies, chunked uploads, and keep-alive reuse of one connection.

Contract: a :class:`Response` must be fully read (or closed) before the next request on the
same :class:`Connection`; an unread response forces a fresh connection.
"""

from __future__ import annotations

import _socket

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["ConnectError", "Connection", "Hijacked", "Response", "WireError"]

_READ_SIZE = 65536


class WireError(Exception):
    """The peer broke the protocol (or the connection) mid-response."""


class ConnectError(WireError):
    """The daemon's socket could not be reached."""


class Response:
    """One HTTP response; headers are parsed, the body is read on demand."""

    __slots__ = (
        "_buf",
        "_chunk_left",
        "_conn",
        "_done",
        "_mode",
        "_remaining",
        "headers",
        "status",
    )

    def __init__(self, conn: Connection, status: int, headers: dict[str, str], head: bool) -> None:
        self._conn = conn
        self.status = status
        self.headers = headers
        self._chunk_left = 0
        self._remaining = 0
        if head or status in (204, 304) or 100 <= status < 200:
            self._mode = "none"
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self._mode = "chunked"
        elif "content-length" in headers:
            self._mode = "length"
            self._remaining = int(headers["content-length"])
        else:
            self._mode = "close"
        self._done = self._mode == "none" or (self._mode == "length" and self._remaining == 0)
        if self._done:
            self._finish()

    def _finish(self) -> None:
        self._done = True
        keep = self._mode != "close" and self.headers.get("connection", "").lower() != "close"
        self._conn._release(keep)

    def read1(self) -> bytes:
        """The next piece of the body as it arrives; ``b""`` at the end."""
        if self._done:
            return b""
        conn = self._conn
        if self._mode == "length":
            data = conn._read_some(min(self._remaining, _READ_SIZE))
            if not data:
                raise WireError("connection closed before the end of the body")
            self._remaining -= len(data)
            if self._remaining == 0:
                self._finish()
            return data
        if self._mode == "close":
            data = conn._read_some(_READ_SIZE)
            if not data:
                self._finish()
            return data
        if self._chunk_left == 0:
            line = conn._read_line()
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while conn._read_line():  # trailers end with an empty line
                    pass
                self._finish()
                return b""
            self._chunk_left = size
        data = conn._read_some(min(self._chunk_left, _READ_SIZE))
        if not data:
            raise WireError("connection closed inside a chunk")
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            conn._read_exact(2)
        return data

    def read(self) -> bytes:
        parts = []
        while data := self.read1():
            parts.append(data)
        return b"".join(parts)

    def iter_chunks(self) -> Iterator[bytes]:
        while data := self.read1():
            yield data

    def iter_lines(self) -> Iterator[bytes]:
        """Newline-delimited records (JSON-lines streams); a last unterminated one too."""
        pending = b""
        for data in self.iter_chunks():
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.strip():
                    yield line
        if pending.strip():
            yield pending

    def close(self) -> None:
        if not self._done:
            self._done = True
            self._conn._release(False)


class Hijacked:
    """The raw byte stream a connection becomes after ``101 UPGRADED`` (attach, exec start).

    Bytes the daemon sent right behind the response head arrive in the same ``recv`` as the
    head; they are kept (``read_ahead``) and returned first, so no output is lost.
    """

    __slots__ = ("_buf", "_sock")

    def __init__(self, sock: _socket.socket, read_ahead: bytes) -> None:
        self._sock = sock
        self._buf = read_ahead

    def recv(self, size: int = _READ_SIZE) -> bytes:
        """Up to ``size`` bytes; ``b""`` once the daemon closed its side."""
        if self._buf:
            data, self._buf = self._buf[:size], self._buf[size:]
            return data
        try:
            return self._sock.recv(size)
        except OSError:
            return b""

    def sendall(self, data: bytes) -> None:
        self._sock.sendall(data)

    def close_write(self) -> None:
        """Half-close: the container sees EOF on stdin, output keeps flowing."""
        try:  # noqa: SIM105  (contextlib would cost start-up time)
            self._sock.shutdown(_socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self._sock.close()

    def fileno(self) -> int:
        return self._sock.fileno()


class Connection:
    """A lazily (re)connected socket to ``unix:`` path or ``(host, port)``."""

    __slots__ = ("_address", "_buf", "_family", "_sock", "_timeout", "host_header")

    def __init__(self, address: str | tuple[str, int], timeout: float | None = None) -> None:
        self._address = address
        self._family = _socket.AF_UNIX if isinstance(address, str) else _socket.AF_INET
        self._timeout = timeout
        self._sock: _socket.socket | None = None
        self._buf = b""
        self.host_header = "api.moby.localhost" if isinstance(address, str) else address[0]

    def _connect(self) -> _socket.socket:
        address = self._address
        sock = None
        try:
            if isinstance(address, str):
                sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
                sock.settimeout(self._timeout)
                sock.connect(address)
            else:
                infos = _socket.getaddrinfo(address[0], address[1], 0, _socket.SOCK_STREAM)
                family, kind, proto, _, sockaddr = infos[0]
                sock = _socket.socket(family, kind, proto)
                sock.settimeout(self._timeout)
                sock.connect(sockaddr)
        except OSError as err:
            if sock is not None:
                sock.close()
            raise ConnectError(str(err)) from err
        return sock

    def _release(self, keep: bool) -> None:
        if not keep and self._sock is not None:
            self._sock.close()
            self._sock = None
            self._buf = b""

    def close(self) -> None:
        self._release(False)

    def _fill(self) -> bool:
        assert self._sock is not None
        data = self._sock.recv(_READ_SIZE)
        if not data:
            return False
        self._buf += data
        return True

    def _read_line(self) -> bytes:
        while (idx := self._buf.find(b"\r\n")) < 0:
            if not self._fill():
                raise WireError("connection closed while reading headers")
        line, self._buf = self._buf[:idx], self._buf[idx + 2 :]
        return line

    def _read_some(self, limit: int) -> bytes:
        if not self._buf and not self._fill():
            return b""
        data, self._buf = self._buf[:limit], self._buf[limit:]
        return data

    def _read_exact(self, size: int) -> bytes:
        while len(self._buf) < size:
            if not self._fill():
                raise WireError("connection closed early")
        data, self._buf = self._buf[:size], self._buf[size:]
        return data

    def request(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes | Iterable[bytes] | None = None,
    ) -> Response:
        """Send one request and parse the response head.

        ``body`` as bytes goes with Content-Length; an iterable is sent chunked, piece by
        piece, so uploads of any size stream without buffering.
        """
        reused = self._sock is not None
        try:
            return self._exchange(method, target, headers, body)
        except (OSError, WireError):
            if not reused or not isinstance(body, bytes | None):
                raise
            self._release(False)  # a kept-alive socket the server has closed meanwhile
            return self._exchange(method, target, headers, body)

    def hijack(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None = None
    ) -> tuple[Response, Hijacked | None]:
        """Send an ``Upgrade: tcp`` request; on 101 (or a 200 raw stream from an old daemon)
        the socket leaves this connection as a :class:`Hijacked` with the read-ahead bytes.
        Any other status comes back as a normal :class:`Response` and no stream."""
        status, fields = self._send(method, target, headers, body)
        raw = fields.get("content-type", "").startswith("application/vnd.docker.")
        if status == 101 or (status == 200 and raw):
            sock, rest = self._sock, self._buf
            assert sock is not None
            self._sock, self._buf = None, b""
            return Response(self, status, fields, True), Hijacked(sock, rest)
        return Response(self, status, fields, method == "HEAD"), None

    def _exchange(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes | Iterable[bytes] | None,
    ) -> Response:
        status, fields = self._send(method, target, headers, body)
        return Response(self, status, fields, method == "HEAD")

    def _send(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes | Iterable[bytes] | None,
    ) -> tuple[int, dict[str, str]]:
        if self._sock is None:
            self._sock = self._connect()
            self._buf = b""
        sock = self._sock
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host_header}"]
        lines.extend(f"{name}: {value}" for name, value in headers.items())
        chunked = body is not None and not isinstance(body, bytes)
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        elif isinstance(body, bytes) or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body) if isinstance(body, bytes) else 0}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            if isinstance(body, bytes):
                sock.sendall(head + body)
            else:
                sock.sendall(head)
                if body is not None:
                    for piece in body:
                        if piece:
                            sock.sendall(b"%x\r\n%b\r\n" % (len(piece), piece))
                    sock.sendall(b"0\r\n\r\n")
            status_line = self._read_line()
            while True:
                parts = status_line.split(None, 2)
                if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
                    raise WireError(f"malformed status line {status_line!r}")
                status = int(parts[1])
                fields: dict[str, str] = {}
                while line := self._read_line():
                    name, _, value = line.decode("latin-1").partition(":")
                    fields[name.strip().lower()] = value.strip()
                if status != 100:
                    break
                status_line = self._read_line()
        except (OSError, WireError):
            self._release(False)
            raise
        return status, fields
