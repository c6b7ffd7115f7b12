"""What the engine promises when things go wrong: OOM kills, a dead monitor, a restarted daemon."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockyard.testing.daemon_process import (
    Daemon,
    destroy_engine_at,
    start_daemon,
    stop_daemon,
    wait_for,
)
from dockyard.testing.engine_api import call

pytestmark = pytest.mark.root


def run(d: Daemon, image: str, cmd: list[str], **host: Any) -> str:
    status, body = call(
        d, "POST", "/containers/create",
        {"Image": image, "Cmd": cmd, "HostConfig": {"NetworkMode": "none", **host}},
    )  # fmt: skip
    assert status == 201, body
    assert call(d, "POST", f"/containers/{body['Id']}/start")[0] == 204
    return str(body["Id"])


def state(d: Daemon, cid: str) -> dict[str, Any]:
    return dict(call(d, "GET", f"/containers/{cid}/json")[1]["State"])


@pytest.fixture
def engine(tmp_path: Path, busybox_tar: Path) -> Iterator[tuple[Daemon, str]]:
    """A daemon of this test's own: these tests kill and restart parts of it."""
    d = start_daemon(tmp_path)
    try:
        status, _, _ = d.request(
            "POST", "/v1.45/images/create?fromSrc=-&repo=resilience&tag=1", busybox_tar.read_bytes()
        )
        assert status == 200
        yield d, "resilience:1"
    finally:
        stop_daemon(d)
        destroy_engine_at(d.exec_root, tmp_path)


def test_oom_kill_is_shown_in_state(engine: tuple[Daemon, str]) -> None:
    d, image = engine
    cid = run(
        d,
        image,
        ["sh", "-c", "x=a; while true; do x=$x$x; done"],
        Memory=8 << 20,
        MemorySwap=8 << 20,
    )
    wait_for(lambda: state(d, cid)["Status"] == "exited", timeout=30)
    s = state(d, cid)
    assert s["OOMKilled"] is True
    assert s["ExitCode"] == 137


def test_containers_outlive_a_daemon_restart_and_keep_logging(engine: tuple[Daemon, str]) -> None:
    d, image = engine
    cid = run(d, image, ["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i; sleep 0.05; done"])
    stop_daemon(d)
    log_path = d.data_root / "containers" / cid / f"{cid}-json.log"
    size = log_path.stat().st_size
    wait_for(lambda: log_path.stat().st_size > size + 100)  # still logging, no daemon
    again = start_daemon(d.data_root.parent)
    s = state(again, cid)
    assert s["Status"] == "running"
    assert call(again, "POST", f"/containers/{cid}/kill")[0] == 204
    wait_for(lambda: state(again, cid)["Status"] == "exited")
    assert state(again, cid)["ExitCode"] == 137
    stop_daemon(again)


def test_exit_while_the_daemon_is_down_is_recorded_at_restart(engine: tuple[Daemon, str]) -> None:
    d, image = engine
    cid = run(d, image, ["sh", "-c", "sleep 1; exit 9"])
    stop_daemon(d)
    monitor_pid = int((d.exec_root / "monitor.pid").read_text())
    wait_for(
        lambda: not Path(f"/proc/{monitor_pid}/task").exists() or _exited_in_monitor(d, cid),
        timeout=10,
    )
    again = start_daemon(d.data_root.parent)
    wait_for(lambda: state(again, cid)["Status"] == "exited")
    assert state(again, cid)["ExitCode"] == 9
    stop_daemon(again)


def _exited_in_monitor(d: Daemon, cid: str) -> bool:
    state_file = d.exec_root / "monitor" / "state.json"
    try:
        return '"exited"' in state_file.read_text() and cid in state_file.read_text()
    except OSError:
        return False


def test_a_killed_monitor_is_restarted_and_containers_are_reported_truthfully(
    engine: tuple[Daemon, str],
) -> None:
    d, image = engine
    cid = run(d, image, ["sleep", "1000"])
    pid_file = d.exec_root / "monitor.pid"
    old = int(pid_file.read_text())
    os.kill(old, signal.SIGKILL)
    wait_for(
        lambda: pid_file.exists() and pid_file.read_text().strip() not in ("", str(old)), timeout=15
    )
    # The container kept running (runc reparented it); the new monitor no longer holds its
    # stdio, and the daemon says so instead of pretending nothing happened.
    assert state(d, cid)["Status"] == "running"
    assert call(d, "POST", f"/containers/{cid}/kill")[0] == 204
    wait_for(lambda: state(d, cid)["Status"] == "exited", timeout=15)
    s = state(d, cid)
    assert s["ExitCode"] in (137, 255)
    if s["ExitCode"] == 255:
        assert s["Error"]
