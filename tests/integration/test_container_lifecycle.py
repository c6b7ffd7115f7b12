"""The container lifecycle through the API on a real dockyardd, runc and the monitor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from dockyard.testing.daemon_process import Daemon, wait_for
from dockyard.testing.engine_api import EngineApi

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def image(daemon: Daemon, busybox_tar: Path) -> str:
    status, body, _ = daemon.request(
        "POST",
        "/v1.45/images/create?fromSrc=-&repo=lifecycle/busybox&tag=1",
        busybox_tar.read_bytes(),
    )
    assert status == 200, body
    return "lifecycle/busybox:1"


class Api(EngineApi):
    def create(self, image: str, cmd: list[str], name: str = "", **config: Any) -> str:
        config.setdefault("HostConfig", {})
        return super().create(image, cmd, name, **config)


@pytest.fixture
def api(daemon: Daemon) -> Iterator[Api]:
    a = Api(daemon)
    try:
        yield a
    finally:
        a.cleanup()


def test_exit_code_and_output_are_recorded(api: Api, image: str, daemon: Daemon) -> None:
    cid = api.create(image, ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert api.call("POST", f"/containers/{cid}/start")[0] == 204
    wait_for(lambda: api.state(cid)["Status"] == "exited")
    state = api.state(cid)
    assert state["ExitCode"] == 3
    assert state["StartedAt"] <= state["FinishedAt"]
    log_path = Path(api.inspect(cid)["LogPath"])
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert [(e["log"], e["stream"]) for e in lines] == [("out\n", "stdout"), ("err\n", "stderr")]


def test_wait_returns_the_exit_code(api: Api, image: str) -> None:
    cid = api.create(image, ["sh", "-c", "exit 7"])
    api.call("POST", f"/containers/{cid}/start")
    status, body = api.call("POST", f"/containers/{cid}/wait")
    assert (status, body["StatusCode"]) == (200, 7)


def test_start_twice_is_not_modified(api: Api, image: str) -> None:
    cid = api.create(image, ["sleep", "100"])
    assert api.call("POST", f"/containers/{cid}/start")[0] == 204
    assert api.call("POST", f"/containers/{cid}/start")[0] == 304


def test_stop_sends_sigterm_then_records_the_exit(api: Api, image: str) -> None:
    cid = api.create(image, ["sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.1; done"])
    api.call("POST", f"/containers/{cid}/start")
    assert api.call("POST", f"/containers/{cid}/stop?t=5")[0] == 204
    state = api.state(cid)
    assert (state["Status"], state["ExitCode"]) == ("exited", 42)
    assert api.call("POST", f"/containers/{cid}/stop")[0] == 304


def test_stop_kills_after_the_grace_period(api: Api, image: str) -> None:
    cid = api.create(image, ["sleep", "100"])  # sleep as pid 1 ignores SIGTERM
    api.call("POST", f"/containers/{cid}/start")
    assert api.call("POST", f"/containers/{cid}/stop?t=1")[0] == 204
    assert api.state(cid)["ExitCode"] == 137


def test_kill_on_stopped_container_is_conflict(api: Api, image: str) -> None:
    cid = api.create(image, ["true"])
    status, body = api.call("POST", f"/containers/{cid}/kill")
    assert status == 409
    assert "is not running" in body["message"]


def test_kill_with_signal_name(api: Api, image: str) -> None:
    cid = api.create(image, ["sh", "-c", "trap 'exit 5' USR1; while true; do sleep 0.1; done"])
    api.call("POST", f"/containers/{cid}/start")
    assert api.call("POST", f"/containers/{cid}/kill?signal=USR1")[0] == 204
    wait_for(lambda: api.state(cid)["Status"] == "exited")
    assert api.state(cid)["ExitCode"] == 5


def test_pause_freezes_and_unpause_thaws(api: Api, image: str) -> None:
    cid = api.create(image, ["sleep", "100"])
    api.call("POST", f"/containers/{cid}/start")
    assert api.call("POST", f"/containers/{cid}/pause")[0] == 204
    state = api.state(cid)
    assert (state["Status"], state["Paused"]) == ("paused", True)
    freezer = Path(f"/sys/fs/cgroup/freezer/dockyard/{cid}/freezer.state")
    if freezer.exists():
        assert freezer.read_text().strip() == "FROZEN"
    status, body = api.call("POST", f"/containers/{cid}/pause")
    assert status == 409 and "already paused" in body["message"]
    assert api.call("POST", f"/containers/{cid}/unpause")[0] == 204
    assert api.state(cid)["Status"] == "running"


def test_remove_running_needs_force(api: Api, image: str) -> None:
    cid = api.create(image, ["sleep", "100"])
    api.call("POST", f"/containers/{cid}/start")
    status, body = api.call("DELETE", f"/containers/{cid}")
    assert status == 409
    assert "running container" in body["message"]
    assert api.call("DELETE", f"/containers/{cid}?force=1")[0] == 204
    assert api.call("GET", f"/containers/{cid}/json")[0] == 404


def test_remove_leaves_no_mount_directory_or_runtime_state(
    api: Api, image: str, daemon: Daemon
) -> None:
    cid = api.create(image, ["sleep", "100"])
    api.call("POST", f"/containers/{cid}/start")
    rootfs = daemon.exec_root / "containers" / cid / "rootfs"
    assert rootfs.is_mount()
    api.call("DELETE", f"/containers/{cid}?force=1")
    assert not rootfs.exists()
    assert not (daemon.data_root / "containers" / cid).exists()
    assert not (daemon.exec_root / "runc" / cid).exists()


def test_auto_remove_deletes_after_exit(api: Api, image: str) -> None:
    cid = api.create(image, ["true"], HostConfig={"AutoRemove": True})
    api.call("POST", f"/containers/{cid}/start")
    wait_for(lambda: api.call("GET", f"/containers/{cid}/json")[0] == 404)


def test_wait_for_removed_returns_after_auto_remove(api: Api, image: str) -> None:
    cid = api.create(image, ["sh", "-c", "exit 4"], HostConfig={"AutoRemove": True})
    # The wait is registered first, as `docker run --rm` does; the start comes after.
    import threading

    result: dict[str, Any] = {}
    waiter = threading.Thread(
        target=lambda: result.update(
            r=api.call("POST", f"/containers/{cid}/wait?condition=removed")
        )
    )
    waiter.start()
    wait_for(lambda: True)
    api.call("POST", f"/containers/{cid}/start")
    waiter.join(timeout=30)
    assert result["r"][1]["StatusCode"] == 4


def test_restart_policy_on_failure_retries_up_to_the_limit(api: Api, image: str) -> None:
    cid = api.create(
        image,
        ["sh", "-c", "exit 1"],
        HostConfig={"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2}},
    )
    api.call("POST", f"/containers/{cid}/start")
    wait_for(
        lambda: api.inspect(cid)["RestartCount"] == 2 and api.state(cid)["Status"] == "exited",
        timeout=20,
    )


def test_restart_runs_the_container_again(api: Api, image: str) -> None:
    cid = api.create(image, ["sleep", "100"])
    api.call("POST", f"/containers/{cid}/start")
    first = api.state(cid)["Pid"]
    assert api.call("POST", f"/containers/{cid}/restart?t=0")[0] == 204
    state = api.state(cid)
    assert state["Status"] == "running"
    assert state["Pid"] != first


def test_name_conflict_is_docker_409(api: Api, image: str) -> None:
    api.create(image, ["true"], name="lifecycle-dup")
    status, body = api.call(
        "POST", "/containers/create?name=lifecycle-dup", {"Image": image, "Cmd": ["true"]}
    )
    assert status == 409
    assert body["message"].startswith(
        'Conflict. The container name "/lifecycle-dup" is already in use'
    )


def test_unknown_image_is_404(api: Api) -> None:
    status, body = api.call(
        "POST", "/containers/create", {"Image": "no/such:image", "Cmd": ["true"]}
    )
    assert (status, body["message"]) == (404, "No such image: no/such:image")


def test_missing_command_fails_start_with_127(api: Api, image: str) -> None:
    cid = api.create(image, ["no-such-command"])
    status, body = api.call("POST", f"/containers/{cid}/start")
    assert status == 400
    assert "executable file not found" in body["message"] or "no such file" in body["message"]
    state = api.state(cid)
    assert state["ExitCode"] == 127
    assert state["Status"] == "created"


def test_unknown_user_fails_start_and_leaves_nothing_mounted(
    api: Api, image: str, daemon: Daemon
) -> None:
    cid = api.create(image, ["true"], User="nosuchuser")
    status, body = api.call("POST", f"/containers/{cid}/start")
    assert status == 400
    assert "unable to find user nosuchuser" in body["message"]
    assert not (daemon.exec_root / "containers" / cid / "rootfs").is_mount()


def test_memory_below_6mb_is_refused_at_create(api: Api, image: str) -> None:
    status, body = api.call(
        "POST",
        "/containers/create",
        {"Image": image, "Cmd": ["true"], "HostConfig": {"Memory": 1 << 20}},
    )
    assert status == 400
    assert "Minimum memory limit allowed is 6MB" in body["message"]


def test_list_shows_running_by_default_and_all_with_flag(api: Api, image: str) -> None:
    running = api.create(image, ["sleep", "100"])
    stopped = api.create(image, ["true"])
    api.call("POST", f"/containers/{running}/start")
    ids = {c["Id"] for c in api.call("GET", "/containers/json")[1]}
    assert running in ids and stopped not in ids
    everything = {c["Id"]: c for c in api.call("GET", "/containers/json?all=1")[1]}
    assert everything[stopped]["State"] == "created"
    assert everything[stopped]["Status"] == "Created"
    assert everything[running]["Status"].startswith("Up ")


def test_list_filters_by_status_and_label(api: Api, image: str) -> None:
    cid = api.create(image, ["true"], Labels={"tier": "db"})
    flt = quote(json.dumps({"status": ["created"], "label": ["tier=db"]}))
    ids = [c["Id"] for c in api.call("GET", f"/containers/json?filters={flt}")[1]]
    assert ids == [cid]


def test_events_cover_the_lifecycle(api: Api, image: str) -> None:
    import time

    since = time.time()
    cid = api.create(image, ["true"])
    api.call("POST", f"/containers/{cid}/start")
    wait_for(lambda: api.state(cid)["Status"] == "exited")
    api.call("DELETE", f"/containers/{cid}")
    until = time.time() + 0.5
    flt = quote(json.dumps({"container": [cid]}))
    _, raw, _ = api.daemon.request(
        "GET", f"/v1.45/events?since={since}&until={until}&filters={flt}"
    )
    actions = [json.loads(line)["Action"] for line in raw.decode().splitlines()]
    assert actions == ["create", "start", "die", "destroy"]


def test_image_in_use_is_only_untagged_even_when_forced(
    api: Api, daemon: Daemon, busybox_tar: Path
) -> None:
    status, body, _ = daemon.request(
        "POST",
        "/v1.45/images/create?fromSrc=-&repo=lifecycle/in-use&tag=1",
        busybox_tar.read_bytes(),
    )
    image_id = json.loads(body.splitlines()[-1])["status"]
    api.create("lifecycle/in-use:1", ["true"])
    status, body = api.call("DELETE", "/images/lifecycle/in-use:1")
    assert status == 409
    assert "container" in body["message"]
    status, body = api.call("DELETE", "/images/lifecycle/in-use:1?force=1")
    assert (status, body) == (200, [{"Untagged": "lifecycle/in-use:1"}])
    assert api.call("GET", f"/images/{image_id}/json")[0] == 200
