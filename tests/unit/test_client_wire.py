"""The raw HTTP/1.1 client against a scripted unix-socket server (no daemon)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.client.client import Client, encode_query
from dockyard.client.errors import ClientError, DaemonUnreachable
from dockyard.client.jsonfast import JSONDecodeError, loads
from dockyard.client.transport import SocketTransport


class ScriptedServer:
    """Accepts one connection; for each request returns the next canned response bytes."""

    def __init__(self, path: Path, responses: list[bytes]) -> None:
        self.requests: list[bytes] = []
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(path))
        self._listener.listen(1)
        self._responses = responses
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _read_request(self, conn: socket.socket, pending: bytes) -> tuple[bytes, bytes]:
        while b"\r\n\r\n" not in pending:
            data = conn.recv(65536)
            if not data:
                return b"", b""
            pending += data
        head, _, rest = pending.partition(b"\r\n\r\n")
        body = b""
        if b"chunked" in head.lower():
            while not rest.endswith(b"0\r\n\r\n"):
                rest += conn.recv(65536)
            body, rest = rest, b""
        elif b"content-length:" in head.lower():
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            while len(rest) < length:
                rest += conn.recv(65536)
            body, rest = rest[:length], rest[length:]
        return head + b"\r\n\r\n" + body, rest

    def _serve(self) -> None:
        conn, _ = self._listener.accept()
        pending = b""
        with conn:
            for response in self._responses:
                request, pending = self._read_request(conn, pending)
                if not request:
                    return
                self.requests.append(request)
                conn.sendall(response)

    def close(self) -> None:
        self._listener.close()
        self._thread.join(timeout=5)


@pytest.fixture
def sock_path(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "d.sock"


def _ok(body: bytes, extra: str = "") -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


PING = b"HTTP/1.1 200 OK\r\nApi-Version: 1.44\r\nContent-Length: 2\r\n\r\nOK"


def test_negotiates_lower_daemon_version_and_reuses_connection(sock_path: Path) -> None:
    server = ScriptedServer(sock_path, [PING, _ok(b'{"Version": "x"}')])
    client = Client(SocketTransport(f"unix://{sock_path}"))
    assert client.json("GET", "/version") == {"Version": "x"}
    client.close()
    server.close()
    assert server.requests[1].startswith(b"GET /v1.44/version HTTP/1.1\r\n")


def test_chunked_json_lines_stream(sock_path: Path) -> None:
    body = b'7\r\n{"a":1}\r\n9\r\n\n{"b":2}\n\r\n0\r\n\r\n'
    stream = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    server = ScriptedServer(sock_path, [stream])
    client = Client(SocketTransport(f"unix://{sock_path}"), version="1.45")
    assert list(client.stream_json("GET", "/events")) == [{"a": 1}, {"b": 2}]
    client.close()
    server.close()


def test_error_status_raises_with_daemon_message(sock_path: Path) -> None:
    error = b'{"message": "No such image: x"}'
    response = f"HTTP/1.1 404 Not Found\r\nContent-Length: {len(error)}\r\n\r\n".encode() + error
    server = ScriptedServer(sock_path, [response])
    client = Client(SocketTransport(f"unix://{sock_path}"), version="1.45")
    with pytest.raises(ClientError) as info:
        client.json("GET", "/images/x/json")
    client.close()
    server.close()
    assert (info.value.status, info.value.message) == (404, "No such image: x")


def test_upload_sends_chunked_body(sock_path: Path, tmp_path: Path) -> None:
    server = ScriptedServer(sock_path, [_ok(b"")])
    source = tmp_path / "in.tar"
    source.write_bytes(b"hello")
    client = Client(SocketTransport(f"unix://{sock_path}"), version="1.45")
    with source.open("rb") as stream:
        client.upload("POST", "/images/load", stream).read()
    client.close()
    server.close()
    assert server.requests[0].endswith(b"\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in server.requests[0]


def test_missing_socket_is_daemon_unreachable(tmp_path: Path) -> None:
    client = Client(SocketTransport(f"unix://{tmp_path}/none.sock"))
    with pytest.raises(DaemonUnreachable) as info:
        client.json("GET", "/version")
    assert str(info.value).startswith("Cannot connect to the Dockyard daemon at unix://")


def test_daemon_without_api_version_header_gets_1_24(sock_path: Path) -> None:
    server = ScriptedServer(sock_path, [_ok(b"OK")])
    client = Client(SocketTransport(f"unix://{sock_path}"))
    assert client.api_version == "1.24"
    client.close()
    server.close()


def test_encode_query_drops_none_and_repeats_lists() -> None:
    query = {"a": None, "b": True, "names": ["x y", "z/1"]}
    assert encode_query(query) == "?b=1&names=x%20y&names=z%2F1"


def test_jsonfast_matches_json() -> None:
    assert loads(b' {"a": [1, 2.5, "\\u00e9", null, true]} ') == {"a": [1, 2.5, "é", None, True]}


def test_jsonfast_rejects_trailing_data() -> None:
    with pytest.raises(JSONDecodeError):
        loads("{} x")
