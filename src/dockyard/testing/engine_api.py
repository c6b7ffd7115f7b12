"""A thin JSON client for integration tests that drive a real dockyardd over its socket.

Tests speak the Engine API the way a client does, so this adds nothing on top of
`Daemon.request` but JSON in and out and a record of the containers a test made:
`EngineApi.cleanup` force-removes them, whatever the test left running. Assertions about
what a call returns stay in the tests; only the helpers that a test cannot do without
(create, start) assert their own success, so a failing setup names the daemon's answer.
"""

from __future__ import annotations

import json
from typing import Any

from dockyard.testing.daemon_process import Daemon

__all__ = ["API_VERSION", "EngineApi", "call"]

API_VERSION = "/v1.45"


def call(daemon: Daemon, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """Send ``body`` as JSON to the versioned ``path``; return the status and decoded reply.

    An empty reply decodes to None; one that is not JSON (a plain-text error, a stream) is
    returned as the raw bytes.
    """
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    status, raw, _ = daemon.request(method, API_VERSION + path, data, headers)
    if not raw.strip():
        return status, None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


class EngineApi:
    """JSON calls against one daemon plus a tracker of the containers this test created."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.containers: list[str] = []

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return call(self.daemon, method, path, body)

    def raw(
        self, method: str, path: str, data: bytes | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        """The undecoded reply, for archives, logs and other non-JSON bodies."""
        return self.daemon.request(method, API_VERSION + path, data)

    def create(self, image: str, cmd: list[str], name: str = "", **config: Any) -> str:
        """Create a container from ``config`` (Engine API field names) and track it."""
        query = f"?name={name}" if name else ""
        status, body = self.call(
            "POST", f"/containers/create{query}", {"Image": image, "Cmd": cmd, **config}
        )
        assert status == 201, body
        cid = str(body["Id"])
        self.containers.append(cid)
        return cid

    def start(self, cid: str) -> None:
        status, body = self.call("POST", f"/containers/{cid}/start")
        assert status == 204, body

    def run(self, image: str, cmd: list[str], name: str = "", **config: Any) -> str:
        """Create and start a container; return its id without waiting for anything else."""
        cid = self.create(image, cmd, name, **config)
        self.start(cid)
        return cid

    def exec(self, cid: str, cmd: list[str]) -> tuple[int, str]:
        """Run ``cmd`` in a running container with a TTY (raw output); (exit code, output)."""
        status, body = self.call(
            "POST", f"/containers/{cid}/exec",
            {"Cmd": cmd, "Tty": True, "AttachStdout": True, "AttachStderr": True},
        )  # fmt: skip
        assert status == 201, body
        eid = body["Id"]
        status, raw, _ = self.daemon.request(
            "POST", f"/v1.45/exec/{eid}/start", json.dumps({"Detach": False, "Tty": True}).encode(),
            {"Content-Type": "application/json"},
        )  # fmt: skip
        assert status == 200, raw
        status, info = self.call("GET", f"/exec/{eid}/json")
        assert status == 200, info
        return int(info["ExitCode"]), raw.decode(errors="replace")

    def inspect(self, cid: str) -> dict[str, Any]:
        status, body = self.call("GET", f"/containers/{cid}/json")
        assert status == 200, body
        return dict(body)

    def state(self, cid: str) -> dict[str, Any]:
        return dict(self.inspect(cid)["State"])

    def status(self, cid: str) -> str:
        return str(self.state(cid)["Status"])

    def cleanup(self, *, remove_volumes: bool = False) -> None:
        """Force-remove every tracked container (and its anonymous volumes if asked)."""
        query = "?force=1&v=1" if remove_volumes else "?force=1"
        for cid in self.containers:
            self.call("DELETE", f"/containers/{cid}{query}")
