"""A real dockyardd as a subprocess, for integration tests, compat tests and benchmarks.

It runs on its own socket, data root and exec root below ``base`` (never the machine's
/run/dockyard.sock), so a test session cannot disturb, or be disturbed by, a daemon in use.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.testing.isolation import isolated_config, remove_network_leftovers

__all__ = [
    "Daemon",
    "destroy_engine",
    "destroy_engine_at",
    "start_daemon",
    "stop_daemon",
    "unmount_below",
    "wait_for",
]


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> None:
    """Poll ``condition`` until it holds; fail the test with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s: {condition!r}")


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 30.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


@dataclass
class Daemon:
    """A running dockyardd for tests: its paths and a tiny HTTP helper."""

    socket: Path
    data_root: Path
    exec_root: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DOCKER_HOST": self.host}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes, dict[str, str]]:
        conn = _UnixHTTPConnection(str(self.socket))
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read(), dict(resp.getheaders())
        finally:
            conn.close()

    def ping(self) -> bool:
        try:
            return self.request("GET", "/_ping")[0] == 200
        except OSError:
            return False


def start_daemon(
    base: Path,
    extra_args: list[str] | None = None,
    *,
    debug: bool = True,
    config: dict[str, Any] | None = None,
) -> Daemon:
    """Start dockyardd below ``base``; its daemon.json is isolated (see testing/isolation.py)
    plus ``config``, written once: a restart on the same ``base`` keeps the same network."""
    base.mkdir(parents=True, exist_ok=True)
    sock = base / "dockyard.sock"
    log = base / "dockyardd.log"
    args = [
        sys.executable,
        "-m",
        "dockyard.daemon.main",
        "-H",
        f"unix://{sock}",
        "--data-root",
        str(base / "data"),
        "--exec-root",
        str(base / "exec"),
        "--pidfile",
        str(base / "dockyardd.pid"),
        "--config-file",
        str(base / "daemon.json"),
        *(["--debug"] if debug else []),
        *(extra_args or []),
    ]
    config_file = base / "daemon.json"
    if not config_file.exists():
        config_file.write_text(json.dumps(isolated_config(config)))
    with log.open("ab") as fh:
        proc = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    daemon = Daemon(sock, base / "data", base / "exec", proc, log)
    try:
        wait_for(lambda: daemon.ping() or proc.poll() is not None, timeout=30)
    except AssertionError:
        stop_daemon(daemon)
        raise
    if proc.poll() is not None:
        raise RuntimeError(f"dockyardd exited {proc.returncode}:\n{log.read_text()}")
    return daemon


def stop_daemon(daemon: Daemon, sig: int = signal.SIGTERM) -> None:
    if daemon.process.poll() is None:
        daemon.process.send_signal(sig)
        try:
            daemon.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.process.kill()
            daemon.process.wait(timeout=10)


def unmount_below(root: Path) -> None:
    """Unmount anything a failed test left mounted below ``root`` (deepest first)."""
    with contextlib.suppress(OSError):
        mounts = Path("/proc/self/mounts").read_text().splitlines()
        targets = [line.split()[1] for line in mounts if line.split()[1].startswith(str(root))]
        for target in sorted(targets, key=len, reverse=True):
            subprocess.run(["umount", "-l", target], check=False, capture_output=True, timeout=30)


def destroy_engine(daemon: Daemon) -> None:
    """Everything a test daemon leaves once stopped: its monitor (which outlives dockyardd by
    design), the containers runc still knows, and mounts below its directories."""
    stop_daemon(daemon)
    destroy_engine_at(daemon.exec_root, daemon.data_root.parent)


def destroy_engine_at(exec_root: Path, base: Path) -> None:
    """The monitor and containers of the engine whose exec root is ``exec_root``."""
    pid_file = exec_root / "monitor.pid"
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
    runc_root = exec_root / "runc"
    if runc_root.exists():
        listed = subprocess.run(
            ["runc", "--root", str(runc_root), "list", "-q"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        for cid in listed.stdout.split():
            subprocess.run(
                ["runc", "--root", str(runc_root), "delete", "-f", cid],
                capture_output=True, timeout=30, check=False,
            )  # fmt: skip
    unmount_below(base)
    remove_network_leftovers(base)
