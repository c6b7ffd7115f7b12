"""The daemon process: clean stop, restart on the same data root, refusals at start."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.testing.daemon_process import destroy_engine_at, start_daemon, stop_daemon

pytestmark = pytest.mark.root


@pytest.fixture(autouse=True)
def _no_engine_left(tmp_path: Path) -> Iterator[None]:
    """Each daemon here starts a monitor that outlives it by design: end it after the test."""
    yield
    destroy_engine_at(tmp_path / "exec", tmp_path)


def test_sigterm_stops_cleanly_and_removes_socket_and_pidfile(tmp_path: Path) -> None:
    d = start_daemon(tmp_path)
    stop_daemon(d, signal.SIGTERM)
    assert d.process.returncode == 0
    assert not d.socket.exists()
    assert not (tmp_path / "dockyardd.pid").exists()


def test_restart_on_same_data_root_keeps_identity(tmp_path: Path) -> None:
    first = start_daemon(tmp_path)
    try:
        id_before = json.loads(first.request("GET", "/info")[1])["ID"]
    finally:
        stop_daemon(first)
    second = start_daemon(tmp_path)
    try:
        assert json.loads(second.request("GET", "/info")[1])["ID"] == id_before
    finally:
        stop_daemon(second)


def test_restart_after_sigkill_replaces_stale_socket(tmp_path: Path) -> None:
    first = start_daemon(tmp_path)
    stop_daemon(first, signal.SIGKILL)
    assert first.socket.exists()
    second = start_daemon(tmp_path)
    try:
        assert second.ping()
    finally:
        stop_daemon(second)


def test_bad_daemon_json_stops_the_start_with_its_message(tmp_path: Path) -> None:
    config = tmp_path / "daemon.json"
    config.write_text(json.dumps({"no-such-option": True}))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dockyard.daemon.main",
            "--config-file",
            str(config),
            "-H",
            f"unix://{tmp_path}/s.sock",
            "--data-root",
            str(tmp_path / "d"),
            "--pidfile",
            str(tmp_path / "p"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "don't match any configuration option: no-such-option" in proc.stderr
    assert not (tmp_path / "d").exists()


def test_second_daemon_on_the_same_pidfile_is_refused(tmp_path: Path) -> None:
    first = start_daemon(tmp_path)
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "dockyard.daemon.main",
                "--pidfile",
                str(tmp_path / "dockyardd.pid"),
                "-H",
                f"unix://{tmp_path}/other.sock",
                "--data-root",
                str(tmp_path / "data"),
                "--config-file",
                str(tmp_path / "daemon.json"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 1
        assert "another dockyardd running" in proc.stderr
        assert first.ping()
    finally:
        stop_daemon(first)


def test_tcp_listener_serves_the_api_when_asked(tmp_path: Path) -> None:
    import http.client
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    d = start_daemon(tmp_path, ["-H", f"tcp://127.0.0.1:{port}"])
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/_ping")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        stop_daemon(d)


def test_sigterm_stops_promptly_after_an_events_client_left(tmp_path: Path) -> None:
    import socket
    import time

    d = start_daemon(tmp_path)
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(d.socket))
            s.sendall(b"GET /v1.45/events HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        stop_daemon(d, signal.SIGTERM)
        assert d.process.returncode == 0
        assert time.monotonic() - started < 10
    finally:
        stop_daemon(d, signal.SIGKILL)
