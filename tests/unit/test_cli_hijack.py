"""Hijacked attach streams: read-ahead after 101, stdcopy framing, detach keys, the pump."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.cli.hijack_io import DETACHED, DONE, pump
from dockyard.client.client import Client
from dockyard.client.errors import ClientError
from dockyard.client.stream import EscapeProxy, FrameDemuxer, StreamError, frame, parse_detach_keys
from dockyard.client.transport import SocketTransport
from dockyard.testing.fake_engine_api import FakeStream

UPGRADED = (
    b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
    b"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
)


class UpgradeServer:
    """Answers one request with ``reply`` in a single write, then echoes until EOF."""

    def __init__(self, path: Path, reply: bytes) -> None:
        self.request = b""
        self.echoed = b""
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(path))
        self._listener.listen(1)
        self._reply = reply
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self._listener.accept()
        with conn:
            while b"\r\n\r\n" not in self.request:
                self.request += conn.recv(65536)
            conn.sendall(self._reply)
            while data := conn.recv(65536):
                self.echoed += data
                conn.sendall(data)

    def close(self) -> None:
        self._thread.join(timeout=5)
        self._listener.close()


@pytest.fixture
def sock_path(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "d.sock"


def _client(path: Path) -> Client:
    return Client(SocketTransport(f"unix://{path}"), "1.45")


def test_bytes_sent_with_the_101_head_are_kept(sock_path: Path) -> None:
    server = UpgradeServer(sock_path, UPGRADED + b"early output")
    stream = _client(sock_path).hijack("POST", "/containers/c1/attach", {"stream": True})
    assert stream.recv(65536) == b"early output"
    stream.close()
    server.close()


def test_hijack_sends_upgrade_headers(sock_path: Path) -> None:
    server = UpgradeServer(sock_path, UPGRADED)
    stream = _client(sock_path).hijack("POST", "/exec/e1/start", body={"Detach": False})
    stream.close()
    server.close()
    head = server.request.lower()
    assert b"upgrade: tcp\r\n" in head
    assert b"connection: upgrade\r\n" in head
    assert server.request.startswith(b"POST /v1.45/exec/e1/start HTTP/1.1\r\n")


def test_hijacked_stream_is_bidirectional_and_half_closes(sock_path: Path) -> None:
    server = UpgradeServer(sock_path, UPGRADED)
    stream = _client(sock_path).hijack("POST", "/containers/c1/attach")
    stream.sendall(b"ping")
    stream.close_write()
    received = b""
    while data := stream.recv(65536):
        received += data
    stream.close()
    server.close()
    assert (received, server.echoed) == (b"ping", b"ping")


def test_hijack_error_status_raises_daemon_message(sock_path: Path) -> None:
    body = b'{"message":"No such container: c9"}'
    reply = b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body)
    server = UpgradeServer(sock_path, reply)
    client = _client(sock_path)
    with pytest.raises(ClientError) as info:
        client.hijack("POST", "/containers/c9/attach")
    client.close()
    server.close()
    assert (info.value.status, info.value.message) == (404, "No such container: c9")


def test_old_daemon_200_raw_stream_is_accepted(sock_path: Path) -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nhi"
    server = UpgradeServer(sock_path, reply)
    stream = _client(sock_path).hijack("POST", "/containers/c1/attach")
    assert stream.recv(65536) == b"hi"
    stream.close()
    server.close()


# --- framing --------------------------------------------------------------------------------


def test_frame_header_is_type_then_big_endian_length() -> None:
    assert frame(2, b"abc") == b"\x02\x00\x00\x00\x00\x00\x00\x03abc"


def test_demux_splits_frames_across_chunks() -> None:
    data = frame(1, b"out") + frame(2, b"err")
    demux = FrameDemuxer()
    got = []
    for i in range(len(data)):
        got += demux.feed(data[i : i + 1])
    assert got == [(1, b"out"), (2, b"err")]
    assert demux.pending == 0


def test_demux_keeps_a_partial_frame_pending() -> None:
    demux = FrameDemuxer()
    assert demux.feed(frame(1, b"hello")[:10]) == []
    assert demux.pending == 10


def test_demux_system_error_frame_raises() -> None:
    with pytest.raises(StreamError, match="boom"):
        FrameDemuxer().feed(frame(3, b"boom"))


def test_demux_unknown_stream_type_raises() -> None:
    with pytest.raises(StreamError, match="Unrecognized input header: 9"):
        FrameDemuxer().feed(frame(9, b"x"))


# --- detach keys ------------------------------------------------------------------------------


def test_detach_keys_parse_ctrl_names() -> None:
    assert parse_detach_keys("ctrl-p,ctrl-q") == b"\x10\x11"


def test_detach_keys_parse_plain_characters() -> None:
    assert parse_detach_keys("a,ctrl-@,DEL") == b"a\x00\x7f"


def test_detach_keys_unknown_name_is_error() -> None:
    with pytest.raises(ValueError, match="Unknown character: 'ctrl-1'"):
        parse_detach_keys("ctrl-1")


def test_escape_proxy_detaches_and_drops_the_sequence() -> None:
    assert EscapeProxy().feed(b"ls\x10\x11rest") == (b"ls", True)


def test_escape_proxy_holds_a_partial_sequence_across_reads() -> None:
    proxy = EscapeProxy()
    assert proxy.feed(b"a\x10") == (b"a", False)
    assert proxy.feed(b"\x11") == (b"", True)


def test_escape_proxy_releases_a_false_start() -> None:
    proxy = EscapeProxy()
    assert proxy.feed(b"\x10") == (b"", False)
    assert proxy.feed(b"x") == (b"\x10x", False)


# --- the pump ---------------------------------------------------------------------------------


def test_pump_demultiplexes_to_stdout_and_stderr() -> None:
    stream = FakeStream()
    stream.push(1, b"out\n")
    stream.push(2, b"err\n")
    stream.finish()
    out, err = io.BytesIO(), io.BytesIO()
    assert pump(stream, stdin=None, stdout=out, stderr=err, tty=False, detach_keys=None) == DONE
    assert (out.getvalue(), err.getvalue()) == (b"out\n", b"err\n")


def test_pump_copies_tty_output_raw() -> None:
    stream = FakeStream(tty=True)
    stream.push(1, b"\x1b[1mraw\r\n")
    stream.finish()
    out = io.BytesIO()
    pump(stream, stdin=None, stdout=out, stderr=out, tty=True, detach_keys=None)
    assert out.getvalue() == b"\x1b[1mraw\r\n"


def test_pump_sends_stdin_then_half_closes() -> None:
    stream = FakeStream(echo=True)
    out = io.BytesIO()
    pump(stream, stdin=io.BytesIO(b"data"), stdout=out, stderr=out, tty=False, detach_keys=None)
    assert (bytes(stream.sent), stream.write_closed, out.getvalue()) == (b"data", True, b"data")


def test_pump_detach_keys_end_the_session_with_stream_open() -> None:
    stream = FakeStream(tty=True)
    out = io.BytesIO()
    outcome = pump(
        stream,
        stdin=io.BytesIO(b"x\x10\x11y"),
        stdout=out,
        stderr=out,
        tty=True,
        detach_keys=b"\x10\x11",
    )
    assert (outcome, bytes(stream.sent), stream.closed) == (DETACHED, b"x", True)


def test_pump_ignores_detach_keys_without_tty() -> None:
    stream = FakeStream(echo=True)
    out = io.BytesIO()
    pump(
        stream,
        stdin=io.BytesIO(b"\x10\x11"),
        stdout=out,
        stderr=out,
        tty=False,
        detach_keys=b"\x10\x11",
    )
    assert bytes(stream.sent) == b"\x10\x11"


def test_pump_raises_daemon_error_frame() -> None:
    stream = FakeStream()
    stream.push_raw(frame(3, b"attach failed"))
    stream.finish()
    out = io.BytesIO()
    with pytest.raises(StreamError, match="attach failed"):
        pump(stream, stdin=None, stdout=out, stderr=out, tty=False, detach_keys=None)
